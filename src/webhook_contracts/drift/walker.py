"""Drift of one payload from its contract, as findings.

A contract revision is compiled once into a tree of :class:`Node` objects (from
:func:`~webhook_contracts.schemadiff.flatten_schema`); :func:`check_payload`
walks the event data and the tree together and returns what departs from it:

- ``new_field``: a key the contract does not describe (for a new object only
  its root is reported, nothing inside it);
- ``missing_field``: a required key that is absent;
- ``retyped_field``: another JSON type than the contract allows (a string for
  an integer, a number for an integer, an array for an object, a `null` where
  none is allowed, a value where the docs only ever showed `null`); integers
  and numbers by the rule of :mod:`.jsonnumbers` (`900.0` is a number, not an
  integer; `1e400` is no number);
- ``format_changed``, ``prefix_changed``, ``new_constant``: a string in another
  format, an identifier with another prefix, a new value of an object tag;
- ``new_enum_value``: a value outside the enum the provider documents (a
  consumer's exhaustive `match` breaks on it);
- ``missing_documented_field``: a field every example shows, though the
  provider does not promise it, is absent (information by default);
- ``new_open_key``: a key inside an object the contract leaves open (an object
  documented without fields, or a non-id key in an id-keyed map).

New keys (``new_field`` and ``new_open_key``) are listed up to *max_new_keys*
per object position of a payload (config `max-new-keys`); past that, one
``new_keys_not_listed`` finding at the object counts the rest (`unlisted`), so
a payload with a million new keys costs a bounded report, not a million findings.

Not drift: keys inside free-form `metadata`, generated-id keys of maps
(`order.redemptions`), other identifiers with the same prefix, and optional
fields present or absent.

Findings never carry payload values unless asked for; the `observed` side
names types, formats and prefixes. The one exception is the value of an
object tag (`"object": "voucher"`), which is vocabulary of the provider's API,
not customer data, and only when it is shaped like one (lower-case snake); it
goes under ``extra["observed_value"]``, not into `observed`, so that a tag
whose values are generated makes one finding per path, not one per value.

:func:`check_payload` is the reference implementation; a faster gate may skip
payloads that it would find clean, but must agree with it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..diff.schemas import FieldSpec, flatten_schema
from ..findings import DRIFT_SEVERITY, OBSERVED_VALUE, Finding, Severity
from ..values.formats import formats_of, has_format, is_generated_key, prefix_from_pattern
from ..values.jsonnumbers import misfit
from ..values.jsontypes import FREE_FORM_KEYS, JSON_TYPE_OF, json_type
from ..values.pointer import ANY_ITEM, append_pointer, parent_pointer, unescape_pointer

ABSENT = "absent"
#: What a `new_constant` finding observed: one finding per path whatever the value, which goes
#: under :data:`~webhook_contracts.findings.OBSERVED_VALUE` (drift counts the distinct values).
ANOTHER_VALUE = "another value"
_TAG_SHAPE = re.compile(r"[a-z][a-z0-9_]{0,47}")
_PREFIX_SHAPE = re.compile(r"([a-z]{1,12}[_-])[0-9A-Za-z]+")
#: Nesting below which a payload is not followed (the interpreter's stack is finite).
MAX_DEPTH = 64
_VALUE_CHARS = 200

_MESSAGES = {
    "new_field": "field not in the contract ({observed})",
    "new_open_key": "new key in an open object ({observed})",
    "missing_field": "required field is missing (expected {expected})",
    "retyped_field": "expected {expected}, got {observed}",
    "format_changed": "expected format {expected}, got {observed}",
    "prefix_changed": "expected identifier prefix {expected}, got {observed}",
    "new_constant": "expected the tag {expected}, got {observed}",
    "new_enum_value": "value outside the documented enum ({observed}; expected one of {expected})",
    "missing_documented_field": "field shown in every example is absent (expected {expected})",
    "new_keys_not_listed": "more than {expected} new keys in this object: the rest are counted, not listed "
    "(max-new-keys)",
}
#: New keys listed per object position of a payload, by default (config `max-new-keys`).
MAX_NEW_KEYS = 100
#: Enum values are the provider's vocabulary (`LOYALTY_CARD`, `customer.order.paid`); other text is shown as "other".
_VOCABULARY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
_ENUM_LABEL_CHARS = 120


@dataclass(frozen=True)
class Node:
    """What the contract says about one position and the positions below it."""

    spec: FieldSpec | None
    children: Mapping[str, Node] = field(default_factory=dict)
    #: Array items (`*` below an array).
    items: Node | None = None
    #: Values of an id-keyed map (`*` below an object).
    values: Node | None = None
    free_form: bool = False
    # Fixed for the contract, so computed once here rather than for every payload:
    #: The node's JSON Pointer (`/order/items/*/quantity`).
    path: str = ""
    #: JSON types a value here may have (an integer is a number too); None: any.
    accepts: frozenset[str] | None = None
    #: The identifier prefix the contract pins here, if any.
    prefix: str | None = None
    #: Whether a string here has anything to check beyond its type (format, prefix, constant).
    string_checks: bool = False
    #: Python types of a value here that leave nothing to check: the type is accepted
    #: and there is nothing below it or in it to look at. The walker skips these
    #: without a call, which is most values of a payload.
    settled: frozenset[type] = frozenset()
    #: Keys of :attr:`children` the contract requires.
    required: frozenset[str] = frozenset()
    #: Whether a string here is accepted and has checks (format, prefix, constant).
    checks_strings: bool = False
    #: Whether an object here is accepted and its keys are looked at (not free-form).
    opens_objects: bool = False
    #: :attr:`required` and the keys every example shows (`x-documented`) together: one subset test
    #: per object tells whether any of them is missing.
    expected: frozenset[str] = frozenset()
    #: The values the contract allows here, if it lists them (`enum`).
    enum: frozenset[Any] | None = None


@dataclass(frozen=True)
class CompiledContract:
    """One contract revision, ready to check payloads against."""

    event: str
    api_version: str
    revision: int
    root: Node

    def __getstate__(self) -> dict[str, Any]:
        """The contract without its native walker (a C object): a process it is sent to builds its own."""
        return {k: v for k, v in self.__dict__.items() if k != "native"}

    @functools.cached_property
    def native(self) -> Any:
        """The extension's walker of this tree (:mod:`.native.walk`), or None when drift runs in Python."""
        from .native import load

        module = load()
        if module is None or module.MAX_DEPTH != MAX_DEPTH:
            return None
        from .native.walk import walker_nodes

        return module.Walker(walker_nodes(self.root), _step, _add_new_key, _NOTHING)


