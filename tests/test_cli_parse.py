"""The command line parsed alone: argv and config to the request each command runs, with nothing run.

Each checking command parses its options into a frozen request and hands it
to its module's `execute`; here `execute` is replaced by one that records the
request, so defaults, config overrides and usage errors are tested without a
scan, a diff or a check.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import REPO

from webhook_contracts.check.gate import CheckOptions
from webhook_contracts.cli import check as check_cli
from webhook_contracts.cli import contracts as contracts_cli
from webhook_contracts.cli import diff as diff_cli
from webhook_contracts.cli import drift as drift_cli
from webhook_contracts.cli import main
from webhook_contracts.cli.contracts import ExtractArgs, ReconcileArgs, RegenArgs
from webhook_contracts.cli.options import ReportOptions
from webhook_contracts.config import load_settings
from webhook_contracts.contracts.regen import RegenPlan
from webhook_contracts.contracts.registry import bundled_schemas
from webhook_contracts.drift import run as drift_run
from webhook_contracts.drift.options import drift_options
from webhook_contracts.drift.parallel import cpu_count
from webhook_contracts.drift.run import DriftRequest, drift_request
from webhook_contracts.findings import Report

Recorder = Callable[..., list[Any]]


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Replace `module.name` by a function that records what it is called with and returns an empty report."""

    def replace(module: Any, name: str, command: str) -> list[Any]:
        calls: list[Any] = []

        def record(args: Any, **kwargs: Any) -> Report:
            calls.append(args)
            return Report(command, ())

        monkeypatch.setattr(module, name, record)
        return calls

    return replace


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--root", str(root), *args], catch_exceptions=False)


def configure(root: Path, text: str) -> Path:
    (root / "webhook-contracts.toml").write_text(text, "utf-8")
    return root


def test_drift_defaults(recorded: Recorder, tmp_path: Path) -> None:
    calls = recorded(drift_cli, "execute", "drift")
    result = run(tmp_path, "drift", "traffic.ndjson")  # never read: nothing runs
    assert result.exit_code == 0, result.output
    [args] = calls
    settings = load_settings(tmp_path)
    assert args.request == DriftRequest(
        inputs=("traffic.ndjson",),
        schemas=bundled_schemas() or settings.schemas_dir,  # no index here: the bundled contracts
        options=drift_options(settings),
        max_line=settings.max_payload_bytes,
        sniff_lines=settings.sniff_lines,
        max_file_bytes=settings.max_file_bytes,
        max_baseline_bytes=settings.max_baseline_bytes,
    )
    assert args.output == ReportOptions(fail_on="error")
    assert args.progress is None and args.notes == ()


def test_drift_takes_the_config_and_the_command_line_wins(recorded: Recorder, tmp_path: Path) -> None:
    configure(
        tmp_path,
        'fail-on = "warning"\nshow-values = true\napi-version = "v2024-01-01"\n'
        'baseline = "accepted.json"\nmax-payload-bytes = 4096\nsniff-lines = 7\n'
        '[severity]\nnew_field = "off"\n',
    )
    calls = recorded(drift_cli, "execute", "drift")
    assert run(tmp_path, "drift", "a.log").exit_code == 0
    assert (
        run(
            tmp_path,
            "drift",
            "--fail-on",
            "info",
            "--api-version",
            "v2018-08-01",
            "--baseline",
            "mine.json",
            "--event",
            "customer.rewarded",
            "--payload-field",
            "body",
            "--schemas",
            "elsewhere",
            "--write-baseline",
            "new.json",
            "--no-progress",
            "-q",
            "-v",
            "--color",
            "never",
            "--format",
            "json",
            "a.log",
            "logs",
        ).exit_code
        == 0
    )
    configured, given = calls
    assert configured.output.fail_on == "warning"
    assert configured.request.options.show_values is True
    assert configured.request.options.api_version == "v2024-01-01"
    assert configured.request.options.severities["new_field"] is None
    assert configured.request.baseline == tmp_path / "accepted.json"
    assert configured.request.baseline_name == "accepted.json"
    assert (configured.request.max_line, configured.request.sniff_lines) == (4096, 7)
    assert given.output == ReportOptions("json", "info", (), verbose=True, quiet=True, color="never")
    assert given.request.inputs == ("a.log", "logs")
    assert given.request.options.api_version == "v2018-08-01"
    assert given.request.options.event == "customer.rewarded"
    assert given.request.payload_field == "body"
    assert given.request.schemas == Path("elsewhere")
    assert (given.request.baseline, given.request.baseline_name) == (Path("mine.json"), "mine.json")
    assert given.request.write_baseline == Path("new.json")
    assert given.progress is False


