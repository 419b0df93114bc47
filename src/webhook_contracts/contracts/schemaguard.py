"""Schema files from pull requests are input like any other: refuse what could hang or crash.

A schema is checked once, when it is loaded: :func:`check_metaschema` (it
must be a valid Draft 2020-12 schema; jsonschema's metaschema is bundled and
nothing is fetched) for every command that uses it as a contract, and
:func:`check_schema_safety` always (`regen` may read a broken published
revision, to replace it):

- a `$ref` chain must not come back to where it started without descending
  into the payload (`{"$ref": "#"}`, `a -> b -> a` through `$ref`, `allOf`,
  `anyOf`, `oneOf`, `not`, `if`/`then`/`else`): jsonschema would recurse
  until the interpreter's stack runs out. A recursive *structure* (a tree
  whose children are trees) is fine: it ends where the payload ends;
- every `pattern` and `patternProperties` key must compile for RE2;
- its fields, `$ref`s followed, must number at most
  :data:`~webhook_contracts.schemadiff.MAX_POSITIONS` (drift and diff flatten it).

Why RE2: jsonschema matches `pattern` with Python's `re`, a backtracking
engine. `^(a+)+$` against thirty `a`s and a `!` takes minutes, and even
`.*x` is quadratic on a long string, so neither a list of "bad shapes" nor a
timeout bounds the time a hostile contract can cost. RE2 matches in time
linear in the input, always; the price is that lookaround and backreferences
are refused (the toolkit itself only writes `^prefix_` patterns, and JSON
Schema recommends the portable subset anyway). :data:`SafeValidator` is
jsonschema's Draft 2020-12 validator with `pattern` and `patternProperties`
matched by RE2, `integer` and `number` are judged by the rule of
:mod:`.jsonnumbers` (`900.0` is not an integer, `1e400` not a number);
:func:`bounded_validator` also keeps at most a given number of errors under
each `anyOf`/`oneOf` branch (jsonschema keeps every one of them,
so a nullable object holding a million wrong items would hold a million errors).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema_rs
import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

from ..diff.schemas import FieldSpec, flatten_schema
from ..errors import SchemaFileError
from ..values import jsonnumbers
from ..values.pointer import append_pointer

if TYPE_CHECKING:
    # jsonschema (with referencing) costs tens of milliseconds to import, which `drift` does not
    # need: it is imported where a schema is validated or explained, not here.
    from jsonschema.exceptions import ValidationError

#: Keywords whose subschemas apply to the same instance (no descent into the payload).
_IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
_IN_PLACE_ONE = ("not", "if", "then", "else")
#: Keywords whose values are data, not subschemas.
_DATA_KEYWORDS = frozenset({"const", "enum", "examples", "default"})
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # RE2 would print to stderr; the error is raised instead


@functools.lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """*pattern* compiled for RE2; raises ValueError when RE2 cannot match it."""
    try:
        return re2.compile(pattern, options=_RE2_OPTIONS)
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        raise ValueError(str(reason)) from exc


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    from jsonschema.exceptions import ValidationError

    if isinstance(instance, str) and compile_pattern(pattern).search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(validator: Any, patterns: dict[str, Any], instance: Any, schema: Any) -> Iterator[Any]:
    if not isinstance(instance, dict):
        return
    for pattern, subschema in patterns.items():
        compiled = compile_pattern(pattern)
        for key, value in instance.items():
            if compiled.search(key) is not None:
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


@functools.cache
def safe_validator() -> Any:
    """Draft 2020-12 with patterns matched in linear time and the contracts' rule for numbers."""
    from jsonschema import Draft202012Validator, validators

    types = Draft202012Validator.TYPE_CHECKER.redefine_many(
        {
            "integer": lambda _checker, instance: jsonnumbers.is_integer(instance),
            "number": lambda _checker, instance: jsonnumbers.is_number(instance),
        }
    )
    return validators.extend(  # type: ignore[no-untyped-call]  # jsonschema leaves extend untyped
        Draft202012Validator,
        {"pattern": _pattern, "patternProperties": _pattern_properties},
        type_checker=types,
    )


def _branch_errors(validator: Any, instance: Any, subschemas: list[Any], limit: int) -> tuple[list[Any], int | None]:
    """The errors of each branch in turn (at most *limit* per branch), and the first branch without any."""
    errors: list[Any] = []
    for index, subschema in enumerate(subschemas):
        found = list(islice(validator.descend(instance, subschema, schema_path=index), limit))
        if not found:
            return errors, index
        errors.extend(found)
    return errors, None


@functools.cache
def bounded_validator(limit: int) -> Any:
    """:func:`safe_validator` whose `anyOf` and `oneOf` errors keep at most *limit* errors per branch.

    The messages of these and of `type` do not repeat the instance (jsonschema's do, and an
    instance may be megabytes).
    """
    from jsonschema import validators
    from jsonschema.exceptions import ValidationError

    def any_of(validator: Any, subschemas: list[Any], instance: Any, schema: Any) -> Iterator[ValidationError]:
        errors, valid = _branch_errors(validator, instance, subschemas, limit)
        if valid is None:
            yield ValidationError("is not valid under any of the given schemas", context=errors)

    def one_of(validator: Any, subschemas: list[Any], instance: Any, schema: Any) -> Iterator[ValidationError]:
        errors, valid = _branch_errors(validator, instance, subschemas, limit)
        if valid is None:
            yield ValidationError("is not valid under any of the given schemas", context=errors)
            return
        if any(validator.evolve(schema=other).is_valid(instance) for other in subschemas[valid + 1 :]):
            yield ValidationError("is valid under more than one of the given schemas")

    return validators.extend(  # type: ignore[no-untyped-call]  # jsonschema leaves extend untyped
        safe_validator(), {"anyOf": any_of, "oneOf": one_of, "type": _type}
    )