def compile_contract(
    schema: dict[str, Any],
    *,
    event: str,
    api_version: str,
    revision: int,
    fields: Mapping[str, FieldSpec] | None = None,
) -> CompiledContract:
    """Build the lookup tree of a contract once, to check many payloads (*fields*: the schema already
    flattened, as the registry keeps it)."""
    flat = flatten_schema(schema) if fields is None else fields
    below: dict[str, list[str]] = {}  # parent path -> the paths right below it, sorted
    for pointer in sorted(flat):
        below.setdefault(parent_pointer(pointer), []).append(pointer)
    return CompiledContract(event, api_version, revision, _build(flat, below, "", None))


def _build(flat: Mapping[str, FieldSpec], below: dict[str, list[str]], path: str, spec: FieldSpec | None) -> Node:
    cut = len(path) + 1
    every = append_pointer(path, ANY_ITEM)
    children = {unescape_pointer(p[cut:]): _build(flat, below, p, flat[p]) for p in below.get(path, ()) if p != every}
    star = _build(flat, below, every, flat[every]) if every in flat else None
    is_array = spec is not None and "array" in spec.types
    last = path.rsplit("/", 1)[-1]
    accepts = None
    if spec is not None and spec.types:
        accepts = frozenset(spec.types) | ({"integer"} if "number" in spec.types else set())
    items = star if is_array else None
    free_form = last in FREE_FORM_KEYS and star is None and not children
    enum = (
        frozenset(v for v in spec.enum if v is None or isinstance(v, (str, int, float)))
        if spec is not None and spec.enum is not None
        else None
    )
    string_checks = spec is not None and bool(spec.format or spec.pattern or spec.const is not None or enum is not None)
    required = frozenset(k for k, c in children.items() if c.spec is not None and c.spec.required)
    documented = frozenset(k for k, c in children.items() if c.spec is not None and c.spec.documented)
    return Node(
        spec=spec,
        children=children,
        items=items,
        values=None if is_array else star,
        free_form=free_form,
        path=path,
        accepts=accepts,
        prefix=prefix_from_pattern(spec.pattern) if spec is not None and spec.pattern else None,
        string_checks=string_checks,
        settled=_settled(
            spec,
            accepts,
            string_checks=string_checks,
            free_form=free_form,
            has_items=items is not None,
            enum=enum,
        ),
        required=required,
        checks_strings=string_checks and (accepts is None or "string" in accepts),
        opens_objects=spec is not None and (accepts is None or "object" in accepts) and not free_form,
        expected=required | documented,
        enum=enum,
    )


