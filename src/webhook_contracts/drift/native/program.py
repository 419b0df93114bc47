"""Contract programs for the native validator: the walker's tree, as nested tuples.

A program says what the msgspec gate of :mod:`..fastpath` says about each
position of a contract, in a form the extension turns into C structures once:

    type   = (mask, format, prefix, string values, integer values, items, object kind, object)
    fields = ((key, required, type), ...)

*mask* holds the JSON types a value may have (:data:`NULL` ... :data:`OBJECT`);
*format* is one of :data:`FORMATS`; *prefix* the identifier prefix (bytes,
empty for none); *string values* and *integer values* are the enum or `const`
values (None: any); *items* the type of array items (None: any value); the
object is free-form (:data:`FREE`), a map of generated-id keys to values of a
type (:data:`MAP`), or has the fields given (:data:`STRUCT`).

The rules are the gate's (:meth:`..fastpath._Compiler.type_of`): a field is
required when the contract requires it or every example shows it, `integer`
alone takes integer tokens only, `number` any finite number, and a position
the gate cannot express exactly raises :class:`Unsupported`, so its event is
left to the gate. Keys are kept in contract order: payloads list them in
that order, and the extension looks for the next key where the last one was.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from ...values.formats import prefix_from_pattern
from ..fastpath import _FORMATS
from ..walker import Node

NULL, BOOLEAN, INTEGER, NUMBER, STRING, ARRAY, OBJECT = 1, 2, 4, 8, 16, 32, 64
FORMATS = {"date": 1, "date-time": 2, "email": 3, "uri": 4}
NO_OBJECT, FREE, MAP, STRUCT = 0, 1, 2, 3
#: The most fields an object of a program may have (the extension's limit).
MAX_FIELDS = 512
_ALL_KINDS = ("object", "array", "string", "integer", "number", "boolean", "null")
_PREFIX = re.compile(r"[a-z]{1,8}[_-]")

Type = tuple[Any, ...]
Fields = tuple[tuple[bytes, bool, Type], ...]


class Unsupported(Exception):
    """A position the native validator cannot judge exactly; its event is left to the gate."""


def root_program(node: Node) -> Type:
    """The program of an event's data (an object with fields, as the gate requires)."""
    if node.values is not None or node.free_form:
        raise Unsupported("the data is not an object with fields")
    return _struct_type(_fields(node))


def bare_program(node: Node, expected: frozenset[str], allowed: frozenset[str]) -> Type:
    """The program of bare data of an event: :func:`root_program`, its top-level keys within the range
    the gate picks the event by (every *expected* key present, no key beyond *allowed*)."""
    fields = tuple(
        (key, required or key.decode() in expected, kind)
        for key, required, kind in _fields(node)
        if key.decode() in allowed
    )
    if not expected <= {key.decode() for key, _, _ in fields}:
        raise Unsupported("a key the event expects is not in its contract")
    return _struct_type(fields)


def _struct_type(fields: Fields) -> Type:
    return (OBJECT, 0, b"", None, None, None, STRUCT, fields)


def _fields(node: Node) -> Fields:
    if len(node.children) > MAX_FIELDS:
        raise Unsupported("an object with too many fields")
    out = []
    for key, child in node.children.items():
        spec = child.spec
        if spec is None:
            raise Unsupported("a position without a spec")
        out.append((key.encode(), bool(spec.required or spec.documented), type_program(child)))
    return tuple(out)


def type_program(node: Node) -> Type:
    """The program of one position."""
    spec = node.spec
    if spec is None:
        raise Unsupported("a position without a spec")
    kinds = spec.types or _ALL_KINDS
    if spec.enum is not None and set(kinds) - {"string", "integer", "null"}:
        raise Unsupported("an enum of numbers or booleans")
    mask, fmt, prefix = 0, 0, b""
    strings: tuple[bytes, ...] | None = None
    integers: tuple[int, ...] | None = None
    items: Type | None = None
    kind_of_object, fields_or_values = NO_OBJECT, None
    for kind in kinds:
        if kind == "null":
            mask |= NULL
        elif kind == "boolean":
            mask |= BOOLEAN
        elif kind == "integer":
            if spec.enum is not None:
                integers = _integer_enum(spec.enum)
                mask |= INTEGER
            elif "number" not in kinds:
                mask |= INTEGER
        elif kind == "number":
            mask |= NUMBER
        elif kind == "string":
            mask |= STRING
            fmt, prefix, strings = _string(node)
        elif kind == "array":
            mask |= ARRAY
            items = type_program(node.items) if node.items is not None else None
        elif kind == "object":
            mask |= OBJECT
            kind_of_object, fields_or_values = _object(node)
        else:
            raise Unsupported(f"type {kind}")
    if not mask:
        raise Unsupported(f"no type for {spec.types}")
    return (mask, fmt, prefix, strings, integers, items, kind_of_object, fields_or_values)


def _integer_enum(enum: tuple[Any, ...]) -> tuple[int, ...]:
    values = tuple(v for v in enum if isinstance(v, int) and not isinstance(v, bool))
    if not values or any(isinstance(v, (bool, float)) for v in enum):
        raise Unsupported("an enum of numbers or booleans")
    if any(not -(2**63) <= v < 2**63 for v in values):
        raise Unsupported("an enum value beyond 64 bits")
    return values


def _string(node: Node) -> tuple[int, bytes, tuple[bytes, ...] | None]:
    """(format, prefix, values) of a string position; the values of an enum or tag replace the tests."""
    spec = node.spec
    assert spec is not None
    return _string_rule(spec.pattern, spec.format, spec.enum, spec.const)


@functools.lru_cache(maxsize=4096)
def _string_rule(
    pattern: str | None, fmt: str | None, enum: tuple[Any, ...] | None, const: str | None
) -> tuple[int, bytes, tuple[bytes, ...] | None]:
    """:func:`_string` of a spec (the contracts of a version share most string rules: computed once each)."""
    prefix = prefix_from_pattern(pattern) if pattern is not None else None
    if prefix is not None and not _PREFIX.fullmatch(prefix):
        raise Unsupported(f"prefix {prefix!r}")
    if fmt is not None and fmt not in FORMATS:
        raise Unsupported(f"format {fmt}")
    shape = _FORMATS[fmt] if fmt is not None else None
    values: tuple[str, ...] | None = None
    if enum is not None:
        values = tuple(v for v in enum if isinstance(v, str))
        if not values:
            raise Unsupported("a string position whose enum holds no string")
    elif const is not None:
        if not isinstance(const, str):
            raise Unsupported("a tag that is not a string")
        values = (const,)
    if values is not None:
        for value in values:
            if (prefix is not None and not value.startswith(prefix)) or (
                shape is not None and not re.fullmatch(shape, value)
            ):
                raise Unsupported("a value that breaks its own format")
        return 0, b"", tuple(v.encode() for v in values)
    return FORMATS.get(fmt or "", 0), (prefix or "").encode(), None


def _object(node: Node) -> tuple[int, Any]:
    if node.free_form:
        return FREE, None
    if node.values is not None:
        return MAP, type_program(node.values)
    return STRUCT, _fields(node)