def _type(validator: Any, types: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    from jsonschema.exceptions import ValidationError

    wanted = types if isinstance(types, list) else [types]
    if not any(validator.is_type(instance, name) for name in wanted):
        yield ValidationError(f"is not of type {', '.join(repr(name) for name in wanted)}")


#: The dialect the toolkit writes and checks against.
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def check_metaschema(schema: dict[str, Any], source: str | Path) -> None:
    """Refuse a schema that is not valid Draft 2020-12 (checked offline, against the bundled metaschema)."""
    if _surely_valid(schema):
        return
    from jsonschema import Draft202012Validator

    try:
        Draft202012Validator.check_schema(schema)
    except Exception as exc:  # SchemaError, and RecursionError on absurd nesting
        raise SchemaFileError(source, f"not a valid JSON Schema: {getattr(exc, 'message', exc)}") from exc


def _surely_valid(schema: Any) -> bool:
    """jsonschema-rs's yes to "is this valid Draft 2020-12"; False means "ask jsonschema".

    jsonschema takes about 160 ms to check a contract against the 2020-12
    metaschema (its `$dynamicRef`s are resolved through URL joins), which was
    most of a `drift` start-up; jsonschema-rs answers in a fraction of a
    millisecond. Only its yes is trusted: a no is explained, with jsonschema's
    message, by jsonschema. It is asked only about schemas that declare 2020-12
    or no dialect: for any other top-level `$schema` it would try to download
    the metaschema. It does not check `pattern`s against the `regex` format;
    :func:`check_schema_safety` compiles every one of them.
    """
    if not isinstance(schema, dict) or schema.get("$schema", DRAFT_2020_12) != DRAFT_2020_12:
        return False
    try:
        return bool(jsonschema_rs.meta.is_valid(schema))
    except Exception:  # any trouble at all only means "ask jsonschema"
        return False


def check_schema_safety(schema: dict[str, Any], source: str | Path) -> dict[str, FieldSpec]:
    """Refuse a schema with an in-place `$ref` cycle, a pattern RE2 cannot run or an explosive fan-out.

    The flattened schema that bounds the fan-out is returned, for the caller to keep (drift compiles it).
    """
    nodes = dict(_iter_schema_nodes(schema))
    for pointer, node in nodes.items():
        for key, pattern in _patterns(node):
            try:
                compile_pattern(pattern)
            except ValueError as exc:
                raise SchemaFileError(
                    source,
                    f"pattern {pattern!r} cannot be matched in bounded time ({exc}); "
                    "lookaround and backreferences are not supported",
                    where=f"{pointer}/{key}",
                ) from None
    cycle = _find_cycle(nodes)
    if cycle:
        raise SchemaFileError(
            source,
            "$ref cycle that never reaches the payload: " + " -> ".join(p or "#" for p in cycle),
            where=cycle[0] or "/",
        )
    return flatten_schema(schema, source=str(source))


def _patterns(node: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if isinstance(node.get("pattern"), str):
        yield "pattern", node["pattern"]
    props = node.get("patternProperties")
    if isinstance(props, dict):
        for key in props:
            yield "patternProperties", key


def _iter_schema_nodes(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(JSON Pointer, object) of every object that may be a subschema, iteratively."""
    stack: list[tuple[str, Any]] = [("", schema)]
    while stack:
        pointer, node = stack.pop()
        if isinstance(node, dict):
            yield pointer, node
            stack.extend((append_pointer(pointer, k), v) for k, v in node.items() if k not in _DATA_KEYWORDS)
        elif isinstance(node, list):
            stack.extend((f"{pointer}/{i}", v) for i, v in enumerate(node))


def _in_place_edges(pointer: str, node: dict[str, Any], anchors: dict[str, str]) -> Iterator[str]:
    for key in ("$ref", "$dynamicRef"):
        ref = node.get(key)
        if isinstance(ref, str) and ref.startswith("#"):
            fragment = ref[1:]
            target = fragment if fragment == "" or fragment.startswith("/") else anchors.get(fragment)
            if target is not None:
                yield target
    for key in _IN_PLACE_LISTS:
        if isinstance(node.get(key), list):
            yield from (f"{pointer}/{key}/{i}" for i in range(len(node[key])))
    for key in _IN_PLACE_ONE:
        if isinstance(node.get(key), dict):
            yield f"{pointer}/{key}"
    deps = node.get("dependentSchemas")
    if isinstance(deps, dict):
        yield from (append_pointer(f"{pointer}/dependentSchemas", k) for k in deps)


def _find_cycle(nodes: dict[str, dict[str, Any]]) -> list[str]:
    """A path of in-place edges that returns to its start, or []."""
    anchors = {n["$anchor"]: p for p, n in nodes.items() if isinstance(n.get("$anchor"), str)}
    edges = {p: [t for t in _in_place_edges(p, n, anchors) if t in nodes] for p, n in nodes.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(edges):
        if start in state:
            continue
        path = [start]
        todo = [iter(edges[start])]
        state[start] = 1
        while todo:
            nxt = next(todo[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                todo.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                todo.append(iter(edges[nxt]))
    return []
