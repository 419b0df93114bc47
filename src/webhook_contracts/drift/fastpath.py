"""A fast, exact gate in front of the drift walker: clean lines never become dicts.

A contract revision is compiled into msgspec types (one Struct per object of
the contract with `forbid_unknown_fields`, `Literal` for object tags, bounded
integers, maps with generated-id keys) and a function, generated from the
contract, that checks the identifier prefixes and formats of a decoded payload.
Decoding a log line straight into those types is faster than parsing it into
dicts with orjson, and together with that function it succeeds only when the
reference walker (:func:`webhook_contracts.drift.check_payload`) would find
nothing at all, not even an info-level `new_open_key`. Every other line (drift,
text before the JSON, payload fields, unknown events, bad JSON) is refused and
takes the detailed path, which explains it.

Written by hand because no library checks "would this payload produce no
drift finding": jsonschema and jsonschema-rs answer "is it valid", which is a
different question (an open object is valid, a new key in it is drift), and
pydantic's lax mode turns `"900"` into `900`.

Where a check cannot be expressed exactly the gate accepts less, never more:
an event whose contract the gate cannot express is not gated at all. Dates and
timestamps are matched by the patterns of :mod:`.rfc3339`, the rule the walker
and the generated models use, so the gate and the walker judge them alike;
integers and numbers by msgspec's `int` and `float`, which apply the rule of
:mod:`.jsonnumbers`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec

from ..payloads.detect import EventShape
from ..values.formats import prefix_from_pattern
from ..values.jsontypes import SCHEMA_ORDER
from ..values.rfc3339 import DATE_PATTERN, DATE_TIME_PATTERN
from .walker import CompiledContract, Node

#: The predicates of :mod:`.formats` as regexes, matching the same strings.
_FORMATS = {
    "date": DATE_PATTERN,
    "date-time": DATE_TIME_PATTERN,
    "email": r"[^@\s\"<>]+@[^@\s\"<>]+\.[A-Za-z0-9-]{2,}",
    "uri": r"[A-Za-z][A-Za-z0-9+.-]*://[^\s]+",
}
#: Same language as :func:`.formats.is_generated_key`: the prefix holds no digit, so the body must.
_GENERATED_KEY = r"^[a-z]{1,8}[_-](?=[0-9A-Za-z]*[0-9])[0-9A-Za-z]{10,}\Z"
_ANY_OBJECT = dict[str, Any]


class _Unsupported(Exception):
    """The contract holds something the gate cannot express exactly."""


@dataclass(frozen=True, eq=False)
class Pass:
    """A line the gate let through: a clean payload of *event*.

    A gate holds one per event and way of reading, so identity is equality
    (and hashing one, to count them, costs no Python call).
    """

    event: str
    by_shape: int
    #: "webhook" for a project-settings envelope, "distribution", or "bare" for bare data.
    kind: str = "bare"
    #: A distribution's own name (its envelope's `type`).
    distribution: str | None = None


class _Compiler:
    """Builds the msgspec types of a contract and, beside them, the code that checks their strings.

    msgspec checks the shape: known keys only, required keys present, types,
    object tags. Identifier prefixes and formats are checked by one function per
    event, generated from the contract, that runs through a decoded payload.
    msgspec's own `Meta(pattern=...)` costs about 0.3 µs a string, and a payload
    holds about forty identifiers and timestamps; a `__post_init__` per Struct
    costs a Python call for each of the thirty-odd objects of a payload. The
    generated function makes one call per payload and costs a `startswith` per
    identifier and one compiled regex match per timestamp.
    """

    def __init__(self) -> None:
        self._names = itertools.count()
        self._scope: dict[str, Any] = {}
        #: The Struct built for each object node (by identity: nodes are not hashable).
        self._struct_of: dict[int, type[msgspec.Struct]] = {}

    def struct(self, node: Node, **config: Any) -> type[msgspec.Struct]:
        """A Struct for an object node: known keys only, required keys present."""
        fields: list[tuple[Any, ...]] = []
        rename = {}
        for number, (key, child) in enumerate(sorted(node.children.items())):
            name = f"f{number}"
            rename[name] = key
            kind = self.type_of(child, checked=True)
            # A missing documented field is an info finding: the gate lets it through only when present.
            required = child.spec is not None and (child.spec.required or child.spec.documented)
            fields.append((name, kind) if required else (name, kind, None))
        return msgspec.defstruct(
            f"Gate{next(self._names)}",
            fields,
            kw_only=True,
            forbid_unknown_fields=True,
            gc=False,
            rename=rename,
            **config,
        )

    def checker(self, node: Node, root: type[msgspec.Struct]) -> Callable[[Any], bool]:
        """The function that says whether every string below a decoded *root* passes its tests."""
        lines = ["def check(v0):"]
        self._emit_object(node, root, "v0", lines, 1, 1)
        lines.append("    return True")
        scope = dict(self._scope)
        exec("\n".join(lines), scope)  # code built from the contract by the _emit methods
        check: Callable[[Any], bool] = scope["check"]
        return check

    def type_of(self, node: Node, *, checked: bool = False) -> Any:
        """The msgspec type of a position; with *checked*, its string tests are left to the checker."""
        spec = node.spec
        if spec is None:
            raise _Unsupported("a position without a spec")
        kinds = spec.types or SCHEMA_ORDER
        if spec.enum is not None and set(kinds) - {"string", "integer", "null"}:
            raise _Unsupported("an enum of numbers or booleans")
        options: list[Any] = []
        for kind in kinds:
            if kind == "null":
                options.append(None)
            elif kind == "boolean":
                options.append(bool)
            elif kind == "integer" and spec.enum is not None:
                options.append(self._integer_enum(spec.enum))
            elif kind == "integer":
                # msgspec's `int` and `float` apply the rule of .jsonnumbers: `int` takes integer tokens
                # of any size and refuses `900.0` and `9e2`; `float` takes any number token a double
                # holds as a finite number (an integer too) and refuses `1e400`.
                if "number" not in kinds:
                    options.append(int)
            elif kind == "number":
                options.append(float)
            elif kind == "string":
                options.append(str if checked and spec.const is None and spec.enum is None else self._string(node))
            elif kind == "array":
                item = self.type_of(node.items) if node.items is not None else Any
                options.append(list[item])  # type: ignore[valid-type]  # a type built at run time, for msgspec
            elif kind == "object":
                options.append(self._object(node))
        if not options:
            raise _Unsupported(f"no type for {spec.types}")
        out = options[0]
        for option in options[1:]:
            out = out | option
        return out

    @staticmethod
    def _integer_enum(enum: tuple[Any, ...]) -> Any:
        """`Literal` of the integer values (msgspec refuses `1.0` and `true` for it, as the walker does)."""
        values = tuple(v for v in enum if isinstance(v, int) and not isinstance(v, bool))
        if not values or any(isinstance(v, (bool, float)) for v in enum):
            raise _Unsupported("an enum of numbers or booleans")
        return Literal[values]

    def _object(self, node: Node) -> Any:
        if node.free_form:
            return _ANY_OBJECT
        if node.values is not None:
            return dict[Annotated[str, msgspec.Meta(pattern=_GENERATED_KEY)], self.type_of(node.values)]  # type: ignore[misc]  # built at run time
        struct = self._struct_of.get(id(node))
        if struct is None:  # a node met twice gets one Struct, so the checker's class tests hold
            struct = self._struct_of[id(node)] = self.struct(node)
        return struct

    def _emit_object(
        self,
        node: Node,
        struct: type[msgspec.Struct],
        var: str,
        lines: list[str],
        indent: int,
        level: int,
    ) -> None:
        """Code checking the fields of *var*, a decoded *struct* of *node* (*level* deep)."""
        pad = "    " * indent
        for number, (_key, child) in enumerate(sorted(node.children.items())):
            spec = child.spec
            assert spec is not None  # type_of refused a position without one
            body: list[str] = []
            single = len(spec.types or SCHEMA_ORDER) == 1 and (spec.required or spec.documented)
            self._emit_value(child, f"v{level}", body, indent, level + 1, single=single, strings=True)
            if body:
                lines.append(f"{pad}v{level} = {var}.f{number}")
                lines.extend(body)

    def _emit_value(
        self,
        node: Node,
        var: str,
        lines: list[str],
        indent: int,
        level: int,
        *,
        single: bool,
        strings: bool,
    ) -> None:
        """Code checking the value *var* of *node*: its string tests (when msgspec leaves them to us,
        *strings*) and everything below it. *single*: the value can only have one type."""
        spec = node.spec
        assert spec is not None
        kinds = spec.types or SCHEMA_ORDER
        pad = "    " * indent
        if strings and "string" in kinds and spec.const is None and spec.enum is None:
            condition = self._string_condition(node, var)
            if condition is not None:
                guard = "" if single else f"{var}.__class__ is str and "
                lines.append(f"{pad}if {guard}not ({condition}): return False")
        below: list[tuple[str, str, list[str]]] = []  # (guard, loop, body)
        nested = self._struct_of.get(id(node))
        if "object" in kinds and nested is not None:
            body: list[str] = []
            self._emit_object(node, nested, var, body, indent + (not single), level)
            below.append((f"{var}.__class__ is {self._name(nested)}", "", body))
        # Map values and array items: msgspec checked their strings (Meta patterns), not what is below them.
        for kind, item, cls, loop in (
            ("object", None if node.free_form else node.values, "dict", f"for v{level} in {var}.values():"),
            ("array", node.items, "list", f"for v{level} in {var}:"),
        ):
            if kind in kinds and item is not None and item.spec is not None:
                body = []
                self._emit_value(
                    item,
                    f"v{level}",
                    body,
                    indent + 1 + (not single),
                    level + 1,
                    single=len(item.spec.types or SCHEMA_ORDER) == 1,
                    strings=False,
                )
                below.append((f"{var}.__class__ is {cls}", loop, body))
        for guard, loop, body in below:
            if not body:
                continue
            inner = pad
            if not single:
                lines.append(f"{pad}if {guard}:")
                inner = pad + "    "
            if loop:
                lines.append(f"{inner}{loop}")
            lines.extend(body)

    def _string_condition(self, node: Node, var: str) -> str | None:
        prefix, shape = self._string_tests(node)
        conditions = []
        if prefix is not None:
            if not re.fullmatch(r"[a-z]{1,8}[_-]", prefix):
                raise _Unsupported(f"prefix {prefix!r}")
            conditions.append(f"{var}.startswith({prefix!r})")
        if shape is not None:
            test = f"_t{len(self._scope)}"
            self._scope[test] = re.compile(shape).fullmatch
            conditions.append(f"{test}({var}) is not None")
        return " and ".join(conditions) or None

    def _name(self, struct: type[msgspec.Struct]) -> str:
        self._scope[struct.__name__] = struct
        return struct.__name__

    def _string_tests(self, node: Node) -> tuple[str | None, str | None]:
        """(identifier prefix, format regex) a string at *node* must satisfy."""
        spec = node.spec
        if spec is None or "string" not in (spec.types or ("string",)):
            return None, None
        prefix = prefix_from_pattern(spec.pattern) if spec.pattern is not None else None
        shape = _FORMATS.get(spec.format) if spec.format is not None else None
        if spec.format is not None and shape is None:
            raise _Unsupported(f"format {spec.format}")
        return prefix, shape

    def _string(self, node: Node) -> Any:
        spec = node.spec
        assert spec is not None
        prefix, shape = self._string_tests(node)
        if spec.enum is not None:
            values = tuple(v for v in spec.enum if isinstance(v, str))
            if not values:
                raise _Unsupported("a string position whose enum holds no string")
            for value in values:
                if (prefix is not None and not value.startswith(prefix)) or (
                    shape is not None and not re.fullmatch(shape, value)
                ):
                    raise _Unsupported("an enum value that breaks its own format")
            return Literal[values]
        if spec.const is not None:
            value = spec.const
            if (prefix is not None and not value.startswith(prefix)) or (
                shape is not None and not re.fullmatch(shape, value)
            ):
                raise _Unsupported("a tag that breaks its own format")
            return Literal[value]
        if prefix is None and shape is None:
            return str
        pattern = "^" + (f"(?={re.escape(prefix)})" if prefix else "") + (f"(?:{shape})\\Z" if shape else "")
        return Annotated[str, msgspec.Meta(pattern=pattern)]


def _top_keys(field: str | None) -> set[str]:
    """Top-level keys a payload field could be found under (`body`, or `request` of `request.body`)."""
    return set() if field is None else {field, field.split(".", 1)[0]}


#: The root Struct of an event's data, its decoder, and the function that checks its strings.
_Compiled = tuple[type[msgspec.Struct], msgspec.json.Decoder[Any], Callable[[Any], bool]]
#: Distribution names a gate keeps a :class:`Pass` for; lines of further names take the detailed path.
MAX_GATED_DISTRIBUTIONS = 50


class _Head(msgspec.Struct, gc=False):
    """What names the event of an envelope, read when the gate meets an event it has not compiled yet."""

    type: Any = None
    source: Any = None
    event: Any = None


_HEAD = msgspec.json.Decoder(_Head)
#: The top-level keys of a line, its values left as raw bytes (about a quarter of a full parse).
_TOP_KEYS = msgspec.json.Decoder(dict[str, msgspec.Raw])


class DriftGate:
    """Lets through the lines of clean payloads; :meth:`check` returns None for every other line.

    *contract_of* gives the contract in force of an event (compiled once, when
    the gate first meets the event: a log holds a few of the contracts' events,
    and compiling all of them would cost more than scanning a small log);
    *events* are the events to gate; *shapes* the top-level schemas bare payloads
    are detected by, as the scanner does (unused when *event* is given); *event*
    the event every payload is taken to be, if given.

    With *envelope_keys* (the provider's envelope keys, among them `type`,
    `data`, `source` and `event`) both envelopes are read: a project-settings
    webhook names its event in `type`, a distribution (`source.object` is
    `distribution`) in `event.type`, with its own name in `type` (reported per
    name, as the scanner does). Without, every envelope takes the detailed path.
    """

    def __init__(
        self,
        contract_of: Callable[[str], CompiledContract],
        *,
        events: Iterable[str],
        shapes: Mapping[str, dict[str, Any]],
        event: str | None = None,
        threshold: float = 0.6,
        payload_field: str | None = None,
        envelope_keys: Iterable[str] | None = None,
    ) -> None:
        self.event = event
        self._contract_of = contract_of
        self._events = frozenset(events)
        self._compiler = _Compiler()
        #: event -> (root Struct, its decoder, checker), or None when the gate cannot express the contract.
        self._compiled: dict[str, _Compiled | None] = {}
        self._tags: dict[type, tuple[Pass, Callable[[Any], bool]]] = {}
        self._distributions: dict[tuple[str, str], Pass] = {}
        hidden = _top_keys(payload_field)
        #: Fields of the delivery envelope besides `type` and `data`; they are parsed, not checked.
        self._rest = tuple(sorted(set(envelope_keys or ()) - {"type", "data"}))
        #: The attribute of a decoded envelope that holds its `source`.
        self._source = f"e{self._rest.index('source')}" if "source" in self._rest else ""
        self._envelopes = (
            envelope_keys is not None
            and bool(self._source)
            and "event" in self._rest
            and not hidden & {"type", "data", *self._rest}
        )
        self._envelope: msgspec.json.Decoder[Any] | None = None
        #: Events whose envelopes the decoder knows (rebuilt when the gate meets another).
        self._in_union: set[str] = set()
        self._distribution = self._distribution_decoder() if self._envelopes else None
        bare = [e for e in sorted(self._events) if self._bare_ok(e, shapes, threshold, hidden)]
        if event is not None:
            bare = [event] if event in bare else []
        by_shape = int(event is None)
        #: (pass, event, the keys a clean payload has, the keys it may have) of each event bare data may be.
        self._bare = [(Pass(e, by_shape), e, *_key_range(shapes[e])) for e in bare]

    def _compile(self, event: str) -> _Compiled | None:
        """The decoder and checker of *event*, built on first use (None: not gated)."""
        if event in self._compiled:
            return self._compiled[event]
        entry = None
        if event in self._events:
            contract = self._contract_of(event)
            if contract.root.values is None:
                try:
                    root = self._compiler.struct(contract.root)
                    entry = (root, msgspec.json.Decoder(root), self._compiler.checker(contract.root, root))
                except (_Unsupported, TypeError, ValueError):
                    entry = None
        self._compiled[event] = entry
        return entry

    def _bare_ok(self, event: str, shapes: Mapping[str, dict[str, Any]], threshold: float, hidden: set[str]) -> bool:
        """Whether bare data clean for *event* is surely read as such (not as an envelope, a payload field
        or another event)."""
        top = shapes.get(event, {})
        own = EventShape.of(top)
        keys = set(own.properties)
        if not keys or "type" in keys or hidden & keys or isinstance(top.get("additionalProperties"), dict):
            return False
        if self.event is not None:
            return True
        if not own.required or threshold > 1.0:
            return False
        # Detection takes the highest score and calls a tie ambiguous: no other event may score 1.0.
        for other, schema in shapes.items():
            shape = EventShape.of(schema)
            if other != event and shape.properties and shape.required <= keys and own.required <= shape.properties:
                return False
        return True

    def _envelope_decoder(self) -> msgspec.json.Decoder[Any] | None:
        """A decoder of the project-settings envelopes of the events compiled so far."""
        rest = [(f"e{i}", Any, None) for i, _ in enumerate(self._rest)]
        rename = {f"e{i}": key for i, key in enumerate(self._rest)}
        config: dict[str, Any] = {"kw_only": True, "forbid_unknown_fields": True, "gc": False, "rename": rename}
        self._tags = {}
        self._in_union = {name for name, compiled in self._compiled.items() if compiled is not None}
        if self.event is not None:
            compiled = self._compiled.get(self.event)
            if compiled is None:
                return None
            kind = msgspec.defstruct("Envelope", [("type", str), ("data", compiled[0]), *rest], **config)
            self._tags[kind] = (Pass(self.event, 0, "webhook"), compiled[2])
            return msgspec.json.Decoder(kind)
        union: Any = None
        for i, (name, compiled) in enumerate(sorted(self._compiled.items())):
            if compiled is None:
                continue
            fields: list[tuple[str, Any] | tuple[str, Any, Any]] = [("data", compiled[0]), *rest]
            kind = msgspec.defstruct(f"Envelope{i}", fields, tag_field="type", tag=name, **config)
            self._tags[kind] = (Pass(name, 0, "webhook"), compiled[2])
            union = kind if union is None else union | kind
        return None if union is None else msgspec.json.Decoder(union)

    def _distribution_decoder(self) -> msgspec.json.Decoder[Any]:
        """A distribution's envelope, its data left raw until the event (in `event.type`) is known."""
        rest = [(f"e{i}", Any, None) for i, key in enumerate(self._rest) if key not in ("source", "event")]
        rename = {f"e{i}": key for i, key in enumerate(self._rest) if key not in ("source", "event")}
        kind = msgspec.defstruct(
            "Distribution",
            [("type", str), ("data", msgspec.Raw), ("source", dict[str, Any]), ("event", dict[str, Any]), *rest],
            kw_only=True,
            forbid_unknown_fields=True,
            gc=False,
            rename=rename,
        )
        return msgspec.json.Decoder(kind)

    def check(self, line: bytes) -> Pass | None:
        """The event of a clean payload on *line*, or None: then the line needs the detailed path."""
        return self.check_span(line, memoryview(line), 0, len(line))

    def check_span(self, buf: bytes, view: memoryview, start: int, end: int) -> Pass | None:
        """:meth:`check` for the line `buf[start:end]`, read in place (*view* is `memoryview(buf)`).

        Which decoders are tried is guessed from the bytes (an envelope has a
        `"data":` key, an event a required key of its own); a wrong guess only
        sends a clean line to the detailed path, it never lets drift through.
        """
        if buf.find(b'"data":', start, end) >= 0:
            return self._from_envelope(view[start:end]) if self._envelopes else None
        return self._from_bare(buf, view, start, end)

    def _from_envelope(self, line: memoryview) -> Pass | None:
        decoder = self._envelope
        if decoder is not None:
            try:
                envelope = decoder.decode(line)
                found, check = self._tags[type(envelope)]
                source = getattr(envelope, self._source)
                if source.__class__ is dict and source.get("object") == "distribution":
                    return self._from_distribution(line)
                return found if check(envelope.data) else None
            except Exception:  # any failure at all only means "not proven clean"
                pass
        return self._from_other(line)

    def _from_other(self, line: memoryview) -> Pass | None:
        """An envelope the compiled decoders refused: a distribution, or an event not compiled yet."""
        try:
            head = _HEAD.decode(line)
        except Exception:  # not JSON: the detailed path explains it
            return None
        if head.source.__class__ is dict and head.source.get("object") == "distribution":
            return self._from_distribution(line)
        name = self.event or head.type
        if name.__class__ is not str or name in self._in_union or name not in self._events:
            return None
        if self._compile(name) is None:  # compiled already (for bare data), or now
            return None
        self._envelope = self._envelope_decoder()
        return self._from_envelope(line)

    def _from_distribution(self, line: memoryview) -> Pass | None:
        try:
            envelope = self._distribution.decode(line)  # type: ignore[union-attr]  # set when envelopes are gated
            named = envelope.event.get("type")
            event = self.event or named
            if named.__class__ is not str or event not in self._events:
                return None
            compiled = self._compile(event)
            if compiled is None or not compiled[2](compiled[1].decode(envelope.data)):
                return None
        except Exception:  # as above
            return None
        key = (event, envelope.type)
        found = self._distributions.get(key)
        if found is None:
            if len(self._distributions) >= MAX_GATED_DISTRIBUTIONS:
                return None
            found = self._distributions[key] = Pass(event, 0, "distribution", envelope.type)
        return found

    def _from_bare(self, buf: bytes, view: memoryview, start: int, end: int) -> Pass | None:
        """Bare data: its top-level keys (read without decoding the values) pick the one event it can be."""
        if not self._bare:
            return None
        line = view[start:end]
        try:
            keys = _TOP_KEYS.decode(line).keys()
        except Exception:  # not a JSON object: the detailed path explains it
            return None
        for found, event, expected, allowed in self._bare:
            if not (keys >= expected and keys <= allowed):
                continue
            # No other event accepts these keys (see _bare_ok): this one decides.
            compiled = self._compile(event)
            if compiled is None:
                return None
            try:
                return found if compiled[2](compiled[1].decode(line)) else None
            except Exception:  # as above
                return None
        return None


def _key_range(top: dict[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """The top-level keys clean data of an event has (expected) and may have (its properties)."""
    shape = EventShape.of(top)
    return shape.required, shape.properties
