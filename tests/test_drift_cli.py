"""The `drift` command: exit codes 0/1/2, formats, baselines, redaction."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Invoke
from drift_support import REPO, envelope, example

SAMPLE = REPO / "tests" / "data" / "sample-log" / "production.ndjson"
EVENT = "customer.rewarded.loyalty_points"


def _write(path: Path, *payloads: dict) -> Path:
    path.write_text("".join(json.dumps(p) + "\n" for p in payloads), "utf-8")
    return path


def test_clean_traffic_exits_0(cli: Invoke, project: Path, tmp_path: Path) -> None:
    log = _write(tmp_path / "clean.ndjson", envelope(EVENT, example(EVENT)), example(EVENT))
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
    log = _write(tmp_path / "info.ndjson", data)
    assert cli("drift", str(log), root=project).exit_code == 0
    assert cli("drift", "--fail-on", "info", str(log), root=project).exit_code == 1
    data["order"]["amount"] = "1"
    _write(log, data)
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
    log = _write(tmp_path / "a.ndjson", data)
    baseline = tmp_path / "known.json"
    assert cli("drift", "--write-baseline", str(baseline), str(log), root=project).exit_code == 0
    assert cli("drift", "--baseline", str(baseline), str(log), root=project).exit_code == 0
    data["customer"]["id"] = "cus_abc123"
    data["order"]["extra"] = {"a": 1}
    data["campaign"]["object"] = "promo"
    _write(log, data)
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
    shown = cli("drift", "--payload-field", "body", "--show-values", "--format", "json", "-",
                root=project, input=line)
    assert "secret-amount" in shown.stdout


def test_unknown_events_are_counted_not_fatal(cli: Invoke, project: Path, tmp_path: Path) -> None:
    log = _write(tmp_path / "u.ndjson", envelope("customer.deleted", {"customer": {}}), {"ping": True})
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
    log = _write(tmp_path / "mostly-unknown.ndjson", known, *[envelope("customer.deleted", {"customer": {}})] * 3)
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