def _settled(
    spec: FieldSpec | None,
    accepts: frozenset[str] | None,
    *,
    string_checks: bool,
    free_form: bool,
    has_items: bool,
    enum: frozenset[Any] | None = None,
) -> frozenset[type]:
    """The Python types for which :func:`_walk` would find nothing at a node (see :attr:`Node.settled`)."""
    if spec is None:
        return frozenset()
    out = {py for py, kind in JSON_TYPE_OF.items() if accepts is None or kind in accepts}
    if string_checks:
        out.discard(str)
    if enum is not None:
        out -= {int, float, bool}
    if accepts is not None:
        # A typed number may break the rule of .jsonnumbers (1e400; 10**400 where only a number goes).
        out.discard(float)
        if "integer" not in spec.types:
            out.discard(int)
    if not free_form:
        out.discard(dict)
    if has_items:
        out.discard(list)
    return frozenset(out)


def check_payload(
    data: dict[str, Any],
    contract: CompiledContract,
    *,
    show_values: bool = False,
    severities: Mapping[str, Severity] = DRIFT_SEVERITY,
    max_new_keys: int = MAX_NEW_KEYS,
) -> list[Finding]:
    """Every way *data* (the event data, not the envelope) departs from *contract*.

    One finding per (kind, path, expected, observed), however many array items
    show it; sorted by path, then kind. At most *max_new_keys* new keys are
    listed per object position; the rest are counted (``new_keys_not_listed``).
    """
    raw = _walk_payload(data, contract, max_new_keys)
    findings = []
    for (kind, path, expected, observed), value in sorted(raw.items(), key=lambda kv: (kv[0][1], kv[0])):
        if kind == "new_keys_not_listed":
            extra: dict[str, Any] = {"unlisted": value}
        else:
            extra = {"value": _show(value)} if show_values and value is not _NOTHING else {}
        if kind == "new_constant":
            extra[OBSERVED_VALUE] = _tag_label(value, show_values)
        findings.append(
            Finding(
                kind=kind,
                severity=severities.get(kind, DRIFT_SEVERITY.get(kind, Severity.WARNING)),
                message=_MESSAGES[kind].format(expected=expected, observed=observed),
                event=contract.event,
                api_version=contract.api_version,
                revision=contract.revision,
                path=path,
                expected=expected,
                observed=observed,
                extra=extra,
            )
        )
    return findings


_NOTHING = object()


class _Raw(dict[tuple[str, str, str, str], Any]):
    """The findings of one payload by (kind, path, expected, observed), with the first value seen."""

    def __init__(self, max_new_keys: int) -> None:
        super().__init__()
        self.max_new_keys = max_new_keys
        #: Object position -> new keys listed there.
        self.listed: dict[str, int] = {}
        #: Object position -> new keys seen there beyond the listed ones.
        self.unlisted: dict[str, int] = {}


def _walk_payload(data: dict[str, Any], contract: CompiledContract, max_new_keys: int) -> _Raw:
    raw = _Raw(max_new_keys)
    native = contract.native
    if native is not None:
        native.walk(data, raw)
    else:
        _walk(data, contract.root, raw, 0)
    for path, count in raw.unlisted.items():
        raw[("new_keys_not_listed", path, str(max_new_keys), "more")] = count
    return raw


def _add_new_key(raw: _Raw, kind: str, path: str, key: str, item: Any) -> None:
    """A key the contract does not describe, in the object at *path*: listed while there is room, else counted."""
    found = (kind, append_pointer(path, key), ABSENT, json_type(item))
    if found in raw:
        return
    listed = raw.listed.get(path, 0)
    if listed < raw.max_new_keys:
        raw.listed[path] = listed + 1
        raw[found] = item
    else:
        raw.unlisted[path] = raw.unlisted.get(path, 0) + 1


def _add(raw: _Raw, kind: str, path: str, expected: str, observed: str, value: Any = _NOTHING) -> None:
    raw.setdefault((kind, path, expected, observed), value)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"


def _walk(value: Any, node: Node, raw: _Raw, depth: int) -> None:
    """The reference step: one value against its node, whatever they are."""
    kind = JSON_TYPE_OF.get(type(value)) or json_type(value)
    spec = node.spec
    if spec is not None:
        if node.accepts is not None:
            odd = misfit(value, spec.types) if kind in ("integer", "number") else None
            if odd is not None or kind not in node.accepts:
                _add(raw, "retyped_field", node.path, spec.type_label(), odd or kind, value)
                return
        if kind == "string":
            if node.string_checks:
                _check_string(value, node, raw)
            return
        if node.enum is not None and kind in ("integer", "number", "boolean") and not _in_enum(value, node.enum):
            _add(raw, "new_enum_value", node.path, _enum_label(node.enum), _show(value), value)
            return
    if depth > MAX_DEPTH or node.free_form:
        return
    if kind == "object":
        _walk_object(value, node, raw, depth)
    elif kind == "array" and node.items is not None:
        items = node.items
        for item in value:
            _step(item, items, raw, depth + 1)


