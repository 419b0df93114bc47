"""Infer a JSON Schema (Draft 2020-12) from example payloads.

Samples are first summarised into a :class:`Shape` per position; shapes merge
with a commutative, associative :func:`merge`, so the schema cannot depend on
the order of the samples. :func:`render` then writes what a careful engineer
would: integer kept apart from number, nullability, required = present in
every sample, formats, identifier-prefix patterns, `object` tags as constants,
generated-id keyed objects as maps and `metadata` left open.

Existing generators (genson and friends) merge types but know nothing of
prefixes, tags, id-keyed maps or shared definitions, and their output depends
on sample order, so inference is written here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import reduce
from typing import Any

from ..errors import WebhookContractsError
from ..providers import Provider, default_provider
from ..values.formats import common_key_prefix, formats_of, is_generated_key, prefix_pattern
from ..values.jsontypes import FREE_FORM_KEYS, in_schema_order
from ..values.pointer import ANY_ITEM, append_pointer

DRAFT = "https://json-schema.org/draft/2020-12/schema"
#: Deeper samples are refused rather than risk the interpreter's stack.
MAX_DEPTH = 200
#: Distinct string values remembered per position (for `object` constants).
_VALUE_LIMIT = 16
RefFor = Callable[[dict[str, Any], int], "str | None"]


class InferenceError(WebhookContractsError):
    """A sample cannot be summarised (for instance, nested too deeply)."""


@dataclass(frozen=True)
class Shape:
    """What was seen at one position of the samples."""

    count: int = 0
    types: frozenset[str] = frozenset()
    #: Formats every string sample satisfied; None until a string is seen.
    formats: frozenset[str] | None = None
    #: Identifier prefixes every string sample carried; None until a string is seen.
    prefixes: frozenset[str] | None = None
    values: frozenset[str] = frozenset()
    many_values: bool = False
    objects: int = 0
    props: tuple[tuple[str, Shape], ...] = ()
    #: For each object sample, the shared definition it stands for (or None).
    refs: frozenset[str | None] = frozenset()
    items: Shape | None = None

    @property
    def prop_map(self) -> dict[str, Shape]:
        return dict(self.props)

    @property
    def ref(self) -> str | None:
        """The definition every object sample here stands for, if there is one."""
        if len(self.refs) == 1 and self.types <= {"object", "null"}:
            return next(iter(self.refs))
        return None


EMPTY = Shape()


def _meet(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def merge(a: Shape, b: Shape) -> Shape:
    """Combine two summaries; commutative and associative, with EMPTY as identity."""
    if a is EMPTY:
        return b
    if b is EMPTY:
        return a
    values = a.values | b.values
    many = a.many_values or b.many_values or len(values) > _VALUE_LIMIT
    pa, pb = a.prop_map, b.prop_map
    props = tuple((k, merge(pa.get(k, EMPTY), pb.get(k, EMPTY))) for k in sorted(pa.keys() | pb.keys()))
    items = b.items if a.items is None else a.items if b.items is None else merge(a.items, b.items)
    return Shape(
        count=a.count + b.count,
        types=a.types | b.types,
        formats=_meet(a.formats, b.formats),
        prefixes=_meet(a.prefixes, b.prefixes),
        values=frozenset() if many else values,
        many_values=many,
        objects=a.objects + b.objects,
        props=props,
        refs=a.refs | b.refs,
        items=items,
    )


def merge_all(shapes: Iterable[Shape]) -> Shape:
    return reduce(merge, shapes, EMPTY)


def shape_of(value: Any, ref_for: RefFor | None = None, depth: int = 0, provider: Provider | None = None) -> Shape:
    """Summarise one sample. *ref_for* names the shared definition an object stands for; *provider*'s
    identifier prefixes are recognised (default: the default provider's)."""
    provider = provider or default_provider()
    if depth > MAX_DEPTH:
        raise InferenceError(f"sample nested deeper than {MAX_DEPTH} levels")
    if value is None:
        return Shape(count=1, types=frozenset({"null"}))
    if isinstance(value, bool):
        return Shape(count=1, types=frozenset({"boolean"}))
    if isinstance(value, int):
        return Shape(count=1, types=frozenset({"integer"}))
    if isinstance(value, float):
        return Shape(count=1, types=frozenset({"number"}))
    if isinstance(value, str):
        prefix = provider.id_prefix_of(value)
        return Shape(
            count=1,
            types=frozenset({"string"}),
            formats=formats_of(value),
            prefixes=frozenset({prefix}) if prefix else frozenset(),
            values=frozenset({value}) if len(value) <= 64 else frozenset(),
            many_values=len(value) > 64,
        )
    if isinstance(value, list):
        items = merge_all(shape_of(item, ref_for, depth + 1, provider) for item in value)
        return Shape(count=1, types=frozenset({"array"}), items=items if value else None)
    if isinstance(value, dict):
        props = tuple(sorted((str(k), shape_of(v, ref_for, depth + 1, provider)) for k, v in value.items()))
        ref = ref_for(value, depth) if ref_for else None
        return Shape(count=1, types=frozenset({"object"}), objects=1, props=props, refs=frozenset({ref}))
    raise InferenceError(f"not a JSON value: {type(value).__name__}")


def infer_schema(samples: Iterable[Any], *, provider: Provider | None = None) -> dict[str, Any]:
    """A standalone Draft 2020-12 schema that accepts every sample (*provider*'s prefixes and tags pinned)."""
    provider = provider or default_provider()
    schema = render(merge_all(shape_of(s, provider=provider) for s in samples), provider=provider)
    return {"$schema": DRAFT, **schema}


def _json_types(types: frozenset[str]) -> list[str]:
    if "integer" in types and "number" in types:
        types = types - {"integer"}
    return in_schema_order(types)


def _type_keyword(types: list[str]) -> dict[str, Any]:
    if not types:
        return {}
    return {"type": types[0] if len(types) == 1 else types}


def render(
    shape: Shape, *, key: str | None = None, inline: bool = False, provider: Provider | None = None
) -> dict[str, Any]:
    """The schema for *shape*; *key* is the property name it sits under; *provider*'s tag keys are pinned."""
    provider = provider or default_provider()
    ref = None if inline else shape.ref
    if ref is not None:
        target = {"$ref": f"#/$defs/{ref}"}
        return {"anyOf": [target, {"type": "null"}]} if "null" in shape.types else target
    types = _json_types(shape.types)
    schema: dict[str, Any] = _type_keyword(types)
    if key in FREE_FORM_KEYS and set(types) <= {"object", "null"}:
        return schema
    if "object" in types:
        schema.update(_render_object(shape, provider))
    if "array" in types and shape.items is not None:
        schema["items"] = render(shape.items, provider=provider)
    if "string" in types:
        schema.update(_render_string(shape, key, only_strings=types == ["string"], tags=provider.tag_keys))
    return schema


def _render_object(shape: Shape, provider: Provider) -> dict[str, Any]:
    props = shape.prop_map
    if props and all(is_generated_key(k) for k in props):
        # Keys are generated ids (order.redemptions by redemption id): a map.
        out: dict[str, Any] = {}
        prefix = common_key_prefix(props)
        if prefix:
            out["propertyNames"] = {"pattern": prefix_pattern(prefix)}
        out["additionalProperties"] = render(merge_all(props.values()), provider=provider)
        return out
    out = {"properties": {k: render(v, key=k, provider=provider) for k, v in props.items()}}
    required = [k for k, v in props.items() if v.count == shape.objects]
    if required:
        out["required"] = required
    return out


def _render_string(shape: Shape, key: str | None, *, only_strings: bool, tags: frozenset[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if shape.formats and len(shape.formats) == 1:
        out["format"] = next(iter(shape.formats))
    if shape.prefixes and len(shape.prefixes) == 1:
        out["pattern"] = prefix_pattern(next(iter(shape.prefixes)))
    # `const` constrains every type, so a tag is pinned only where every sample is a string.
    if key in tags and len(shape.values) == 1 and not shape.many_values and only_strings:
        out["const"] = next(iter(shape.values))
    return out


def iter_shape_paths(shape: Shape, prefix: str = "") -> Iterator[tuple[str, Shape]]:
    """(JSON Pointer, shape) for every position below *shape*, as the schema sees them.

    Array items and the values of id-keyed maps are written `*`; nothing below
    a free-form object (`metadata`) is a position of the contract.
    """
    props = shape.prop_map
    if props and all(is_generated_key(k) for k in props):
        props = {"*": merge_all(props.values())}
    for key, child in props.items():
        path = append_pointer(prefix, key)
        yield path, child
        if key not in FREE_FORM_KEYS:
            yield from iter_shape_paths(child, path)
    if shape.items is not None:
        path = append_pointer(prefix, ANY_ITEM)
        yield path, shape.items
        yield from iter_shape_paths(shape.items, path)


__all__ = [
    "DRAFT",
    "EMPTY",
    "InferenceError",
    "Shape",
    "infer_schema",
    "iter_shape_paths",
    "merge",
    "merge_all",
    "render",
    "shape_of",
]
