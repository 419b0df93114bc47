"""The reduction of `--jobs` and `--dask` as laws: partial scans merge associatively, and any cutting of the
input into byte ranges, merged in any grouping, gives the report one scanner reading it all gives."""

from __future__ import annotations

import functools
import itertools
from pathlib import Path
from typing import Any

import orjson
import pytest
from drift_support import envelope, example, registry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webhook_contracts.drift.parallel import Reading, Task, scan_files, scan_task
from webhook_contracts.drift.partials import Partial, merge_all
from webhook_contracts.drift.scanner import DriftScanner
from webhook_contracts.drift.sources import FileSource
from webhook_contracts.report.jsonreport import report_dict

SAMPLE = Path(__file__).resolve().parent / "data" / "sample-log" / "production.ndjson"
READING = Reading(payload_field="body")
EVENT = "customer.rewarded.loyalty_points"


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[FileSource]:
    """Two logs cut from the sample log (drift, unknown events, lines that are not payloads)."""
    lines = SAMPLE.read_bytes().splitlines(keepends=True)
    folder = tmp_path_factory.mktemp("partials")
    (folder / "a.ndjson").write_bytes(b"".join(lines[:120]))
    (folder / "b.ndjson").write_bytes(b"".join(lines[500:560]))
    return [FileSource((folder / name).as_posix()) for name in ("a.ndjson", "b.ndjson")]


@functools.cache
def _template() -> tuple[DriftScanner, Any]:
    template = DriftScanner(registry())
    return template, template.detach().gate(READING.payload_field)


def _line_starts(source: FileSource) -> list[int]:
    data = Path(source.name).read_bytes()
    return [0] + [i + 1 for i, byte in enumerate(data) if byte == 0x0A and i + 1 < len(data)]


def _tasks(sources: list[FileSource], picks: list[list[int]]) -> list[Task]:
    """Each source cut at the line starts chosen by *picks* (indices into its line starts)."""
    tasks: list[Task] = []
    for source, chosen in zip(sources, picks, strict=True):
        starts = _line_starts(source)
        cuts = sorted({0, *(starts[i % len(starts)] for i in chosen), source.size})
        tasks.extend(Task(source, start, end) for start, end in itertools.pairwise(cuts) if start < end)
    return tasks


def _partials(tasks: list[Task]) -> list[Partial]:
    template, gate = _template()
    return [scan_task(template, gate, task, READING) for task in tasks]


def _report(sources: list[FileSource], merged: Partial) -> dict[str, Any]:
    scanner = DriftScanner(registry())
    for source in sources:
        scanner.inputs.setdefault(source.name)
    return report_dict(merge_all(Partial(scanner), [merged]).scanner.report())


def _grouped(parts: list[Partial], splits: list[int]) -> Partial:
    """*parts* merged as a tree: split where *splits* say, each side merged first."""
    if len(parts) == 1:
        return parts[0]
    at = 1 + (splits[0] if splits else 0) % (len(parts) - 1)
    return _grouped(parts[:at], splits[1:]).merge(_grouped(parts[at:], splits[1:]))


_PICKS = st.lists(st.lists(st.integers(0, 10_000), max_size=12), min_size=2, max_size=2)
_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(picks=_PICKS, splits=st.lists(st.integers(0, 1000), max_size=30))
def test_any_cutting_and_grouping_gives_the_single_scan(
    logs: list[FileSource],
    picks: list[list[int]],
    splits: list[int],
) -> None:
    single = report_dict(scan_files(logs, registry(), payload_field="body"))
    assert _report(logs, _grouped(_partials(_tasks(logs, picks)), splits)) == single


@_SETTINGS
@given(picks=_PICKS, cut=st.integers(0, 1000), second=st.integers(0, 1000))
def test_merge_is_associative(logs: list[FileSource], picks: list[list[int]], cut: int, second: int) -> None:
    tasks = _tasks(logs, picks)
    if len(tasks) < 3:
        tasks = _tasks(logs, [[40, 80], [20]])
    i = 1 + cut % (len(tasks) - 2)
    j = i + 1 + second % (len(tasks) - i - 1)

    def three() -> tuple[Partial, Partial, Partial]:
        parts = _partials(tasks)
        return (
            merge_all(parts[0], parts[1:i]),
            merge_all(parts[i], parts[i + 1 : j]),
            merge_all(parts[j], parts[j + 1 :]),
        )

    a, b, c = three()
    left = a.merge(b).merge(c)
    a, b, c = three()
    right = a.merge(b.merge(c))
    assert left.lines == right.lines and left.starts == right.starts
    assert _report(logs, left) == _report(logs, right)


def test_examples_per_finding_are_capped(tmp_path: Path) -> None:
    """However many ranges a finding is seen in, the merged partial holds at most max-examples of its places."""
    payload = envelope(EVENT, {**example(EVENT), "surprise": 1})
    log = tmp_path / "same.ndjson"
    log.write_bytes(b"".join(orjson.dumps({"body": payload}) + b"\n" for _ in range(60)))
    (source,) = [FileSource(log.as_posix())]
    merged = _grouped(_partials(_tasks([source], [list(range(0, 60, 4))])), [7, 3, 1])
    report = _report([source], merged)
    assert report == report_dict(scan_files([source], registry(), payload_field="body"))
    (finding,) = [f for f in report["findings"] if f["kind"] == "new_field"]
    assert finding["count"] == 60
    aggregator = merged.scanner.aggregator
    assert max(len(group.examples) for group in aggregator._groups.values()) == aggregator.max_examples < 60


def test_a_file_given_twice_is_numbered_from_its_start_each_time(logs: list[FileSource]) -> None:
    """Merged in input order, as the engines merge, a file given twice is read twice, numbered from 1 each time."""
    twice = [logs[0], logs[1], logs[0]]
    single = report_dict(scan_files(twice, registry(), payload_field="body"))
    parts = _partials(_tasks(twice, [[30, 60], [10], [50]]))
    assert _report(twice, merge_all(parts[0], parts[1:])) == single
