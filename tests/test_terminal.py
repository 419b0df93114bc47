"""Terminal output: one screen for the demo, quiet pipes, -q, colour, progress, completion."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import REPO, Invoke, run_module

from webhook_contracts.cli import main
from webhook_contracts.cli.terminal import DelayedProgress
from webhook_contracts.report.layout import line_ranges

DEMO = ("drift", "--payload-field", "body", "--fail-on", "never", "tests/data/sample-log/production.ndjson")
EVENT = "customer.rewarded.loyalty_points"


@pytest.fixture(autouse=True)
def _plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COLUMNS", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(REPO)


def _lines(text: str) -> list[str]:
    return text.splitlines()


def test_the_demo_fits_one_screen(cli: Invoke) -> None:
    result = cli(*DEMO, root=REPO)
    assert result.exit_code == 0, result.output
    lines = _lines(result.stdout)
    assert max(len(line) for line in lines) <= 100
    assert len(lines) <= 45
    assert "    25  not JSON: lines 6, 108, 209, 310, … (+21 more)" in lines
    assert not any(line.startswith("  unparseable: tests/") for line in lines)


def test_columns_is_honoured(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "72")
    lines = _lines(cli(*DEMO, root=REPO).stdout)
    assert max(len(line) for line in lines) <= 72


def test_verbose_lists_every_line_and_where_each_finding_was_seen(cli: Invoke) -> None:
    lines = _lines(cli(*DEMO, "-v", root=REPO).stdout)
    assert max(len(line) for line in lines) <= 100
    assert sum("unparseable: tests/data/sample-log/production.ndjson:" in line for line in lines) == 121
    assert any("first line 291" in line for line in lines)


def test_line_ranges() -> None:
    assert line_ranges([6, 7, 8, 9, 21]) == "6\u20139, 21"
    assert line_ranges([1, 3, 5, 7, 9, 11, 12]) == "1, 3, 5, 7, … (+3 more)"


def test_quiet_prints_the_headline_only(cli: Invoke, tmp_path: Path) -> None:
    assert cli(*DEMO, "-q", root=REPO).stdout == "drift: 15 findings (9 error, 4 warning, 2 info)\n"
    payload = REPO / "tests" / "data" / "payloads" / f"{EVENT}.json"
    assert cli("validate", "-q", str(payload), root=REPO).stdout == "validate: no findings\n"
    assert cli("reconcile", "-q", root=REPO).stdout.count("\n") == 1


def test_color_always_never_and_no_color(cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    assert "\x1b[31merror" in cli(*DEMO, "--color", "always", root=REPO).stdout
    assert "\x1b[" not in cli(*DEMO, "--color", "never", root=REPO).stdout
    assert "\x1b[" not in cli(*DEMO, root=REPO).stdout  # not a terminal
    from webhook_contracts.cli.terminal import use_color

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert use_color("auto", Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color("auto", Tty())
    assert use_color("always", Tty())


def _run(args: list[str], stdout: int, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    return run_module(args, stdout=stdout, stderr=subprocess.PIPE, cwd=REPO, **kwargs)


@pytest.mark.parametrize(("fail_on", "code"), [("never", 0), ("error", 1)])
def test_a_closed_pipe_keeps_the_reports_exit_code(fail_on: str, code: int) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader went away before anything was written (`| head -1`)
    try:
        result = _run(
            ["drift", "--payload-field", "body", "--fail-on", fail_on, "tests/data/sample-log/production.ndjson"], write
        )
    finally:
        os.close(write)
    assert (result.returncode, result.stderr) == (code, b"")


def test_regen_counts_disagreements_only_when_verbose(cli: Invoke, project: Path) -> None:
    quiet = cli("regen", "--check", root=project)
    assert quiet.exit_code == 0, quiet.output
    assert "disagreement" not in quiet.stderr
    verbose = cli("regen", "--check", "-v", root=project)
    assert "disagreement(s)" in verbose.stderr


def test_progress_waits_for_a_second_of_work() -> None:
    now = [0.0]
    stream = io.StringIO()
    bar = DelayedProgress(stream, 0, clock=lambda: now[0])
    bar(1_000_000)
    now[0] = 0.9
    bar(1_000_000)
    assert stream.getvalue() == ""
    now[0] = 1.2
    bar(500_000)
    assert "reading  2.5 MB" in stream.getvalue()
    bar.close()
    assert stream.getvalue().endswith("\r")


def test_progress_counts_stdin_read_from_a_pipe() -> None:
    data = (REPO / "tests" / "data" / "sample-log" / "production.ndjson").read_bytes()
    result = _run(
        ["drift", "--progress", "--payload-field", "body", "--fail-on", "never", "-"], subprocess.PIPE, input=data
    )
    assert result.returncode == 0, result.stderr
    assert b"reading  " in result.stderr and b" MB" in result.stderr


def test_unknown_api_version_in_validate(cli: Invoke) -> None:
    payload = REPO / "tests" / "data" / "payloads" / f"{EVENT}.json"
    result = cli("validate", "--api-version", "garbage", str(payload), root=REPO)
    assert result.exit_code == 2
    assert result.stderr == "error: no contracts for API version 'garbage' (known: v2024-01-01)\n"


def _complete(words: str) -> list[str]:
    env = {
        "_WEBHOOK_CONTRACTS_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
    }
    result = CliRunner().invoke(main, [], prog_name="webhook-contracts", env=env)
    assert result.exit_code == 0, result.output
    return [line.partition(",")[2] for line in result.stdout.splitlines()]


def test_completion_of_event_names_and_references() -> None:
    items = _complete("webhook-contracts drift --event customer.rewarded")
    assert EVENT in items and all(item.startswith("customer.rewarded") for item in items)
    assert "campaign.loyalty_tier.created" in _complete("webhook-contracts validate --event ca")
    items = _complete(f"webhook-contracts diff {EVENT}@")
    assert f"{EVENT}@v2024-01-01" in items and f"{EVENT}@v2024-01-01/r1" in items
    assert _complete("webhook-contracts validate --api-version v2") == ["v2024-01-01"]


def test_json_keeps_every_listed_line(cli: Invoke) -> None:
    document = json.loads(cli(*DEMO, "--format", "json", root=REPO).stdout)
    assert len(document["summary"]["unparseable"]["lines"]) == 121
