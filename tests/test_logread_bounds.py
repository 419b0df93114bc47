"""The log reader's work and memory are bounded whatever the input.

Telling NDJSON from one JSON document reads a bounded prefix, each line once;
a top-level array is read item by item, so memory follows the largest item,
not the file; any other document is bounded by `max-payload-bytes`.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import SCHEMAS, Invoke
from drift_support import envelope, example
from hypothesis import given
from hypothesis import strategies as st

from webhook_contracts.contracts.registry import load_registry
from webhook_contracts.drift import sniff
from webhook_contracts.drift.documents import ArrayItems
from webhook_contracts.drift.parallel import MIN_SPLIT, scan_files
from webhook_contracts.drift.records import iter_file_records, iter_records
from webhook_contracts.drift.sniff import Sniffer
from webhook_contracts.drift.sources import CHUNK

EVENT = "customer.rewarded.loyalty_points"


def _payload_line() -> bytes:
    return orjson.dumps(envelope(EVENT, example(EVENT))) + b"\n"


def _counted(chunks: list[bytes], pulled: list[int]) -> Iterator[bytes]:
    for chunk in chunks:
        pulled.append(len(chunk))
        yield chunk


# The sniff: linear, bounded, reported when its limit decides.


def test_the_sniff_looks_at_each_blank_line_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """100,000 blank lines cost 100,000 line looks (before: every line read so far, on each new line).

    The looks are counted as they happen and the sniff is stopped past the bound, so a regression to
    quadratic work (five billion looks here) fails at once rather than hanging the run."""
    looks = 0
    clean = sniff.clean_line

    def counting(line: bytes) -> bytes:
        nonlocal looks
        looks += 1
        if looks > 100_001:
            raise AssertionError("the sniff looked at a line again: its work is no longer linear")
        return clean(line)

    monkeypatch.setattr(sniff, "clean_line", counting)
    data = b"\n" * 100_000 + _payload_line()
    found = Sniffer(max_lines=1_000_000).sniff(iter([data]))
    assert (found.document, found.lines, found.note) == (False, 100_001, None)
    assert looks == 100_001


def test_the_sniff_reads_a_bounded_prefix_and_says_when_its_limit_decided() -> None:
    chunks = [b"\n" * 100] * 10_000  # 1,000,000 blank lines
    pulled: list[int] = []
    found = Sniffer(max_lines=1000).sniff(_counted(chunks, pulled))
    assert (found.document, found.lines) == (False, 1000)
    assert sum(pulled) == 1000  # the first 1,000 lines and nothing more
    assert found.note is not None and "only the first 1000 lines" in found.note and "read as NDJSON" in found.note
    decided = Sniffer(max_lines=1000).sniff(iter([b"\n" * 10 + _payload_line() + b"\n" * 5000]))
    assert (decided.document, decided.note) == (False, None)  # decided by a line, not by the limit


def test_blank_lines_before_payloads_are_read_past_on_every_kind_of_input(tmp_path: Path) -> None:
    data = b"\n" * 100_000 + _payload_line() + b"\n" * 10 + _payload_line()
    plain = tmp_path / "blank.ndjson"
    plain.write_bytes(data)
    packed = tmp_path / "blank.ndjson.gz"
    packed.write_bytes(gzip.compress(data, mtime=0))
    for records in (
        list(iter_file_records(str(plain))),
        list(iter_file_records(str(packed))),
        list(iter_records(["-"], stdin=io.BytesIO(data))),
    ):
        notes = [r.note for r in records if r.note]
        assert len(notes) == 1 and "only the first 1000 lines" in notes[0]
        assert [(r.line, r.ok) for r in records if r.note is None] == [(100_001, True), (100_012, True)]


def test_drift_reports_the_limit_once_and_reads_on(cli: Invoke, project: Path, tmp_path: Path) -> None:
    data = b"\n" * 100_000 + _payload_line()
    plain = tmp_path / "blank.ndjson"
    plain.write_bytes(data)
    packed = tmp_path / "blank.ndjson.gz"
    packed.write_bytes(gzip.compress(data, mtime=0))
    for path in (plain, packed):
        result = cli("drift", "--format", "json", str(path), root=project)
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["summary"]["payloads"] == 1
        assert [n for n in report["notes"] if "sniff-lines" in n] == [
            f"{path}: only the first 1000 lines were looked at to tell NDJSON from one JSON document "
            "(sniff-lines): read as NDJSON"
        ]
    (project / "webhook-contracts.toml").write_text("sniff-lines = 200000\n", "utf-8")
    result = cli("drift", "--format", "json", str(plain), root=project)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["notes"] == []


# Documents: arrays streamed, everything else bounded.


def _peak(records: Iterator[Any]) -> tuple[int, int]:
    """(records read, peak bytes traced while reading them one by one)."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in records)
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_array_is_read_in_memory_bounded_by_its_largest_item(tmp_path: Path) -> None:
    """Peak memory is a few reading chunks and a few items, whatever the number of items (before: the file, twice)."""
    item = envelope(EVENT, example(EVENT))
    item["data"]["customer"]["metadata"] = {f"k{i}": "x" * 100 for i in range(2000)}
    text = orjson.dumps(item, option=orjson.OPT_INDENT_2)  # about 250 KB
    peaks = []
    for count in (30, 120):  # about 7 and 30 MB
        path = tmp_path / f"array-{count}.json"
        path.write_bytes(b"[\n" + b",\n".join(itertools.repeat(text, count)) + b"\n]\n")
        read, peak = _peak(r for r in iter_file_records(str(path)) if r.ok)
        assert read == count
        # Reading chunks, and a few items: as text, as orjson's parse tree (about nine times the text, for
        # the parse that finds where an item ends and the one that reads it) and as Python objects.
        assert peak < 4 * CHUNK + 40 * len(text), f"peak {peak} bytes for items of {len(text)} bytes"
        peaks.append(peak)
    assert peaks[1] < peaks[0] * 1.2  # four times the items, no more memory


