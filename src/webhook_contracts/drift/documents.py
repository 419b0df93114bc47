"""Read an input that is one JSON document: a top-level array item by item, anything else whole, bounded.

A top-level array is cut into its items, and each item is parsed on its own by
orjson, as a log line is: a payload reads (and fails) the same in an array as
on its own line. Where an item ends is found by orjson itself, parsing a window
of the input that grows until the item ends inside it; when orjson cannot say
(a broken item, an item over the limit, one that ends where the input does), a
scanner that follows only strings and brackets finds the end instead.
Memory is bounded by the largest item, not by the file: an item longer than
*max_item* bytes is skipped while it is scanned and reported with its size,
and so is any other document longer than that.

Why not ijson: ijson builds the items with its own parser
(floats as Decimal, its own errors, no nesting limit, other UTF-8 and NaN
rules), so a payload would read differently in an array than on a log line,
and it cannot skip an item too large to hold. Finding the ends with orjson
costs about one more parse per item; the scanner's inner loops run in `re`
(possessive patterns, no backtracking) and Python steps per run of brackets,
several times slower on payloads, so it is the fallback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import orjson

from .sniff import TooLong

#: Anything but brackets, with whole strings skipped; stops at a bracket or at a string that does not end here.
_OUTSIDE = re.compile(rb'(?:[^"\[\]{}]++|"(?:[^"\\]++|\\.)*+")*+', re.DOTALL)
#: The inside of a string up to its closing quote (or the end of the buffer, or a lone backslash there).
_IN_STRING = re.compile(rb'(?:[^"\\]++|\\.)*+', re.DOTALL)
#: A run of opening brackets (deep nesting costs one step per run, not per bracket).
_OPENERS = re.compile(rb"[\[{]++")
_CLOSERS = re.compile(rb"[\]}]++")
#: A number, true, false or null (or garbage up to the next separator).
_SCALAR = re.compile(rb"[^,\]\s]*+")
_SPACE = re.compile(rb"[ \t\r\n]*+")
#: orjson's messages for a value followed by more input, and for input that ends inside a value.
_AFTER_VALUE = "unexpected content after document"
_END_OF_DATA = "unexpected end of data"
#: Bytes beyond the last item's size in the first window orjson looks for an item's end in.
_MIN_WINDOW = 4096


def read_document(chunks: Iterator[bytes], dropped: int, max_size: int) -> bytes:
    """The document in *chunks*, or a :class:`TooLong` with its size when it has more than *max_size* bytes
    (counted, not held); *dropped*: bytes of it already read and not in *chunks* (too many to hold)."""
    size = dropped
    parts: list[bytes] | None = [] if not dropped else None
    for chunk in chunks:
        size += len(chunk)
        if parts is not None:
            if size <= max_size:
                parts.append(chunk)
            else:
                parts = None
    return b"".join(parts) if parts is not None else TooLong(size, max_size, "document")


class ArrayItems:
    """(index from 1, item) for each item of the array in *chunks*: the item's bytes, a :class:`TooLong`,
    or a str saying why the array cannot be read on (the last one then).

    :attr:`index` is the last item handed out, also when reading fails.
    """

    def __init__(self, chunks: Iterator[bytes], max_item: int) -> None:
        self.max_item = max_item
        self.index = 0
        self._chunks = chunks
        self._buf = b""
        self._pos = 0
        self._window = _MIN_WINDOW

    def __iter__(self) -> Iterator[tuple[int, bytes | str]]:
        self._skip_space()
        if self._buf.startswith(b"\xef\xbb\xbf", self._pos):
            self._pos += 3
            self._skip_space()
        self._pos += 1  # the `[`
        self._skip_space()
        if self._peek() == b"]":
            self._pos += 1
        else:
            while True:
                self.index += 1
                if not self._peek():
                    yield self.index, "truncated JSON"
                    return
                item, complete = self._item()
                yield self.index, item
                if not complete:
                    return
                self._skip_space()
                after = self._peek()
                self._pos += 1
                if after == b"]":
                    break
                if after != b",":
                    yield (
                        self.index + 1,
                        "truncated JSON"
                        if not after
                        else (f"not valid JSON (expected ',' or ']' after item {self.index})"),
                    )
                    return
                self._skip_space()
        self._skip_space()
        if self._peek():
            yield self.index + 1, "not valid JSON (data after the array)"

    def _peek(self) -> bytes:
        return self._buf[self._pos : self._pos + 1]

    def _more(self, keep: int) -> int | None:
        """Read a chunk, keeping the buffer from *keep* on; how far positions moved (None at the end)."""
        chunk = next(self._chunks, None)
        if chunk is None:
            return None
        self._buf, self._pos = self._buf[keep:] + chunk, self._pos - keep
        return keep

    def _skip_space(self) -> None:
        while True:
            self._pos = _SPACE.match(self._buf, self._pos).end()  # type: ignore[union-attr]  # always matches
            if self._pos < len(self._buf) or self._more(self._pos) is None:
                return

    def _item(self) -> tuple[bytes, bool]:
        """The item at the current position (or a :class:`TooLong`) and whether it ended before the input."""
        end = self._value_end()  # the item still starts at the current position (the buffer may have moved)
        if end is None or self._buf[end : end + 1] not in (b",", b"]"):
            return self._scan_item()
        item = self._buf[self._pos : end]
        self._pos, self._window = end, len(item) + len(item) // 4 + _MIN_WINDOW
        return self._finish(item.rstrip(b" \t\r\n"), 0), True

    def _value_end(self) -> int | None:
        """Where the value at the current position ends, as orjson finds it; None when orjson cannot tell.
        The window orjson parses starts a little larger than the last item and doubles."""
        window = self._window
        while window <= 2 * self.max_item:
            start = self._pos
            stop = _whole_characters(self._buf, start, min(len(self._buf), start + window))
            try:
                orjson.loads(memoryview(self._buf)[start:stop])
            except orjson.JSONDecodeError as exc:
                if exc.msg == _AFTER_VALUE:  # exc.pos counts characters, not bytes
                    head = self._buf[start : start + exc.pos]
                    if head.isascii():
                        return start + exc.pos
                    return start + len(self._buf[start:stop].decode("utf-8", "replace")[: exc.pos].encode("utf-8"))
                if exc.msg != _END_OF_DATA:
                    return None
                if stop == len(self._buf) and self._more(start) is None:
                    return None
                window *= 2
                continue
            return None  # the window holds one value and nothing after it: the scanner says where it ends
        return None

    def _scan_item(self) -> tuple[bytes, bool]:
        """:meth:`_item` by following strings and brackets, for any input."""
        buf, start = self._buf, self._pos
        at, skipped, depth = start, 0, 0
        in_string = buf[start : start + 1] == b'"'
        scalar = not in_string and buf[start : start + 1] not in (b"{", b"[")
        if in_string:
            at += 1
        while True:
            if in_string:
                at = _IN_STRING.match(buf, at).end()  # type: ignore[union-attr]  # always matches
                if at < len(buf) and buf[at] == 0x22:  # the closing quote
                    in_string, at = False, at + 1
                    if depth == 0:
                        break
                    continue
            elif scalar:
                at = _SCALAR.match(buf, at).end()  # type: ignore[union-attr]  # always matches
                if at < len(buf):
                    break
            else:
                at = _OUTSIDE.match(buf, at).end()  # type: ignore[union-attr]  # always matches
                if at < len(buf):
                    if buf[at] == 0x22:
                        in_string, at = True, at + 1
                        continue
                    if buf[at] in b"[{":
                        run = _OPENERS.match(buf, at).end() - at  # type: ignore[union-attr]  # a bracket is here
                        depth, at = depth + run, at + run
                        continue
                    run = min(_CLOSERS.match(buf, at).end() - at, depth)  # type: ignore[union-attr]  # a bracket is here
                    depth, at = depth - run, at + run
                    if depth <= 0:
                        break
                    continue
            # The buffer ends inside the item: drop what the limit will not let it hold, and read on.
            if skipped or at - start > self.max_item:
                skipped, start = skipped + at - start, at
            self._pos = start
            moved = self._more(start)
            if moved is None:  # the input ends in the item (a scalar may end there; the array still does not)
                self._pos = len(self._buf)
                return self._finish(buf[start:], skipped), scalar
            buf, at, start = self._buf, at - moved, 0
        self._pos = at
        return self._finish(buf[start:at], skipped), True

    def _finish(self, item: bytes, skipped: int) -> bytes:
        size = skipped + len(item)
        return TooLong(size, self.max_item, "item") if size > self.max_item else item


def _whole_characters(buf: bytes, start: int, stop: int) -> int:
    """*stop*, moved back so that `buf[start:stop]` does not end inside a UTF-8 character (orjson refuses
    the whole window then)."""
    lead = stop
    while lead > start and lead > stop - 4 and 0x80 <= buf[lead - 1] < 0xC0:
        lead -= 1
    if lead > start and buf[lead - 1] >= 0xC0:
        size = 2 if buf[lead - 1] < 0xE0 else 3 if buf[lead - 1] < 0xF0 else 4
        if stop - (lead - 1) < size:
            return lead - 1
    return stop
