"""Reading captured payloads: files, folders, gzip, stdin, wrappers and bad lines."""

from __future__ import annotations

import gzip
import io
import itertools
from pathlib import Path

import pytest
from conftest import case_folders, read_json
from hypothesis import given, settings
from hypothesis import strategies as st

from webhook_contracts.drift.lines import LineSplitter
from webhook_contracts.drift.records import iter_file_records, iter_records
from webhook_contracts.drift.sources import build_sources
from webhook_contracts.errors import InputError


@pytest.mark.parametrize("folder", case_folders("log-parsing"))
def test_log_parsing_case(folder: Path) -> None:
    """`tests/data/cases/log-parsing/<case>/`: the bytes of `input.*`, the reader's options (`case.json`) and
    the records read: `[line, payload, bad-line reason]` each, and the notes on how the input was read."""
    [path] = folder.glob("input.*")
    options = read_json(folder / "case.json")["options"] if (folder / "case.json").exists() else {}
    expected = read_json(folder / "expected.json")
    records = list(iter_file_records(str(path), **options))
    assert [[r.line, r.value, r.error] for r in records if r.note is None] == expected["records"]
    assert [r.note for r in records if r.note is not None] == expected.get("notes", [])


def test_gzip_and_truncated_gzip(tmp_path: Path) -> None:
    data = b"".join(b'{"n": %d, "pad": "%s"}\n' % (i, b"x" * 40) for i in range(50_000))
    whole = tmp_path / "log.ndjson.gz"
    whole.write_bytes(gzip.compress(data, mtime=0))
    records = list(iter_file_records(str(whole)))
    assert len(records) == 50_000 and all(r.ok for r in records)
    cut = tmp_path / "cut.ndjson.gz"
    cut.write_bytes(whole.read_bytes()[: len(whole.read_bytes()) // 2])
    records = list(iter_file_records(str(cut)))
    assert records[-1].error is not None and records[-1].error.startswith("truncated or corrupt gzip")
    kept = records[:-1]
    assert len(kept) > 10_000
    assert [r.value["n"] for r in kept] == list(range(len(kept)))


def test_stdin_plain_and_gzip() -> None:
    records = list(iter_records(["-"], stdin=io.BytesIO(b'{"a":1}\n{"b":2}\n')))
    assert [(r.file, r.line, r.value) for r in records] == [("<stdin>", 1, {"a": 1}), ("<stdin>", 2, {"b": 2})]
    records = list(iter_records(["-"], stdin=io.BytesIO(gzip.compress(b'{"a":1}\n', mtime=0))))
    assert [r.value for r in records] == [{"a": 1}]


def test_folders_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "b.ndjson").write_text("{}\n", "utf-8")
    (tmp_path / "a.log.gz").write_bytes(gzip.compress(b"{}\n", mtime=0))
    (tmp_path / "notes.txt").write_text("x", "utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.jsonl").write_text("{}\n", "utf-8")
    sources = build_sources([str(tmp_path)])
    assert [Path(s.name).name for s in sources] == ["a.log.gz", "b.ndjson", "c.jsonl"]
    with pytest.raises(InputError, match="no such file"):
        build_sources([str(tmp_path / "missing.log")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no log files"):
        build_sources([str(tmp_path / "empty")])


def test_progress_reports_bytes(tmp_path: Path) -> None:
    path = tmp_path / "p.ndjson"
    path.write_bytes(b'{"a":1}\n' * 1000)
    seen: list[int] = []
    list(iter_records([str(path)], progress=seen.append))
    assert sum(seen) == path.stat().st_size


@settings(max_examples=300, deadline=None)
@given(
    data=st.lists(st.sampled_from([b"\n", b"\r\n", b"a", b"{}", b"xyz" * 5, b"\n\n"]), max_size=40).map(b"".join),
    cuts=st.lists(st.integers(0, 200), max_size=8),
    max_line=st.integers(1, 40),
)
def test_line_splitter_agrees_with_split_whatever_the_chunks(data: bytes, cuts: list[int], max_line: int) -> None:
    """Lines (numbered from 1) are those of bytes.split, however the input is cut into chunks; a line
    over the limit comes as its size; the regions the drift engine reads cover the same lines."""
    want = data.split(b"\n")
    if want[-1] == b"":
        want.pop()
    points = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    chunks = [data[a:b] for a, b in itertools.pairwise(points)]
    expected = [(n, line if len(line) <= max_line else len(line)) for n, line in enumerate(want, 1)]

    def shown(line: bytes) -> bytes | int:
        size: int | None = getattr(line, "size", None)  # an over-long line, skipped, stands for its size
        return line if size is None else size

    splitter = LineSplitter(max_line)
    assert [(n, shown(line)) for n, line in splitter.lines(chunks)] == expected
    assert splitter.number == len(want)
    from_regions = []
    for first, buf, start, stop in LineSplitter(max_line).regions(chunks):
        if buf.__class__ is not bytes:
            from_regions.append((first, shown(buf)))
            continue
        lines = buf[start:stop].split(b"\n")[:-1]
        assert stop == start or buf[stop - 1 : stop] == b"\n"
        from_regions += [(n, line) for n, line in enumerate(lines, first)]
    assert from_regions == expected
