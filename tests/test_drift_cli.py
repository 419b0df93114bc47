"""The `drift` command: exit codes 0/1/2, formats, baselines, redaction."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import HANG_TIMEOUT_S, Invoke, write_ndjson
from drift_support import REPO, envelope, example

SAMPLE = REPO / "tests" / "data" / "sample-log" / "production.ndjson"
EVENT = "customer.rewarded.loyalty_points"


def test_clean_traffic_exits_0(cli: Invoke, project: Path, tmp_path: Path) -> None:
    log = write_ndjson(tmp_path / "clean.ndjson", envelope(EVENT, example(EVENT)), example(EVENT))
    result = cli("drift", str(log), root=project)
    assert result.exit_code == 0, result.output
    assert "2 payload(s)" in result.stdout


def test_sample_log_exits_1_and_json_parses(cli: Invoke, project: Path) -> None:
    result = cli("drift", "--payload-field", "body", "--format", "json", str(SAMPLE), root=project)
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    labels = json.loads((SAMPLE.parent / "labels.json").read_text("utf-8"))
    assert document["summary"]["unparseable"]["count"] == len(labels["unparseable_lines"])
    assert len(document["findings"]) == len(labels["findings"]) == 15
    assert "Alan Turing" not in result.stdout and '"value"' not in result.stdout


def test_fail_on_levels(cli: Invoke, project: Path, tmp_path: Path) -> None:
    data = example(EVENT)
    del data["customer"]["source_id"]  # in every example, not promised: info only
    log = write_ndjson(tmp_path / "info.ndjson", data)
    assert cli("drift", str(log), root=project).exit_code == 0
    assert cli("drift", "--fail-on", "info", str(log), root=project).exit_code == 1
    data["order"]["amount"] = "1"
    write_ndjson(log, data)
    assert cli("drift", "--fail-on", "never", str(log), root=project).exit_code == 0
    assert cli("drift", str(log), root=project).exit_code == 1


def test_usage_and_input_errors_exit_2(cli: Invoke, project: Path, tmp_path: Path) -> None:
    assert cli("drift", root=project).exit_code == 2
    missing = cli("drift", str(tmp_path / "nope.ndjson"), root=project)
    assert missing.exit_code == 2 and "nope.ndjson" in missing.stderr
    assert cli("drift", "--fail-on", "sometimes", str(SAMPLE), root=project).exit_code == 2
    bad = tmp_path / "baseline.json"
    bad.write_text("[]", "utf-8")
    result = cli("drift", "--baseline", str(bad), str(SAMPLE), root=project)
    assert result.exit_code == 2 and "baseline.json" in result.stderr


def test_baseline_accepts_known_drift_only(cli: Invoke, project: Path, tmp_path: Path) -> None:
    data = example(EVENT)
    data["order"]["amount"] = "1"
    log = write_ndjson(tmp_path / "a.ndjson", data)
    baseline = tmp_path / "known.json"
    assert cli("drift", "--write-baseline", str(baseline), str(log), root=project).exit_code == 0
    assert cli("drift", "--baseline", str(baseline), str(log), root=project).exit_code == 0
    data["customer"]["id"] = "cus_abc123"
    data["order"]["extra"] = {"a": 1}
    data["campaign"]["object"] = "promo"
    write_ndjson(log, data)
    result = cli("drift", "--baseline", str(baseline), "--format", "json", str(log), root=project)
    assert result.exit_code == 1
    marks = {f["path"]: f["extra"].get("baselined", False) for f in json.loads(result.stdout)["findings"]}
    assert marks == {"/order/amount": True, "/customer/id": False, "/order/extra": False, "/campaign/object": False}


def test_stdin_event_and_show_values(cli: Invoke, project: Path) -> None:
    data = example(EVENT)
    data["order"]["amount"] = "secret-amount"
    line = json.dumps({"wrapper": True, "body": json.dumps(data)}) + "\n"
    hidden = cli("drift", "--payload-field", "body", "--event", EVENT, "-", root=project, input=line)
    assert hidden.exit_code == 1 and "secret-amount" not in hidden.stdout
    shown = cli("drift", "--payload-field", "body", "--show-values", "--format", "json", "-", root=project, input=line)
    assert "secret-amount" in shown.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "sarif", "junit", "github"])
def test_a_created_at_that_is_no_timestamp_is_not_shown(cli: Invoke, project: Path, tmp_path: Path, fmt: str) -> None:
    """Locations carry the payload's own timestamp; any other text in `created_at` is a payload value."""
    drifting = example(EVENT)
    drifting["customer"]["object"] = "client"
    bare = {**example(EVENT), "created_at": "Ada Lovelace ada@example.com"}
    bare["customer"]["object"] = "client"
    log = write_ndjson(
        tmp_path / "stamps.ndjson",
        envelope(EVENT, drifting, "Ada Lovelace ada@example.com"),
        envelope(EVENT, drifting, "2024-04-01 10:00:00Z"),
        bare,
        envelope(EVENT, drifting),
    )
    result = cli("drift", "--format", fmt, str(log), root=project)
    assert result.exit_code == 1, result.output
    assert "Ada Lovelace" not in result.stdout and "2024-04-01 10:00:00Z" not in result.stdout
    if fmt == "json":  # a real timestamp is still shown where it was seen
        last_seen = json.loads(result.stdout)["findings"][0]["last_seen"]
        assert last_seen == {"file": log.as_posix(), "line": 4, "created_at": "2024-04-01T10:00:00.000Z"}


