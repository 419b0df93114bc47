"""The drift fast path agrees with the reference walker, whatever the job count.

The reference is :func:`scan_records` over :func:`iter_records` (every payload
parsed and walked); the engine lets clean lines through the msgspec gate and
splits plain files into byte ranges. Reports must be identical as JSON.
"""

from __future__ import annotations

import copy
import functools
import gzip
import json
import multiprocessing
import random
import string
from pathlib import Path
from typing import Any

import orjson
import pytest
from drift_support import all_examples, contract, envelope, example, positions, registry, shipped_gate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webhook_contracts.drift import parallel as engine
from webhook_contracts.drift.native.gate import native_gate
from webhook_contracts.drift.records import iter_records
from webhook_contracts.drift.scanner import DriftOptions, scan_records
from webhook_contracts.drift.sources import as_sources
from webhook_contracts.drift.walker import check_payload
from webhook_contracts.payloads.detect import detect_event
from webhook_contracts.payloads.envelope import unwrap
from webhook_contracts.report.jsonreport import report_dict
from webhook_contracts.values.jsonnumbers import loads

SAMPLE = Path(__file__).resolve().parent / "data" / "sample-log"
LABELS = json.loads((SAMPLE / "labels.json").read_text("utf-8"))


def _reference(path: Path, payload_field: str | None, options: DriftOptions | None = None) -> dict[str, Any]:
    return report_dict(scan_records(iter_records([path.as_posix()], payload_field=payload_field), registry(), options))


def _engine(path: Path, payload_field: str | None, jobs: int, options: DriftOptions | None = None) -> dict[str, Any]:
    report = engine.scan_files([path.as_posix()], registry(), options, payload_field=payload_field, jobs=jobs)
    return report_dict(report)


@pytest.fixture
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> None:
    """Split even the small test logs, so that --jobs really cuts them."""
    monkeypatch.setattr(engine, "MIN_SPLIT", 1)


def _bare_log(tmp_path: Path) -> Path:
    """The sample log without `body` wrappers and text prefixes: envelopes and bare data only."""
    lines = []
    for record in iter_records([(SAMPLE / "production.ndjson").as_posix()], payload_field="body"):
        if record.ok:
            lines.append(orjson.dumps(record.value))
        else:
            lines.append(b"2024-04-01 WARN not a payload")
    path = tmp_path / "bare.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@functools.cache
def _shapes() -> dict[str, dict[str, Any]]:
    reg = registry()
    return {e: reg.load(reg.latest(e)) for e in reg.events()}


def _distribution(event: str, data: dict[str, Any]) -> dict[str, Any]:
    """A distribution's delivery: its own name in `type`, the event in `event.type`."""
    wrapped = envelope(event, data)
    wrapped["type"] = "Loyalty welcome mail"
    wrapped["source"] = {"id": "distr_1", "object": "distribution", "target_url": "https://example.com/hook"}
    wrapped["event"] = {"id": "evcus_1", "type": event}
    return wrapped


@pytest.mark.parametrize("name", ["production.ndjson", "production.ndjson.gz"])
@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.usefixtures("small_ranges")
def test_sample_log_same_report(name: str, jobs: int) -> None:
    path = SAMPLE / name
    assert _engine(path, "body", jobs) == _reference(path, "body")


@pytest.mark.parametrize("jobs", [1, 2, 3])
@pytest.mark.usefixtures("small_ranges")
def test_bare_log_same_report(tmp_path: Path, jobs: int) -> None:
    path = _bare_log(tmp_path)
    want = _reference(path, None)
    assert _engine(path, None, jobs) == want
    gz = tmp_path / "bare.ndjson.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert _engine(gz, None, jobs) == _reference(gz, None)


