"""Read captured payloads: JSON files, NDJSON logs, `.gz` files, folders, stdin and named pipes.

Every input becomes a stream of :class:`Record` objects, one per payload or
per line that should have held one. A record carries the file, the line
number and either the parsed value or the reason it could not be read; a bad
line never stops the run.

A file is NDJSON when one of its first lines is a JSON document on its own;
otherwise, if it starts with `{` or `[`, it is one JSON document (see
:mod:`.sniff`, which decides from a bounded prefix of lines). An array holds
one payload per element, numbered from 1, and is read item by item
(:mod:`.docread`). A line may carry text before
its JSON (`2024-05-01T10:00:00Z INFO webhook {...}`): the first `{` from which
the rest of the line parses is taken. With a payload field (`body`), a record
that has that field yields its value, an object or a JSON string, instead.

A line longer than *max_line* bytes (config `max-payload-bytes`, 16 MiB by
default) is not parsed: it is skipped as it is read, without being held in
memory, and becomes an error record that gives its size; so do an array item
and a document longer than that.

Numbers are read as :mod:`.jsonnumbers` says (integers exact, whatever their size).

Stdin, a named pipe (`mkfifo`) and a process substitution (`<(zcat log.gz)`)
are streams: read once from the start, never split, gzip told from their first
bytes (:func:`is_stream`).
"""

from __future__ import annotations

import gzip
import io
import itertools
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ..errors import InputError
from ..values import jsonnumbers
from .documents import ArrayItems, read_document
from .sniff import MAX_LINE_BYTES, SNIFF_LINES, Sniffer, TooLong, clean_line

#: Read size: logs are read in chunks of this many bytes.
CHUNK = 1 << 20
#: Log files a folder contributes (also when gzipped).
LOG_SUFFIXES = (".json", ".jsonl", ".ndjson", ".log")
STDIN = "-"
#: Candidate `{` positions tried on a line with a text prefix.
_PREFIX_ATTEMPTS = 16

Progress = Callable[[int], None]


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


def expand_inputs(paths: Iterable[str]) -> list[str]:
    """The inputs to read: `-`, files and pipes as given, and every log file in a folder (sorted)."""
    out: list[str] = []
    for name in paths:
        if name == STDIN:
            out.append(name)
            continue
        path = Path(name)
        if path.is_dir():
            found = sorted(
                p.as_posix() for p in path.rglob("*")
                if p.is_file() and _is_log_name(p.name) and not p.name.startswith(".")
            )
            if not found:
                raise InputError(name, f"no log files ({', '.join(LOG_SUFFIXES)}, also .gz) in this folder")
            out.extend(found)
        elif path.is_file() or is_stream(name):
            out.append(name)
        else:
            raise InputError(name, "not a file, folder or pipe" if path.exists() else "no such file or folder")
    return out


def is_stream(name: str) -> bool:
    """Whether input *name* is read as a stream: stdin, a named pipe, `<(zcat log.gz)` (`/dev/fd/N`), a device."""
    if name == STDIN:
        return True
    try:
        mode = Path(name).stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def _is_log_name(name: str) -> bool:
    return name.removesuffix(".gz").endswith(LOG_SUFFIXES)


def input_size(name: str) -> int:
    """Bytes on disk of one input (0 for a stream), for a progress bar."""
    return 0 if is_stream(name) else Path(name).stat().st_size


def iter_records(
    names: Iterable[str], *, payload_field: str | None = None, stdin: BinaryIO | None = None,
    progress: Progress | None = None, max_line: int = MAX_LINE_BYTES, sniff_lines: int = SNIFF_LINES,
) -> Iterator[Record]:
    """Records of every input in order; *progress* gets the bytes of input consumed."""
    for name in names:
        yield from iter_file_records(
            name, payload_field=payload_field, stdin=stdin, progress=progress, max_line=max_line,
            sniff_lines=sniff_lines,
        )


def iter_file_records(
    name: str, *, payload_field: str | None = None, stdin: BinaryIO | None = None,
    progress: Progress | None = None, max_line: int = MAX_LINE_BYTES, sniff_lines: int = SNIFF_LINES,
) -> Iterator[Record]:
    """Records of one input; a truncated gzip stream ends with an error record."""
    label = "<stdin>" if name == STDIN else name
    if name == STDIN:
        if stdin is None:
            raise InputError(label, "no standard input to read")
        raw: BinaryIO = stdin if hasattr(stdin, "peek") else io.BufferedReader(stdin, CHUNK)  # type: ignore[type-var]
        stream = _maybe_gunzip(raw)
    else:
        try:
            raw = Path(name).open("rb", buffering=CHUNK)  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InputError(name, f"cannot read: {exc.strerror or exc}") from exc
        stream = _maybe_gunzip(raw)
    try:
        yield from _records(label, _chunks(stream, raw, progress), payload_field, Sniffer(max_line, sniff_lines))
    finally:
        if name != STDIN:
            raw.close()


