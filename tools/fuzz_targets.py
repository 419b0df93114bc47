"""The drift fuzz targets: the fast path, `--jobs`, gzip and documents against the reference reader.

Each target takes one generated case, writes it as a log file, scans it in the
ways that must agree and asserts they do, and asserts the laws every scan
obeys (:func:`check_laws`):

- ``fastpath``: mutated real payloads; the drift engine (the msgspec gate in
  front of the walker) and the reference (every payload parsed and walked) give
  identical reports, and every line the gate lets through is one the walker
  finds clean, of the event the gate named;
- ``jobs``: logs of payloads and other lines, with small line limits and byte
  ranges cut wherever the sizes put them; `--jobs 1`, 2 and 3 and the
  reference give identical reports;
- ``gzip``: the same log plain and gzipped (in one or several members), and
  gzipped streams cut short or corrupted; the engine's inflating thread and the
  reference's reader give identical reports;
- ``native``: mutated real payloads, in their bytes too; every line the native
  validator lets through is one the walker finds clean, of the event and
  delivery it named, and the report with the native validator in front of the
  gate and the native tree walker behind it is the one the Python engine gives;
- ``documents``: JSON arrays (on one line, pretty-printed) and objects, perhaps
  broken, read in chunks of any size; NDJSON-or-document is decided alike and
  array items are those of the array.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import itertools
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from fuzz_inputs import OTHER_LINES, ROOT, Line, dump, mutate_bytes, payload_lines
from hypothesis import strategies as st

from webhook_contracts.contracts.registry import Registry, load_registry
from webhook_contracts.drift import inflate, sources
from webhook_contracts.drift import parallel as engine
from webhook_contracts.drift.fastpath import DriftGate
from webhook_contracts.drift.native import ENV
from webhook_contracts.drift.native.gate import NativeGate, native_gate
from webhook_contracts.drift.records import iter_records, line_records
from webhook_contracts.drift.scanner import DriftOptions, DriftScanner, scan_records
from webhook_contracts.drift.sniff import MAX_LINE_BYTES, SNIFF_LINES, Sniffer, clean_line
from webhook_contracts.findings import Report
from webhook_contracts.report import REPORTERS
from webhook_contracts.report.jsonreport import report_dict

LOG = "log.ndjson"


@functools.cache
def registry() -> Registry:
    return load_registry(ROOT / "schemas")


@dataclass(frozen=True)
class Case:
    """A log to scan, and how."""

    lines: tuple[Line, ...]
    payload_field: str | None = None
    event: str | None = None
    max_line: int = MAX_LINE_BYTES
    sniff_lines: int = SNIFF_LINES
    final_newline: bool = True

    @property
    def data(self) -> bytes:
        return b"\n".join(line.data for line in self.lines) + (b"\n" if self.final_newline else b"")

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset().union(*(line.secrets for line in self.lines))

    @property
    def options(self) -> DriftOptions:
        return DriftOptions(event=self.event)


# The laws.


def check_laws(report: Report, case: Case, data: bytes | None) -> None:
    """Every record is accounted for, there is one per non-blank line of *data* (if given, and NDJSON),
    and no payload value is shown."""
    summary = report.summary
    checked = sum(info["payloads"] for info in summary["events"].values())
    counted = checked + summary["unparseable"]["count"] + summary["unknown"]["count"]
    assert counted == summary["records"], f"{counted} records accounted for, {summary['records']} read"
    expected = None if data is None else expected_records(data, case.max_line, case.sniff_lines)
    if expected is not None:
        assert summary["records"] == expected, f"{summary['records']} records of {expected} non-blank lines"
    for name, render in REPORTERS.items():
        out = io.StringIO()
        render(report, out)
        shown = [secret for secret in case.secrets if secret in out.getvalue()]
        assert not shown, f"the {name} report shows a payload value: {shown[0]!r}"


def expected_records(data: bytes, max_line: int, sniff_lines: int) -> int | None:
    """Records of NDJSON *data*: its non-blank lines (an over-long line counts); None for a document."""
    if Sniffer(max_line, sniff_lines).sniff(iter([data])).document:
        return None
    lines = data.split(b"\n")
    if not lines[-1]:
        lines.pop()
    return sum(1 for line in lines if len(line) > max_line or clean_line(line))


# Scanning a case.


def scan_engine(path: Path, case: Case, jobs: int = 1) -> Report:
    return engine.scan_files(
        [path.as_posix()],
        registry(),
        case.options,
        payload_field=case.payload_field,
        jobs=jobs,
        max_line=case.max_line,
        sniff_lines=case.sniff_lines,
    )


def scan_reference(path: Path, case: Case) -> Report:
    """Every payload parsed and walked; the input named even when it holds nothing, as the engine does."""
    scanner = DriftScanner(registry(), case.options)
    scanner.inputs.setdefault(path.as_posix())
    scanner.feed(
        iter_records(
            [path.as_posix()], payload_field=case.payload_field, max_line=case.max_line, sniff_lines=case.sniff_lines
        )
    )
    return scanner.report()


def same(first: Report, second: Report, what: str) -> None:
    one, two = report_dict(first), report_dict(second)
    if one != two:
        diff = [key for key in sorted({*one, *two}) if one.get(key) != two.get(key)]
        raise AssertionError(f"{what}: the reports differ in {diff}:\n{one}\n{two}")


@contextlib.contextmanager
def log_file(data: bytes) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        path = Path(folder) / LOG
        path.write_bytes(data)
        yield path


@contextlib.contextmanager
def reading(chunk: int | None = None, min_split: int | None = None) -> Iterator[None]:
    """Read in chunks of *chunk* bytes, and cut files as small as *min_split* into ranges."""
    saved = sources.CHUNK, inflate._INFLATE_STEP, engine.MIN_SPLIT
    try:
        if chunk is not None:
            sources.CHUNK = chunk
            inflate._INFLATE_STEP = 4 * chunk
        if min_split is not None:
            engine.MIN_SPLIT = min_split
        yield
    finally:
        sources.CHUNK, inflate._INFLATE_STEP, engine.MIN_SPLIT = saved


@functools.cache
def _gate(event: str | None, payload_field: str | None) -> DriftGate:
    return DriftScanner(registry(), DriftOptions(event=event)).gate(payload_field)


# The targets.


def fastpath(case: Case) -> None:
    data = case.data
    with log_file(data) as path:
        fast = scan_engine(path, case)
        same(fast, scan_reference(path, case), "fast path and reference")
    check_laws(fast, case, data)
    gate = _gate(case.event, case.payload_field)
    for number, line in enumerate(data.split(b"\n"), 1):
        found = gate.check(line)
        if found is None:
            continue
        alone = report_dict(scan_records(line_records(LOG, number, line, case.payload_field), registry(), case.options))
        assert alone["findings"] == [], f"line {number}: the gate let through a line with findings"
        assert list(alone["summary"]["events"]) == [found.event], f"line {number}: the gate named another event"
        assert alone["summary"]["deliveries"] == {found.kind: 1}


@functools.cache
def _native(event: str | None, payload_field: str | None) -> NativeGate | None:
    """The native validator in front of a gate that has compiled every event (None: not built)."""
    gate = DriftScanner(registry(), DriftOptions(event=event)).gate(payload_field)
    for name in registry().events():
        gate._compile(name)
    native = native_gate(gate)
    if native is not None:
        native.sync()
    return native


def native(case: Case) -> None:
    data = case.data
    with log_file(data) as path:
        fast = scan_engine(path, case)
        with python_engine():
            same(fast, scan_engine(path, case), "native and Python engines")
    validator = _native(case.event, case.payload_field)
    if validator is None:
        return
    for number, line in enumerate(data.split(b"\n"), 1):
        index = validator.engine.check(line)
        if index < 0:
            continue
        found = validator.passes[index]
        alone = report_dict(scan_records(line_records(LOG, number, line, case.payload_field), registry(), case.options))
        assert alone["findings"] == [], f"line {number}: the native validator let through a line with findings"
        assert list(alone["summary"]["events"]) == [found.event], f"line {number}: it named another event"
        assert alone["summary"]["deliveries"] == {found.kind: 1}, f"line {number}: it named another delivery"
        names = alone["summary"]["distributions"]["names"]
        assert names == ({found.distribution: 1} if found.kind == "distribution" else {}), f"line {number}"


@contextlib.contextmanager
def python_engine() -> Iterator[None]:
    """Drift without the native validator (the environment variable that forces the Python engine)."""
    saved = os.environ.get(ENV)
    os.environ[ENV] = "0"
    try:
        yield
    finally:
        if saved is None:
            del os.environ[ENV]
        else:
            os.environ[ENV] = saved


def jobs(case: Case) -> None:
    data = case.data
    with log_file(data) as path, reading(min_split=1):
        one = scan_engine(path, case)
        for count in (2, 3):
            same(one, scan_engine(path, case, count), f"--jobs 1 and --jobs {count}")
        same(one, scan_reference(path, case), "--jobs 1 and reference")
    check_laws(one, case, data)


@dataclass(frozen=True)
class Packed:
    case: Case
    #: Where the plain bytes are cut into gzip members.
    members: tuple[int, ...] = ()
    level: int = 6
    #: Bytes of the gzip stream kept (None: all), and a byte flipped (None: none).
    cut: int | None = None
    flip: int | None = None
    chunk: int | None = None


def gzipped(packed: Packed) -> None:
    case, data = packed.case, packed.case.data
    cuts = sorted({0, len(data), *(m % (len(data) + 1) for m in packed.members)})
    stream = b"".join(gzip.compress(data[a:b], packed.level, mtime=0) for a, b in itertools.pairwise(cuts))
    whole = packed.cut is None and packed.flip is None
    if packed.cut is not None:
        stream = stream[: packed.cut % (len(stream) + 1)]
    if packed.flip is not None and stream:
        at = packed.flip % len(stream)
        stream = stream[:at] + bytes([stream[at] ^ 0x55]) + stream[at + 1 :]
    with log_file(data) as path, reading(packed.chunk):
        plain = scan_engine(path, case)
        path.write_bytes(stream)
        if not stream.startswith(b"\x1f\x8b"):
            return  # the magic bytes cut or flipped: not read as gzip at all
        packed_report = scan_engine(path, case)
        same(packed_report, scan_reference(path, case), "gzip: engine and reference")
    if whole:
        same(plain, packed_report, "plain and gzip")
        check_laws(packed_report, case, data)
    else:
        check_laws(packed_report, case, None)


@dataclass(frozen=True)
class Document:
    items: tuple[Any, ...]
    layout: str
    edits: tuple[tuple[int, bytes], ...] = ()
    chunk: int = 4096
    max_line: int = MAX_LINE_BYTES
    payload_field: str | None = None

    @property
    def document(self) -> Any:
        """The one object of the `object` layout: the first item that is one."""
        return next((item for item in self.items if isinstance(item, dict)), {})

    @property
    def data(self) -> bytes:
        if self.layout == "object":
            text = json.dumps(self.document, indent=2).encode()
        elif self.layout == "pretty":
            text = json.dumps(list(self.items), indent=2).encode()
        elif self.layout == "spaced":
            text = b"[\n" + b",\n".join(dump(item) for item in self.items) + b"\n]\n"
        else:
            text = dump(list(self.items))
        return mutate_bytes(text, list(self.edits))


def documents(doc: Document) -> None:
    data = doc.data
    case = Case((Line(data),), doc.payload_field, max_line=doc.max_line, final_newline=False)
    with log_file(data) as path:
        reference = scan_reference(path, case)
        with reading(doc.chunk, min_split=1):
            same(reference, scan_reference(path, case), f"reference in chunks of {doc.chunk} bytes")
            same(reference, scan_engine(path, case), "engine and reference")
            same(reference, scan_engine(path, case, 2), "--jobs 2 and reference")
        records = list(iter_records([path.as_posix()], max_line=doc.max_line))
    check_laws(reference, case, None)
    if doc.edits or doc.max_line != MAX_LINE_BYTES:
        return
    items = [doc.document] if doc.layout == "object" else doc.items
    want = [orjson.loads(json.dumps(item)) for item in items]  # as orjson reads them (big integers as floats)
    got = [record.value for record in records if record.note is None]
    assert got == want, "the records are not the document's items"


# Strategies: what each target is fed.

_LINES = st.lists(payload_lines() | OTHER_LINES, min_size=1, max_size=8).map(tuple)
_FIELDS = st.sampled_from([None, "body"])
_EVENTS = st.none() | st.deferred(lambda: st.sampled_from(registry().events()))


def _cases(max_lines: st.SearchStrategy[int], sniff_lines: st.SearchStrategy[int]) -> st.SearchStrategy[Case]:
    return st.builds(Case, _LINES, _FIELDS, _EVENTS, max_lines, sniff_lines, st.booleans())


_CASES = _cases(st.just(MAX_LINE_BYTES), st.just(SNIFF_LINES))
_SMALL_CASES = _cases(st.sampled_from([64, 700, 3000, MAX_LINE_BYTES]), st.sampled_from([1, 2, SNIFF_LINES]))


def _as_item(line: bytes) -> Any:
    """The JSON of a line (an array item), None when it has a text prefix."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return None


