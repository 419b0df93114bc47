"""Turn the doc pages of one API version into event contracts with shared definitions.

A provider's object (a customer, a campaign, an order, ...) is recognised by
its tag or its id prefix (:meth:`~webhook_contracts.providers.Provider.object_kind`). Every
such object documented at the top level of an event becomes a shared
definition, merged across all events of the API version; nested objects of
the same kind reference it too when they carry every field it requires.
Where events disagree about a definition, the merged definition accepts both
and the disagreement is returned as data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..providers import Provider, default_provider
from ..values.jsontypes import JSON_TYPES
from .docpage import DocPage
from .inference import DRAFT, Shape, iter_shape_paths, merge_all, render, shape_of
from .registry import META_KEY


@dataclass(frozen=True)
class Disagreement:
    """Two or more events' examples describe a shared definition differently."""

    definition: str
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.definition}{self.path or '/'}: {self.detail}"


@dataclass(frozen=True)
class ContractSet:
    """The contracts of one API version, as built from its doc pages."""

    api_version: str
    schemas: dict[str, dict[str, Any]]
    disagreements: tuple[Disagreement, ...]


def definition_name(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("_"))


def _iter_objects(value: Any, depth: int) -> Iterator[tuple[dict[str, Any], int]]:
    if isinstance(value, dict):
        yield value, depth
        for child in value.values():
            yield from _iter_objects(child, depth + 1)
    elif isinstance(value, list):
        for child in value:
            yield from _iter_objects(child, depth + 1)


class _Definitions:
    """Decides which objects stand for shared definitions, and collects them."""

    def __init__(self, pages: list[DocPage], provider: Provider) -> None:
        self.provider = provider
        top: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for page in pages:
            for example in page.examples:
                for value in example.values():
                    if isinstance(value, dict) and (kind := provider.object_kind(value)):
                        top[definition_name(kind)].append((page.event, value))
        self.required = {name: set.intersection(*(set(obj) for _, obj in occ)) for name, occ in top.items()}
        self.occurrences = top
        for page in pages:
            for example in page.examples:
                for obj, depth in _iter_objects(example, 0):
                    if depth >= 2 and (name := self.ref_for(obj, depth)):
                        self.occurrences[name].append((page.event, obj))

    def ref_for(self, obj: dict[str, Any], depth: int) -> str | None:
        kind = self.provider.object_kind(obj)
        if kind is None:
            return None
        name = definition_name(kind)
        if name not in self.required:
            return None
        if depth == 1 or self.required[name] <= obj.keys():
            return name
        return None

    def shape(self, name: str, event: str | None = None) -> Shape:
        return merge_all(
            shape_of(obj, self.ref_for, 1, self.provider)
            for source, obj in self.occurrences[name]
            if event is None or source == event
        )

    def sources(self, name: str) -> list[str]:
        return sorted({source for source, _ in self.occurrences[name]})


def build_contracts(
    pages: list[DocPage], *, source_paths: dict[str, str] | None = None, provider: Provider | None = None
) -> ContractSet:
    """Contracts for every event documented by *pages* (all of one API version) of *provider*."""
    provider = provider or default_provider()
    if not pages:
        raise ValueError("no doc pages")
    versions = {page.api_version for page in pages}
    if len(versions) != 1:
        raise ValueError(f"pages of several API versions: {sorted(versions)}")
    defs = _Definitions(pages, provider)
    rendered = {name: render(defs.shape(name), inline=True, provider=provider) for name in sorted(defs.occurrences)}
    schemas = {}
    for page in sorted(pages, key=lambda p: p.event):
        source = (source_paths or {}).get(page.event, page.source)
        schemas[page.event] = _event_schema(page, defs, rendered, source)
    return ContractSet(
        api_version=versions.pop(),
        schemas=schemas,
        disagreements=tuple(_disagreements(defs)),
    )


def _event_schema(
    page: DocPage, defs: _Definitions, rendered: dict[str, dict[str, Any]], source: str
) -> dict[str, Any]:
    provider = defs.provider
    body = render(
        merge_all(shape_of(example, defs.ref_for, 0, provider) for example in page.examples),
        inline=True,
        provider=provider,
    )
    properties: dict[str, Any] = body.setdefault("properties", {})
    for doc in page.fields:
        prop = properties.get(doc.name)
        documented = [t for t in JSON_TYPES if t in doc.json_types]
        if prop is None:
            # Named in the field list, absent from every example: optional.
            prop = properties[doc.name] = {"type": documented[0]} if len(documented) == 1 else {}
            if len(documented) > 1:
                prop["type"] = documented
        elif prop.get("type") == "null" and documented:
            # Only ever shown as null: keep what the field list says it is.
            prop["type"] = [*(t for t in documented if t != "null"), "null"]
        if doc.type_name:
            prop["title"] = doc.type_name
        if doc.description:
            prop["description"] = doc.description
    body["properties"] = dict(sorted(properties.items()))
    used = _referenced(body, rendered)
    schema: dict[str, Any] = {"$schema": DRAFT, "title": page.event}
    if page.description:
        schema["description"] = page.description
    schema.update(body)
    if used:
        schema["$defs"] = {name: rendered[name] for name in sorted(used)}
    schema[META_KEY] = {
        "event": page.event,
        "api_version": page.api_version,
        "source": {"page": source, "sha256": page.sha256, "last_modified": page.last_modified},
        "definitions": {name: defs.sources(name) for name in sorted(used)},
    }
    return schema


def _referenced(node: Any, rendered: dict[str, dict[str, Any]]) -> set[str]:
    """Names of every definition *node* needs, transitively."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref.removeprefix("#/$defs/")
                if name not in found:
                    found.add(name)
                    stack.append(rendered[name])
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return found


def _disagreements(defs: _Definitions) -> Iterator[Disagreement]:
    for name in sorted(defs.occurrences):
        events = defs.sources(name)
        if len(events) < 2:
            continue
        flat = {event: dict(iter_shape_paths(defs.shape(name, event))) for event in events}
        paths = sorted(set().union(*flat.values()))
        for path in paths:
            having = [e for e in events if path in flat[e]]
            parent = path.rsplit("/", 1)[0]
            if len(having) != len(events):
                # Report only the root of a subtree some events lack.
                if parent and any(parent not in flat[e] for e in events if e not in having):
                    continue
                missing = [e for e in events if e not in having]
                yield Disagreement(name, path, f"only in {', '.join(having)}; not in {', '.join(missing)}")
                continue
            types = {e: sorted(flat[e][path].types) for e in events}
            if len({tuple(t) for t in types.values()}) > 1:
                detail = "; ".join(f"{'|'.join(t)} in {e}" for e, t in types.items())
                yield Disagreement(name, path, f"types differ: {detail}")
