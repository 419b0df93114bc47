"""The one rule for the `integer` and `number` types of the contracts, and reading numbers exactly.

Every judge of a number uses it: `validate` and `check` (the jsonschema type
checker), the drift walker, the drift fast path (msgspec's `int` and `float`)
and the generated pydantic models (`int`, and a finite `float`, in strict
mode). The rule is about the JSON token, as the provider wrote it:

- `integer`: a number token without fraction or exponent (`-?(0|[1-9][0-9]*)`),
  whatever its size, up to 4300 digits (the most Python, msgspec and pydantic
  read). `-0` is the integer 0: it has neither fraction nor exponent, and
  every reader here holds it as `0`. `1.0`, `900.0`, `9e2` and `1e-999` are
  *not* integers, although JSON Schema calls a number with a zero fraction an
  integer: a strict model refuses them, as do typed consumers (Go's `int64`,
  serde's `i64`), so a provider that starts writing `900.0` where it wrote
  `900` changed its serializer, which is drift worth seeing. Big integers are
  integers: a model's `int` holds `2**64 + 1` exactly.
- `number`: any number token whose value a double holds as a finite number,
  integers included (`8`, `2**64 + 1` rounded, `1e-999` read as `0.0`).
  `1e400` is refused, like an integer token beyond the double range at a
  `number` field: a model's `float` would hold infinity, not the number.

A value is held as the JSON reader gives it: `int` for an integer token,
`float` for any other number token. orjson (the fast reader) gives a float
for an integer beyond 64 bits and refuses `1e400` outright, so
:func:`loads` reads those documents again with msgspec, which keeps integers
exact and gives `inf` for `1e400`, for the rule to judge.
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
import orjson

#: The longest integer token read, in digits (Python's, msgspec's and pydantic's limit).
MAX_INTEGER_DIGITS = 4300
#: orjson's message for a number it cannot hold: read again, exactly.
_OVERFLOW = "infinity when parsed as double"
#: An integer orjson may have turned into a float (it gives a float beyond [-2**63, 2**64 - 1]) is a run
#: of 19 digits: found by mapping every digit to "0" and looking for 19 of them (a regex search over a
#: few kilobytes costs most of what parsing them does).
_DIGITS = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_RUN = b"0" * 19
#: Integer tokens become Python ints of any size; other number tokens go through `float` (`1e400` is `inf`).
_EXACT = msgspec.json.Decoder(float_hook=float)


def is_integer(value: Any) -> bool:
    """True when *value* (as the JSON reader gives it) is an `integer` of the contracts."""
    return value.__class__ is int


def is_number(value: Any) -> bool:
    """True when *value* is a `number` of the contracts: an integer or a float, finite as a double."""
    cls = value.__class__
    if cls is float:
        return math.isfinite(value)
    if cls is int:
        try:
            float(value)
        except OverflowError:
            return False
        return True
    return False


def misfit(value: Any, types: tuple[str, ...] | frozenset[str]) -> str | None:
    """What to call an int or float *value* at a position of JSON *types*, when the rule refuses it there.

    None when the types accept it, or do not say: a position that allows neither
    number nor integer is judged by its type alone.
    """
    cls = value.__class__
    if cls is float and not math.isfinite(value):
        return "number beyond the double range"
    if cls is int and "number" in types and "integer" not in types and not is_number(value):
        return "integer beyond the double range"
    return None


def loads(data: bytes | memoryview) -> Any:
    """*data* parsed with orjson, integers kept exact; orjson's error when it is not JSON.

    A document that may hold an integer beyond 64 bits, or one that orjson
    refuses for a number a double cannot hold, is read again with msgspec
    (the same strictness: UTF-8, no NaN, no lone surrogate). When msgspec
    cannot (nested too deep for it), orjson's answer stands.
    """
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if _OVERFLOW not in exc.msg:
            raise
        try:
            return _EXACT.decode(data)
        except (msgspec.DecodeError, RecursionError):
            raise exc from None
    if _LONG_RUN in bytes(data).translate(_DIGITS):
        try:
            return _EXACT.decode(data)
        except (msgspec.DecodeError, RecursionError):
            return value
    return value


def is_overflow(exc: orjson.JSONDecodeError) -> bool:
    """True when orjson refused a number it cannot hold, and :func:`loads` could not read it either."""
    return _OVERFLOW in exc.msg


__all__ = ["MAX_INTEGER_DIGITS", "is_integer", "is_number", "is_overflow", "loads", "misfit"]
