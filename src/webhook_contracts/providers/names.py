"""The names every provider's events and API versions must fit.

An event name and an API version become folder names under `schemas/` and
Python module names of the generated models, so whatever a provider calls
them, they are checked against these patterns before they reach the disk:
`../`, NUL bytes and absolute paths never do. A provider's own patterns
(:attr:`Provider.event_name`, :attr:`Provider.api_version`) are narrower.
"""

from __future__ import annotations

import re

#: Lower-case words joined by dots (`invoice.paid`), or one word (`ping`).
EVENT_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}(?:\.[a-z][a-z0-9_]{0,63}){0,9}")
#: `v` and a date (`v2024-01-01`), or `v` and a major version (`v2`).
API_VERSION = re.compile(r"v\d{4}-\d{2}-\d{2}|v\d{1,4}")