_CHUNKS = st.sampled_from([3, 7, 64, 1000, 4096])
_ITEMS = payload_lines(byte_edits=False).map(lambda line: _as_item(line.data)) | st.sampled_from(
    [1, "text", [], [{"a": 1}], {"a": ']}\\"'}]
)


@dataclass(frozen=True)
class Target:
    name: str
    check: Callable[[Any], None]
    inputs: st.SearchStrategy[Any]


TARGETS = {
    target.name: target
    for target in (
        Target("fastpath", fastpath, _CASES),
        Target("native", native, _CASES),
        Target("jobs", jobs, _SMALL_CASES),
        Target(
            "gzip",
            gzipped,
            st.builds(
                Packed,
                _SMALL_CASES,
                st.lists(st.integers(0, 1 << 16), max_size=3).map(tuple),
                st.integers(0, 9),
                st.none() | st.integers(0, 1 << 16),
                st.none() | st.integers(0, 1 << 16),
                st.none() | _CHUNKS,
            ),
        ),
        Target(
            "documents",
            documents,
            st.builds(
                Document,
                st.lists(_ITEMS, max_size=5).map(tuple),
                st.sampled_from(["line", "pretty", "spaced", "object"]),
                st.lists(
                    st.tuples(st.integers(0, 1 << 16), st.sampled_from([b"]", b",", b"{", b"\n", b'"', b"\\"])),
                    max_size=2,
                ).map(tuple)
                | st.just(()),
                _CHUNKS,
                st.sampled_from([40, 3000, MAX_LINE_BYTES]),
                _FIELDS,
            ),
        ),
    )
}