@pytest.mark.parametrize("end", [b"", b"\n", b"\r\n"])
def test_an_array_on_one_line_longer_than_the_line_limit_is_still_an_array(tmp_path: Path, end: bytes) -> None:
    """Also when the line's end is read in the same chunk that passes the limit (a one-line array a little
    over max-payload-bytes, ended by a newline, was one line too long to read)."""
    line = _payload_line().strip()
    path = tmp_path / "minified.json"
    path.write_bytes(b"[" + b",".join([line] * 50) + b"]" + end)
    records = list(iter_file_records(str(path), max_line=len(line) * 3))
    assert [r.line for r in records if r.ok] == list(range(1, 51))
    registry = load_registry(SCHEMAS)
    report = scan_files([str(path)], registry, max_line=len(line) * 3).summary
    assert (report["records"], report["payloads"]) == (50, 50)


def test_a_gzip_bomb_of_brace_lines_ends_with_one_bounded_record(tmp_path: Path) -> None:
    path = tmp_path / "bomb.json.gz"
    with gzip.GzipFile(path, "wb", mtime=0) as out:
        block = b"{\n" * (1 << 19)  # 1 MiB
        for _ in range(64):
            out.write(block)
    records: list[Any] = []
    count, peak = _peak(records.append(r) for r in iter_file_records(str(path), max_line=1 << 20))  # type: ignore[func-returns-value]  # counts the records kept
    assert count == 1
    assert [(r.line, r.error) for r in records] == [
        (1, "document of 67108864 bytes is longer than max-payload-bytes (1048576); not read")
    ]
    assert peak < 16 * (1 << 20), f"peak {peak} bytes for 64 MiB inflated"


