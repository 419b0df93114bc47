"""One payload with a million errors: `validate`, `compare` and `check` stay small and say where they stopped.

The errors are grouped by path (array items as `*`), with a count and the
first few concrete paths; past `max-errors-per-payload` validation stops and
compare only counts, and the output says so. Memory is measured with
tracemalloc (the peak of what Python allocated while the command ran), output
by its size.
"""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import DATA, REPO, Invoke, peak_kib_of, run_module_with_peak

from webhook_contracts.check.gate import CheckOptions, run_checks
from webhook_contracts.config import load_settings
from webhook_contracts.findings import Severity
from webhook_contracts.payloads.validate import collect_findings, make_validator

EVENT = "voucher.loyalty_card.pending_points.activated"
CAPTURE = DATA / "payloads" / f"{EVENT}.json"
ITEMS = 1_000_000
#: Far below what a million errors cost (gigabytes before errors were bounded).
PEAK_LIMIT = 64 << 20
OUTPUT_LIMIT = 4096


def wrong_items(count: int = ITEMS) -> dict[str, Any]:
    """The captured delivery with *count* integers where order items (objects) belong: 2 MB of JSON."""
    delivery: dict[str, Any] = json.loads(CAPTURE.read_text("utf-8"))
    delivery["data"]["order"]["items"] = [1] * count
    return delivery


def write_wrong_items(path: Path) -> Path:
    path.write_text(json.dumps(wrong_items(), separators=(",", ":")), "utf-8")
    return path


def flat(text: str) -> str:
    """*text* with runs of white space (table columns, wrapped lines) as one space."""
    return " ".join(text.split())


def peak_of(run: Callable[[], Result]) -> tuple[Result, int]:
    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def payload(tmp_path: Path) -> Iterator[Path]:
    path = write_wrong_items(tmp_path / "items.json")
    yield path
    path.unlink()


def test_validate_a_million_wrong_items(cli: Invoke, payload: Path) -> None:
    result, peak = peak_of(lambda: cli("validate", str(payload), root=REPO))
    assert result.exit_code == 1, result.output
    text = flat(result.stdout)
    assert "more than 100 error(s); stopped at max-errors-per-payload (100)" in text
    assert (
        "schema.type /order/items/* 100 expected object, got integer "
        "(at /order/items/0, /order/items/1, /order/items/2, ...)"
    ) in text
    assert "errors_not_listed / 1 stopped after 100 errors (max-errors-per-payload); it has more" in text
    assert len(result.stdout) < OUTPUT_LIMIT, len(result.stdout)
    assert peak < PEAK_LIMIT, f"peak {peak >> 20} MiB"


def test_validate_json_says_where_it_stopped(cli: Invoke, payload: Path) -> None:
    result = cli("validate", str(payload), "--format", "json", root=REPO)
    doc = json.loads(result.stdout)
    [summary] = doc["summary"]["payloads"]
    assert summary["stopped_at_max_errors"] == 100 and summary["error_count"] == 100
    found = [{k: f[k] for k in ("kind", "severity", "count", "path", "message", "extra")} for f in doc["findings"]]
    assert found == [
        {
            "kind": "schema.type",
            "severity": "error",
            "count": 100,
            "path": "/order/items/*",
            "message": "expected object, got integer (at /order/items/0, /order/items/1, /order/items/2, ...)",
            "extra": {"examples": ["/order/items/0", "/order/items/1", "/order/items/2"], "keyword": "type"},
        },
        {
            "kind": "errors_not_listed",
            "severity": "warning",
            "count": 1,
            "path": None,
            "message": "stopped after 100 errors (max-errors-per-payload); it has more",
            "extra": {"max_errors_per_payload": 100},
        },
    ]
    assert len(result.stdout) < OUTPUT_LIMIT


def test_the_limit_is_configurable(cli: Invoke, payload: Path, tmp_path: Path) -> None:
    (tmp_path / "webhook-contracts.toml").write_text("max-errors-per-payload = 7\n", "utf-8")
    result = cli("validate", "--schemas", str(REPO / "schemas"), str(payload), root=tmp_path)
    text = flat(result.stdout)
    assert "more than 7 error(s); stopped at max-errors-per-payload (7)" in text
    assert "schema.type /order/items/* 7 expected object, got integer (at /order/items/0" in text


