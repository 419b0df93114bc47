"""Read captured payloads: JSON files, NDJSON logs, `.gz` files, folders, stdin and named pipes.

Every input becomes a stream of :class:`Record` objects, one per payload or
per line that should have held one. A record carries the file, the line
number and either the parsed value or the reason it could not be read; a bad
line never stops the run.

A file is NDJSON when one of its first lines is a JSON document on its own;
otherwise, if it starts with `{` or `[`, it is one JSON document (see
:mod:`.sniff`, which decides from a bounded prefix of lines). An array holds
one payload per element, numbered from 1, and is read item by item
(:mod:`.documents`). A line may carry text before
its JSON (`2024-05-01T10:00:00Z INFO webhook {...}`): the first `{` from which
the rest of the line parses is taken. With a payload field (`body`), a record
that has that field yields its value, an object or a JSON string, instead.

A line longer than *max_line* bytes (config `max-payload-bytes`, 16 MiB by
default) is not parsed: it is skipped as it is read, without being held in
memory, and becomes an error record that gives its size; so do an array item
and a document longer than that.

Numbers are read as :mod:`.jsonnumbers` says (integers exact, whatever their size).

Inputs come as :class:`~.sources.Source` objects (a name given here stands for
its source): stdin, a named pipe (`mkfifo`) and a process substitution
(`<(zcat log.gz)`) are streams, read once from the start, never split, gzip
told from their first bytes. Lines are cut by :mod:`.lines`.
"""

from __future__ import annotations

import gzip
import itertools
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson

from ..values import jsonnumbers
from .documents import ArrayItems, read_document
from .lines import LineSplitter, iter_chunks
from .sniff import MAX_LINE_BYTES, SNIFF_LINES, Sniffer, TooLong, clean_line
from .sources import Progress, Source, as_sources, ungzipped

#: Candidate `{` positions tried on a line with a text prefix.
_PREFIX_ATTEMPTS = 16


@dataclass(frozen=True)
class Record:
    """One payload read from an input, the reason a line could not be read, or a note on how it was read."""

    file: str
    line: int | None
    value: Any = None
    error: str | None = None
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def iter_records(
    inputs: Iterable[Source | str],
    *,
    payload_field: str | None = None,
    stdin: BinaryIO | None = None,
    progress: Progress | None = None,
    max_line: int = MAX_LINE_BYTES,
    sniff_lines: int = SNIFF_LINES,
) -> Iterator[Record]:
    """Records of every input in order (a name stands for its source; `-`: *stdin*);
    *progress* gets the bytes of input consumed."""
    for source in as_sources(inputs, stdin):
        yield from iter_file_records(
            source,
            payload_field=payload_field,
            progress=progress,
            max_line=max_line,
            sniff_lines=sniff_lines,
        )


def iter_file_records(
    source: Source | str,
    *,
    payload_field: str | None = None,
    progress: Progress | None = None,
    max_line: int = MAX_LINE_BYTES,
    sniff_lines: int = SNIFF_LINES,
) -> Iterator[Record]:
    """Records of one input; a truncated gzip stream ends with an error record."""
    (source,) = as_sources([source])
    with source.open() as raw:
        stream = ungzipped(raw)
        yield from _records(
            source.label,
            iter_chunks(stream, raw, progress),
            payload_field,
            Sniffer(max_line, sniff_lines),
        )


def _records(label: str, chunks: Iterator[bytes], payload_field: str | None, sniffer: Sniffer) -> Iterator[Record]:
    """Records of one input: its lines, or what the one document it is holds."""
    where: LineSplitter | ArrayItems | None = None
    try:
        sniffed = sniffer.sniff(chunks)
        if sniffed.note is not None:
            yield Record(label, None, note=sniffed.note)
        rest = itertools.chain([sniffed.take_rest()], chunks)
        if sniffed.document and not sniffed.array:
            yield _whole_document(label, read_document(rest, sniffed.dropped, sniffer.max_line), payload_field)
            return
        if sniffed.document:
            where = ArrayItems(rest, sniffer.max_line)
            yield from _array_records(label, where, payload_field)
            return
        for number, line in sniffed.head:
            yield from _line_record(label, number, line, payload_field)
        where = LineSplitter(sniffer.max_line, sniffed.lines)
        for number, line in where.lines(rest):
            yield from _line_record(label, number, line, payload_field)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        number = sniffer.lines if where is None else where.number if isinstance(where, LineSplitter) else where.index
        yield Record(label, number + 1, error=f"truncated or corrupt gzip stream ({exc})")


