"""An independent oracle: provider-shaped `data` payloads read straight from the raw OpenAPI document.

Nothing here uses the project's own normaliser (`webhook_contracts.contracts.openapi`): the
generator reads the provider's OpenAPI 3.1 webhooks document (which still uses
OpenAPI 3.0 `nullable: true`, also beside `$ref` and on `allOf` wrappers) and
produces, deterministically from a `random.Random`, `data` payloads the provider's
schema accepts. `provider_validator` translates the same raw schema minimally to
JSON Schema 2020-12 so every generated payload can be double-checked:

* `nullable: true` -> `anyOf: [<schema without nullable>, {"type": "null"}]`;
* `additionalProperties: false` is dropped on `allOf` members (read literally, two
  such members could only ever accept null);
* `#/components/schemas/X` -> `#/$defs/X`.

`oneOf` stays `oneOf`: the generator retries a branch until the value matches
exactly one branch, as the literal schema demands.
"""

from __future__ import annotations

import copy
import json
import random
import string
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

REPO = Path(__file__).resolve().parent.parent
OPENAPI = REPO / "docs" / "voucherify" / "v2024-01-01" / "OpenAPIWebhooks.json"
COMPONENTS = "#/components/schemas/"

#: Nesting depth beyond which optional values are left out and nullable ones are null.
MAX_DEPTH = 9
#: Share of optional properties left out.
P_ABSENT = 0.3
#: Share of nullable values that are null.
P_NULL = 0.15
#: How many times a `oneOf` branch is regenerated to match exactly one branch.
ONE_OF_TRIES = 30


@cache
def document() -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(OPENAPI.read_text(encoding="utf-8"))
    return parsed


def _event_keys() -> dict[str, str]:
    # `EVENTS.CUSTOMER.REWARDED.LOYALTY_POINTS` -> `customer.rewarded.loyalty_points`
    return {key.removeprefix("EVENTS.").lower(): key for key in document()["webhooks"]}


#: Event name (as in the envelope's `type`) -> webhook key in the OpenAPI document.
EVENT_KEYS: dict[str, str] = _event_keys()


def _components() -> dict[str, Any]:
    components: dict[str, Any] = document()["components"]["schemas"]
    return components


def _request_schema(event_name: str) -> dict[str, Any]:
    hook = document()["webhooks"][EVENT_KEYS[event_name]]
    schema: dict[str, Any] = hook["post"]["requestBody"]["content"]["application/json"]["schema"]
    return schema


def event_schema(event_name: str) -> dict[str, Any]:
    """The provider's raw schema of the event's `data` (its `$ref` into components resolved once)."""
    schema = _request_schema(event_name)
    return copy.deepcopy(resolve(schema) if "$ref" in schema else schema)


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (only `#/components/schemas/...` exists in this document)."""
    seen = 0
    while "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith(COMPONENTS):
            raise ValueError(f"only local component refs are supported, got {ref!r}")
        schema = _components()[ref.removeprefix(COMPONENTS)]
        seen += 1
        if seen > 50:
            raise ValueError(f"$ref loop at {ref!r}")
    return schema


# ---------------------------------------------------------------------------
# Translation to JSON Schema 2020-12 (the provider's schema, read minimally)
# ---------------------------------------------------------------------------

_OPEN = "__allOfMember"  # suffix of a component copy used as an allOf member (no additionalProperties: false)


def _translate(node: Any, *, all_of_member: bool = False) -> Any:
    if isinstance(node, list):
        return [_translate(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "nullable":
            continue
        if key == "$ref":
            name = value.removeprefix(COMPONENTS)
            out[key] = f"#/$defs/{name}{_OPEN if all_of_member else ''}"
        elif key in ("properties", "patternProperties", "$defs", "definitions"):
            out[key] = {name: _translate(sub) for name, sub in value.items()}
        elif key == "allOf":
            out[key] = [_translate(sub, all_of_member=True) for sub in value]
        elif key in ("enum", "const", "example", "examples", "default", "required", "description", "title"):
            out[key] = copy.deepcopy(value)
        else:
            out[key] = _translate(value)
    if all_of_member and out.get("additionalProperties") is False:
        del out["additionalProperties"]
    if node.get("nullable") is True:
        annotations = {k: out.pop(k) for k in ("description", "title", "example", "default") if k in out}
        return {**annotations, "anyOf": [out, {"type": "null"}]}
    return out


@cache
def _defs() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    for name, schema in _components().items():
        defs[name] = _translate(schema)
        defs[name + _OPEN] = _translate(schema, all_of_member=True)
    return defs


def translated(schema: dict[str, Any]) -> dict[str, Any]:
    """A raw provider (sub)schema as a standalone 2020-12 schema with the components under `$defs`."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **_translate(schema), "$defs": _defs()}