def _step(value: Any, node: Node, raw: _Raw, depth: int) -> None:
    """What :func:`_walk` does, with shortcuts for the common cases (most values of a payload)."""
    cls = type(value)
    if cls in node.settled:
        return
    if cls is str and node.checks_strings:
        _check_string(value, node, raw)
    elif cls is dict and node.opens_objects and depth <= MAX_DEPTH:
        _walk_object(value, node, raw, depth)
    else:
        _walk(value, node, raw, depth)


def _walk_object(value: dict[str, Any], node: Node, raw: _Raw, depth: int) -> None:
    path = node.path
    if node.values is not None:
        values = node.values
        for key, item in value.items():
            if is_generated_key(key):
                _step(item, values, raw, depth + 1)
            else:
                _add_new_key(raw, "new_open_key", path, key, item)
        return
    children = node.children
    if not children:
        for key, item in value.items():
            _add_new_key(raw, "new_open_key", path, key, item)
        return
    # The payload's keys drive the loop: a contract describes many optional fields
    # a payload leaves out. The order findings are found in does not matter
    # (check_payload sorts them). This loop inlines _step, the hottest code of drift.
    depth += 1
    for key, item in value.items():
        child = children.get(key)
        if child is None:
            _add_new_key(raw, "new_field", path, key, item)
            continue
        cls = type(item)
        if cls in child.settled:
            continue
        if cls is str and child.checks_strings:
            _check_string(item, child, raw)
        elif cls is dict and child.opens_objects and depth <= MAX_DEPTH:
            _walk_object(item, child, raw, depth)
        else:
            _walk(item, child, raw, depth)
    if node.expected and not value.keys() >= node.expected:
        _add_missing(value, node, raw)


def _add_missing(value: dict[str, Any], node: Node, raw: _Raw) -> None:
    """The keys required or shown in every example (:attr:`Node.expected`) that *value* lacks."""
    for key in node.expected - value.keys():
        raw.setdefault(missing_finding(node.children[key]), _NOTHING)


def missing_finding(child: Node) -> tuple[str, str, str, str]:
    """The finding (kind, path, expected, observed) of an expected key that is absent: *child* is its node."""
    assert child.spec is not None  # required and documented come from the spec
    kind = "missing_field" if child.spec.required else "missing_documented_field"
    return (kind, child.path, child.spec.type_label(), ABSENT)


def _check_string(value: str, node: Node, raw: _Raw) -> None:
    spec = node.spec
    assert spec is not None  # only nodes with a spec check strings
    if spec.format is not None and not has_format(value, spec.format):
        _add(raw, "format_changed", node.path, spec.format, "|".join(sorted(formats_of(value))) or "other", value)
    if node.prefix is not None and not value.startswith(node.prefix):
        _add(raw, "prefix_changed", node.path, node.prefix, _prefix_label(value), value)
    if spec.const is not None and value != spec.const:
        _add(raw, "new_constant", node.path, spec.const, ANOTHER_VALUE, value)
    if node.enum is not None and value not in node.enum:
        _add(
            raw,
            "new_enum_value",
            node.path,
            _enum_label(node.enum),
            value if _VOCABULARY.fullmatch(value) else "other",
            value,
        )


def _tag_label(value: str, show_values: bool) -> str:
    """An object tag as a report may show it: itself when shaped like one (API vocabulary), else "other"."""
    if _TAG_SHAPE.fullmatch(value):
        return value
    return _show(value) if show_values else "other"


def _in_enum(value: Any, enum: frozenset[Any]) -> bool:
    """Membership with JSON's types: `true` is not `1`, and `1.0` is not the integer `1`."""
    return any(type(v) is type(value) and v == value for v in enum if v is not None)


def _enum_label(enum: frozenset[Any]) -> str:
    text = "|".join(sorted(json.dumps(v) if not isinstance(v, str) else v for v in enum if v is not None))
    return text if len(text) <= _ENUM_LABEL_CHARS else text[: _ENUM_LABEL_CHARS - 1] + "…"


def _prefix_label(value: str) -> str:
    """The identifier prefix a value carries, without the identifier itself."""
    match = _PREFIX_SHAPE.fullmatch(value)
    return match.group(1) if match else "none"


def count_findings(data: dict[str, Any], contract: CompiledContract, max_new_keys: int = MAX_NEW_KEYS) -> int:
    """How many findings *data* has against *contract* (for revision matching), as :func:`check_payload` lists them."""
    return len(_walk_payload(data, contract, max_new_keys))
