"""Voucherify's delivery envelopes, and taking the event data out of them.

A payload is the bare event data (as the doc pages show it) or a delivery
envelope `{id, project_id, created_at, type, data, source, event}`.
"""

from __future__ import annotations

from typing import Any

from ...errors import PayloadError
from ...payloads.envelope import Unwrapped
from ...values.jsontypes import json_type

ENVELOPE_KEYS = frozenset({"id", "project_id", "created_at", "type", "data", "source", "event"})


def unwrap(value: dict[str, Any], source: str, where: str | None = None) -> Unwrapped:
    """The event data of a payload: bare data, or the `data` of a delivery envelope.

    Two envelopes are delivered. A project-settings webhook (`source.object`
    is `webhook`, or absent) names the event in `type`. A distribution
    (`source.object` is `distribution`) carries the distribution's own name
    in `type`, whatever its author typed, and the event in `event.type`.
    """
    envelope_keys = ENVELOPE_KEYS & value.keys()
    if ("data" in value and "type" in value) or (len(envelope_keys) >= 4 and {"type", "project_id"} <= value.keys()):
        event = value.get("type")
        if not isinstance(event, str):
            raise PayloadError(source, f"envelope 'type' must be a string, not {json_type(event)}", where=where)
        if "data" not in value:
            raise PayloadError(source, "envelope without 'data'", where=where)
        data = value["data"]
        if not isinstance(data, dict):
            raise PayloadError(source, f"envelope 'data' must be an object, not {json_type(data)}", where=where)
        envelope = {k: v for k, v in value.items() if k != "data"}
        origin = value.get("source")
        if isinstance(origin, dict) and origin.get("object") == "distribution":
            inner = value.get("event")
            named = inner.get("type") if isinstance(inner, dict) else None
            if not isinstance(named, str):
                # An envelope of a shape we do not know: the event is detected by the data's shape.
                return Unwrapped(data, None, envelope, "unknown", event)
            return Unwrapped(data, named, envelope, "distribution", event)
        return Unwrapped(data, event, envelope, "webhook")
    return Unwrapped(value)
