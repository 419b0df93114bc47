"""JSON type names: the one list, the order contracts write them in, the name of a parsed value; free-form keys."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: Keys whose objects are free-form by design: a contract leaves them open, drift and the diff do not look inside.
FREE_FORM_KEYS = frozenset({"metadata"})

#: The seven JSON Schema type names, sorted (the order doc pages' `a|b` types are read in).
JSON_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")

#: The same names in the order a contract's `type` list is written in: containers first,
#: then the scalars, `null` last, so `["string", "null"]` reads "a string, or nothing".
#: Inference, reconciliation, the OpenAPI reader, the schema diff and the drift fast path
#: all list types this way, so one set of types is always written the same way.
SCHEMA_ORDER = ("object", "array", "string", "integer", "number", "boolean", "null")

#: JSON type by Python type, for the values a JSON parser produces: one dict lookup on the
#: exact type (`bool` is not taken for `int`), for hot loops; :func:`json_type` is the general case.
JSON_TYPE_OF: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


def in_schema_order(types: Iterable[str]) -> list[str]:
    """The JSON type names among *types*, in :data:`SCHEMA_ORDER` (anything else is dropped)."""
    found = set(types)
    return [t for t in SCHEMA_ORDER if t in found]


def json_type(value: Any) -> str:
    """The JSON type name of a parsed value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
