"""Normalise OpenAPI schemas into the contracts' own dialect.

The contracts are written in a small dialect (`type`, `properties`,
`required`, `enum`, `const`, `format`, `items`, `additionalProperties` for
maps, local `$ref`s into `$defs`, `anyOf: [{$ref}, {type: null}]` for a
nullable reference). :class:`Normaliser` turns the schemas of one OpenAPI
document into it, reading what real provider documents mean rather than what
they literally say:

- OpenAPI 3.0's `nullable: true` (still common in 3.1 documents, also beside
  a `$ref`) adds `null`;
- `allOf` is one object with the properties and required fields of all its
  members. Members that each close with `additionalProperties: false` would,
  read literally, only be satisfied by `null`; the intent is "these properties
  together", and that is how it is read (each such `allOf` is noted);
- `oneOf` and `anyOf` accept what any branch accepts: types, properties and
  enum values are united, a field is required only where every object branch
  requires it (branches that overlap are thus harmless);
- `example`, `examples`, `readOnly`, `writeOnly`, `default` and `deprecated`
  are annotations for other readers and are dropped;
- `$ref` chains are followed; a component that is an object with properties
  becomes a shared definition (`$defs/<Name>`), so a `$ref` cycle is just a
  recursive definition; a cycle through `allOf` (an object made of itself) is
  an error.

Nothing is ever fetched: a `$ref` that is not a local JSON Pointer is an
error. Errors name the file and the JSON Pointer.

Written by hand because the converters we know (openapi-schema-to-json-schema
and friends) translate keywords literally: they keep the `allOf` that only
`null` satisfies and they do not flatten compositions into the field-by-field
form the drift walker and the fast path need.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import ProviderSpecError
from ..values.formats import FORMATS
from ..values.jsontypes import in_schema_order
from ..values.pointer import append_pointer, resolve_pointer, unescape_pointer

#: Nesting followed in a schema before giving up (composition inside composition ...).
MAX_DEPTH = 64
_COMPONENT = "#/components/schemas/"
_KEPT_ANNOTATIONS = ("description",)
_MISSING = object()


@dataclass(frozen=True)
class SpecNote:
    """Something the provider's document says that cannot be taken literally."""

    pointer: str
    detail: str

    def __str__(self) -> str:
        return f"{self.pointer}: {self.detail}"


def definition_name(component: str) -> str:
    """A `$defs` name for a component: letters, digits and `_`, starting with a letter."""
    cleaned = re.sub(r"[^0-9A-Za-z_]", "_", component)
    return cleaned if cleaned[:1].isalpha() else f"Def_{cleaned}"


