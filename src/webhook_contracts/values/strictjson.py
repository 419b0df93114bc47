"""Parse one JSON payload strictly, with errors that say what is wrong and where.

orjson parses, and refuses invalid UTF-8, `NaN`/`Infinity` and nesting deeper
than 1024 levels; its messages are turned into plain ones with a line and
column. A UTF-8 byte-order mark is skipped (editors on Windows write one).
Numbers are read as :mod:`.jsonnumbers` says: an integer token stays an
exact `int` whatever its size, and `1e400` is read (as `inf`) for the
contract to refuse it at its place rather than as unreadable JSON.

Duplicate keys are the one thing orjson accepts silently (the last one wins).
`{"points": 10, "points": "ten"}` means different things to different
parsers, so a payload handed to `validate` or `compare` with a duplicate key
is an input error naming the key's JSON path. Log triage (`drift`) does not
pay for this check on every line: there the last value wins, as in
`JSON.parse`, Python's `json` and Go's `encoding/json`, so drift judges what
consumers actually see.
"""

from __future__ import annotations

import codecs
import json
from typing import Any

import orjson

from ..errors import PayloadError
from . import jsonnumbers
from .pointer import append_pointer

#: orjson's nesting limit, repeated for messages.
MAX_NESTING = 1024


class _Pairs(list[tuple[str, Any]]):
    """An object as its key/value pairs, in document order (duplicates kept)."""


def _line_col(data: bytes, pos: int) -> str:
    line = data.count(b"\n", 0, pos) + 1
    col = pos - (data.rfind(b"\n", 0, pos) + 1) + 1
    return f"{line}:{col}"


def parse_strict(data: bytes, source: str) -> Any:
    """The JSON value in *data*; :class:`PayloadError` naming *source* and the place otherwise."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if not data.strip(b" \t\r\n"):
        raise PayloadError(source, "empty: no JSON payload")
    try:
        value = jsonnumbers.loads(data)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(source, _reason(exc, data), where=_where(exc, data)) from exc
    duplicate = find_duplicate_key(data)
    if duplicate is not None:
        raise PayloadError(
            source, f"duplicate key {json.dumps(duplicate[1])} (the JSON is ambiguous)", where=duplicate[0] or "/"
        )
    return value


def _where(exc: orjson.JSONDecodeError, data: bytes) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as bad:
        return _line_col(data, bad.start)
    return f"{exc.lineno}:{exc.colno}"


def _reason(exc: orjson.JSONDecodeError, data: bytes) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as bad:
        return f"not valid JSON: invalid UTF-8 (byte 0x{data[bad.start]:02x} at offset {bad.start})"
    if "depth limit" in exc.msg or "recursion" in exc.msg:
        return f"not valid JSON: nested deeper than {MAX_NESTING} levels"
    rest = data[exc.pos : exc.pos + 9].lstrip(b"-")
    if rest.startswith((b"NaN", b"Infinity")):
        return "not valid JSON: NaN and Infinity are not JSON numbers"
    if jsonnumbers.is_overflow(exc):
        return f"not valid JSON: a number too long to read (at most {jsonnumbers.MAX_INTEGER_DIGITS} digits)"
    if "surrogates" in exc.msg:
        return "not valid JSON: a string holds a lone surrogate escape (\\ud800-\\udfff)"
    return f"not valid JSON: {exc.msg}"


def _skip(token: str) -> None:
    return None


def find_duplicate_key(data: bytes) -> tuple[str, str] | None:
    """(JSON Pointer of the object, key) of the first duplicate key in *data*, or None.

    *data* must already be valid JSON (orjson accepted it).
    """
    seen_duplicate = False

    def check(pairs: list[tuple[str, Any]]) -> Any:
        nonlocal seen_duplicate
        if len({k for k, _ in pairs}) != len(pairs):
            seen_duplicate = True
        return None

    # Numbers are not looked at: they are not read (an integer of 5000 digits is beyond `int`'s limit).
    try:
        json.loads(data, object_pairs_hook=check, parse_int=_skip, parse_float=_skip)
        if not seen_duplicate:
            return None
        tree = json.loads(data, object_pairs_hook=_Pairs, parse_int=_skip, parse_float=_skip)
    except RecursionError:
        return None  # orjson accepted it; too deep for the json module to look for duplicates
    stack: list[tuple[str, Any]] = [("", tree)]
    found: list[tuple[str, str]] = []
    while stack:
        pointer, node = stack.pop()
        if isinstance(node, _Pairs):
            keys: set[str] = set()
            for key, _ in node:
                if key in keys:
                    found.append((pointer, key))
                    break
                keys.add(key)
            stack.extend((append_pointer(pointer, k), v) for k, v in node)
        elif isinstance(node, list):
            stack.extend((f"{pointer}/{i}", v) for i, v in enumerate(node))
    return min(found) if found else None
