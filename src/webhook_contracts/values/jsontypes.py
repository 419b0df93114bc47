"""JSON type names: the one list, and the name of a parsed value."""

from __future__ import annotations

from typing import Any

#: The seven JSON Schema type names, sorted.
JSON_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")


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