ITEMS = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet='ab"\\[]{},\n é😀'),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet='k"\\[]{}', max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(
    items=st.lists(ITEMS, max_size=6),
    cuts=st.lists(st.integers(0, 400), max_size=8),
    indent=st.booleans(),
    max_item=st.integers(1, 60),
)
def test_array_items_are_those_orjson_reads_however_the_input_is_cut(
    items: list[Any],
    cuts: list[int],
    indent: bool,
    max_item: int,
) -> None:
    """Every item comes out whole (or, over the limit, as its size), whatever the chunks; strings may hold
    brackets, quotes and backslashes."""
    data = orjson.dumps(items, option=orjson.OPT_INDENT_2 if indent else 0)
    points = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    chunks = iter([data[a:b] for a, b in itertools.pairwise(points)])
    got = list(ArrayItems(chunks, max_item))
    assert [index for index, _ in got] == list(range(1, len(items) + 1))
    for (_, item), want in zip(got, items, strict=True):
        size: int | None = getattr(item, "size", None)
        if size is None:
            assert isinstance(item, bytes) and len(item) <= max_item and orjson.loads(item) == want
        else:
            assert size > max_item
            if not indent:
                assert size == len(orjson.dumps(want))


def test_drift_reads_an_array_whole_whatever_the_jobs_and_gzipped(cli: Invoke, project: Path, tmp_path: Path) -> None:
    """A document is never cut into byte ranges; gzipped, it is read the same."""
    text = orjson.dumps(envelope(EVENT, example(EVENT)), option=orjson.OPT_INDENT_2)
    count = MIN_SPLIT // len(text) + 100
    path = tmp_path / "array.json"
    path.write_bytes(b"[\n" + b",\n".join([text] * count) + b"\n]\n")
    packed = tmp_path / "array.json.gz"
    packed.write_bytes(gzip.compress(path.read_bytes(), mtime=0))
    reports = []
    for args in (["--jobs", "1", str(path)], ["--jobs", "2", str(path)], [str(packed)]):
        result = cli("drift", "--format", "json", *args, root=project)
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert (report["summary"]["records"], report["summary"]["payloads"]) == (count, count)
        reports.append({**report, "summary": {**report["summary"], "inputs": []}})
    assert reports[0] == reports[1] == reports[2]


LINES = st.lists(
    st.sampled_from(
        [
            b"",
            b"  ",
            b"\r",
            b"{",
            b"[",
            b"}",
            b"]",
            b'{"a": 1}',
            b'  "a": 1,',
            b'[{"a": 1}]',
            b'["a"]',
            b'[INFO] {"a": 1}',
            b"hello",
            b"\xef\xbb\xbf{",
            b'{"a": [',
            b"x" * 30,
        ]
    ),
    max_size=12,
)


def _reference_is_document(lines: list[bytes]) -> bool:
    """The rule as it was before the sniff was bounded: the first five non-blank lines decide."""
    texts = [t for t in (sniff.clean_line(line) for line in lines) if t][:5]
    if not texts:
        return False
    first = texts[0]
    if first[:1] == b"[":
        return first == b"[" or first.startswith(b"[{") or _parses(first)
    return first[:1] == b"{" and not any(t[:1] == b"{" and _parses(t) for t in texts)


def _parses(text: bytes) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True


@given(lines=LINES, cuts=st.lists(st.integers(0, 300), max_size=6))
def test_the_sniff_decides_as_before_whatever_the_chunks(lines: list[bytes], cuts: list[int]) -> None:
    """Same decision as the unbounded rule (inputs within the limit); the lines read and the bytes left
    over do not depend on how the input is cut."""
    data = b"\n".join(lines) + b"\n"
    points = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    chunks = iter([data[a:b] for a, b in itertools.pairwise(points)])
    whole = Sniffer(max_line=20).sniff(iter([data]))
    found = Sniffer(max_line=20).sniff(chunks)
    assert (
        found.document
        == whole.document
        == _reference_is_document([line[:20] if len(line) <= 20 else b"" for line in lines])
    )
    assert (found.head, found.lines, found.dropped) == (whole.head, whole.lines, whole.dropped)
    assert found.rest + b"".join(chunks) == whole.rest
