"""Write the sample production log and the drift it is labelled with.

    python tools/make_sample_log.py [--payloads N] [--out DIR]

The payloads are the doc-page examples with other identifiers (same
prefixes), amounts, dates, names, metadata keys and redemption ids, optional
fields dropped or added, wrapped in every way a production log wraps them:
bare event data, the delivery envelope, a record carrying it under `body`
(as an object or a JSON string), and a line of text before the JSON. Labelled
drift of every kind is injected into chosen payloads; malformed lines, blank
lines and events without a contract are mixed in. `labels.json` records the
exact drift (grouped, with counts) and the lines that must be reported as
unparseable or unknown.

The output is deterministic: the same seed gives the same bytes (the gzip copy
is written with mtime 0). Read it with `--payload-field body`.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import random
import string
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from webhook_contracts.contracts.registry import load_registry  # noqa: E402
from webhook_contracts.diff.schemas import FieldSpec, flatten_schema  # noqa: E402
from webhook_contracts.providers import get_provider  # noqa: E402
from webhook_contracts.providers.voucherify.pages import read_doc_page  # noqa: E402
from webhook_contracts.values.formats import formats_of  # noqa: E402

SEED = 20240101
API_VERSION = "v2024-01-01"
DOCS = REPO / "docs" / "voucherify" / API_VERSION
OUT = REPO / "tests" / "data" / "sample-log"
NAME = "production.ndjson"
ALNUM = string.ascii_letters + string.digits
NAMES = ("Ada Byron", "Grace Hopper", "Alan Turing", "Edsger Dijkstra", "Barbara Liskov", "Ken Thompson")
REWARDED = "customer.rewarded.loyalty_points"
ADDED = "customer.voucher.loyalty_card.pending_points.added"
ACTIVATED = "voucher.loyalty_card.pending_points.activated"

Mutation = Callable[[dict[str, Any], random.Random], None]


def _items(key: str, field: str, value: Callable[[random.Random], Any]) -> Mutation:
    def mutate(data: dict[str, Any], rng: random.Random) -> None:
        for item in data[key]["items"]:
            item[field] = value(rng)

    return mutate


def _set(path: str, value: Callable[[random.Random], Any]) -> Mutation:
    *parents, last = path.strip("/").split("/")

    def mutate(data: dict[str, Any], rng: random.Random) -> None:
        node = data
        for part in parents:
            node = node[part]
        node[last] = value(rng)

    return mutate


def _drop(path: str) -> Mutation:
    *parents, last = path.strip("/").split("/")

    def mutate(data: dict[str, Any], rng: random.Random) -> None:
        node = data
        for part in parents:
            node = node[part]
        del node[last]

    return mutate


def _body(rng: random.Random, size: int = 24) -> str:
    return "".join(rng.choice(ALNUM) for _ in range(size))


def _redemptions(data: dict[str, Any], rng: random.Random) -> None:
    data["order"].setdefault("redemptions", {})["pending"] = {"count": 1}


# (event, kind, path, expected, observed, payloads, mutation)
DRIFT: tuple[tuple[str, str, str, str, str, int, Mutation], ...] = (
    (
        REWARDED,
        "new_field",
        "/order/items/*/discount_rate",
        "absent",
        "number",
        17,
        _items("order", "discount_rate", lambda rng: round(rng.random(), 2) + 0.01),
    ),
    (
        REWARDED,
        "new_field",
        "/voucher/loyalty_card/tiers",
        "absent",
        "object",
        6,
        _set("/voucher/loyalty_card/tiers", lambda rng: {"current": {"id": "ltr_" + _body(rng), "points": 10}}),
    ),
    (
        REWARDED,
        "retyped_field",
        "/order/items/*/quantity",
        "integer",
        "string",
        11,
        _items("order", "quantity", lambda rng: str(rng.randint(1, 9))),
    ),
    (
        REWARDED,
        "retyped_field",
        "/order/amount",
        "integer",
        "number",
        5,
        _set("/order/amount", lambda rng: rng.randint(100, 90000) + 0.5),
    ),
    (
        REWARDED,
        "retyped_field",
        "/earning_rule/updated_at",
        "string|null",
        "integer",
        19,
        _set("/earning_rule/updated_at", lambda rng: rng.randint(1_700_000_000, 1_800_000_000)),
    ),
    (REWARDED, "new_open_key", "/order/redemptions/pending", "absent", "object", 8, _redemptions),
    (ADDED, "missing_documented_field", "/customer/source_id", "string", "absent", 9, _drop("/customer/source_id")),
    (ADDED, "missing_field", "/pending_points/voucher_id", "string", "absent", 5, _drop("/pending_points/voucher_id")),
    (
        ADDED,
        "format_changed",
        "/pending_points/created_at",
        "date-time",
        "date",
        7,
        _set("/pending_points/created_at", lambda rng: f"2024-03-{rng.randint(1, 28):02d}"),
    ),
    (
        ADDED,
        "prefix_changed",
        "/pending_points/id",
        "lopp_",
        "lpp_",
        4,
        _set("/pending_points/id", lambda rng: "lpp_" + _body(rng)),
    ),
    (
        ACTIVATED,
        "retyped_field",
        "/balance/related_object",
        "object",
        "array",
        3,
        _set("/balance/related_object", lambda rng: []),
    ),
    (ACTIVATED, "retyped_field", "/customer/name", "string", "null", 6, _set("/customer/name", lambda rng: None)),
    (
        ACTIVATED,
        "new_constant",
        "/voucher/object",
        "voucher",
        "another value",
        4,
        _set("/voucher/object", lambda rng: "loyalty_card"),
    ),
    (ACTIVATED, "new_field", "/order/redemptions", "absent", "object", 3, _redemptions),
    (
        ACTIVATED,
        "new_enum_value",
        "/order/status",
        "CANCELED|CREATED|FULFILLED|PAID",
        "REFUNDED",
        4,
        _set("/order/status", lambda rng: "REFUNDED"),
    ),
)
#: Events whose bare data has the shape of sibling events' data too: drift reports it as ambiguous
#: (unknown), never forces it onto one of them, so bare payloads of these are unknown lines.
AMBIGUOUS_BARE = frozenset({ADDED})


class Varier:
    """Clean variations of one doc example: what the contract allows, nothing else."""

    def __init__(self, flat: dict[str, FieldSpec], rng: random.Random) -> None:
        self.flat = flat
        self.rng = rng

    def vary(self, value: Any, path: str = "", key: str = "") -> Any:
        if isinstance(value, dict):
            return self._object(value, path, key)
        if isinstance(value, list):
            return [self.vary(item, f"{path}/*", key) for item in value]
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return self.rng.randint(0, max(10, value * 3))
        if isinstance(value, str):
            return self._string(value, key)
        return value

    def _object(self, value: dict[str, Any], path: str, key: str) -> dict[str, Any]:
        if key == "metadata":
            extra = {f"k{self.rng.randint(0, 99)}": self.rng.choice(["a", 1, True, None]) for _ in range(2)}
            return {**value, **extra}
        if key == "redemptions":
            template = next(iter(value.values()))
            return {
                "r_" + "".join(self.rng.choice("0123456789abcdef") for _ in range(17)) + "7": self.vary(
                    template, f"{path}/*", "*"
                )
                for _ in range(self.rng.randint(0, 3))
            }
        out = {}
        for name, item in value.items():
            here = f"{path}/{name}"
            spec = self.flat.get(here)
            if spec is not None and not spec.required and not spec.documented and self.rng.random() < 0.15:
                continue
            out[name] = self.vary(item, here, name)
        for here, spec in self.flat.items():
            name = here[len(path) + 1 :]
            direct = here.startswith(f"{path}/") and "/" not in name and name not in value and name != "*"
            if direct and not spec.required and spec.types == ("null",) and self.rng.random() < 0.3:
                out[name] = None
        return out

    def _string(self, value: str, key: str) -> str:
        prefix = get_provider("voucherify").id_prefix_of(value)
        if prefix is not None:
            return prefix + _body(self.rng, max(len(value) - len(prefix), 8))
        formats = formats_of(value)
        if "date-time" in formats:
            fraction = len(value) - 21 if "." in value else 0
            r = self.rng
            stamp = (
                f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
                f"T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
            )
            digits = "".join(self.rng.choice(string.digits) for _ in range(max(fraction, 0)))
            return f"{stamp}.{digits}Z" if fraction > 0 else f"{stamp}Z"
        if "date" in formats:
            return f"2024-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}"
        if key == "name" and value and value[0].isupper() and " " in value:
            return self.rng.choice(NAMES)
        if key == "code":
            return _body(self.rng, 8)
        return value


class LogWriter:
    """Lines of the log, with what each must produce."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lines: list[bytes] = []
        self.unparseable: list[int] = []
        self.unknown: list[int] = []
        self.events: Counter[str] = Counter()

    def _stamp(self) -> str:
        n = len(self.lines)
        return f"2024-04-{1 + n // 400:02d}T{n // 20 % 24:02d}:{n % 60:02d}:{n * 7 % 60:02d}.{n % 1000:03d}Z"

    def envelope(self, event: str, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "evt_" + _body(self.rng),
            "project_id": "proj_" + _body(self.rng, 12),
            "created_at": self._stamp(),
            "type": event,
            "data": data,
            "source": {"channel": "API"},
            "event": {"id": "evcus_" + _body(self.rng, 18)},
        }

    def payload(self, event: str | None, data: dict[str, Any], *, plain: bool = False, envelope: bool = False) -> bool:
        """One payload line in a randomly chosen wrapping (with *plain*, only the envelope or bare data).

        Returns whether the payload went in an envelope (which names its event)."""
        roll = self.rng.random()
        enveloped = self.envelope(event, data) if event and (roll < 0.7 or envelope) else data
        style = 0.0 if plain else self.rng.random()
        if style < 0.6:
            line = _dumps(enveloped)
        elif style < 0.75:
            line = _dumps({"ts": self._stamp(), "level": "info", "msg": "webhook", "body": enveloped})
        elif style < 0.87:
            body = _dumps(enveloped).decode("utf-8")
            line = _dumps({"ts": self._stamp(), "level": "info", "msg": "webhook", "body": body})
        else:
            line = f"{self._stamp()} INFO webhook received ".encode() + _dumps(enveloped)
        self.lines.append(line)
        return enveloped is not data

    def bad(self, line: bytes) -> None:
        self.lines.append(line)
        self.unparseable.append(len(self.lines))


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def build(
    total: int,
    seed: int = SEED,
    *,
    plain: bool = False,
    drift_share: float | None = None,
) -> tuple[bytes, dict[str, Any]]:
    """The log and its labels, for *total* payloads of known events.

    With *plain* (for benchmarks) every payload is a line of its own, an
    envelope or bare data, and a line of noise comes every 997 payloads; with
    *drift_share* the labelled drift is scaled to about that share of payloads.
    """
    rng = random.Random(seed)
    registry = load_registry(REPO / "schemas")
    examples: dict[str, dict[str, Any]] = {}
    variers: dict[str, Varier] = {}
    for page in sorted(DOCS.glob("*.txt")):
        doc = read_doc_page(page)
        examples[doc.event] = doc.examples[0]
        flat = flatten_schema(registry.load(registry.latest(doc.event, API_VERSION)))
        variers[doc.event] = Varier(flat, rng)
    events = sorted(examples)
    plan = [events[i % len(events)] for i in range(total)]
    rng.shuffle(plan)
    positions: dict[str, list[int]] = {e: [i for i, p in enumerate(plan) if p == e] for e in events}
    injected: dict[int, list[int]] = {}
    scale = 1.0 if drift_share is None else drift_share * total / sum(spec[5] for spec in DRIFT)
    for number, (event, *_rest) in enumerate(DRIFT):
        for index in rng.sample(positions[event], min(len(positions[event]), max(1, round(DRIFT[number][5] * scale)))):
            injected.setdefault(index, []).append(number)
    writer = LogWriter(rng)
    labels: Counter[tuple[str, ...]] = Counter()
    for index, event in enumerate(plan):
        if not plain or index % 997 == 5:
            _noise(writer, rng, index)
        data = variers[event].vary(copy.deepcopy(examples[event]))
        if index % 9 == 4 and event == REWARDED:
            data["publication"] = None
        applied = []
        for number in injected.get(index, []):
            try:
                DRIFT[number][6](data, rng)
            except (KeyError, IndexError, TypeError):
                continue  # the clean variation left out the field this drift edits: not injected, not labelled
            applied.append(number)
        # The benchmark's log (plain) keeps every payload attributable: ambiguous events come enveloped.
        enveloped = writer.payload(event, data, plain=plain, envelope=plain and event in AMBIGUOUS_BARE)
        if not enveloped and event in AMBIGUOUS_BARE:
            writer.unknown.append(len(writer.lines))
            continue
        for number in applied:
            spec = DRIFT[number]
            labels[(spec[0], API_VERSION, spec[1], spec[2], spec[3], spec[4])] += 1
        writer.events[event] += 1
    for_text = sorted(labels.items())
    document = {
        "command": f"webhook-contracts drift --payload-field body tests/data/sample-log/{NAME}",
        "payload_field": "body",
        "seed": seed,
        "lines": len(writer.lines),
        "payloads": sum(writer.events.values()) + len(writer.unknown),
        "events": dict(sorted(writer.events.items())),
        "unparseable_lines": writer.unparseable,
        "unknown_lines": writer.unknown,
        "findings": [
            dict(zip(("event", "api_version", "kind", "path", "expected", "observed"), key, strict=True), count=count)
            for key, count in for_text
        ],
    }
    return b"\n".join(writer.lines) + b"\n", document


