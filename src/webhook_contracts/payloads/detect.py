"""Which contract a payload is for: given, named by its envelope, or detected by the shape of its data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..diff.schemas import DOCUMENTED_KEY


@dataclass(frozen=True)
class Detection:
    """Which contract a payload was matched to, how, and how sure."""

    event: str | None
    method: str  # "given" | "envelope" | "distribution" | "shape"
    confidence: float = 1.0
    runner_up: str | None = None
    #: Shape detection found two or more events that match equally (the event is then None).
    ambiguous: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.ambiguous:
            return f"ambiguous by shape: matches {' and '.join(self.ambiguous)} equally"
        if self.method == "shape":
            return f"detected by shape, confidence {self.confidence:.2f}"
        if self.method == "distribution":
            return "from the distribution envelope's event.type"
        return "from the envelope type" if self.method == "envelope" else "as given"


@dataclass(frozen=True)
class EventShape:
    """The top-level keys of one contract, as shape detection compares payloads with them.

    Taken out of the schema once, so that detecting the event of many payloads
    does not rebuild them for every payload.
    """

    properties: frozenset[str]
    #: The keys a payload is expected to have: required, and shown in every example (`x-documented`).
    required: frozenset[str]

    @classmethod
    def of(cls, schema: dict[str, Any]) -> EventShape:
        expected = [*schema.get("required", []), *schema.get(DOCUMENTED_KEY, [])]
        return cls(frozenset(schema.get("properties", {})), frozenset(k for k in expected if isinstance(k, str)))

    def score(self, keys: set[str]) -> float:
        """How well the top-level *keys* of a payload match, from 0 to 1.

        The share of the payload's keys the contract knows, times the share of
        the contract's expected keys the payload has: optional fields cost nothing.
        """
        if not keys or not self.properties:
            return 0.0
        known = len(keys & self.properties) / len(keys)
        present = len(self.required & keys) / len(self.required) if self.required else 1.0
        return round(known * present, 4)

    def coverage(self, keys: set[str]) -> float:
        """The share of the contract's fields the payload has (ties between equal scores)."""
        return round(len(keys & self.properties) / len(self.properties), 4) if self.properties else 0.0


def detect_event(data: dict[str, Any], contracts: dict[str, dict[str, Any]], threshold: float) -> Detection:
    """The best-matching contract for bare event data; unknown below *threshold*."""
    return detect_by_shape(data, {event: EventShape.of(schema) for event, schema in contracts.items()}, threshold)


def detect_by_shape(data: dict[str, Any], shapes: Mapping[str, EventShape], threshold: float) -> Detection:
    """:func:`detect_event` with the contracts' shapes taken out beforehand."""
    keys = set(data)
    scores = sorted(
        ((shape.score(keys), shape.coverage(keys), event) for event, shape in shapes.items()),
        key=lambda s: (-s[0], -s[1], s[2]),
    )
    if not scores:
        return Detection(None, "shape", 0.0)
    best, cover, event = scores[0]
    runner_up = scores[1][2] if len(scores) > 1 else None
    if best < threshold:
        return Detection(None, "shape", best, event)
    tied = tuple(e for s, c, e in scores if (s, c) == (best, cover))
    if len(tied) > 1:
        # Identical shapes (sibling events) are never forced onto one of them.
        return Detection(None, "shape", best, runner_up, ambiguous=tied)
    return Detection(event, "shape", best, runner_up)