def test_drift_jobs_are_held_to_the_cpus(recorded: Recorder, tmp_path: Path) -> None:
    calls = recorded(drift_cli, "execute", "drift")
    cpus = cpu_count()
    result = run(tmp_path, "drift", "--jobs", str(cpus + 1), "a.log")
    assert result.exit_code == 0
    assert calls[0].request.jobs == cpus
    assert result.stderr == f"note: --jobs {cpus + 1} is more than the {cpus} CPU(s) available; using {cpus}\n"


def test_report_targets_are_parsed_before_anything_runs(recorded: Recorder, tmp_path: Path) -> None:
    calls = recorded(drift_cli, "execute", "drift")
    sarif, junit = tmp_path / "out.sarif", tmp_path / "out.xml"
    result = run(tmp_path, "drift", "--report", f"sarif:{sarif}", "--report", f"junit:{junit}", "a.log")
    assert result.exit_code == 0
    assert calls[0].output.targets == (("sarif", sarif), ("junit", junit))
    assert sarif.is_file() and junit.is_file()  # the (empty) report is written to each


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["drift"], "Missing argument 'FILES...'"),
        (["drift", "--jobs", "0", "a.log"], "Invalid value for '-j' / '--jobs'"),
        (["drift", "--report", "pdf:out.pdf", "a.log"], "expected FORMAT:PATH"),
        (["drift", "--report", "sarif:", "a.log"], "expected FORMAT:PATH"),
        (["drift", "--fail-on", "fatal", "a.log"], "Invalid value for '--fail-on'"),
        (["drift", "--format", "pdf", "a.log"], "Invalid value for '--format'"),
        (["check", "--skip", "everything"], "Invalid value for '--skip'"),
        (["check", "--report", "nothing"], "expected FORMAT:PATH"),
        (["diff", "only-one"], "Missing argument 'NEW'"),
        (["compare", "-", "-"], "only one of A and B can be read from stdin"),
    ],
)
def test_usage_errors_exit_2_and_run_nothing(
    recorded: Recorder,
    tmp_path: Path,
    argv: list[str],
    message: str,
) -> None:
    calls = [
        recorded(drift_cli, "execute", "drift"),
        recorded(check_cli, "execute", "check"),
        recorded(diff_cli, "execute_diff", "diff"),
        recorded(diff_cli, "execute_compare", "compare"),
    ]
    result = run(tmp_path, *argv)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert calls == [[], [], [], []]


def test_a_bad_config_is_an_input_error_before_anything_runs(recorded: Recorder, tmp_path: Path) -> None:
    calls = recorded(drift_cli, "execute", "drift")
    configure(tmp_path, 'fail-on = "sometimes"\n')
    result = run(tmp_path, "drift", "a.log")
    assert result.exit_code == 2 and result.stderr.startswith("error: ") and "fail-on" in result.stderr
    assert calls == []


def test_check_options(recorded: Recorder, tmp_path: Path) -> None:
    calls = recorded(check_cli, "execute", "check")
    configure(tmp_path, 'fail-on = "info"\n')
    result = run(
        tmp_path,
        "check",
        "--base",
        "HEAD~1",
        "--logs",
        "a.log",
        "--logs",
        "old",
        "--payload-field",
        "body",
        "--skip",
        "models",
        "--skip",
        "changelog",
    )
    assert result.exit_code == 0
    [args] = calls
    assert args.options == CheckOptions(
        base="HEAD~1", skip=frozenset({"models", "changelog"}), logs=("a.log", "old"), payload_field="body"
    )
    assert args.settings == load_settings(tmp_path)
    assert args.output == ReportOptions(fail_on="info")