@cache
def provider_validator(event_name: str) -> jsonschema.Draft202012Validator:
    """A validator for the event's `data` per the provider's raw schema (see module doc for the translation)."""
    schema = translated(_request_schema(event_name))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# oneOf branch checks during generation only (speed); the final word is `provider_validator`'s.
_BRANCH_VALIDATORS: dict[int, tuple[dict[str, Any], Any]] = {}


def _branch_validator(branch: dict[str, Any]) -> Any:
    hit = _BRANCH_VALIDATORS.get(id(branch))
    if hit is None or hit[0] is not branch:
        hit = _BRANCH_VALIDATORS[id(branch)] = (branch, jsonschema_rs.Draft202012Validator(translated(branch)))
    return hit[1]


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------

_WORDS = (
    "alpha",
    "bravo",
    "delta",
    "echo",
    "kilo",
    "lima",
    "oscar",
    "tango",
    "zulu",
    "nova",
    "coffee",
    "basket",
    "summer",
    "loyal",
    "gold",
    "silver",
    "points",
    "order",
    "promo",
    "gift",
)
_ABSENT = object()  # a value left out of its object


class Trace:
    """Where the generator put what, as JSON Pointers into the generated `data`."""

    def __init__(self) -> None:
        self.enums: list[tuple[str, list[Any]]] = []  # (pointer, allowed values)
        self.integers: list[str] = []
        self.required: list[str] = []  # pointers of properties the provider marks required


def _pointer(path: tuple[str | int, ...]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _word(rng: random.Random) -> str:
    return rng.choice(_WORDS) + ("" if rng.random() < 0.5 else str(rng.randint(1, 999)))


def _id_like(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(rng.randint(8, 24)))


def _datetime(rng: random.Random) -> str:
    return (
        f"{rng.randint(2019, 2026):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z"
    )


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1950, 2026):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _string(schema: dict[str, Any], rng: random.Random) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return _datetime(rng)
    if fmt == "date":
        return _date(rng)
    if fmt == "time":
        return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"
    example = schema.get("example")
    if isinstance(example, str) and "_" in example and " " not in example:
        head = example[: example.index("_") + 1]
        if head[:-1].isalnum() and rng.random() < 0.9:
            return _id_like(rng, head)
    return _word(rng)


def _number(schema: dict[str, Any], rng: random.Random, *, integer: bool) -> int | float:
    low = schema.get("minimum", 0 if rng.random() < 0.9 else -1000)
    high = schema.get("maximum", max(low, 0) + 100_000)
    if integer:
        return rng.randint(int(low), int(high))
    value = rng.uniform(low, high)
    if value == int(value):  # keep a fraction, so `number` is not confused with `integer`
        value += 0.25 if value + 0.25 <= high else -0.25
    return round(value, 2) if round(value, 2) != int(round(value, 2)) else value


