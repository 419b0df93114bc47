"""Reconcile the two sources of a contract, field by field: the provider's OpenAPI and the doc pages.

Evidence is what the provider shows it sends: the examples of the doc pages
and the official examples of the OpenAPI document. Each example is walked
beside the event's normalised OpenAPI schema, so what an example shows inside
a shared definition (a customer, a voucher) is evidence about that definition,
merged across every event that uses it. Then each position is decided:

- **type**: what the OpenAPI declares, widened by what the examples show (a
  field the docs only show as `null` takes its type from the OpenAPI, plus `null`);
- **presence**: *required* (the provider promises it), *documented* (every
  example has it, the OpenAPI calls it optional: `x-documented`) or optional;
- **enum** and **format** from the OpenAPI, widened where an example breaks
  them; identifier prefixes inferred from the examples;
- fields only the OpenAPI knows are optional; fields only the examples show
  stay, typed by the examples;
- where the provider contradicts itself (an example breaks its own schema),
  the contract accepts what is really sent and the contradiction is reported.

Every position records which source said what (:class:`FieldRow`), for the
reconciliation report and the `provenance` of each schema.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..diff.schemas import DOCUMENTED_KEY
from ..providers import Provider, default_provider
from ..values.formats import prefix_pattern
from ..values.pointer import escape_pointer
from .build import META_KEY, Disagreement, _referenced
from .docpage import DocPage
from .inference import DRAFT, EMPTY, FREE_FORM_KEYS, Shape, merge, render, shape_of
from .openapi import ProviderEvent, ProviderSpec, make_nullable, ref_of, schema_types, types_keyword

_TYPE_ORDER = ("object", "array", "string", "integer", "number", "boolean", "null")
_PAGE, _SPEC, _EXAMPLE = "page", "openapi", "openapi-example"


@dataclass(frozen=True)
class FieldRow:
    """What each source says about one position, and what the contract decided."""

    owner: str
    path: str
    page: str
    openapi: str
    decided: str
    sources: tuple[str, ...]
    disagreements: tuple[str, ...] = ()


@dataclass(frozen=True)
class Reconciled:
    """The contracts of one API version, built from an OpenAPI document and doc pages."""

    api_version: str
    schemas: dict[str, dict[str, Any]]
    rows: tuple[FieldRow, ...]
    disagreements: tuple[Disagreement, ...]
    #: Owner ("event X" or a definition name) -> the events whose contract holds it.
    owners: dict[str, tuple[str, ...]] = field(default_factory=dict)


def owner_of_event(event: str) -> str:
    return f"event {event}"


class _Evidence:
    """Shapes of the examples, by (owner, JSON Pointer inside the owner), for pages and spec examples."""

    def __init__(self, definitions: dict[str, dict[str, Any]], provider: Provider) -> None:
        self.definitions = definitions
        self.provider = provider
        self.by_source: dict[str, dict[tuple[str, str], Shape]] = {_PAGE: {}, _EXAMPLE: {}}

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
                self._collect(store, child, props[key], owner, f"{path}/{escape_pointer(key)}", depth + 1)
            elif values is not None and not props:
                self._collect(store, child, values, owner, f"{path}/*", depth + 1)
            elif not _is_open(node):
                self._collect(store, child, None, owner, f"{path}/{escape_pointer(key)}", depth + 1)
        if shape.items is not None and "items" in node:
            self._collect(store, shape.items, node["items"], owner, f"{path}/*", depth + 1)

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


def _is_open(node: dict[str, Any]) -> bool:
    """An object the provider leaves open (no properties): examples do not close it."""
    return "object" in schema_types(node) and not node.get("properties") and "additionalProperties" not in node


def reconcile(spec: ProviderSpec, pages: Iterable[DocPage], *, provider: Provider | None = None) -> Reconciled:
    """Contracts for the events of *spec* (and of *pages*), reconciled with the doc pages, of *provider*."""
    provider = provider or default_provider()
    pages = sorted(pages, key=lambda p: p.event)
    by_event = {p.event: p for p in pages}
    events: dict[str, ProviderEvent] = dict(spec.events)
    for page in pages:
        if page.event not in events:
            # A page of an event the document does not describe: the examples alone decide.
            events[page.event] = ProviderEvent(page.event, "", {"type": "object"})
    evidence = _Evidence(spec.definitions, provider)
    for name, event in sorted(events.items()):
        owner = owner_of_event(name)
        for example in event.examples:
            evidence.add(_EXAMPLE, example, event.schema, owner)
        if name in by_event:
            for example in by_event[name].examples:
                evidence.add(_PAGE, example, event.schema, owner)
    builder = _Builder(spec, evidence)
    bodies = {name: builder.event_body(event, by_event.get(name)) for name, event in sorted(events.items())}
    users: dict[str, set[str]] = {}
    used_by_event: dict[str, set[str]] = {}
    for name, body in bodies.items():
        used_by_event[name] = _referenced(body, builder.defs)
        for definition in used_by_event[name]:
            users.setdefault(definition, set()).add(name)
    schemas: dict[str, dict[str, Any]] = {}
    for name, body in bodies.items():
        doc = by_event.get(name)
        used = sorted(used_by_event[name])
        schema: dict[str, Any] = {"$schema": DRAFT, "title": name}
        description = (doc.description if doc else None) or body.pop("description", None)
        body.pop("description", None)
        if description:
            schema["description"] = description
        schema.update(body)
        if used:
            schema["$defs"] = {d: builder.defs[d] for d in used}
        schema[META_KEY] = {
            "event": name,
            "api_version": spec.api_version,
            "source": {
                "page": doc.source if doc else None,
                "sha256": doc.sha256 if doc else None,
                "last_modified": doc.last_modified if doc else None,
                "openapi": spec.source if name in spec.events else None,
                "openapi_sha256": spec.sha256 if name in spec.events else None,
            },
            "definitions": {d: sorted(users[d]) for d in used},
            "provenance": {
                owner: builder.provenance[owner]
                for owner in (owner_of_event(name), *used)
                if owner in builder.provenance
            },
        }
        schemas[name] = schema
    owners = {owner_of_event(e): (e,) for e in bodies} | {d: tuple(sorted(u)) for d, u in users.items()}
    rows = tuple(r for r in builder.rows if r.owner in owners)
    disagreements = tuple(Disagreement(r.owner, r.path, d) for r in rows for d in r.disagreements) + tuple(
        Disagreement("openapi", note.pointer, note.detail) for note in spec.notes
    )
    return Reconciled(spec.api_version, schemas, rows, disagreements, owners)


class _Builder:
    """Decides every position, once per owner (definitions are shared by the events)."""

    def __init__(self, spec: ProviderSpec, evidence: _Evidence) -> None:
        self.spec = spec
        self.evidence = evidence
        self.defs: dict[str, dict[str, Any]] = {}
        self.rows: list[FieldRow] = []
        self.provenance: dict[str, dict[str, str]] = {}
        self._building: set[str] = set()

    def event_body(self, event: ProviderEvent, page: DocPage | None) -> dict[str, Any]:
        owner = owner_of_event(event.name)
        body = self.build(event.schema, owner, "", None, required=True)
        if page is not None:
            self._apply_field_list(body, page, owner)
        return body

    def _apply_field_list(self, body: dict[str, Any], page: DocPage, owner: str) -> None:
        """The page's field list: descriptions where the OpenAPI has none, and disagreements on types."""
        properties = body.setdefault("properties", {})
        for doc in page.fields:
            prop = properties.get(doc.name)
            documented = [t for t in _TYPE_ORDER if t in doc.json_types]
            if prop is None:
                prop = properties[doc.name] = {"type": documented[0] if len(documented) == 1 else documented}
                if not documented:
                    del prop["type"]
                self._row(
                    owner,
                    f"/{escape_pointer(doc.name)}",
                    "field list: " + ("|".join(documented) or "any"),
                    "absent",
                    _describe(prop, "optional"),
                    (_PAGE,),
                    ("only the page's field list names it",),
                )
            else:
                decided = set(schema_types(prop)) - {"null"}
                stated = set(documented) - {"null"}
                if stated and decided and not stated <= decided | ({"integer"} if "number" in decided else set()):
                    detail = (
                        f"the field list says {'|'.join(sorted(stated))}, the contract has {'|'.join(sorted(decided))}"
                    )
                    self._row(
                        owner,
                        f"/{escape_pointer(doc.name)}",
                        f"field list: {'|'.join(sorted(stated))}",
                        "",
                        _describe(prop, ""),
                        (_PAGE,),
                        (detail,),
                    )
            if doc.description and "description" not in prop and "$ref" not in prop:
                prop["description"] = doc.description
        body["properties"] = dict(sorted(properties.items()))

    # -- one position ----------------------------------------------------------------------

    def definition(self, name: str) -> None:
        if name in self.defs or name in self._building:
            return
        self._building.add(name)
        try:
            self.defs[name] = self.build(self.spec.definitions[name], name, "", None, required=True)
        finally:
            self._building.discard(name)

    def build(
        self,
        node: dict[str, Any] | None,
        owner: str,
        path: str,
        key: str | None,
        *,
        required: bool,
        presence: str = "",
    ) -> dict[str, Any]:
        page = self.evidence.at(owner, path, _PAGE)
        seen = self.evidence.at(owner, path)
        if node is None:
            return self._examples_only(seen, owner, path, key, page, presence)
        ref, nullable = ref_of(node)
        if ref is not None and ref in self.spec.definitions:
            return self._reference(node, ref, nullable, owner, path, seen, page, presence)
        notes: list[str] = []
        stated = set(schema_types(node))
        types = set(stated)
        if seen is not None and types:
            extra = set(seen.types) - types - ({"integer"} if "number" in types else set())
            if extra:
                types |= extra
                who = self._who(owner, path, lambda shape: bool(set(shape.types) & extra))
                notes.append(f"{'|'.join(_ordered(extra))} in {who} where the OpenAPI says {_label(stated)}")
        out: dict[str, Any] = {}
        if types:
            out["type"] = types_keyword(types)
        if "description" in node:
            out["description"] = node["description"]
        if "object" in types:
            self._object(node, out, owner, path, seen, notes, key)
        if "array" in types and isinstance(node.get("items"), dict):
            out["items"] = self.build(node["items"], owner, f"{path}/*", None, required=True)
        elif "array" in types and seen is not None and seen.items is not None:
            out["items"] = self.build(None, owner, f"{path}/*", None, required=True)
        self._scalars(node, out, types, seen, notes, key, owner, path)
        sources = _sources(True, self.evidence, owner, path)
        self._row(
            owner,
            path,
            _describe_shape(page),
            _describe(node, "required" if required else "optional"),
            _describe(out, presence or ("required" if required else "optional")),
            sources,
            tuple(notes),
        )
        return out

    def _reference(
        self,
        node: dict[str, Any],
        ref: str,
        nullable: bool,
        owner: str,
        path: str,
        seen: Shape | None,
        page: Shape | None,
        presence: str,
    ) -> dict[str, Any]:
        self.definition(ref)
        out = dict(node)
        notes = []
        if seen is not None and "null" in seen.types and not nullable:
            out = make_nullable(out)
            who = self._who(owner, path, lambda shape: "null" in shape.types)
            notes.append(f"null in {who} where the OpenAPI does not allow it")
        if seen is not None and set(seen.types) - {"object", "null"}:
            other = set(seen.types) - {"object", "null"}
            who = self._who(owner, path, lambda shape: bool(set(shape.types) & other))
            notes.append(
                f"{'|'.join(_ordered(other))} in {who} where the OpenAPI says {ref}; "
                "not accepted (the contract keeps the definition)"
            )
        self._row(
            owner,
            path,
            _describe_shape(page),
            _describe(node, ""),
            _describe(out, presence),
            _sources(True, self.evidence, owner, path),
            tuple(notes),
        )
        return out

    def _examples_only(
        self,
        seen: Shape | None,
        owner: str,
        path: str,
        key: str | None,
        page: Shape | None,
        presence: str,
    ) -> dict[str, Any]:
        out = _demote(render(seen, key=key, provider=self.evidence.provider)) if seen is not None else {}
        self._row(
            owner,
            path,
            _describe_shape(page),
            "absent",
            _describe(out, presence),
            _sources(False, self.evidence, owner, path),
            (),
        )
        return out

    def _object(
        self,
        node: dict[str, Any],
        out: dict[str, Any],
        owner: str,
        path: str,
        seen: Shape | None,
        notes: list[str],
        key: str | None,
    ) -> None:
        props: dict[str, Any] = dict(node.get("properties") or {})
        values = node.get("additionalProperties") if isinstance(node.get("additionalProperties"), dict) else None
        if values is not None and not props:
            out["additionalProperties"] = self.build(values, owner, f"{path}/*", None, required=True)
            return
        if key in FREE_FORM_KEYS or _is_open(node):
            return
        promised = [r for r in node.get("required", []) if isinstance(r, str)]
        for name in promised:
            props.setdefault(name, {})
        seen_props = seen.prop_map if seen is not None else {}
        objects = seen.objects if seen is not None else 0
        required, documented = [], []
        for name in promised:
            child = seen_props.get(name)
            if objects and (child is None or child.count < objects):
                who = self._who(owner, path, functools.partial(_omits, name=name))
                notes.append(
                    f"`{name}`, which the OpenAPI requires, is missing from {who}; the contract makes it optional"
                )
            else:
                required.append(name)
        for name, child in seen_props.items():
            if name not in required and objects and child.count == objects:
                documented.append(name)
        built = {}
        for name in sorted(set(props) | set(seen_props)):
            child_path = f"{path}/{escape_pointer(name)}"
            presence = "required" if name in required else "documented" if name in documented else "optional"
            built[name] = self.build(
                props.get(name), owner, child_path, name, required=name in required, presence=presence
            )
        if built:
            out["properties"] = built
        if required:
            out["required"] = sorted(required)
        if documented:
            out[DOCUMENTED_KEY] = sorted(documented)

    def _scalars(
        self,
        node: dict[str, Any],
        out: dict[str, Any],
        types: set[str],
        seen: Shape | None,
        notes: list[str],
        key: str | None,
        owner: str = "",
        path: str = "",
    ) -> None:
        strings = seen is not None and "string" in seen.types
        fmt = node.get("format")
        if isinstance(fmt, str) and "string" in types:
            if strings and seen is not None and seen.formats is not None and fmt not in seen.formats:
                who = self._who(owner, path, lambda shape: shape.formats is not None and fmt not in shape.formats)
                notes.append(f"not a valid {fmt} in {who}; the contract drops the format")
            else:
                out["format"] = fmt
        if "string" in types and seen is not None and seen.prefixes and len(seen.prefixes) == 1:
            out["pattern"] = prefix_pattern(next(iter(seen.prefixes)))
        enum = node.get("enum")
        if isinstance(enum, list):
            values = list(enum)
            if seen is not None and not seen.many_values:
                outside = sorted(v for v in seen.values if v not in values)
                if outside:
                    who = self._who(owner, path, lambda shape: bool(set(shape.values) - set(values)))
                    notes.append(f"{len(outside)} value(s) outside the OpenAPI enum in {who}; the contract adds them")
                    values.extend(outside)
            if "null" in types and None not in values:
                values.append(None)
            non_null = [v for v in values if v is not None]
            tag = key in self.evidence.provider.tag_keys
            if tag and len(non_null) == 1 and isinstance(non_null[0], str) and "null" not in types:
                out["const"] = non_null[0]
            else:
                out["enum"] = values
        # Where the OpenAPI allows any string (`"object": {"type": "string", "default": "voucher"}`), the
        # contract does too: a tag is pinned from the examples only where the OpenAPI does not describe it.

    def _who(self, owner: str, path: str, breaks: Callable[[Shape], bool]) -> str:
        """Which examples break the OpenAPI at a position: the doc pages', the OpenAPI's own, or both."""
        found = [
            label
            for source, label in ((_PAGE, "a doc page's example"), (_EXAMPLE, "an OpenAPI example"))
            if (shape := self.evidence.at(owner, path, source)) is not None and breaks(shape)
        ]
        return " and ".join(found) or "an example"

    def _row(
        self,
        owner: str,
        path: str,
        page: str,
        openapi: str,
        decided: str,
        sources: tuple[str, ...],
        notes: tuple[str, ...],
    ) -> None:
        self.rows.append(FieldRow(owner, path, page, openapi, decided, sources, notes))
        if path:
            self.provenance.setdefault(owner, {})[path] = "+".join(sources)


