"""JSON Pointers (RFC 6901): the one implementation every module uses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def escape_pointer(key: str) -> str:
    """RFC 6901 escaping of one reference token."""
    return key.replace("~", "~0").replace("/", "~1")


def unescape_pointer(token: str) -> str:
    """Inverse of :func:`escape_pointer`."""
    return token.replace("~1", "/").replace("~0", "~")


def resolve_pointer(document: Any, pointer: str, default: Any = None) -> Any:
    """The value at the JSON Pointer *pointer* (RFC 6901) in *document*, or *default* where there is none."""
    node = document
    for token in pointer.split("/")[1:] if pointer not in ("", "/") else []:
        token = unescape_pointer(token)
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return default
    return node


def to_pointer(parts: Iterator[Any] | list[Any]) -> str:
    return "".join(f"/{escape_pointer(str(p))}" for p in parts)
