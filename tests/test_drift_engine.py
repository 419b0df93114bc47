"""Laws of the drift engine, revision matching, severities and baselines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from drift_support import API_VERSION, all_examples, contract, envelope, example, registry
from hypothesis import given, settings
from hypothesis import strategies as st

from webhook_contracts.contracts.registry import Revision, build_index, dump_json, load_registry, sha256
from webhook_contracts.drift import scanner
from webhook_contracts.drift.baseline import apply_baseline, load_baseline, unaccepted, write_baseline
from webhook_contracts.drift.options import DriftOptions, severities_from_config
from webhook_contracts.drift.records import Record, iter_records
from webhook_contracts.drift.scanner import scan_records
from webhook_contracts.drift.walker import check_payload
from webhook_contracts.errors import InputError
from webhook_contracts.findings import Report, Severity, exit_code
from webhook_contracts.report.jsonreport import report_dict

REWARDED = "customer.rewarded.loyalty_points"


def test_seed_examples_give_no_finding() -> None:
    examples = all_examples()
    assert len(examples) == 3
    for event, data in examples:
        assert check_payload(data, contract(event)) == []


def test_seed_examples_bare_and_enveloped_scan_clean() -> None:
    records = []
    for n, (event, data) in enumerate(all_examples(), start=1):
        records += [Record("seeds", 2 * n - 1, data), Record("seeds", 2 * n, envelope(event, data))]
    report = scan_records(records, registry())
    assert report.findings == ()
    # Bare data of the `added` event has the shape of four sibling events: ambiguous, never forced onto one.
    ambiguous = "customer.voucher.loyalty_card.pending_points.added"
    expected = {e: 1 if e == ambiguous else 2 for e, _ in all_examples()}
    assert {e: i["payloads"] for e, i in report.summary["events"].items()} == expected
    assert {e: i["detected_by_shape"] for e, i in report.summary["events"].items()} == {
        e: 0 if e == ambiguous else 1 for e in expected
    }
    [unknown] = report.summary["unknown"]["lines"]
    assert "ambiguous shape: matches customer.voucher.loyalty_card.pending_points.added" in unknown["reason"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=10,
)


def _edit(data: dict[str, Any], path: list[str], value: object) -> dict[str, Any]:
    node = data
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            return data
        node = child
    node[path[-1]] = value
    return data


@settings(max_examples=60, deadline=None)
@given(
    event=st.sampled_from([e for e, _ in all_examples()]),
    path=st.lists(
        st.sampled_from(["order", "customer", "voucher", "items", "id", "metadata", "x"]), min_size=1, max_size=3
    ),
    value=json_values,
)
def test_findings_are_deterministic(event: str, path: list[str], value: object) -> None:
    data = _edit(example(event), path, value)
    first = check_payload(data, contract(event), show_values=True)
    second = check_payload(json.loads(json.dumps(data)), contract(event), show_values=True)
    assert first == second
    paths = [f.path or "" for f in first]
    assert paths == sorted(paths)
    assert len({f.key for f in first}) == len(first)


@settings(max_examples=30, deadline=None)
@given(
    event=st.sampled_from([e for e, _ in all_examples()]),
    keys=st.dictionaries(st.text(min_size=1, max_size=8), json_values, max_size=4),
)
def test_doc_example_with_free_form_metadata_is_clean(event: str, keys: dict[str, Any]) -> None:
    data = example(event)
    data["customer"]["metadata"] = keys
    assert check_payload(data, contract(event)) == []


def _registry_with_r3(tmp_path: Path) -> Path:
    """A copy of the schemas with an r3 of the rewarded event that renames order.amount (and requires it)."""
    root = tmp_path / "schemas"
    shutil.copytree(registry().root, root)
    old = load_registry(root)
    latest = old.latest(REWARDED, API_VERSION)
    schema = json.loads((root / latest.path).read_text("utf-8"))
    order = schema["$defs"]["OrderCalculated"]
    order["properties"]["amount_total"] = order["properties"].pop("amount")
    order["required"] = sorted([*order.get("required", []), "amount_total"])
    order["x-documented"] = [k for k in order.get("x-documented", []) if k != "amount"]
    data = dump_json(schema)
    (root / API_VERSION / REWARDED / "r3.json").write_bytes(data)
    r3 = Revision(API_VERSION, REWARDED, 3, sha256(data), latest.source)
    (root / "index.json").write_bytes(dump_json(build_index([*old.revisions, r3])))
    return root


def test_revision_matching_recognises_older_shape(tmp_path: Path) -> None:
    reg = load_registry(_registry_with_r3(tmp_path))
    records = [Record("log", n, envelope(REWARDED, example(REWARDED))) for n in range(1, 4)]
    report = scan_records(records, reg)
    info = report.summary["events"][REWARDED]
    assert info["revision"] == 3
    assert info["best_revision"] == 2
    assert info["revisions"] == {
        "r1": {"clean": 3, "findings": 0},
        "r2": {"clean": 3, "findings": 0},
        "r3": {"clean": 0, "findings": 6},
    }
    assert {(f.kind, f.path, f.revision) for f in report.findings} == {
        ("missing_field", "/order/amount_total", 3),
        ("new_field", "/order/amount", 3),
    }
    assert any("matches revision r2" in note for note in report.notes)


def test_clean_payloads_are_not_matched_against_older_revisions(tmp_path: Path) -> None:
    """A payload clean for the revision in force cannot fit an older one better: it costs one walk."""
    reg = load_registry(_registry_with_r3(tmp_path))
    data = example(REWARDED)
    data["order"]["amount_total"] = data["order"].pop("amount")
    report = scan_records([Record("log", 1, envelope(REWARDED, data))], reg)
    info = report.summary["events"][REWARDED]
    assert info["revisions"] == {"r3": {"clean": 1, "findings": 0}}
    assert info["best_revision"] == 3 and report.findings == ()


def _drifting_report() -> Report:
    data = example(REWARDED)
    data["order"]["amount"] = "100"
    data["order"]["extra"] = 1
    return scan_records([Record("log", 1, data), Record("log", 2, data)], registry())


def test_severity_overrides_and_off() -> None:
    options = DriftOptions(severities=severities_from_config({"retyped_field": "info", "new_field": "off"}))
    data = example(REWARDED)
    data["order"]["amount"] = "100"
    data["order"]["extra"] = 1
    report = scan_records([Record("log", 1, data)], registry(), options)
    assert [(f.kind, f.severity) for f in report.findings] == [("retyped_field", Severity.INFO)]


def test_baseline_round_trip(tmp_path: Path) -> None:
    report = _drifting_report()
    assert exit_code(report, "error") == 1
    path = tmp_path / "baseline.json"
    write_baseline(path, report)
    accepted = apply_baseline(report, load_baseline(path))
    assert all(f.extra["baselined"] for f in accepted.findings)
    assert len(accepted.findings) == len(report.findings)
    assert exit_code(unaccepted(accepted), "info") == 0
    assert accepted.summary["baselined"] == 2
    again = json.loads(path.read_text("utf-8"))
    assert sorted(again["fingerprints"]) == sorted(f.fingerprint for f in report.findings)


def test_baseline_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "b.json"
    bad.write_text("{nope", "utf-8")
    try:
        load_baseline(bad)
    except InputError as exc:
        assert str(bad) in str(exc)
    else:
        raise AssertionError("expected an InputError")


def test_remembered_detections_change_no_report(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bare data is detected once per shape of top-level keys; detecting every payload anew, or forgetting after
    each, gives the same report."""
    log = Path(__file__).resolve().parent / "data" / "sample-log" / "production.ndjson"

    def scanned() -> dict[str, Any]:
        return report_dict(scan_records(iter_records([log.as_posix()], payload_field="body"), registry()))

    remembered = scanned()
    assert sum(info["detected_by_shape"] for info in remembered["summary"]["events"].values()) > 0
    monkeypatch.setattr(scanner, "MAX_DETECTIONS", 1)
    assert scanned() == remembered
    monkeypatch.setattr(scanner, "MAX_DETECTION_KEYS", 0)
    assert scanned() == remembered
