"""Any provider that publishes an OpenAPI 3.1 document with `webhooks` and needs no doc pages.

The document alone describes the events, and it describes the envelope too:
each entry of `webhooks` has a `post` whose `application/json` request body
schema is the envelope, an object with

- a property `type` whose schema is a `const` (or a one-value `enum`): the
  event's name, dotted lower-case words (`invoice.paid`) or one word;
- a property `data`: the event data, the schema a contract is made of.

Other properties of the envelope (an id, a timestamp) are delivery details,
not part of the contract. A delivered payload with `type` and `data` is such
an envelope (`type` a string, `data` an object); any other object is bare
event data, and its event is detected by its shape.

The API version is `v` and the `info.version` when that is a date
(`2024-01-01` is `v2024-01-01`), else `v` and its major version (`1.4.2` is
`v1`): a new major version is a new API version, a new minor version a new
revision of the contracts.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import PayloadError
from ..payloads.envelope import Unwrapped
from ..values.jsontypes import json_type
from . import Provider, WebhookRules
from .names import API_VERSION, EVENT_NAME

#: The envelope's keys: the event's name and its data.
EVENT_KEY, DATA_KEY = "type", "data"
_DATE = re.compile(r"v?(\d{4}-\d{2}-\d{2})")
_SEMVER = re.compile(r"v?(\d{1,4})(?:\.\d+){0,2}(?:[-+][0-9A-Za-z.-]+)?")


def api_version_of(version: str) -> str | None:
    """`info.version` 2024-01-01 is v2024-01-01, 1.4.2 is v1; anything else is no API version."""
    if match := _DATE.fullmatch(version):
        return f"v{match.group(1)}"
    if match := _SEMVER.fullmatch(version):
        return f"v{int(match.group(1))}"
    return None


def unwrap(value: dict[str, Any], source: str, where: str | None = None) -> Unwrapped:
    """The `data` of an envelope (an object with `type` and `data`), else the payload itself."""
    if EVENT_KEY not in value or DATA_KEY not in value:
        return Unwrapped(value)
    event, data = value[EVENT_KEY], value[DATA_KEY]
    if not isinstance(event, str):
        raise PayloadError(source, f"envelope '{EVENT_KEY}' must be a string, not {json_type(event)}", where=where)
    if not isinstance(data, dict):
        raise PayloadError(source, f"envelope '{DATA_KEY}' must be an object, not {json_type(data)}", where=where)
    return Unwrapped(data, event, {k: v for k, v in value.items() if k != DATA_KEY}, "webhook")


OPENAPI = Provider(
    name="openapi",
    id_prefixes={},
    tag_keys=frozenset(),
    envelope_keys=frozenset({EVENT_KEY, DATA_KEY}),
    unwrap=unwrap,
    event_name=EVENT_NAME,
    api_version=API_VERSION,
    api_version_form="vYYYY-MM-DD or v<major>",
    webhooks=WebhookRules(api_version_of=api_version_of, envelope=(EVENT_KEY, DATA_KEY)),
)