class Normaliser:
    """Turns schemas of one document into the contracts' dialect, collecting shared definitions."""

    def __init__(self, document: dict[str, Any], source: str) -> None:
        self.document = document
        self.source = source
        self.defs: dict[str, dict[str, Any]] = {}
        self.notes: list[SpecNote] = []
        #: Components being normalised now (a $ref back to one is a recursive definition).
        self._open: set[str] = set()
        #: Component -> its $defs name, or None when it is inlined (not an object with properties).
        self._kind: dict[str, str | None] = {}
        self._inline: dict[str, dict[str, Any]] = {}

    def error(self, where: str, message: str) -> ProviderSpecError:
        return ProviderSpecError(self.source, message, where=where or "/")

    def at(self, pointer: str) -> Any:
        node = resolve_pointer(self.document, pointer, _MISSING)
        if node is _MISSING:
            raise self.error(pointer, "the JSON Pointer does not resolve")
        return node

    def target(self, ref: Any, where: str) -> tuple[str, Any]:
        """(pointer, node) a `$ref` points at; only local JSON Pointers (nothing is fetched)."""
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise self.error(where, f"$ref {ref!r} is not a local JSON Pointer (nothing is ever fetched)")
        pointer = ref[1:]
        try:
            return pointer, self.at(pointer)
        except ProviderSpecError:
            raise self.error(where, f"$ref {ref!r} does not resolve") from None

    def event_root(self, schema: Any, where: str) -> dict[str, Any]:
        """An event's data schema, inline at the top (its properties are the event's own)."""
        return self.deref(self.normalise(schema, where, 0), where)

    def deref(self, node: dict[str, Any], where: str = "/") -> dict[str, Any]:
        """A normalised node with its reference (if it is one) replaced by the definition."""
        ref, nullable = ref_of(node)
        if ref is None:
            return node
        if ref not in self.defs:
            raise self.error(where, f"a composition contains the component {ref} it is part of")
        out = dict(self.defs[ref])
        if nullable:
            out["type"] = types_keyword(set(schema_types(out)) | {"null"})
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        for key in _KEPT_ANNOTATIONS:
            if key in node:
                out[key] = node[key]
        return out

    # -- normalisation -------------------------------------------------------------------

    def normalise(self, node: Any, where: str, depth: int) -> dict[str, Any]:
        if depth > MAX_DEPTH:
            raise self.error(where, f"schema nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, bool):
            return {} if node else {"not": {}}
        if not isinstance(node, dict):
            raise self.error(where, f"a schema must be an object, not {type(node).__name__}")
        nullable = node.get("nullable") is True
        parts: list[dict[str, Any]] = []
        if "$ref" in node:
            parts.append(self._ref(node["$ref"], f"{where}/$ref", depth))
        own = self._plain(node, where, depth)
        if own:
            parts.append(own)
        if "allOf" in node:
            parts.append(self._all_of(node["allOf"], f"{where}/allOf", depth))
        for keyword in ("oneOf", "anyOf"):
            if keyword in node:
                parts.append(self._one_of(node[keyword], f"{where}/{keyword}", depth))
        result = self._intersect(parts, where) if len(parts) != 1 else parts[0]
        if nullable:
            result = make_nullable(result)
        for key in _KEPT_ANNOTATIONS:
            if isinstance(node.get(key), str) and node[key].strip() and ("$ref" in result or key not in result):
                result = {**result, key: node[key].strip()}
        return result

    def _ref(self, ref: Any, where: str, depth: int) -> dict[str, Any]:
        pointer, target = self.target(ref, where)
        name = unescape_pointer(pointer[len(_COMPONENT) - 1 :]) if f"#{pointer}".startswith(_COMPONENT) else None
        if name is None or "/" in name:
            return self.normalise(target, pointer, depth + 1)
        if name in self._kind:
            known = self._kind[name]
            return {"$ref": f"#/$defs/{known}"} if known else dict(self._inline[name])
        if name in self._open:
            # A reference back to a component being read: a recursive definition.
            self._kind[name] = definition_name(name)
            return {"$ref": f"#/$defs/{definition_name(name)}"}
        self._open.add(name)
        try:
            body = self.normalise(target, pointer, depth + 1)
        finally:
            self._open.discard(name)
        if self._kind.get(name) or ("properties" in body and "object" in schema_types(body) and "$ref" not in body):
            label = definition_name(name)
            self._kind[name] = label
            self.defs[label] = body
            return {"$ref": f"#/$defs/{label}"}
        self._kind[name] = None
        self._inline[name] = body
        return dict(body)

    def _plain(self, node: dict[str, Any], where: str, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        types = node.get("type")
        if isinstance(types, str):
            out["type"] = types
        elif isinstance(types, list) and all(isinstance(t, str) for t in types):
            out["type"] = types_keyword(set(types))
        elif types is not None:
            raise self.error(f"{where}/type", "`type` must be a string or a list of strings")
        props = node.get("properties")
        if props is not None:
            if not isinstance(props, dict):
                raise self.error(f"{where}/properties", "`properties` must be an object")
            out["properties"] = {
                key: self.normalise(value, append_pointer(f"{where}/properties", key), depth + 1)
                for key, value in sorted(props.items())
            }
            out.setdefault("type", "object")
        required = node.get("required")
        if isinstance(required, list):
            out["required"] = sorted({r for r in required if isinstance(r, str)})
        extra = node.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            out["additionalProperties"] = self.normalise(extra, f"{where}/additionalProperties", depth + 1)
            out.setdefault("type", "object")
        if "items" in node:
            out["items"] = self.normalise(node["items"], f"{where}/items", depth + 1)
            out.setdefault("type", "array")
        if isinstance(node.get("enum"), list):
            out["enum"] = _unique(node["enum"])
        if "const" in node:
            out["enum"] = [node["const"]]
        fmt = node.get("format")
        if isinstance(fmt, str) and fmt in FORMATS:
            out["format"] = fmt
        return out

    def _all_of(self, members: Any, where: str, depth: int) -> dict[str, Any]:
        if not isinstance(members, list) or not members:
            raise self.error(where, "`allOf` must be a non-empty list")
        parts = []
        closed = 0
        for i, member in enumerate(members):
            target = member
            if isinstance(member, dict) and isinstance(member.get("$ref"), str):
                _, target = self.target(member["$ref"], f"{where}/{i}/$ref")
            if isinstance(target, dict) and target.get("additionalProperties") is False:
                closed += 1
            parts.append(self.normalise(member, f"{where}/{i}", depth + 1))
        if closed and len(members) > 1:
            self.notes.append(
                SpecNote(
                    where,
                    (
                        f"{closed} of the {len(members)} allOf members close with additionalProperties: false, so read "
                        "literally only null satisfies it; read as one object with the properties of all members"
                    ),
                )
            )
        return parts[0] if len(parts) == 1 else self._intersect(parts, where)

    def _one_of(self, branches: Any, where: str, depth: int) -> dict[str, Any]:
        if not isinstance(branches, list) or not branches:
            raise self.error(where, "a composition must be a non-empty list")
        parts = [self.normalise(branch, f"{where}/{i}", depth + 1) for i, branch in enumerate(branches)]
        values = [p for p in parts if p != {"type": "null"}]
        if len(values) == 1:
            # `anyOf: [{$ref: X}, {type: null}]`, the 3.1 spelling of a nullable reference (X may be
            # the component being read: a recursive definition).
            return make_nullable(values[0]) if len(values) < len(parts) else values[0]
        pending = sorted({ref for p in parts if (ref := ref_of(p)[0]) is not None and ref not in self.defs})
        if pending:
            # Branches that refer back to a component still being read cannot be united field by
            # field: the position accepts any value, and the document is noted.
            self.notes.append(SpecNote(where, f"a composition refers back to {', '.join(pending)}; read as any value"))
            return {}
        return unite([self.deref(p, where) for p in parts])

    def _intersect(self, parts: list[dict[str, Any]], where: str) -> dict[str, Any]:
        """All of *parts* at once (`allOf`, or a `$ref` with sibling keywords)."""
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return {}
        # Compositions refer to components to combine them, not to name the result.
        bodies = [self.deref(p, where) for p in parts]
        out: dict[str, Any] = {}
        type_sets = [set(schema_types(b)) for b in bodies if "type" in b]
        if type_sets:
            common = set.intersection(*(s | {"integer"} if "number" in s else s for s in type_sets))
            if {"number", "integer"} <= common:
                common.discard("integer")
            if not common:
                raise self.error(where, "the members of this allOf allow no common type")
            out["type"] = types_keyword(common)
        props: dict[str, list[dict[str, Any]]] = {}
        for body in bodies:
            for key, value in body.get("properties", {}).items():
                props.setdefault(key, []).append(value)
        if props:
            out["properties"] = {
                k: v[0] if len(v) == 1 else self._intersect(v, where) for k, v in sorted(props.items())
            }
        required = sorted({r for b in bodies for r in b.get("required", [])})
        if required:
            out["required"] = required
        enums = [b["enum"] for b in bodies if "enum" in b]
        if enums:
            out["enum"] = [v for v in enums[0] if all(v in e for e in enums[1:])]
        for key in ("format", "items", "additionalProperties", *_KEPT_ANNOTATIONS):
            for body in bodies:
                if key in body:
                    out.setdefault(key, body[key])
        return out


def ref_of(node: dict[str, Any]) -> tuple[str | None, bool]:
    """(definition name, nullable) of a reference node (`{$ref}` or `anyOf: [{$ref}, {type: null}]`)."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        return ref.removeprefix("#/$defs/"), False
    options = node.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        other = next(o for o in options if o != {"type": "null"})
        if isinstance(other, dict) and isinstance(other.get("$ref"), str):
            return other["$ref"].removeprefix("#/$defs/"), True
    return None, False


def make_nullable(node: dict[str, Any]) -> dict[str, Any]:
    ref, nullable = ref_of(node)
    if ref is not None:
        if nullable:
            return node
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return {"anyOf": [{"$ref": node["$ref"]}, {"type": "null"}], **rest}
    out = dict(node)
    if "type" in out:
        out["type"] = types_keyword(set(schema_types(out)) | {"null"})
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


def unite(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """What any of *parts* accepts (`oneOf`/`anyOf`), in the dialect: union of types, properties, enums."""
    if any(not p or ("type" not in p and "$ref" not in p and "anyOf" not in p) for p in parts):
        typed = [p for p in parts if "type" in p]
        if len(typed) != len(parts):
            return {}  # a branch accepts anything
    refs = {ref_of(p) for p in parts}
    if len(refs) == 1 and next(iter(refs))[0] is not None:
        return parts[0]
    types: set[str] = set()
    for part in parts:
        types |= set(schema_types(part))
    out: dict[str, Any] = {"type": types_keyword(types)}
    objects = [p for p in parts if "object" in schema_types(p)]
    props: dict[str, list[dict[str, Any]]] = {}
    for part in objects:
        for key, value in part.get("properties", {}).items():
            props.setdefault(key, []).append(value)
    if props:
        out["properties"] = {k: v[0] if len(v) == 1 else unite(v) for k, v in sorted(props.items())}
        required = set.intersection(*(set(p.get("required", [])) for p in objects))
        if required:
            out["required"] = sorted(required)
    strings = [p for p in parts if {"string", "integer", "number", "boolean"} & set(schema_types(p))]
    if strings and all("enum" in p for p in strings):
        out["enum"] = _unique([v for p in strings for v in p["enum"]])
        if "null" in types and None not in out["enum"]:
            out["enum"].append(None)
    formats = {p.get("format") for p in parts if "string" in schema_types(p)}
    if len(formats) == 1 and None not in formats:
        out["format"] = formats.pop()
    arrays = [p["items"] for p in parts if "array" in schema_types(p) and "items" in p]
    if arrays and len(arrays) == sum("array" in schema_types(p) for p in parts):
        out["items"] = arrays[0] if len(arrays) == 1 else unite(arrays)
    maps = [p["additionalProperties"] for p in objects if "additionalProperties" in p]
    if maps and len(maps) == len(objects) and not props:
        out["additionalProperties"] = maps[0] if len(maps) == 1 else unite(maps)
    for key in _KEPT_ANNOTATIONS:
        values = {p.get(key) for p in parts}
        if len(values) == 1 and None not in values:
            out[key] = values.pop()
    return out


def schema_types(node: dict[str, Any]) -> list[str]:
    value = node.get("type")
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for t in value if isinstance(t, str)]
    if "anyOf" in node:
        return ["object", "null"]
    if "$ref" in node:
        return ["object"]
    return []


def types_keyword(types: set[str]) -> str | list[str]:
    ordered = in_schema_order(types)
    return ordered[0] if len(ordered) == 1 else ordered


def _unique(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if value not in out or any(type(value) is not type(v) for v in out if v == value):
            out.append(value)
    return out