def _omits(shape: Shape, *, name: str) -> bool:
    child = shape.prop_map.get(name)
    return shape.objects > 0 and (child is None or child.count < shape.objects)


def _demote(schema: dict[str, Any]) -> dict[str, Any]:
    """An examples-only subtree: what every example has is documented, not promised."""
    out = dict(schema)
    if "required" in out:
        out[DOCUMENTED_KEY] = out.pop("required")
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: _demote(v) for k, v in out["properties"].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(out.get(key), dict):
            out[key] = _demote(out[key])
    return out


def _sources(in_spec: bool, evidence: _Evidence, owner: str, path: str) -> tuple[str, ...]:
    out = [_SPEC] if in_spec else []
    if evidence.at(owner, path, _PAGE) is not None:
        out.append(_PAGE)
    if evidence.at(owner, path, _EXAMPLE) is not None:
        out.append(_EXAMPLE)
    return tuple(out)


def _ordered(types: Iterable[str]) -> list[str]:
    found = set(types)
    return [t for t in _TYPE_ORDER if t in found]


def _label(types: Iterable[str]) -> str:
    return "|".join(_ordered(types)) or "any"


def _describe(node: dict[str, Any], presence: str) -> str:
    """A one-line summary of a position of a schema, for the reconciliation report."""
    ref, nullable = ref_of(node)
    text = f"{ref}{'|null' if nullable else ''}" if ref is not None else _label(schema_types(node))
    parts = [text]
    if presence:
        parts.append(presence)
    if "format" in node:
        parts.append(f"format {node['format']}")
    if "const" in node:
        parts.append(f"const {node['const']}")
    if "enum" in node:
        parts.append(f"enum of {len([v for v in node['enum'] if v is not None])}")
    if "pattern" in node:
        parts.append(f"pattern {node['pattern']}")
    return ", ".join(parts)


def _describe_shape(shape: Shape | None) -> str:
    if shape is None:
        return ""
    return _label(shape.types)