def test_unknown_events_are_counted_not_fatal(cli: Invoke, project: Path, tmp_path: Path) -> None:
    log = write_ndjson(tmp_path / "u.ndjson", envelope("customer.deleted", {"customer": {}}), {"ping": True})
    result = cli("drift", "--format", "json", str(log), root=project)
    # Counted and listed, and the run goes on; but a run that checked nothing is not clean.
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    unknown = document["summary"]["unknown"]
    assert [item["line"] for item in unknown["lines"]] == [1, 2]
    assert [f["kind"] for f in document["findings"]] == ["nothing_checked"]
    assert cli("drift", "--fail-on", "never", str(log), root=project).exit_code == 0


def test_unchecked_share_is_configurable(cli: Invoke, project: Path, tmp_path: Path) -> None:
    known = envelope(EVENT, example(EVENT))
    log = write_ndjson(tmp_path / "mostly-unknown.ndjson", known, *[envelope("customer.deleted", {"customer": {}})] * 3)
    failed = cli("drift", "--format", "json", str(log), root=project)
    assert failed.exit_code == 1
    assert [f["kind"] for f in json.loads(failed.stdout)["findings"]] == ["unchecked_traffic"]
    config = project / "webhook-contracts.toml"
    config.write_text("max-unchecked-share = 0.8\n", "utf-8")
    assert cli("drift", str(log), root=project).exit_code == 0
    config.write_text('[severity]\nunchecked_traffic = "off"\n', "utf-8")
    assert cli("drift", str(log), root=project).exit_code == 0
    config.write_text("max-unchecked-share = 2\n", "utf-8")
    refused = cli("drift", str(log), root=project)
    assert refused.exit_code == 2 and "max-unchecked-share must be in [0, 1]" in refused.stderr


def _children(pid: int) -> set[int]:
    """The live child processes of *pid*, from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text("utf-8", "replace")
        except OSError:  # gone meanwhile
            continue
        state, parent = text.rsplit(")", 1)[1].split()[:2]  # after the command name, which may hold anything
        if int(parent) == pid and state != "Z":
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text("utf-8", "replace")
    except OSError:
        return False
    return text.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [
        (signal.SIGINT, 130, "error: interrupted\n"),
        (signal.SIGTERM, 143, "error: terminated\n"),
    ],
)
def test_a_signal_ends_drift_and_its_workers(tmp_path: Path, signum: int, code: int, message: str) -> None:
    log = tmp_path / "large.ndjson"
    sample = SAMPLE.read_bytes()
    with log.open("wb") as out:
        for _ in range(6):
            out.write(sample)
    command = [
        sys.executable,
        "-m",
        "webhook_contracts",
        "--root",
        str(REPO),
        "drift",
        "-j",
        "2",
        "--fail-on",
        "never",
        str(log),
    ]
    # stderr goes to a file, not a pipe: an orphaned worker would hold a pipe open and hang the test.
    errors = tmp_path / "stderr"
    with errors.open("wb") as stderr:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        workers: set[int] = set()
        while proc.poll() is None and len(workers) < 2:
            workers = _children(proc.pid)
            time.sleep(0.005)
        assert len(workers) == 2, "drift -j 2 ended before both workers were seen"
        proc.send_signal(signum)
        proc.wait(timeout=HANG_TIMEOUT_S)  # a drift that ignores the signal fails the test, killed below
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        left = [pid for pid in workers if _alive(pid)]
        for pid in left:  # a failing run leaves no orphans behind either
            os.kill(pid, signal.SIGKILL)
    err = errors.read_text("utf-8")
    assert not left, "a worker outlived drift"
    assert proc.returncode == code, err
    assert err == message


def test_jobs_are_capped_at_the_cpus_available(cli: Invoke, project: Path, tmp_path: Path) -> None:
    from webhook_contracts.drift.parallel import cpu_count

    log = write_ndjson(tmp_path / "clean.ndjson", envelope(EVENT, example(EVENT)))
    result = cli("drift", "-j", "100000", str(log), root=project)
    assert result.exit_code == 0, result.output
    cpus = cpu_count()
    assert result.stderr == f"note: --jobs 100000 is more than the {cpus} CPU(s) available; using {cpus}\n"
    assert cli("drift", "-j", str(cpus), str(log), root=project).stderr == ""
