"""NDJSON or one JSON document? Decided from a bounded prefix of an input's lines.

An input is one JSON document when its first non-blank line opens one: `[`
alone, `[{`, or a `[` line that parses alone (an array, not a log line with a
bracketed prefix such as `[INFO] {...}`); or `{` when none of the first five
non-blank lines that start with `{` parses alone (a pretty-printed object).
Anything else is read line by line.

The sniff reads each byte once, keeps no blank line, and stops at the first
of: a decision, five non-blank lines, *max_lines* lines (config `sniff-lines`),
the end of the input. When the line limit stops it undecided, :attr:`Sniff.note`
says so. A line longer than *max_line* is skipped as it is read and stands in
the head as a :class:`TooLong`; only a first line that opens an array of
objects or arrays (`[{`, `[[`) may be longer, as a whole array written on one
line is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import orjson

#: Longest line parsed, by default; a webhook payload is a few kilobytes.
MAX_LINE_BYTES = 16 << 20
#: Lines looked at, at most, to tell NDJSON from one JSON document (config `sniff-lines`).
SNIFF_LINES = 1000
#: Non-blank lines that decide a `{` input.
_DECIDING_LINES = 5
_BOM = b"\xef\xbb\xbf"


class TooLong(bytes):
    """Stands for a line (an array item, a document) longer than the limit, which was skipped unread."""

    size: int
    limit: int
    what: str

    def __new__(cls, size: int, limit: int, what: str = "line") -> TooLong:
        line = super().__new__(cls, b"")
        line.size, line.limit, line.what = size, limit, what
        return line

    @property
    def reason(self) -> str:
        return f"{self.what} of {self.size} bytes is longer than max-payload-bytes ({self.limit}); not read"


def clean_line(line: bytes) -> bytes:
    """*line* without a byte-order mark and surrounding whitespace."""
    if line.startswith(_BOM):
        line = line[len(_BOM) :]
    return line.strip(b" \t\r\n\f\v")


@dataclass
class Sniff:
    """What the sniff decided, and what it read to decide."""

    document: bool
    #: The document is an array (read item by item).
    array: bool = False
    #: (line number, line) of the lines read that are not blank (over-long ones as :class:`TooLong`).
    head: list[tuple[int, bytes]] = field(default_factory=list)
    #: Lines read.
    lines: int = 0
    #: For lines: the bytes read after line :attr:`lines`. For a document: its bytes read so far, from
    #: its first line on, unless there were more than *max_line* of them (then only those after :attr:`dropped`).
    rest: bytes = b""
    #: For a document too large to hold: its bytes read and not in :attr:`rest`.
    dropped: int = 0
    #: Why the decision was made on fewer lines than usual, if it was.
    note: str | None = None

    def take_rest(self) -> bytes:
        """:attr:`rest`, no longer held here (an input is held once, by its reader)."""
        rest, self.rest = self.rest, b""
        return rest


class Sniffer:
    """Reads the head of an input, one line at a time; :attr:`lines` counts the lines read (also on failure)."""

    def __init__(self, max_line: int = MAX_LINE_BYTES, max_lines: int = SNIFF_LINES) -> None:
        self.max_line = max_line
        self.max_lines = max_lines
        self.lines = 0
        self._buf = b""
        self._pos = 0

    def sniff(self, chunks: Iterator[bytes]) -> Sniff:
        """Read lines from *chunks* until the input's kind is known; the rest of *chunks* is left unread."""
        head: list[tuple[int, bytes]] = []
        texts: list[bytes] = []
        held: list[bytes] | None = []  # a document's lines so far, while they fit in max_line
        size = 0
        decided: bool | None = None
        for line in self._iter_lines(chunks, head_is_blank=lambda: not texts):
            if line is _OPENS_ARRAY:  # a first line too long to hold: an array written on one line
                return Sniff(True, True, [], self.lines, self._rest())
            text = b"" if isinstance(line, TooLong) else clean_line(line)
            if text or isinstance(line, TooLong):
                head.append((self.lines, line))
            if texts or text:  # from its first non-blank line on, what a document would hold
                size += (line.size if isinstance(line, TooLong) else len(line)) + 1
                if held is not None and size <= self.max_line and not isinstance(line, TooLong):
                    held.append(line + b"\n")
                else:
                    held = None
            if text:
                texts.append(text)
                decided = _decide(texts)
                if decided and text[:1] == b"[":  # an array, told by its first line (whole, whatever its size)
                    return Sniff(True, True, head, self.lines, line + b"\n" + self._rest())
                if decided is not None:
                    break
            if self.lines >= self.max_lines:
                break
        note = None
        if decided is None:
            at_limit = self.lines >= self.max_lines
            decided = bool(texts) and bool(_decide(texts, final=True))
            if at_limit:
                kind = "one JSON document" if decided else "NDJSON"
                note = (
                    f"only the first {self.max_lines} lines were looked at to tell NDJSON from one JSON "
                    f"document (sniff-lines): read as {kind}"
                )
        if decided and held is not None:
            return Sniff(True, False, head, self.lines, b"".join(held) + self._rest(), note=note)
        if decided:
            return Sniff(True, False, head, self.lines, self._rest(), size, note)
        return Sniff(False, False, head, self.lines, self._rest(), note=note)

    def _rest(self) -> bytes:
        """The unread bytes of the current chunk, handed over: the sniffer holds no input once it has decided."""
        rest = self._buf[self._pos :]
        self._buf, self._pos = b"", 0
        return rest

    def _iter_lines(self, chunks: Iterator[bytes], head_is_blank: Callable[[], bool]) -> Iterator[bytes]:
        """Each line without its end; after each, the unread bytes of the current chunk are :meth:`_rest`."""
        while True:
            end = self._buf.find(b"\n", self._pos)
            too_long = (end if end >= 0 else len(self._buf)) - self._pos > self.max_line
            # Whether its end was read yet or not, a first line too long to hold that opens an array is one.
            if too_long and head_is_blank() and _OPENING.match(clean_line(self._buf[self._pos : self._pos + 256])):
                yield _OPENS_ARRAY
                return
            if end >= 0:
                line, self._pos = self._buf[self._pos : end], end + 1
                self.lines += 1
                yield line if not too_long else TooLong(len(line), self.max_line)
                continue
            if too_long:
                self.lines += 1
                yield TooLong(self._skip_line(chunks), self.max_line)
                continue
            chunk = next(chunks, None)
            if chunk is None:
                if self._pos < len(self._buf):
                    line, self._pos = self._buf[self._pos :], len(self._buf)
                    self.lines += 1
                    yield line
                return
            self._buf, self._pos = self._buf[self._pos :] + chunk, 0

    def _skip_line(self, chunks: Iterator[bytes]) -> int:
        """Read past the line that starts at the current position; its size."""
        size = len(self._buf) - self._pos
        self._buf, self._pos = b"", 0
        for chunk in chunks:
            end = chunk.find(b"\n")
            if end >= 0:
                self._buf, self._pos = chunk, end + 1
                return size + end
            size += len(chunk)
        return size


#: Handed out instead of a first line that is too long and opens an array.
_OPENS_ARRAY = TooLong(0, 0)
#: The start of an array of objects or arrays (not `[INFO] {...}`).
_OPENING = re.compile(rb"\[\s*+[\[{]")


def _decide(texts: list[bytes], final: bool = False) -> bool | None:
    """True for one document, False for lines, None while more lines may tell."""
    first = texts[0]
    if first[:1] == b"[":
        return first == b"[" or first.startswith(b"[{") or _parses(first)
    if first[:1] != b"{":
        return False
    last = texts[-1]
    if last[:1] == b"{" and _parses(last):
        return False
    return True if final or len(texts) >= _DECIDING_LINES else None


def _parses(text: bytes) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return True