def _noise(writer: LogWriter, rng: random.Random, index: int) -> None:
    """Every few payloads: a blank line, a line that is no payload, or an event without a contract."""
    if index % 29 == 7:
        writer.lines.append(b"")
    if index % 13 != 5:
        return
    kind = (index // 13) % 7
    stamp = writer._stamp()
    if kind == 0:
        writer.bad(f"{stamp} WARN upstream timeout after {rng.randint(5, 30)}s".encode())
    elif kind == 1:
        line = _dumps(writer.envelope(ADDED, {"customer": {"id": "cust_" + _body(rng)}, "order": {}}))
        writer.bad(line[: rng.randint(20, len(line) - 5)])
    elif kind == 2:
        writer.bad(f"{stamp} INFO webhook received ".encode() + _dumps({"customer": {"name": "x"}})[:-3])
    elif kind == 3:
        writer.bad(_dumps({"ts": stamp, "level": "info", "body": rng.randint(1, 9)}))
    elif kind == 4:
        body = _dumps({"customer": {"id": "cust_" + _body(rng)}}).decode()[:-2]
        writer.bad(_dumps({"ts": stamp, "level": "info", "body": body}))
    elif kind == 5:
        writer.lines.append(_dumps(writer.envelope("customer.deleted", {"customer": {"id": "cust_" + _body(rng)}})))
        writer.unknown.append(len(writer.lines))
    else:
        writer.lines.append(_dumps({"object": "webhook_ping", "ok": True}))
        writer.unknown.append(len(writer.lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--payloads", type=int, default=2200, help="payloads of known events (default 2200)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    log, labels = build(args.payloads)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / NAME).write_bytes(log)
    (args.out / f"{NAME}.gz").write_bytes(gzip.compress(log, compresslevel=9, mtime=0))
    (args.out / "labels.json").write_text(json.dumps(labels, indent=2, sort_keys=True) + "\n", "utf-8")
    print(f"{labels['lines']} lines, {labels['payloads']} payloads, {len(labels['findings'])} labelled groups")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
