"""Lines out of a stream of chunks: numbered, cut in place, an over-long line skipped unread."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from . import sources
from .sniff import MAX_LINE_BYTES, TooLong
from .sources import Progress


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


def iter_chunks(stream: BinaryIO, raw: BinaryIO, progress: Progress | None) -> Iterator[bytes]:
    """The chunks of *stream* (*raw*, or a gzip reader over it); *progress* gets the bytes of *raw* consumed."""
    read = getattr(stream, "read1", stream.read)
    seen = 0
    while chunk := read(sources.CHUNK):
        if progress is not None:
            try:
                position = raw.tell()
            except (AttributeError, OSError):  # a pipe (stdin): count the bytes read
                position = seen + len(chunk)
            if position > seen:
                progress(position - seen)
                seen = position
        yield chunk
