"""JSON Pointers (RFC 6901): the one implementation every module uses.

Two kinds of path are built here. A *pointer* names one place in one
document (`/items/0/id`). A *field path* names a field of a contract, whatever
the array index: every list index is the token ``*`` (`/items/*/id`), which
is how contracts, findings and reports name fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

#: The token that stands for any item of an array (or any value of a map) in a field path.
ANY_ITEM = "*"


def escape_pointer(key: str) -> str:
    """RFC 6901 escaping of one reference token."""
    return key.replace("~", "~0").replace("/", "~1")


def unescape_pointer(token: str) -> str:
    """Inverse of :func:`escape_pointer`."""
    return token.replace("~1", "/").replace("~0", "~")


def append_pointer(pointer: str, token: Any) -> str:
    """*pointer* one level down: *token* (a key or an index) escaped and appended."""
    text = token if token.__class__ is str else str(token)
    if "~" in text or "/" in text:  # rare: most keys need no escaping, and contracts have thousands
        text = escape_pointer(text)
    return f"{pointer}/{text}"


def to_pointer(parts: Iterable[Any]) -> str:
    """The JSON Pointer of a list of keys and indices (the root for none)."""
    return "".join(f"/{escape_pointer(str(p))}" for p in parts)


def to_field_path(parts: Iterable[Any]) -> str:
    """The field path of a list of keys and indices: list indices (the only non-string keys JSON has) become `*`."""
    return "".join(f"/{ANY_ITEM}" if isinstance(p, int) else f"/{escape_pointer(str(p))}" for p in parts)


def pointer_tokens(pointer: str) -> list[str]:
    """The reference tokens of *pointer*, unescaped (none for the root, ``""``)."""
    return [unescape_pointer(token) for token in pointer.split("/")[1:]]


def parent_pointer(pointer: str) -> str:
    """*pointer* one level up (the root stays the root)."""
    return pointer.rsplit("/", 1)[0]


def _step(node: Any, token: str, default: Any) -> Any:
    if isinstance(node, dict) and token in node:
        return node[token]
    if isinstance(node, list) and token.isdigit() and int(token) < len(node):
        return node[int(token)]
    return default


def resolve_pointer(document: Any, pointer: str, default: Any = None) -> Any:
    """The value at the JSON Pointer *pointer* (RFC 6901) in *document*, or *default* where there is none."""
    node = document
    for token in pointer_tokens(pointer) if pointer not in ("", "/") else []:
        node = _step(node, token, _MISSING)
        if node is _MISSING:
            return default
    return node


def iter_pointer_nodes(document: Any, pointer: str) -> Iterator[Any]:
    """The values *pointer* passes through in *document*, below the root, up to where it stops resolving."""
    node = document
    for token in pointer_tokens(pointer):
        node = _step(node, token, _MISSING)
        if node is _MISSING:
            return
        yield node


_MISSING = object()
