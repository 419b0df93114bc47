"""Voucherify's event names and API versions."""

from __future__ import annotations

import re

#: Canonical event types: dotted lower-case words (`customer.rewarded.loyalty_points`).
EVENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}(?:\.[a-z][a-z0-9_]{0,63}){1,9}")
#: API versions are dates: `v2024-01-01`.
API_VERSION = re.compile(r"v\d{4}-\d{2}-\d{2}")
API_VERSION_FORM = "vYYYY-MM-DD"
#: A `webhooks` key of the OpenAPI document: `EVENTS.CUSTOMER.REWARDED.LOYALTY_POINTS` (any case).
_EVENT_KEY = re.compile(r"(?:events\.)?([a-z0-9_]+(?:\.[a-z0-9_]+)+)")


def event_name(key: str) -> str | None:
    """`EVENTS.CUSTOMER.REWARDED.LOYALTY_POINTS` -> `customer.rewarded.loyalty_points`."""
    match = _EVENT_KEY.fullmatch(key.lower())
    return match.group(1) if match else None


def api_version_of(version: str) -> str:
    """`info.version` 2024-01-01 is API version v2024-01-01."""
    return version if version.startswith("v") else f"v{version}"