def _whole_document(label: str, data: bytes, payload_field: str | None) -> Record:
    if isinstance(data, TooLong):
        return Record(label, 1, error=data.reason)
    value, error = _parse(clean_line(data))
    return Record(label, 1, error=error) if error is not None else _with_field(label, 1, value, payload_field)


def _array_records(label: str, items: ArrayItems, payload_field: str | None) -> Iterator[Record]:
    """The items of an array, each numbered by its position (from 1)."""
    for index, item in items:
        if isinstance(item, str):
            yield Record(label, index, error=item)
        elif isinstance(item, TooLong):
            yield Record(label, index, error=item.reason)
        else:
            value, error = _parse(item)
            yield (
                Record(label, index, error=error)
                if error is not None
                else _with_field(label, index, value, payload_field)
            )


def _line_record(label: str, number: int, line: bytes, payload_field: str | None) -> Iterator[Record]:
    if isinstance(line, TooLong):
        yield Record(label, number, error=line.reason)
        return
    text = clean_line(line)
    if not text:
        return
    value, error = _parse(text) if text[:1] == b"{" else _after_prefix(text)
    if error is not None:
        yield Record(label, number, error=error)
    else:
        yield _with_field(label, number, value, payload_field)


def _parse(data: bytes) -> tuple[Any, str | None]:
    try:
        return jsonnumbers.loads(data), None
    except orjson.JSONDecodeError as exc:
        return None, _reason(exc, data)


def _reason(exc: orjson.JSONDecodeError, data: bytes) -> str:
    if "UTF-8" in exc.msg:
        return "invalid UTF-8"
    if "depth limit" in exc.msg:
        return "nested deeper than 1024 levels"
    if jsonnumbers.is_overflow(exc):
        return f"a number too long to read (column {exc.pos + 1})"
    if data[exc.pos : exc.pos + 9].lstrip(b"-").startswith((b"NaN", b"Infinity")):
        return f"NaN and Infinity are not JSON (column {exc.pos + 1})"
    if exc.pos >= len(data) or "end of data" in exc.msg:
        return "truncated JSON"
    return f"not valid JSON ({exc.msg} at column {exc.pos + 1})"


def _after_prefix(text: bytes) -> tuple[Any, str | None]:
    """The JSON object that ends the line after a text prefix (time, level, message).

    Candidates are the `{` of the line from the left; the first that parses to
    the end of the line wins. A candidate cut short ends the search, so a
    truncated payload is never mistaken for one of its inner objects.
    """
    if text[:1] == b"[":
        value, error = _parse(text)
        if error is None:
            return value, None
    start = text.find(b"{")
    if start < 0:
        # No object on the line: a bare JSON value is read, so the reason says what it is.
        value, error = _parse(text)
        return (value, None) if error is None else (None, "not JSON" if error.startswith("not valid") else error)
    for _ in range(_PREFIX_ATTEMPTS):
        if start < 0:
            break
        value, error = _parse(text[start:])
        if error is None:
            return value, None
        if error in ("truncated JSON", "invalid UTF-8"):
            return None, f"{error} after a text prefix"
        start = text.find(b"{", start + 1)
    return None, "not JSON"


def _with_field(label: str, number: int, value: Any, payload_field: str | None) -> Record:
    if payload_field is None or not isinstance(value, dict):
        return Record(label, number, value)
    found, inner = _lookup(value, payload_field)
    if not found:
        return Record(label, number, value)
    if isinstance(inner, dict):
        return Record(label, number, inner)
    if isinstance(inner, str | bytes):
        data = inner.encode("utf-8", "surrogatepass") if isinstance(inner, str) else inner
        parsed, error = _parse(data.strip())
        if error is not None:
            return Record(label, number, error=f"payload field {payload_field!r}: {error}")
        return Record(label, number, parsed)
    kind = "null" if inner is None else type(inner).__name__
    return Record(label, number, error=f"payload field {payload_field!r} holds {kind}, not a payload")


def _lookup(value: dict[str, Any], field: str) -> tuple[bool, Any]:
    """The value under *field*: the key itself, else a dotted path (`request.body`)."""
    if field in value:
        return True, value[field]
    node: Any = value
    for part in field.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def line_records(label: str, number: int, line: bytes, payload_field: str | None) -> Iterator[Record]:
    """The record of one NDJSON line (none for a blank line), as :func:`iter_records` reads it."""
    return _line_record(label, number, line, payload_field)
