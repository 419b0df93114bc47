"""Reading captured payloads: files, folders, gzip, stdin, wrappers and bad lines."""

from __future__ import annotations

import gzip
import io
import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webhook_contracts.drift.lines import LineSplitter
from webhook_contracts.drift.records import iter_file_records, iter_records
from webhook_contracts.drift.sources import build_sources
from webhook_contracts.errors import InputError


def _read(path: Path, **kwargs: object) -> list[tuple[int | None, object, str | None]]:
    return [(r.line, r.value, r.error) for r in iter_file_records(str(path), **kwargs)]  # type: ignore[arg-type]


def test_ndjson_with_bom_crlf_blank_and_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b'\xef\xbb\xbf{"a":1}\r\n\r\n\nhello world\r\n{"b": [1,\n{"c":"\xff"}\n{"d":2}')
    assert _read(path) == [
        (1, {"a": 1}, None),
        (4, None, "not JSON"),
        (5, None, "truncated JSON"),
        (6, None, "invalid UTF-8"),
        (7, {"d": 2}, None),
    ]


def test_text_prefixed_lines(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_bytes(
        b'2024-05-01T10:00:00Z INFO webhook {"a":1}\n'
        b'[2024-05-01 10:00:01] [worker{3}] got {"b":2}\n'
        b'2024-05-01T10:00:02Z INFO webhook {"c":{"d":1}, "e": \n'
        b'2024-05-01T10:00:03Z INFO nothing here\n'
    )
    assert _read(path) == [
        (1, {"a": 1}, None),
        (2, {"b": 2}, None),
        (3, None, "truncated JSON after a text prefix"),
        (4, None, "not JSON"),
    ]


def test_payload_field_object_string_and_other(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.ndjson"
    path.write_bytes(
        b'{"ts":"t","body":{"a":1}}\n'
        b'{"ts":"t","body":"{\\"b\\": 2}"}\n'
        b'{"ts":"t","body":"{\\"b\\": "}\n'
        b'{"ts":"t","body":7}\n'
        b'{"plain":true}\n'
        b'{"http":{"body":{"c":3}}}\n'
    )
    assert _read(path, payload_field="body")[:5] == [
        (1, {"a": 1}, None),
        (2, {"b": 2}, None),
        (3, None, "payload field 'body': truncated JSON"),
        (4, None, "payload field 'body' holds int, not a payload"),
        (5, {"plain": True}, None),
    ]
    assert _read(path, payload_field="http.body")[5] == (6, {"c": 3}, None)


def test_json_documents(tmp_path: Path) -> None:
    pretty = tmp_path / "one.json"
    pretty.write_text('{\n  "a": {"b": 1},\n  "c": 2\n}\n', "utf-8")
    assert _read(pretty) == [(1, {"a": {"b": 1}, "c": 2}, None)]
    array = tmp_path / "many.json"
    array.write_text('[\n  {"a": 1},\n  {"b": 2}\n]\n', "utf-8")
    assert _read(array) == [(1, {"a": 1}, None), (2, {"b": 2}, None)]
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "a": {"b": 1},\n  "c": 2\n', "utf-8")
    assert _read(broken) == [(1, None, "truncated JSON")]


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
    assert [r.value["n"] for r in kept] == list(range(len(kept)))  # type: ignore[index]


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