class _Generator:
    def __init__(self, rng: random.Random, trace: Trace | None) -> None:
        self.rng = rng
        self.trace = trace

    # A value for `schema` at `path`; `_ABSENT` means "leave the property out" (only when optional).
    def value(self, schema: dict[str, Any], path: tuple[str | int, ...], depth: int, *, required: bool) -> Any:
        rng = self.rng
        nullable = schema.get("nullable") is True
        if depth > MAX_DEPTH:
            if nullable:
                return None
            if not required:
                return _ABSENT
        if nullable and rng.random() < P_NULL:
            return None
        if "$ref" in schema:
            # Siblings of `$ref` (description, nullable, ...) carry no constraints here.
            return self.value(resolve(schema), path, depth + 1, required=required)
        if "allOf" in schema:
            return self._all_of(schema, path, depth)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self._one_of(schema, key, path, depth)
        if "enum" in schema:
            values = [v for v in schema["enum"] if v is not None]
            if self.trace is not None and path:
                self.trace.enums.append((_pointer(path), list(schema["enum"])))
            return rng.choice(values)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = rng.choice([k for k in kind if k != "null"])
        if kind is None:
            kind = "object" if "properties" in schema or "additionalProperties" in schema else "string"
        if kind == "string":
            return _string(schema, rng)
        if kind == "integer":
            if self.trace is not None:
                self.trace.integers.append(_pointer(path))
            return _number(schema, rng, integer=True)
        if kind == "number":
            return _number(schema, rng, integer=False)
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "array":
            items = schema.get("items", {})
            count = 0 if depth >= MAX_DEPTH else rng.randint(0, 3)
            out = []
            for i in range(count):
                item = self.value(items, (*path, i), depth + 1, required=True)
                if item is not _ABSENT:
                    out.append(item)
            return out
        if kind == "object":
            return self._object(schema.get("properties"), set(schema.get("required", ())), schema, path, depth)
        if kind == "null":
            return None
        raise ValueError(f"unsupported schema at {_pointer(path)}: {schema}")

    def _object(
        self,
        properties: dict[str, Any] | None,
        required: set[str],
        schema: dict[str, Any],
        path: tuple[str | int, ...],
        depth: int,
    ) -> dict[str, Any]:
        rng = self.rng
        out: dict[str, Any] = {}
        if properties:
            for name, sub in properties.items():
                is_required = name in required
                if not is_required and (depth >= MAX_DEPTH or rng.random() < P_ABSENT):
                    continue
                value = self.value(sub, (*path, name), depth + 1, required=is_required)
                if value is _ABSENT:
                    continue
                out[name] = value
                if is_required and self.trace is not None:
                    self.trace.required.append(_pointer((*path, name)))
            return out
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            # A map: a few keys with values of the given schema.
            for _ in range(0 if depth >= MAX_DEPTH else rng.randint(0, 2)):
                key = _word(rng)
                value = self.value(extra, (*path, key), depth + 1, required=True)
                if value is not _ABSENT:
                    out[key] = value
            return out
        if extra is False:
            return out
        # Free-form object (metadata and the like): {} or a small dict of scalars.
        for _ in range(rng.choice((0, 0, 1, 2, 3))):
            out[_word(rng)] = rng.choice((_word(rng), rng.randint(0, 1000), rng.random() < 0.5, None, 1.5))
        return out

    def _flatten_all_of(self, schema: dict[str, Any]) -> list[dict[str, Any]]:
        members: list[dict[str, Any]] = []
        own = {k: v for k, v in schema.items() if k not in ("allOf", "nullable", "$ref")}
        if "allOf" in schema:
            for member in schema["allOf"]:
                member = resolve(member) if "$ref" in member else member
                if "allOf" in member:
                    members.extend(self._flatten_all_of(member))
                else:
                    members.append(member)
        if any(k in own for k in ("properties", "required", "enum", "type", "oneOf", "anyOf", "items", "format")):
            members.append(own)
        return members

    def _all_of(self, schema: dict[str, Any], path: tuple[str | int, ...], depth: int) -> Any:
        members = self._flatten_all_of(schema)
        shapes = [m for m in members if "properties" in m or m.get("type") == "object" or "required" in m]
        if len(members) == 1 or len(shapes) != len(members) or any("oneOf" in m or "anyOf" in m for m in members):
            if len(members) != 1:
                raise ValueError(f"allOf of non-object members at {_pointer(path)} is not supported")
            return self.value(members[0], path, depth, required=True)
        properties: dict[str, Any] = {}
        required: set[str] = set()
        for member in members:
            for name, sub in member.get("properties", {}).items():
                if name in properties and properties[name] != sub:
                    raise ValueError(f"allOf members disagree on {_pointer((*path, name))}")
                properties[name] = sub
            required.update(member.get("required", ()))
        return self._object(properties, required, {}, path, depth)

    def _one_of(self, schema: dict[str, Any], key: str, path: tuple[str | int, ...], depth: int) -> Any:
        branches = schema[key]
        own = {k: v for k, v in schema.items() if k not in (key, "nullable", "type", "description", "title")}
        for _ in range(ONE_OF_TRIES):
            branch = self.rng.choice(branches)
            mark = self._mark()
            value = self.value(branch, path, depth + 1, required=True)
            if value is _ABSENT:
                value = None if schema.get("nullable") else value
            if key == "anyOf" or own or sum(_branch_validator(b).is_valid(value) for b in branches) == 1:
                return value
            self._rewind(mark)
        raise ValueError(f"no value matches exactly one oneOf branch at {_pointer(path)}")

    def _mark(self) -> tuple[int, int, int] | None:
        t = self.trace
        return None if t is None else (len(t.enums), len(t.integers), len(t.required))

    def _rewind(self, mark: tuple[int, int, int] | None) -> None:
        if self.trace is not None and mark is not None:
            del self.trace.enums[mark[0] :]
            del self.trace.integers[mark[1] :]
            del self.trace.required[mark[2] :]


def generate(event_name: str, rng: random.Random, trace: Trace | None = None) -> dict[str, Any]:
    """One `data` payload of `event_name` the provider's schema accepts, drawn from `rng`."""
    value = _Generator(rng, trace).value(_request_schema(event_name), (), 0, required=True)
    if not isinstance(value, dict):
        raise AssertionError(f"{event_name}: generated data is not an object: {value!r}")
    return value
