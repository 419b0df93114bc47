"""Inputs for the drift fuzz targets: real payloads, mutated, wrapped and written as logs.

The seeds are the doc pages' examples and the payloads of the sample log. A
payload is mutated in its structure (a key dropped, added or retyped, an enum
value, an object tag, a timestamp or an identifier prefix changed), wrapped in
one of the ways payloads are delivered or logged, serialised, and then perhaps
mutated byte by byte. Values that must never reach a report are tracked beside
each line (see :func:`secrets_of`).
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_LOG = ROOT / "tests/data/sample-log/production.ndjson"
PAGES = ROOT / "docs/voucherify/v2024-01-01"
#: A customer's name and email: text no report may show unless values are asked for.
CANARY = "Ada Lovelace ada.fuzz@example.com"

# What structured mutations put in place of a value, or add as a new key.
_VALUES: tuple[Any, ...] = (
    None,
    True,
    0,
    -1,
    2**63,
    2**64,
    1.5,
    1e308,
    "",
    "7",
    "2024-02-30",
    "2024-01-01T00:00:00Z",
    "cust_x",
    CANARY,
    {},
    [],
    {"note": CANARY},
    [CANARY],
)
_KEYS = ("extra", "object", "metadata", "amount", "customer_id", "created_at", "id", "type", "data", "Name", "")
_ENUM_VALUES = ("OTHER_VALUE", "loyalty_card", "LOYALTY-CARD", "customer.order.paid", "", CANARY)
_TAGS = ("client", "voucher", "customer", "Customer", "order item", "")
_TIMESTAMPS = (
    "2024-04-01T10:00:00Z",
    "2024-04-01T10:00:00",
    "2024-02-30T10:00:00Z",
    "2024-04-01T23:59:60Z",
    "2024-04-01T10:00:00.1234567Z",
    "2024-04-01",
    "2024-04-01t10:00:00z",
    "2024-04-01T10:00:00+24:00",
    "2024-04-01 10:00:00Z",
    "1712000000",
)
_PREFIXES = ("cus_", "CUST_", "", "v_", "camp_", "evcus_", "cust-")
_TEXT_PREFIXES = (b"2024-04-01T10:00:00.000Z INFO webhook received ", b"[INFO] ", b"hook: {} ")
#: What a byte mutation writes into a line.
NOISE = (
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b"\\",
    b"\n",
    b"\r\n",
    b"\r",
    b"\x00",
    b"\xff",
    b"\xef\xbb\xbf",
    b"NaN",
    b"1e999",
    b'"a":',
    b",",
    b" ",
    b"\xc3",
    b"\xe2\x80\xae",
)
WRAPS = ("bare", "webhook", "distribution", "unknown", "other-type", "body-object", "body-string", "prefix")
MUTATIONS = ("drop", "add", "retype", "enum", "tag", "timestamp", "prefix")


@functools.cache
def seeds() -> tuple[tuple[str, dict[str, Any]], ...]:
    """(event, data) of every doc example and every payload of the sample log."""
    from webhook_contracts.drift.records import iter_records
    from webhook_contracts.payloads.envelope import unwrap
    from webhook_contracts.providers.voucherify.pages import read_doc_page

    out = [(page.stem, data) for page in sorted(PAGES.glob("*.txt")) for data in read_doc_page(page).examples]
    for record in iter_records([SAMPLE_LOG.as_posix()], payload_field="body"):
        if record.ok and isinstance(record.value, dict) and isinstance(record.value.get("data"), dict):
            unwrapped = unwrap(record.value, "sample")
            if unwrapped.event is not None:
                out.append((unwrapped.event, unwrapped.data))
    return tuple(out)


@functools.cache
def events() -> tuple[str, ...]:
    return tuple(sorted({event for event, _ in seeds()}))


@dataclass(frozen=True)
class Line:
    """One line of a generated log, and the values in it that no report may show."""

    data: bytes
    secrets: frozenset[str] = frozenset()


def _positions(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _positions(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _positions(item, (*path, index))


def _mutate(data: dict[str, Any], kind: str, pick: int, value: Any) -> None:
    """One structured mutation of *data*, in place, at the position *pick* chooses among those it fits."""
    places = [p for p in _positions(data) if p]
    node_of = functools.partial(_node, data)
    if kind == "add":
        holders = [(), *(p for p in places if isinstance(node_of(p), dict))]
        node_of(holders[pick % len(holders)])[_KEYS[pick % len(_KEYS)] or f"k{pick % 97}"] = value
        return
    fits: Callable[[tuple[Any, ...]], bool] = {
        "drop": lambda p: True,
        "retype": lambda p: True,
        "enum": lambda p: isinstance(node_of(p), str),
        "tag": lambda p: p[-1] == "object",
        "timestamp": lambda p: isinstance(node_of(p), str) and node_of(p)[:2] in ("19", "20"),
        "prefix": lambda p: isinstance(node_of(p), str) and "_" in node_of(p)[:9],
    }[kind]
    chosen = [p for p in places if fits(p)]
    if not chosen:
        return
    *parents, last = chosen[pick % len(chosen)]
    parent = node_of(tuple(parents))
    if kind == "drop":
        del parent[last]
    elif kind == "retype":
        parent[last] = copy.deepcopy(value)
    elif kind == "enum":
        parent[last] = _ENUM_VALUES[pick % len(_ENUM_VALUES)]
    elif kind == "tag":
        parent[last] = _TAGS[pick % len(_TAGS)]
    elif kind == "timestamp":
        parent[last] = _TIMESTAMPS[pick % len(_TIMESTAMPS)]
    else:
        old = parent[last]
        parent[last] = _PREFIXES[pick % len(_PREFIXES)] + old.split("_", 1)[1]


def _node(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def dump(value: Any) -> bytes:
    """Compact JSON (integers beyond 64 bits included, which orjson does not write)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass")