@pytest.mark.usefixtures("small_ranges")
def test_spawned_workers_compile_their_own_gate_and_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where fork is missing (macOS, Windows) workers are spawned and build the gate themselves."""
    path = _bare_log(tmp_path)
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert _engine(path, None, 2) == _reference(path, None)


def test_contracts_compiled_before_the_workers_fork(tmp_path: Path, small_ranges: None) -> None:
    """The parent compiles the events at the start of each range (the forked workers share them), counting nothing;
    the report is the one a single job gives."""
    path = _bare_log(tmp_path)
    found = as_sources([path.as_posix()])
    scanner = engine.new_scanner(found, registry(), None)
    gate = scanner.gate(None)
    tasks = engine.plan(found, engine.Reading(), parts=3)
    assert len(tasks) == 3
    heads = set()
    for task in tasks:
        with path.open("rb") as f:
            f.seek(task.start)
            line = f.readline().rstrip(b"\n")
        passed = shipped_gate().check(line)
        if passed is not None:
            heads.add(passed.event)
    assert heads
    engine._warm(scanner, gate, tasks)
    native = native_gate(gate)
    if native is None:
        compiled = {event for event, entry in gate._compiled.items() if entry is not None}
    else:  # the native validator compiles its programs; the gate builds no msgspec types for them
        compiled = set(native._programs)
        assert not gate._compiled
        assert all(count == 0 for _, count in native.take())
    assert heads <= compiled
    assert heads <= set(scanner._targets)
    assert scanner.records == 0 and not scanner.deliveries
    assert _engine(path, None, 3) == _reference(path, None)


def test_bare_log_mostly_takes_the_fast_path(tmp_path: Path) -> None:
    gate = shipped_gate()
    lines = _bare_log(tmp_path).read_bytes().splitlines()
    passed = [line for line in lines if gate.check(line) is not None]
    # Payloads of known events (bare data of ambiguous shape is unknown), less the labelled drift.
    assert len(passed) > 0.9 * sum(LABELS["events"].values()) - sum(g["count"] for g in LABELS["findings"])


@pytest.mark.usefixtures("small_ranges")
def test_given_event_and_show_values(tmp_path: Path) -> None:
    event = "customer.rewarded.loyalty_points"
    options = DriftOptions(event=event, show_values=True)
    path = _bare_log(tmp_path)
    assert _engine(path, None, 2, options) == _reference(path, None, options)


def test_jobs_identical_on_many_files(tmp_path: Path, small_ranges: None) -> None:
    bare = _bare_log(tmp_path)
    names = [bare.as_posix(), (SAMPLE / "production.ndjson.gz").as_posix(), bare.as_posix()]
    one = report_dict(engine.scan_files(names, registry(), payload_field="body", jobs=1))
    two = report_dict(engine.scan_files(names, registry(), payload_field="body", jobs=2))
    assert one == two
    reference = report_dict(scan_records(iter_records(names, payload_field="body"), registry()))
    assert one == reference


def test_truncated_gzip_same_as_reference(tmp_path: Path) -> None:
    data = gzip.compress((SAMPLE / "production.ndjson").read_bytes())
    path = tmp_path / "cut.ndjson.gz"
    path.write_bytes(data[: len(data) // 2])
    assert _engine(path, "body", 1) == _reference(path, "body")


# The law the gate lives by: a line it lets through is one the walker finds clean.

_EXAMPLES = all_examples()
_NOISE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["2024-02-30", "2024-01-01T00:00:00Z", "v_abc", "cust_x", "", "7"]),
    st.just({}),
    st.just([]),
)


def _mutate(data: dict[str, Any], rng: random.Random, noise: Any) -> None:
    where = rng.choice(positions(data)[1:])
    *parents, last = where
    node: Any = data
    for part in parents:
        node = node[part]
    roll = rng.random()
    if roll < 0.2 and isinstance(node, dict):
        del node[last]
    elif roll < 0.35 and isinstance(node, dict):
        node["".join(rng.choice(string.ascii_lowercase) for _ in range(5))] = noise
    elif roll < 0.5 and isinstance(node[last], str) and node[last]:
        text = node[last]
        cut = rng.randrange(len(text))
        node[last] = text[:cut] + rng.choice("0_-Z9: x") + text[cut + 1 :]
    else:
        node[last] = noise


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pick=st.integers(0, len(_EXAMPLES) - 1),
    seed=st.integers(0, 2**32),
    count=st.integers(0, 3),
    noise=_NOISE,
    wrap=st.sampled_from(["bare", "webhook", "distribution"]),
)
def test_gate_pass_implies_walker_clean(pick: int, seed: int, count: int, noise: Any, wrap: str) -> None:
    """The law of the fast path: what the gate lets through, the walker finds clean (enums, presence
    levels and identifier prefixes included: mutations delete keys, add keys and edit strings)."""
    event, seed_example = _EXAMPLES[pick]
    data = example(event, [e for n, e in _EXAMPLES if n == event].index(seed_example))
    rng = random.Random(seed)
    for _ in range(count):
        _mutate(data, rng, noise)
    wrapped = {"bare": data, "webhook": envelope(event, data), "distribution": _distribution(event, data)}[wrap]
    line = json.dumps(wrapped).encode()
    found = shipped_gate().check(line)
    if found is None:
        return
    unwrapped = unwrap(loads(line), "line")  # as drift reads a line: integers beyond 64 bits stay integers
    assert found.event == (unwrapped.event or detect_event(unwrapped.data, _shapes(), 0.6).event)
    assert check_payload(unwrapped.data, contract(found.event)) == []


@pytest.mark.parametrize(("event", "data"), _EXAMPLES)
def test_gate_passes_every_clean_example(event: str, data: dict[str, Any]) -> None:
    assert check_payload(data, contract(event)) == []
    gate = shipped_gate()
    assert gate.check(json.dumps(envelope(event, data)).encode()) is not None
    bare = gate.check(json.dumps(data).encode())
    if detect_event(data, _shapes(), 0.6).ambiguous:
        assert bare is None  # sibling events share this data shape: the detailed path reports it ambiguous
    else:
        assert bare is not None


def _deliveries_log(tmp_path: Path) -> Path:
    """Every seed example as a webhook, a distribution (some named like another event, one with an empty
    name, one without `event.type`) and bare data; then drifting copies of each."""
    lines = []
    for n, (event, data) in enumerate(all_examples()):
        other = all_examples()[(n + 1) % len(all_examples())][0]
        for name in ("Loyalty welcome mail", other, ""):
            wrapped = _distribution(event, data)
            wrapped["type"] = name
            lines.append(wrapped)
        lines += [envelope(event, data), data]
        broken = _distribution(event, data)
        del broken["event"]["type"]
        lines.append(broken)
        drifting = copy.deepcopy(data)
        drifting["customer"]["object"] = "client"
        lines.append(_distribution(event, drifting))
    path = tmp_path / "deliveries.ndjson"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    return path


@pytest.mark.parametrize("event", [None, "customer.rewarded.loyalty_points"])
def test_distribution_deliveries_same_report_on_both_paths(tmp_path: Path, event: str | None) -> None:
    path = _deliveries_log(tmp_path)
    options = DriftOptions(event=event)
    fast = _engine(path, None, 1, options)
    assert fast == _reference(path, None, options)
    summary = fast["summary"]
    names = summary["distributions"]["names"]
    assert names["Loyalty welcome mail"] == 3 * len(all_examples())  # named, broken, drifting
    assert names[""] == len(all_examples())
    if event is None:
        # The distribution's name never decides the event: `event.type` does.
        assert {e: i["payloads"] for e, i in summary["events"].items()} == {
            e: 5 if e == "customer.voucher.loyalty_card.pending_points.added" else 7 for e, _ in all_examples()
        }
        assert summary["deliveries"]["unknown"] == len(all_examples())


def test_the_gate_reads_distributions_by_their_event_type() -> None:
    gate = shipped_gate()
    for event, data in all_examples():
        found = gate.check(orjson.dumps(_distribution(event, data)))
        assert found is not None and found.event == event and found.kind == "distribution"
        assert found.distribution == "Loyalty welcome mail"
        named_like_another = _distribution(event, data)
        named_like_another["type"] = "voucher.loyalty_card.pending_points.activated"
        again = gate.check(orjson.dumps(named_like_another))
        assert again is not None and again.event == event
