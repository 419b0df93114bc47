"""Provider-shaped traffic, generated from the raw OpenAPI document, through the real `drift` CLI.

`provider_traffic` is an oracle independent of the project's normaliser: whatever
it generates, the provider's own schema accepts (checked payload by payload), so
the contracts must not report an error on any of it. Breaking a payload the way
a provider change would (an enum value outside the enum, a required field gone,
an integer turned into a string) must be reported as an error.
"""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from drift_support import REPO, delete_pointer, set_pointer
from provider_traffic import EVENT_KEYS, Trace, event_schema, generate, provider_validator

from webhook_contracts.cli import main

EVENTS = (
    "customer.rewarded.loyalty_points",
    "customer.voucher.loyalty_card.pending_points.added",
    "voucher.loyalty_card.pending_points.activated",
)
COUNT = 1000
SEED = 20240101
#: Payloads broken per negative test.
BROKEN = 40


@cache
def _traffic(event: str) -> tuple[tuple[dict[str, Any], Trace], ...]:
    rng = random.Random(f"{SEED}:{event}")
    out = []
    for _ in range(COUNT):
        trace = Trace()
        out.append((generate(event, rng, trace), trace))
    return tuple(out)


def payloads(event: str) -> list[dict[str, Any]]:
    return [copy.deepcopy(data) for data, _ in _traffic(event)]


def _envelope(event: str, data: dict[str, Any], i: int) -> dict[str, Any]:
    event_part = {
        "id": f"evcus_x{i}",
        "type": event,
        "created_at": "2024-01-01T11:11:11.111Z",
        "group_id": f"v-x{i}",
        "event_source": {"channel": "API"},
    }
    if i % 2 == 0:  # project settings webhook
        return {
            "id": f"whs_x{i}",
            "project_id": "proj_x",
            "created_at": "2024-01-01T11:11:11.111Z",
            "type": event,
            "data": data,
            "source": {"id": "wh_x", "object": "webhook", "target_url": "https://example.com"},
            "event": event_part,
        }
    return {  # distribution
        "id": f"whs_x{i}",
        "project_id": "proj_x",
        "created_at": "2024-01-01T11:11:11.111Z",
        "type": "My distribution",
        "data": data,
        "source": {"id": "distr_x", "object": "distribution", "target_url": "https://example.com"},
        "event": event_part,
    }


def _drift(tmp_path: Path, event: str, datas: list[dict[str, Any]], name: str = "traffic") -> dict[str, Any]:
    log = tmp_path / f"{name}.ndjson"
    with log.open("w", encoding="utf-8") as out:
        for i, data in enumerate(datas):
            out.write(json.dumps(_envelope(event, data, i), separators=(",", ":")) + "\n")
    result = CliRunner().invoke(
        main,
        ["--root", str(REPO), "drift", "--format", "json", "--fail-on", "never", str(log)],
    )
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _short(finding: dict[str, Any]) -> str:
    keys = ("kind", "severity", "path", "expected", "observed", "count")
    return json.dumps({k: finding.get(k) for k in keys})


def _fragment(data: Any, pointer: str) -> Any:
    """The value at the parent of `pointer` (the first array item where the path has `*`)."""
    node = data
    for part in pointer.strip("/").split("/")[:-1]:
        if isinstance(node, list):
            if not node:
                return None
            node = node[0] if part == "*" else node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return None
    return node


# ---------------------------------------------------------------------------
# The oracle itself
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("event", EVENTS)
def test_event_keys_and_schema(event: str) -> None:
    key = EVENT_KEYS[event]
    assert key == "EVENTS." + event.upper()
    schema = event_schema(event)
    assert schema["type"] == "object" and schema["properties"]


@pytest.mark.parametrize("event", EVENTS)
def test_generation_is_deterministic(event: str) -> None:
    first = [generate(event, random.Random(7)) for _ in range(1)]
    rng_a, rng_b = random.Random(99), random.Random(99)
    assert [generate(event, rng_a) for _ in range(20)] == [generate(event, rng_b) for _ in range(20)]
    assert first == [generate(event, random.Random(7))]


@pytest.mark.parametrize("event", EVENTS)
def test_generated_payloads_are_accepted_by_the_provider_schema(event: str) -> None:
    validator = provider_validator(event)
    for n, (data, _) in enumerate(_traffic(event)):
        if validator.is_valid(data):
            continue
        errors = sorted(validator.iter_errors(data), key=lambda e: e.json_path)
        assert not errors, f"payload {n}: " + "; ".join(f"{e.json_path}: {e.message[:200]}" for e in errors)


@pytest.mark.parametrize("event", EVENTS)
def test_generated_payloads_vary(event: str) -> None:
    datas = payloads(event)
    assert len({json.dumps(d, sort_keys=True) for d in datas}) == COUNT
    # Nulls, absences, enum values and numbers of both kinds all show up.
    text = "\n".join(json.dumps(d) for d in datas)
    assert "null" in text
    enums = Counter((p, json.dumps(v)) for _, t in _traffic(event) for p, v in t.enums)
    assert len(enums) > 10


