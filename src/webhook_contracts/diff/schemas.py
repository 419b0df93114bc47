"""Compare two contracts field by field, from the point of view of a consumer.

A schema is flattened into one :class:`FieldSpec` per JSON Pointer (array items
and map values written `*`), local `$ref`s resolved. Two flattenings are then
compared path by path and each difference is classified: a consumer breaks
when it may receive something it was not promised (a removed required field,
a new type, a new null, a required field turned optional, a loosened format);
it does not break when the producer promises more.

Field-level differences are computed here; deepdiff compares the rest of the
documents (titles, descriptions) so that no change goes unreported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import SchemaFileError
from ..values.jsontypes import FREE_FORM_KEYS, in_schema_order
from ..values.pointer import append_pointer, to_pointer

_ANNOTATIONS = ("title", "description")
#: Fields every example shows though the provider does not promise them (a list, beside `required`).
DOCUMENTED_KEY = "x-documented"
#: Positions a flattened contract may have. Shared definitions referenced twice
#: at every level double at every level (a "billion laughs" schema): stop early.
MAX_POSITIONS = 100_000


@dataclass(frozen=True)
class FieldSpec:
    """What a contract promises about one position."""

    types: tuple[str, ...]
    required: bool
    format: str | None = None
    pattern: str | None = None
    const: str | None = None
    open: bool = False
    #: Every example shows it, but the provider does not promise it (`x-documented`).
    documented: bool = False
    #: The values the contract allows (`enum`), in contract order; None: any value of the type.
    enum: tuple[Any, ...] | None = None

    @property
    def nullable(self) -> bool:
        return "null" in self.types

    @property
    def value_types(self) -> tuple[str, ...]:
        return tuple(t for t in self.types if t != "null")

    def type_label(self) -> str:
        return "|".join(self.types) if self.types else "any"

    @property
    def presence(self) -> str:
        return "required" if self.required else "documented" if self.documented else "optional"


@dataclass(frozen=True, order=True)
class SchemaChange:
    """One difference between two contracts."""

    path: str
    kind: str
    old: str | None
    new: str | None
    breaking: bool

    def describe(self) -> str:
        where = f"`{self.path or '/'}`"
        if self.kind == "added":
            return f"added {where} ({self.new})"
        if self.kind == "removed":
            return f"removed {where} (was {self.old})"
        if self.kind == "annotation":
            return f"documentation of {where} changed"
        if self.kind == "retyped":
            return f"retyped {where}: {self.old} → {self.new}"
        if self.kind == "nullable":
            return f"{where} became nullable" if self.new == "true" else f"{where} is no longer nullable"
        if self.kind == "required":
            return f"{where} became required" if self.new == "true" else f"{where} became optional"
        if self.kind == "documented":
            return (
                f"{where} is now in every example" if self.new == "true" else f"{where} is no longer in every example"
            )
        if self.kind == "enum":
            return f"values of {where}: {self.old or 'any'} → {self.new or 'any'}"
        return f"{self.kind} of {where}: {self.old or 'none'} → {self.new or 'none'}"


def _types_of(node: dict[str, Any]) -> set[str]:
    value = node.get("type")
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {t for t in value if isinstance(t, str)}
    return set()


def _resolve(node: Any, root: dict[str, Any]) -> tuple[dict[str, Any], bool, str | None]:
    """(effective schema, nullable via anyOf, ref name) for a property schema."""
    if not isinstance(node, dict):
        return {}, False, None
    nullable = False
    options = node.get("anyOf")
    if isinstance(options, list):
        non_null = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
        nullable = len(non_null) != len(options)
        if len(non_null) == 1:
            node = {**{k: v for k, v in node.items() if k != "anyOf"}, **non_null[0]}
    ref = node.get("$ref")
    name = None
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        target = root.get("$defs", {}).get(name)
        if isinstance(target, dict):
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node, nullable, name


def flatten_schema(schema: dict[str, Any], *, source: str = "<schema>") -> dict[str, FieldSpec]:
    """Every position the contract describes, by JSON Pointer (at most :data:`MAX_POSITIONS`)."""
    flat: dict[str, FieldSpec] = {}
    for path, spec in _walk(schema, schema, "", (), depth=0):
        flat[path] = spec
        if len(flat) > MAX_POSITIONS:
            raise SchemaFileError(
                source,
                f"the contract expands to more than {MAX_POSITIONS} field positions "
                "(shared definitions referenced over and over)",
                where=path if len(path) <= 80 else path[:79] + "…",
            )
    return flat


def _spec(node: dict[str, Any], nullable: bool, required: bool, key: str, documented: bool = False) -> FieldSpec:
    types = _types_of(node) | ({"null"} if nullable else set())
    if "const" in node and not types:
        types.add("string")
    const = node.get("const")
    enum = node.get("enum")
    if isinstance(enum, list) and nullable and None not in enum:
        enum = [*enum, None]
    return FieldSpec(
        types=tuple(in_schema_order(types)),
        required=required,
        format=node.get("format") if isinstance(node.get("format"), str) else None,
        pattern=node.get("pattern") if isinstance(node.get("pattern"), str) else None,
        const=const if isinstance(const, str) else None,
        open=key in FREE_FORM_KEYS or isinstance(node.get("additionalProperties"), dict),
        documented=documented,
        enum=tuple(enum) if isinstance(enum, list) else None,
    )


def _walk(
    node: dict[str, Any], root: dict[str, Any], prefix: str, refs: tuple[str, ...], depth: int
) -> Iterator[tuple[str, FieldSpec]]:
    if depth > 64:
        return
    raw_required, raw_props = node.get("required"), node.get("properties")
    required: list[Any] = raw_required if isinstance(raw_required, list) else []
    raw_documented = node.get(DOCUMENTED_KEY)
    documented: list[Any] = raw_documented if isinstance(raw_documented, list) else []
    props: dict[str, Any] = raw_props if isinstance(raw_props, dict) else {}
    children: list[tuple[str, Any, bool, bool]] = [
        (k, v, k in required, k in documented and k not in required) for k, v in sorted(props.items())
    ]
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        children.append(("*", extra, False, False))
    items = node.get("items")
    if isinstance(items, dict):
        children.append(("*", items, True, False))
    for key, child, is_required, is_documented in children:
        resolved, nullable, ref = _resolve(child, root)
        path = append_pointer(prefix, key)
        yield path, _spec(resolved, nullable, is_required, key, is_documented)
        if key in FREE_FORM_KEYS or (ref is not None and ref in refs):
            continue
        yield from _walk(resolved, root, path, (*refs, ref) if ref else refs, depth + 1)


def diff_schemas(
    old: dict[str, Any], new: dict[str, Any], *, sources: tuple[str, str] = ("<old schema>", "<new schema>")
) -> list[SchemaChange]:
    """Every difference between two contracts, sorted by path; *sources* name them in errors."""
    a, b = flatten_schema(old, source=sources[0]), flatten_schema(new, source=sources[1])
    changes: list[SchemaChange] = []
    for path in sorted(a.keys() | b.keys()):
        if path not in b:
            if _parent_in(path, b) or path.count("/") == 1:
                was = f"{a[path].type_label()}, {a[path].presence}"
                changes.append(SchemaChange(path, "removed", was, None, a[path].required))
        elif path not in a:
            if _parent_in(path, a) or path.count("/") == 1:
                now = f"{b[path].type_label()}, {b[path].presence}"
                changes.append(SchemaChange(path, "added", None, now, False))
        else:
            changes.extend(_compare(path, a[path], b[path]))
    if not changes:
        changes.extend(_annotation_changes(old, new))
    return sorted(changes)


def _parent_in(path: str, flat: dict[str, FieldSpec]) -> bool:
    parent = path.rsplit("/", 1)[0]
    return parent in flat


def _compare(path: str, a: FieldSpec, b: FieldSpec) -> Iterator[SchemaChange]:
    if a.value_types != b.value_types:
        widened = not set(b.value_types) <= set(a.value_types) or (b.nullable and not a.nullable)
        yield SchemaChange(path, "retyped", a.type_label(), b.type_label(), widened)
    elif a.nullable != b.nullable:
        yield SchemaChange(path, "nullable", str(a.nullable).lower(), str(b.nullable).lower(), b.nullable)
    if a.required != b.required:
        yield SchemaChange(path, "required", str(a.required).lower(), str(b.required).lower(), a.required)
    elif a.documented != b.documented:
        # Not a promise either way: a consumer that relied on it was told it is optional.
        yield SchemaChange(path, "documented", str(a.documented).lower(), str(b.documented).lower(), False)
    if a.enum != b.enum:
        old_values, new_values = set(map(_enum_key, a.enum or ())), set(map(_enum_key, b.enum or ()))
        widened = a.enum is not None and (b.enum is None or not new_values <= old_values)
        if old_values != new_values or (a.enum is None) != (b.enum is None):
            yield SchemaChange(path, "enum", _enum_label(a.enum), _enum_label(b.enum), widened)
    for attr in ("format", "pattern", "const"):
        old, new = getattr(a, attr), getattr(b, attr)
        if old != new:
            yield SchemaChange(path, attr, old, new, old is not None)


def _enum_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _enum_label(values: tuple[Any, ...] | None) -> str | None:
    if values is None:
        return None
    return ", ".join(sorted(_enum_key(v) for v in values))


def _annotation_changes(old: dict[str, Any], new: dict[str, Any]) -> Iterator[SchemaChange]:
    """Changes outside field definitions (titles, descriptions), found by deepdiff."""
    from deepdiff import DeepDiff  # imported here: it costs a tenth of a second, and drift never needs it

    diff = DeepDiff(old, new, threshold_to_diff_deeper=0, view="tree")
    paths: set[str] = set()
    for level in (item for group in diff.values() for item in group):
        keys = [str(k) for k in level.path(output_format="list")]
        while keys and keys[-1] in _ANNOTATIONS:
            keys.pop()
        pointer = to_pointer(k for k in keys if k not in ("properties", "$defs"))
        paths.add(pointer)
    for path in sorted(paths):
        yield SchemaChange(path, "annotation", None, None, False)