def wrap(
    event: str,
    data: dict[str, Any],
    how: str,
    pick: int = 0,
    created_at: Any = "2024-04-01T00:00:00.000Z",
) -> bytes:
    """*data* of *event* as a log line delivered and logged the way *how* names."""
    if how == "bare":
        return dump(data)
    other = events()[pick % len(events())]
    envelope: dict[str, Any] = {
        "id": "evt_Ysd9QMbVzB5USjvznPgZdbae",
        "project_id": "proj_1GNKETxNRERO",
        "created_at": created_at,
        "type": other if how == "other-type" else event,
        "data": data,
        "source": {"channel": "API"},
        "event": {"id": "evcus_66GwtCB5sNRhriL3kf"},
    }
    if how in ("distribution", "unknown"):
        envelope["type"] = ("Loyalty welcome mail", other, "")[pick % 3]
        envelope["source"] = {"id": "distr_1", "object": "distribution", "target_url": "https://example.com/h"}
        envelope["event"] = {"id": "evcus_1", "type": event} if how == "distribution" else {"id": "evcus_1"}
    if how == "body-object":
        return dump({"received_at": "2024-04-01T10:00:00Z", "body": envelope})
    if how == "body-string":
        return dump({"received_at": "2024-04-01T10:00:00Z", "body": json.dumps(envelope)})
    if how == "prefix":
        return _TEXT_PREFIXES[pick % len(_TEXT_PREFIXES)] + dump(envelope)
    return dump(envelope)


def secrets_of(data: Any) -> frozenset[str]:
    """String values of the event data that are a customer's text (spaces, an `@`), not API vocabulary:
    none of them may appear in a report unless values are shown."""
    found: set[str] = set()
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and len(value) >= 6 and (" " in value or "@" in value):
            found.add(value)
    return frozenset(found - _vocabulary())


@functools.cache
def _vocabulary() -> frozenset[str]:
    """Every string of the contracts (enum values, constants): a report may name these."""
    found: set[str] = set()
    for path in (ROOT / "schemas").rglob("*.json"):
        stack: list[Any] = [json.loads(path.read_text("utf-8"))]
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                stack.extend(value.values())
            elif isinstance(value, list):
                stack.extend(value)
            elif isinstance(value, str):
                found.add(value)
    return frozenset(found)


def mutate_bytes(data: bytes, edits: list[tuple[int, bytes]]) -> bytes:
    """*data* with each edit written over a few bytes at a position (deletions and insertions included)."""
    out = bytearray(data)
    for at, noise in edits:
        where = at % (len(out) + 1)
        out[where : where + at % 5] = noise
    return bytes(out)


BYTE_EDITS = st.lists(st.tuples(st.integers(0, 1 << 16), st.sampled_from(NOISE)), max_size=3)


@st.composite
def payload_lines(draw: st.DrawFn, *, byte_edits: bool = True) -> Line:
    """A real payload, mutated in its structure (and maybe its bytes), wrapped, as one log line."""
    event, data = draw(st.sampled_from(seeds()))
    data = copy.deepcopy(data)
    for kind, pick, value in draw(
        st.lists(
            st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 1 << 16), st.sampled_from(_VALUES)),
            max_size=3,
        )
    ):
        _mutate(data, kind, pick, value)
    created_at = draw(st.sampled_from(["2024-04-01T00:00:00.000Z", *_TIMESTAMPS, CANARY, None]))
    line = wrap(event, data, draw(st.sampled_from(WRAPS)), draw(st.integers(0, 1 << 16)), created_at)
    edits = draw(BYTE_EDITS) if byte_edits and draw(st.integers(0, 3)) == 0 else []
    return Line(mutate_bytes(line, edits), secrets_of([data, created_at]))


#: Lines a log holds besides payloads.
OTHER_LINES = st.sampled_from(
    [
        b"",
        b"   ",
        b"\r",
        b"\xef\xbb\xbf",
        b"2024-04-01 WARN not a payload",
        b"[INFO] started",
        b"{",
        b"]",
        b"[",
        b'{"a": 1}',
        b"null",
        b"\xff\xfe",
        b'{"body": null}',
        b'{"body": "{\\"a\\": 1}"}',
        b"x" * 300,
    ]
).map(Line)
