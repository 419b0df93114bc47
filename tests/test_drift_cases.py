"""Each drift kind, and each thing that is not drift, as a folder of files.

`tests/data/cases/drift/<case>/case.json` names the event whose doc example is
the starting point, JSON Pointer edits (`set`, `delete`) and whether the
payload travels in an envelope; `expected.json` lists the findings (with the
`observed_value` of a new tag).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import case_folders
from drift_support import contract, delete_pointer, envelope, example, registry, set_pointer

from webhook_contracts.drift.records import Record
from webhook_contracts.drift.scanner import scan_records
from webhook_contracts.drift.walker import check_payload
from webhook_contracts.findings import OBSERVED_VALUE


def _payload(case: dict[str, Any]) -> dict[str, Any]:
    data = example(case["event"])
    for pointer in case.get("delete", []):
        delete_pointer(data, pointer)
    for pointer, value in case.get("set", {}).items():
        set_pointer(data, pointer, value)
    return data


@pytest.mark.parametrize("folder", case_folders("drift"))
def test_case(folder: Path) -> None:
    case = json.loads((folder / "case.json").read_text("utf-8"))
    expected = json.loads((folder / "expected.json").read_text("utf-8"))
    data = _payload(case)
    if case.get("envelope"):
        report = scan_records([Record("in.ndjson", 1, envelope(case["event"], data))], registry())
        findings = report.findings
    else:
        findings = tuple(check_payload(data, contract(case["event"])))
    got = [
        {
            "kind": f.kind,
            "path": f.path,
            "expected": f.expected,
            "observed": f.observed,
            **{k: v for k, v in f.extra.items() if k == OBSERVED_VALUE},
        }
        for f in findings
    ]
    assert sorted(got, key=lambda g: (g["path"], g["kind"])) == expected
    assert all(f.event == case["event"] and f.api_version == "v2024-01-01" and f.revision == 2 for f in findings)


def test_values_only_when_asked() -> None:
    data = example("voucher.loyalty_card.pending_points.activated")
    data["customer"]["id"] = "client_secretvalue123"
    hidden = check_payload(data, contract("voucher.loyalty_card.pending_points.activated"))
    shown = check_payload(data, contract("voucher.loyalty_card.pending_points.activated"), show_values=True)
    assert [f.key for f in hidden] == [f.key for f in shown]
    assert "secretvalue" not in repr(hidden)
    assert shown[0].extra["value"] == '"client_secretvalue123"'