def test_few_errors_are_all_listed(cli: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "few.json"
    path.write_text(json.dumps(wrong_items(2)), "utf-8")
    result = cli("validate", str(path), root=REPO)
    text = flat(result.stdout)
    assert "(v2024-01-01 r2, from the envelope type): 2 error(s) " in text
    assert "stopped" not in result.stdout
    assert "schema.type /order/items/* 2 expected object, got integer (at /order/items/0, /order/items/1)" in text


def test_errors_under_a_nullable_object_are_bounded_too() -> None:
    """jsonschema keeps every error of an `anyOf` branch; the bounded validator keeps what it needs."""
    schema = {
        "type": "object",
        "properties": {
            "order": {
                "anyOf": [
                    {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object"}}}},
                    {"type": "null"},
                ]
            }
        },
    }
    validator = make_validator(schema, max_errors=10)
    data = {"order": {"items": [1] * ITEMS}}
    tracemalloc.start()
    try:
        violations, stopped_at = collect_findings(validator, data, max_errors=10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert stopped_at == 10
    assert [(v.path, v.count) for v in violations] == [("/order/items/*", 10)]
    assert peak < 1 << 20, f"peak {peak >> 10} KiB"


def test_compare_a_million_differing_items(payload: Path) -> None:
    # A child process and its peak resident size (as test_bad_inputs measures a 200 MB line): tracemalloc
    # would make a million small allocations take a minute.
    done = run_module_with_peak(
        [
            "--root",
            str(REPO),
            "compare",
            str(CAPTURE),
            str(payload),
            "--format",
            "json",
        ]
    )
    assert done.returncode == 1, done.stderr
    peak_kib = peak_kib_of(done)
    assert peak_kib < 150 * 1024, f"peak RSS {peak_kib} KiB"
    doc = json.loads(done.stdout)
    got = {(f["kind"], f["path"], f["count"]) for f in doc["findings"]}
    assert got == {("retyped", "/order/items/*", 2), ("added", "/order/items/*", ITEMS - 2)}
    added = next(f for f in doc["findings"] if f["kind"] == "added")
    assert added["extra"]["paths"] == ["/order/items/2", "/order/items/3", "/order/items/4"]
    assert doc["summary"]["differences"] == ITEMS
    assert len(done.stdout) < OUTPUT_LIMIT, len(done.stdout)


def test_compare_counts_past_the_limit_and_still_fails(cli: Invoke, tmp_path: Path) -> None:
    """Past the limit, differences at new paths are counted by kind: an error there still fails the command."""
    a = {"keep": 1, "later": {"gone": "x"}}
    b = {"keep": 1, "later": {}, **{f"new_{i:04}": i for i in range(1000)}}
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(a), "utf-8")
    second.write_text(json.dumps(b), "utf-8")
    (tmp_path / "webhook-contracts.toml").write_text("max-errors-per-payload = 10\n", "utf-8")
    result = cli("compare", str(first), str(second), "--format", "json", root=tmp_path)
    doc = json.loads(result.stdout)
    assert result.exit_code == 1, result.stdout  # the removed field, an error, is past the limit
    assert doc["counts"] == {"error": 1, "warning": 11, "info": 0}
    beyond = [f for f in doc["findings"] if f["path"] is None]
    got = [(f["kind"], f["severity"], f["count"]) for f in beyond]
    assert got == [("removed", "error", 1), ("added", "warning", 990)]
    assert doc["summary"]["differences"] == 1001 and doc["summary"]["max_errors_per_payload"] == 10
    assert any("only counted by kind (max-errors-per-payload)" in note for note in doc["notes"])
    text = cli("compare", str(first), str(second), root=tmp_path).stdout
    assert "1 more difference(s) of this kind at other paths, only counted (max-errors-per-payload 10)" in text


def test_check_a_fixture_with_a_million_wrong_items(project: Path) -> None:
    (project / "webhook-contracts.toml").write_text('fixtures = ["fixtures/*.json"]\n', "utf-8")
    (project / "fixtures").mkdir()
    write_wrong_items(project / "fixtures" / "items.json")
    options = CheckOptions(skip=frozenset({"changelog", "models", "index", "schemas"}))
    tracemalloc.start()
    try:
        report = run_checks(load_settings(project), options)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    found = sorted((f for f in report.findings if f.kind == "fixture_violation"), key=lambda f: f.path is None)
    assert [(f.path, f.count, f.severity) for f in found] == [
        ("/order/items/*", 100, Severity.ERROR),
        (None, 1, Severity.ERROR),
    ]
    assert "(at /order/items/0, /order/items/1, /order/items/2, ...)" in found[0].message
    assert "stopped after 100 errors (max-errors-per-payload); it has more" in found[1].message
    assert peak < PEAK_LIMIT, f"peak {peak >> 20} MiB"
