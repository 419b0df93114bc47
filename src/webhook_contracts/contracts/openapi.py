"""Read the provider's OpenAPI webhooks document into the contracts' own schema dialect.

An OpenAPI 3.1 document with `webhooks` describes each event's `data` with a
`$ref` into `components.schemas`; where in each webhook's request body the
data is, and what names the event, are the provider's rules
(:class:`~webhook_contracts.providers.WebhookRules`). Each event schema is *normalised* here into
the small dialect the contracts are written in (`type`, `properties`,
`required`, `enum`, `const`, `format`, `items`, `additionalProperties` for
maps, local `$ref`s into `$defs`, `anyOf: [{$ref}, {type: null}]` for a
nullable reference), reading what real provider documents mean rather than
what they literally say:

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

import fnmatch
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ProviderSpecError
from ..fsio import MAX_FILE_BYTES, read_file
from ..values.formats import FORMATS
from ..values.pointer import escape_pointer, resolve_pointer, unescape_pointer
from ..values.strictjson import parse_strict

if TYPE_CHECKING:
    from ..providers import Provider

#: Nesting followed in a schema before giving up (composition inside composition ...).
MAX_DEPTH = 64
_TYPE_ORDER = ("object", "array", "string", "integer", "number", "boolean", "null")
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


@dataclass(frozen=True)
class ProviderEvent:
    """One webhook event of the document: its data schema (normalised) and official examples."""

    name: str
    pointer: str
    schema: dict[str, Any]
    examples: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ProviderSpec:
    """The webhook events of one provider OpenAPI document, normalised."""

    source: str
    sha256: str
    api_version: str
    events: dict[str, ProviderEvent]
    #: Shared definitions the events refer to (`#/$defs/<Name>`), normalised.
    definitions: dict[str, dict[str, Any]]
    notes: tuple[SpecNote, ...] = field(default=())


def is_provider_spec(path: Path) -> bool:
    """Whether *path* looks like an OpenAPI document with webhooks (a cheap look at its start)."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return b'"openapi"' in head


def read_provider_spec(
    path: Path,
    *,
    provider: Provider,
    source: str | None = None,
    events: Iterable[str] | None = None,
    always: Iterable[str] = (),
    limit: int = MAX_FILE_BYTES,
) -> ProviderSpec:
    """Read and normalise the webhook events of *path* whose names match one of *events* (globs).

    *provider* says where the events are (:class:`~webhook_contracts.providers.WebhookRules`); *events*
    defaults to its default events. Events named in *always* (those with doc pages) are read too when the
    document has them. Only a regular file of at most *limit* bytes (`max-file-bytes`) is read.
    """
    name = source or path.as_posix()
    data = read_file(path, limit=limit, source=name, error=ProviderSpecError)
    document = parse_strict(data, name)
    return normalise_spec(document, provider=provider, source=name, sha256=hashlib.sha256(data).hexdigest(),
                          events=events, always=always)


