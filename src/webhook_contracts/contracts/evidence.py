"""The evidence of a reconciliation: what the examples show, position by position.

Each example (a doc page's, or one of the OpenAPI document's own) is walked
beside the event's normalised OpenAPI schema; what it shows inside a shared
definition (a customer, a voucher) is filed under that definition, merged
across every event that uses it. :mod:`.positions` then reads it back.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..providers import Provider
from ..values.pointer import ANY_ITEM, append_pointer
from .inference import EMPTY, Shape, merge, shape_of
from .normalise import ref_of, schema_types

#: The sources a position can be known from: a doc page's example, the OpenAPI schema, an OpenAPI example.
PAGE, SPEC, EXAMPLE = "page", "openapi", "openapi-example"


class Evidence:
    """Shapes of the examples, by (owner, JSON Pointer inside the owner), for pages and spec examples."""

    def __init__(self, definitions: dict[str, dict[str, Any]], provider: Provider) -> None:
        self.definitions = definitions
        self.provider = provider
        self.by_source: dict[str, dict[tuple[str, str], Shape]] = {PAGE: {}, EXAMPLE: {}}

    def add(self, source: str, example: dict[str, Any], root: dict[str, Any], owner: str) -> None:
        self._collect(self.by_source[source], shape_of(example, provider=self.provider), root, owner, "", 0)

    def _collect(
        self,
        store: dict[tuple[str, str], Shape],
        shape: Shape,
        node: dict[str, Any] | None,
        owner: str,
        path: str,
        depth: int,
    ) -> None:
        if node is not None:
            ref, _ = ref_of(node)
            if ref is not None and ref in self.definitions:
                store[(owner, path)] = merge(store.get((owner, path), EMPTY), _top(shape))
                if shape.types == frozenset({"null"}):
                    return
                # The definition describes the object; a null is the referring position's business.
                shape = dataclasses.replace(shape, types=shape.types - {"null"}, count=shape.objects or shape.count)
                owner, path, node = ref, "", self.definitions[ref]
        store[(owner, path)] = merge(store.get((owner, path), EMPTY), shape)
        if node is None or depth > 64:
            return  # a position only the examples show: the whole subtree is kept above
        props = node.get("properties") or {}
        values = node.get("additionalProperties") if isinstance(node.get("additionalProperties"), dict) else None
        for key, child in shape.props:
            if key in props:
                self._collect(store, child, props[key], owner, append_pointer(path, key), depth + 1)
            elif values is not None and not props:
                self._collect(store, child, values, owner, append_pointer(path, ANY_ITEM), depth + 1)
            elif not is_open(node):
                self._collect(store, child, None, owner, append_pointer(path, key), depth + 1)
        if shape.items is not None and "items" in node:
            self._collect(store, shape.items, node["items"], owner, append_pointer(path, ANY_ITEM), depth + 1)

    def at(self, owner: str, path: str, source: str | None = None) -> Shape | None:
        if source is not None:
            return self.by_source[source].get((owner, path))
        found = [s[(owner, path)] for s in self.by_source.values() if (owner, path) in s]
        if not found:
            return None
        out = EMPTY
        for shape in found:
            out = merge(out, shape)
        return out


def _top(shape: Shape) -> Shape:
    """Only what a shape says about its own position (its types), not what is below."""
    return Shape(count=shape.count, types=shape.types, objects=shape.objects)


def is_open(node: dict[str, Any]) -> bool:
    """An object the provider leaves open (no properties): examples do not close it."""
    return "object" in schema_types(node) and not node.get("properties") and "additionalProperties" not in node


def sources_at(in_spec: bool, evidence: Evidence, owner: str, path: str) -> tuple[str, ...]:
    """The sources that know a position: the OpenAPI (when *in_spec*), then the examples that show it."""
    out = [SPEC] if in_spec else []
    if evidence.at(owner, path, PAGE) is not None:
        out.append(PAGE)
    if evidence.at(owner, path, EXAMPLE) is not None:
        out.append(EXAMPLE)
    return tuple(out)
