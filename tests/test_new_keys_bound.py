"""A payload with very many new keys costs a bounded report: the first are listed, the rest counted.

One line whose object held a million new keys made a million findings (870 MB
in `drift`). New keys are listed up to `max-new-keys` per object position of
a payload; one `new_keys_not_listed` finding counts the rest.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

from conftest import Invoke
from drift_support import contract, envelope, example, registry

from webhook_contracts.drift import parallel as engine
from webhook_contracts.drift.records import iter_records
from webhook_contracts.drift.scanner import DriftOptions, scan_records
from webhook_contracts.drift.walker import MAX_NEW_KEYS, check_payload
from webhook_contracts.report.jsonreport import report_dict

EVENT = "customer.rewarded.loyalty_points"
WIDE = 200_000


def _wide(keys: int = WIDE) -> dict[str, Any]:
    """The first doc example with *keys* new keys in `balance` and one at the top."""
    data = example(EVENT)
    data["balance"].update((f"k{i}", i) for i in range(keys))
    data["surprise"] = True
    return data


def test_the_walk_lists_the_first_keys_and_counts_the_rest() -> None:
    findings = check_payload(_wide(), contract(EVENT))
    new = [f for f in findings if f.kind == "new_field" and (f.path or "").startswith("/balance/")]
    assert len(new) == MAX_NEW_KEYS
    assert [f.path for f in new] == sorted(f"/balance/k{i}" for i in range(MAX_NEW_KEYS))
    (rest,) = [f for f in findings if f.kind == "new_keys_not_listed"]
    assert (rest.path, rest.expected, rest.extra) == ("/balance", str(MAX_NEW_KEYS), {"unlisted": WIDE - MAX_NEW_KEYS})
    # Another object has its own room.
    assert any(f.kind == "new_field" and f.path == "/surprise" for f in findings)
    assert len(findings) == MAX_NEW_KEYS + 2


def test_the_walk_of_a_wide_payload_uses_bounded_memory() -> None:
    """Measured with tracemalloc: a million findings held about 580 MiB; the bounded walk holds a few."""
    data = _wide()
    tracemalloc.start()
    try:
        check_payload(data, contract(EVENT))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # 200,000 findings took about 116 MiB


def test_keys_repeated_in_array_items_use_the_room_once() -> None:
    data = example(EVENT)
    item = data["order"]["items"][0]
    data["order"]["items"] = [dict(item, extra=1, more=2) for _ in range(500)]
    paths = [f.path for f in check_payload(data, contract(EVENT)) if f.kind == "new_field"]
    assert paths == ["/order/items/*/extra", "/order/items/*/more"]
    assert not [f for f in check_payload(data, contract(EVENT), max_new_keys=1) if f.kind == "new_field"][1:]


def test_fast_path_and_reference_agree_and_unlisted_keys_add_up(tmp_path: Path) -> None:
    clean = json.dumps(envelope(EVENT, example(EVENT)))
    wide = json.dumps(envelope(EVENT, _wide(5_000)))
    path = tmp_path / "wide.ndjson"
    path.write_text("\n".join([clean, wide, clean, wide]) + "\n", "utf-8")
    options = DriftOptions(max_new_keys=10)
    fast = report_dict(engine.scan_files([path.as_posix()], registry(), options, jobs=1))
    reference = report_dict(scan_records(iter_records([path.as_posix()]), registry(), options))
    assert fast == reference
    (rest,) = [f for f in fast["findings"] if f["kind"] == "new_keys_not_listed"]
    assert (rest["count"], rest["extra"]["unlisted"]) == (2, 2 * (5_000 - 10))
    assert len([f for f in fast["findings"] if f["kind"] == "new_field"]) == 10 + 1


def test_the_limit_is_configurable(cli: Invoke, project: Path, tmp_path: Path) -> None:
    log = tmp_path / "wide.ndjson"
    log.write_text(json.dumps(envelope(EVENT, _wide(50))) + "\n", "utf-8")
    (project / "webhook-contracts.toml").write_text("max-new-keys = 5\n", "utf-8")
    result = cli("drift", "--format", "json", str(log), root=project)
    assert result.exit_code == 0, result.output
    kinds = [f["kind"] for f in json.loads(result.stdout)["findings"]]
    assert kinds.count("new_field") == 5 + 1
    assert kinds.count("new_keys_not_listed") == 1
    (project / "webhook-contracts.toml").write_text("max-new-keys = 0\n", "utf-8")
    refused = cli("drift", str(log), root=project)
    assert refused.exit_code == 2 and "max-new-keys must be a number of keys from 1 to 1000000" in refused.stderr