def test_diff_and_compare_options(recorded: Recorder, tmp_path: Path) -> None:
    diffs = recorded(diff_cli, "execute_diff", "diff")
    compares = recorded(diff_cli, "execute_compare", "compare")
    configure(tmp_path, "show-values = true\nmax-payload-bytes = 100\nmax-errors-per-payload = 3\n")
    assert run(tmp_path, "diff", "customer.rewarded", "old.json").exit_code == 0
    assert run(tmp_path, "diff", "--schemas", "there", "a", "b").exit_code == 0
    assert run(tmp_path, "compare", "a.json", "-").exit_code == 0
    default, chosen = diffs
    assert (default.old, default.new) == ("customer.rewarded", "old.json")
    assert default.schemas == (bundled_schemas() or tmp_path / "schemas")  # no index here: the bundled ones
    assert chosen.schemas == Path("there")
    [compare] = compares
    assert (compare.a, compare.b, compare.show_values) == ("a.json", "-", True)
    assert (compare.max_payload_bytes, compare.max_errors) == (100, 3)


def test_drift_and_check_logs_ask_for_the_same_run(recorded: Recorder) -> None:
    """Both commands build one DriftRequest from the settings and call the one entry point, `run_drift`."""
    requests = recorded(drift_run, "run_drift", "drift")
    assert run(REPO, "drift", "--payload-field", "body", "a.log", "logs").exit_code == 0
    assert (
        run(
            REPO,
            "check",
            "--logs",
            "a.log",
            "--logs",
            "logs",
            "--payload-field",
            "body",
            *[arg for name in ("schemas", "index", "models", "fixtures", "changelog") for arg in ("--skip", name)],
        ).exit_code
        == 0
    )
    from_drift, from_check = requests
    assert from_drift == from_check == drift_request(load_settings(REPO), ("a.log", "logs"), payload_field="body")


def test_regen_shows_what_its_plan_says(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`regen` parses into RegenArgs; what it prints and its exit code come from the plan alone."""
    calls: list[RegenArgs] = []
    plan = RegenPlan({"schemas/index.json": b"{}"}, ("schemas/index.json",), (), {}, ("a page has no examples",))

    def planned(args: RegenArgs) -> RegenPlan:
        calls.append(args)
        return plan

    monkeypatch.setattr(contracts_cli, "execute_regen", planned)
    checked = run(tmp_path, "regen", "--check", "-v")
    assert checked.exit_code == 1
    assert checked.stdout == "stale (run `webhook-contracts regen`):\n  schemas/index.json\n"
    assert checked.stderr == "warning: a page has no examples\n"
    quiet = run(tmp_path, "regen", "--check", "-q")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (1, "1 file(s) stale (run `webhook-contracts regen`)\n", "")
    written = run(tmp_path, "regen")
    assert written.exit_code == 0 and written.stdout.endswith("1 file(s) written\n")
    settings = load_settings(tmp_path)
    assert calls == [
        RegenArgs(settings, check=True, verbose=True),
        RegenArgs(settings, check=True, quiet=True),
        RegenArgs(settings),
    ]


def test_reconcile_and_extract_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    reconciles: list[ReconcileArgs] = []
    extracts: list[ExtractArgs] = []

    def reconcile(args: ReconcileArgs) -> tuple[None, None]:
        reconciles.append(args)
        return None, None

    monkeypatch.setattr(contracts_cli, "execute_reconcile", reconcile)
    monkeypatch.setattr(contracts_cli, "execute_extract", lambda args: extracts.append(args))
    monkeypatch.setattr(contracts_cli, "write_and_exit", lambda render, code: None)  # nothing to render
    assert (
        run(
            tmp_path,
            "reconcile",
            "--event",
            "voucher.published",
            "--api-version",
            "v2024-01-01",
            "--disagreements-only",
            "--format",
            "markdown",
        ).exit_code
        == 0
    )
    assert run(tmp_path, "extract", "--format", "json", "--examples", "-q", "page.html").exit_code == 0
    assert reconciles == [ReconcileArgs(load_settings(tmp_path), "voucher.published", "v2024-01-01", True, "markdown")]
    assert extracts == [ExtractArgs(Path("page.html"), None, "json", examples=True, quiet=True)]
