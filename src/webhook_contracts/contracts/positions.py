"""Deciding each position of a contract from the provider's OpenAPI and the evidence of the examples.

:class:`ContractBuilder` walks an event's normalised OpenAPI schema and decides
type, presence, enum, format and identifier prefix at every position (the
rules are listed in :mod:`.reconcile`), recording for each one a
:class:`FieldRow`: what each source says and what the contract decided.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ..diff.schemas import DOCUMENTED_KEY
from ..values.formats import prefix_pattern
from ..values.jsontypes import FREE_FORM_KEYS, in_schema_order
from ..values.pointer import ANY_ITEM, append_pointer
from .docpage import DocPage
from .evidence import EXAMPLE, PAGE, Evidence, is_open, sources_at
from .inference import Shape, render
from .normalise import make_nullable, ref_of, schema_types, types_keyword
from .openapi import ProviderEvent, ProviderSpec


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


def owner_of_event(event: str) -> str:
    return f"event {event}"


class ContractBuilder:
    """Decides every position, once per owner (definitions are shared by the events)."""

    def __init__(self, spec: ProviderSpec, evidence: Evidence) -> None:
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
            documented = in_schema_order(doc.json_types)
            if prop is None:
                prop = properties[doc.name] = {"type": documented[0] if len(documented) == 1 else documented}
                if not documented:
                    del prop["type"]
                self._row(
                    owner,
                    append_pointer("", doc.name),
                    "field list: " + ("|".join(documented) or "any"),
                    "absent",
                    _describe(prop, "optional"),
                    (PAGE,),
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
                        append_pointer("", doc.name),
                        f"field list: {'|'.join(sorted(stated))}",
                        "",
                        _describe(prop, ""),
                        (PAGE,),
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
        page = self.evidence.at(owner, path, PAGE)
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
                notes.append(f"{'|'.join(in_schema_order(extra))} in {who} where the OpenAPI says {_label(stated)}")
        out: dict[str, Any] = {}
        if types:
            out["type"] = types_keyword(types)
        if "description" in node:
            out["description"] = node["description"]
        if "object" in types:
            self._object(node, out, owner, path, seen, notes, key)
        if "array" in types and isinstance(node.get("items"), dict):
            out["items"] = self.build(node["items"], owner, append_pointer(path, ANY_ITEM), None, required=True)
        elif "array" in types and seen is not None and seen.items is not None:
            out["items"] = self.build(None, owner, append_pointer(path, ANY_ITEM), None, required=True)
        self._scalars(node, out, types, seen, notes, key, owner, path)
        sources = sources_at(True, self.evidence, owner, path)
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
                f"{'|'.join(in_schema_order(other))} in {who} where the OpenAPI says {ref}; "
                "not accepted (the contract keeps the definition)"
            )
        self._row(
            owner,
            path,
            _describe_shape(page),
            _describe(node, ""),
            _describe(out, presence),
            sources_at(True, self.evidence, owner, path),
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
            sources_at(False, self.evidence, owner, path),
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
            out["additionalProperties"] = self.build(values, owner, append_pointer(path, ANY_ITEM), None, required=True)
            return
        if key in FREE_FORM_KEYS or is_open(node):
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
            child_path = append_pointer(path, name)
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
            for source, label in ((PAGE, "a doc page's example"), (EXAMPLE, "an OpenAPI example"))
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


def _label(types: Iterable[str]) -> str:
    return "|".join(in_schema_order(types)) or "any"


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