def normalise_spec(
    document: Any,
    *,
    provider: Provider,
    source: str,
    sha256: str = "",
    events: Iterable[str] | None = None,
    always: Iterable[str] = (),
) -> ProviderSpec:
    """:func:`read_provider_spec` for a parsed document."""
    if not isinstance(document, dict):
        raise ProviderSpecError(source, "an OpenAPI document must be a JSON object", where="/")
    openapi = document.get("openapi")
    if not isinstance(openapi, str) or not openapi.startswith("3."):
        raise ProviderSpecError(source, "not an OpenAPI 3 document (no `openapi: 3.x`)", where="/openapi")
    info = document.get("info")
    version = info.get("version") if isinstance(info, dict) else None
    if not isinstance(version, str) or not version:
        raise ProviderSpecError(source, "the document has no info.version", where="/info/version")
    rules = provider.webhooks
    api_version = rules.api_version_of(version)
    if api_version is None or not provider.api_version.fullmatch(api_version):
        raise ProviderSpecError(source, f"info.version {version!r} names no API version of the {provider.name} "
                                f"provider ({provider.api_version_form})", where="/info/version")
    hooks = document.get("webhooks")
    if not isinstance(hooks, dict):
        raise ProviderSpecError(source, "the document has no `webhooks` object", where="/webhooks")
    patterns = tuple(provider.default_events if events is None else events)
    wanted = set(always)

    def chosen(event: str) -> bool:
        return event in wanted or any(fnmatch.fnmatchcase(event, p) for p in patterns)

    reader = _Normaliser(document, source)
    found: dict[str, ProviderEvent] = {}
    for key in sorted(hooks):
        where = f"/webhooks/{escape_pointer(key)}"
        if rules.envelope is None:
            event = rules.event_of_key(key) if rules.event_of_key is not None else None
            if event is None or not chosen(event):
                continue
        pointer = f"{where}/post/requestBody/content/application~1json"
        media = reader.at(pointer)
        if not isinstance(media, dict) or "schema" not in media:
            raise ProviderSpecError(source, "a webhook without a JSON request body schema", where=pointer)
        schema, schema_at = media["schema"], f"{pointer}/schema"
        if rules.envelope is not None:
            event, schema, schema_at = _enveloped(reader, schema, schema_at, rules.envelope, provider)
            if not chosen(event):
                continue
        assert event is not None  # named by the key, or by the envelope
        root = reader.event_root(schema, schema_at)
        if event in found:
            raise ProviderSpecError(source, f"event {event} is described twice", where=where)
        examples = _examples(media) if rules.envelope is None else _enveloped_examples(media, rules.envelope[1])
        found[event] = ProviderEvent(event, pointer, root, tuple(examples))
    return ProviderSpec(
        source=source,
        sha256=sha256,
        api_version=api_version,
        events=found,
        definitions=dict(sorted(reader.defs.items())),
        notes=tuple(sorted(set(reader.notes), key=str)),
    )


def _examples(media: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if isinstance(media.get("example"), dict):
        yield media["example"]
    examples = media.get("examples")
    if isinstance(examples, dict):
        for name in sorted(examples):
            value = examples[name].get("value") if isinstance(examples[name], dict) else None
            if isinstance(value, dict):
                yield value


def _enveloped(
    reader: _Normaliser, schema: Any, where: str, keys: tuple[str, str], provider: Provider
) -> tuple[str, Any, str]:
    """(event, data schema, its pointer) of a request body that is an envelope object (:class:`WebhookRules`)."""
    event_key, data_key = keys
    where, schema = _followed(reader, schema, where)
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict) or event_key not in props or data_key not in props:
        raise reader.error(where, f"the request body is not an envelope: an object with the properties "
                                  f"{event_key!r} (the event's name) and {data_key!r} (its data)")
    name_at = f"{where}/properties/{escape_pointer(event_key)}"
    name_at, named = _followed(reader, props[event_key], name_at)
    values = named.get("enum") if isinstance(named, dict) else None
    if isinstance(named, dict) and "const" in named:
        values = [named["const"]]
    if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
        raise reader.error(name_at, f"the envelope's {event_key!r} must name the event: a `const` string "
                                    "or an `enum` of one string")
    event = values[0]
    if not provider.event_name.fullmatch(event):
        raise reader.error(name_at, f"{event!r} is not an event name (lower-case words joined by dots)")
    return event, props[data_key], f"{where}/properties/{escape_pointer(data_key)}"


def _followed(reader: _Normaliser, node: Any, where: str) -> tuple[str, Any]:
    """(pointer, node) at the end of a chain of `$ref`s starting at *node* (itself when it is no `$ref`)."""
    for _ in range(MAX_DEPTH):
        if not (isinstance(node, dict) and "$ref" in node):
            return where, node
        where, node = reader.target(node["$ref"], f"{where}/$ref")
    raise reader.error(where, f"a chain of more than {MAX_DEPTH} `$ref`s (a cycle?)")


def _enveloped_examples(media: dict[str, Any], data_key: str) -> Iterator[dict[str, Any]]:
    for example in _examples(media):
        if isinstance(example.get(data_key), dict):
            yield example[data_key]


def definition_name(component: str) -> str:
    """A `$defs` name for a component: letters, digits and `_`, starting with a letter."""
    cleaned = re.sub(r"[^0-9A-Za-z_]", "_", component)
    return cleaned if cleaned[:1].isalpha() else f"Def_{cleaned}"


class _Normaliser:
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
                key: self.normalise(value, f"{where}/properties/{escape_pointer(key)}", depth + 1)
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
    ordered = [t for t in _TYPE_ORDER if t in types]
    return ordered[0] if len(ordered) == 1 else ordered


def _unique(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if value not in out or any(type(value) is not type(v) for v in out if v == value):
            out.append(value)
    return out