def _maybe_gunzip(raw: BinaryIO) -> BinaryIO:
    """*raw*, or a gzip reader over it when it starts with the gzip magic bytes."""
    if raw.peek(2)[:2] == b"\x1f\x8b":  # type: ignore[attr-defined]
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw


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
            yield Record(label, index, error=error) if error is not None else _with_field(
                label, index, value, payload_field
            )


class LineSplitter:
    """Numbered lines (from 1, without their end) of a stream of chunks.

    A line longer than *max_line* bytes is skipped while it is read, never held
    in memory, and handed out as a :class:`TooLong` that says how long it was.
    :attr:`number` is the last line handed out, also when reading fails.
    """

    def __init__(self, max_line: int = MAX_LINE_BYTES, number: int = 0) -> None:
        self.max_line = max_line
        self.number = number
        #: The lines of the region handed out last, when its reader counted them (see :meth:`tell`).
        self._told = -1

    def tell(self, lines: int) -> None:
        """The reader of the region handed out last counted its *lines*: they need not be counted again."""
        self._told = lines

    def lines(self, chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes]]:
        """(line number, line) for every line."""
        for first, buf, start, stop in self.regions(chunks):
            if buf.__class__ is not bytes:  # a TooLong
                yield first, buf
            else:
                yield from enumerate(buf[start : stop - 1].split(b"\n"), first)

    def regions(self, chunks: Iterable[bytes]) -> Iterator[tuple[int, bytes, int, int]]:
        """(number of the first line, buffer, start, stop): `buffer[start:stop]` holds whole lines, each
        ended by a newline; an over-long line comes alone, as (its number, a :class:`TooLong`, 0, 0).

        The drift engine's input: it cuts the lines out of the buffer itself and
        decodes them in place, so a clean line is never copied (the chunks are
        the lines' only copy; copying costs more than a microsecond a line here).
        Only a line that straddles two chunks is copied, once.
        """
        max_line, rest, skipped = self.max_line, b"", 0  # skipped: bytes of an over-long line dropped so far
        for chunk in chunks:
            if skipped:
                end = chunk.find(b"\n")
                if end < 0:
                    skipped += len(chunk)
                    continue
                yield self._too_long(skipped + end)
                skipped, chunk = 0, chunk[end + 1 :]
            last = chunk.rfind(b"\n")
            if last < 0:
                rest += chunk
                if len(rest) > max_line:
                    skipped, rest = len(rest), b""
                continue
            start = 0
            if rest:
                start = chunk.find(b"\n") + 1
                line, rest = rest + chunk[:start], b""
                yield from self._split(line, 0, len(line))
            if start <= last:
                yield from self._split(chunk, start, last + 1)
            rest = chunk[last + 1 :]
            if len(rest) > max_line:
                skipped, rest = len(rest), b""
        if skipped:
            yield self._too_long(skipped)
        elif rest:
            yield from self._split(rest + b"\n", 0, len(rest) + 1)

    def _split(self, buf: bytes, start: int, stop: int) -> Iterator[tuple[int, bytes, int, int]]:
        """The region of whole lines buf[start:stop], as one region unless a line in it is too long."""
        if stop - start - 1 <= self.max_line:  # no line can be longer: the common case, one region
            self._told = -1
            yield self.number + 1, buf, start, stop
            # Counted once the reader is done with it, by the reader when it says so (see tell).
            self.number += self._told if self._told >= 0 else buf.count(b"\n", start, stop)
            self._told = -1
            return
        while start < stop:  # a limit below the chunk size: one region per line
            end = buf.find(b"\n", start, stop)
            if end - start > self.max_line:
                yield self._too_long(end - start)
            else:
                self.number += 1
                yield self.number, buf, start, end + 1
            start = end + 1

    def _too_long(self, size: int) -> tuple[int, bytes, int, int]:
        self.number += 1
        return self.number, TooLong(size, self.max_line), 0, 0


def _chunks(stream: BinaryIO, raw: BinaryIO, progress: Progress | None) -> Iterator[bytes]:
    read = getattr(stream, "read1", stream.read)
    seen = 0
    while chunk := read(CHUNK):
        if progress is not None:
            try:
                position = raw.tell()
            except (AttributeError, OSError):  # a pipe (stdin): count the bytes read
                position = seen + len(chunk)
            if position > seen:
                progress(position - seen)
                seen = position
        yield chunk


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