# ---------------------------------------------------------------------------
# Through the real CLI
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("event", EVENTS)
def test_provider_accepted_traffic_has_no_error_findings(tmp_path: Path, event: str) -> None:
    datas = payloads(event)
    report = _drift(tmp_path, event, datas)
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for f in errors:
        groups.setdefault((f["kind"], f["path"], str(f.get("expected"))), []).append(f)
    details = []
    for (kind, path, expected), found in groups.items():
        observed = sorted({str(f.get("observed")) for f in found})
        example = next((d for d in datas if _fragment(d, path) not in (None, [], {})), None)
        details.append(
            f"{kind} at {path}: expected {expected}, observed {observed[:5]}{'...' if len(observed) > 5 else ''}"
            f" in {sum(f['count'] for f in found)} payloads; e.g. parent {json.dumps(_fragment(example, path))[:300]}"
        )
    assert not errors, "contract rejects provider-accepted payloads:\n" + "\n".join(details)

    summary = report["summary"]
    assert summary["events"][event]["payloads"] == COUNT, summary["events"]
    assert set(summary["events"]) == {event}, summary["events"]
    assert summary["unknown"]["count"] == 0
    assert summary["deliveries"].get("webhook") == COUNT // 2, summary["deliveries"]
    assert summary["deliveries"].get("distribution") == COUNT - COUNT // 2, summary["deliveries"]
    assert summary["distributions"]["names"] == {"My distribution": COUNT - COUNT // 2}


# ---------------------------------------------------------------------------
# Broken on purpose: each must be an error
# ---------------------------------------------------------------------------

#: Where to break each kind, in order of preference; else the most frequent top-level-ish candidate.
_PREFERRED = {
    "enum": ("/balance/type", "/voucher/type"),
    "required": ("/customer", "/voucher", "/order/id"),
    "integer": ("/balance/balance", "/balance/total"),
}


def _shallow(pointer: str) -> bool:
    parts = pointer.strip("/").split("/")
    return len(parts) <= 2 and not any(p.isdigit() for p in parts)


def _choose(event: str, what: str) -> str:
    counts: Counter[str] = Counter()
    for _, trace in _traffic(event):
        if what == "enum":
            counts.update({p for p, _ in trace.enums if _shallow(p)})
        elif what == "integer":
            counts.update({p for p in trace.integers if _shallow(p)})
        else:
            counts.update({p for p in trace.required if _shallow(p)})
    for pointer in _PREFERRED[what]:
        if counts[pointer] >= BROKEN:
            return pointer
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def _break(event: str, what: str) -> tuple[str, list[dict[str, Any]]]:
    pointer = _choose(event, what)
    broken: list[dict[str, Any]] = []
    for data, trace in _traffic(event):
        if len(broken) == BROKEN:
            break
        data = copy.deepcopy(data)
        if what == "enum":
            allowed = dict(trace.enums).get(pointer)
            if allowed is None:
                continue
            value = "NOT_IN_ENUM_" + "_".join(str(v) for v in allowed)[:20]
            assert value not in allowed
            set_pointer(data, pointer, value)
        elif what == "integer":
            if pointer not in trace.integers:
                continue
            set_pointer(data, pointer, "12")
        else:
            if pointer not in trace.required:
                continue
            delete_pointer(data, pointer)
        broken.append(data)
    assert len(broken) == BROKEN, f"{event}: only {len(broken)} payloads hold {pointer}"
    return pointer, broken


@pytest.mark.parametrize(
    ("what", "kind"),
    [("enum", "new_enum_value"), ("required", "missing_field"), ("integer", "retyped_field")],
)
@pytest.mark.parametrize("event", EVENTS)
def test_breaking_changes_are_errors(tmp_path: Path, event: str, what: str, kind: str) -> None:
    pointer, broken = _break(event, what)
    report = _drift(tmp_path, event, broken, name=what)
    assert report["summary"]["events"][event]["payloads"] == BROKEN
    hits = [f for f in report["findings"] if f["path"] == pointer and f["kind"] == kind]
    near = [f for f in report["findings"] if f["severity"] == "error" or f["path"] == pointer]
    assert hits, f"{event}: no {kind} at {pointer}; errors and findings there: " + "; ".join(map(_short, near))
    assert all(f["severity"] == "error" for f in hits), "; ".join(map(_short, hits))
    assert sum(f["count"] for f in hits) == BROKEN, "; ".join(map(_short, hits))
    if what == "integer":
        assert hits[0]["observed"] == "string"


def _generate_retrying(event: str, rng: random.Random) -> dict[str, Any]:
    """A payload of *event*; the provider's overlapping `oneOf` branches sometimes admit no value for the
    branch drawn (the value must match exactly one), so a draw may be taken again."""
    for _ in range(50):
        try:
            return generate(event, rng)
        except ValueError:
            continue
    raise AssertionError(f"no payload of {event} in 50 draws")


#: Every shipped event, a smaller sample each: the contracts of the events without doc pages keep the promise too.
ALL_EVENTS = sorted(name for name in EVENT_KEYS if any(word in name for word in ("loyalty", "points", "reward")))


def test_every_shipped_event_is_covered() -> None:
    assert len(ALL_EVENTS) == 26


@pytest.mark.parametrize("event", ALL_EVENTS)
def test_provider_accepted_traffic_of_every_event_has_no_error_findings(tmp_path: Path, event: str) -> None:
    rng = random.Random(f"{SEED}:all:{event}")
    validator = provider_validator(event)
    # Only what the provider's own schema accepts: its overlapping `oneOf`s make some draws invalid.
    datas = [data for data in (_generate_retrying(event, rng) for _ in range(100)) if validator.is_valid(data)]
    assert len(datas) >= 10
    report = _drift(tmp_path, event, datas)
    errors = [_short(f) for f in report["findings"] if f["severity"] == "error"]
    assert errors == []
    assert report["summary"]["events"][event]["payloads"] == len(datas)
