"""Read the provider's OpenAPI webhooks document: its events, their data schemas and examples.

An OpenAPI 3.1 document with `webhooks` describes each event's `data` with a
`$ref` into `components.schemas`. This module reads the document, picks the
events wanted and has each event's schema normalised into the contracts' own
dialect; how a schema is normalised (compositions, `nullable`, shared
definitions) is :mod:`.normalise`'s business. Nothing is ever fetched. Errors
name the file and the JSON Pointer.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ProviderSpecError
from ..fsio import MAX_FILE_BYTES, read_file
from ..values.pointer import to_pointer
from ..values.strictjson import parse_strict
from .normalise import Normaliser, SpecNote

#: Events shipped when the configuration does not say: the loyalty programme's events.
DEFAULT_EVENTS = ("*loyalty*", "*points*", "*reward*")
_EVENT_KEY = re.compile(r"(?:events\.)?([a-z0-9_]+(?:\.[a-z0-9_]+)+)")


@dataclass(frozen=True)
class ProviderEvent:
    """One webhook event of the document: its data schema (normalised) and official examples."""

    name: str
    pointer: str
    schema: dict[str, Any]
    examples: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class ProviderSpec:
    """The webhook events of one provider OpenAPI document, normalised."""

    source: str
    sha256: str
    api_version: str
    events: dict[str, ProviderEvent]
    #: Shared definitions the events refer to (`#/$defs/<Name>`), normalised.
    definitions: dict[str, dict[str, Any]]
    notes: tuple[SpecNote, ...] = field(default=())


def api_version_of(version: str) -> str:
    """`info.version` 2024-01-01 is API version v2024-01-01."""
    return version if version.startswith("v") else f"v{version}"


def event_name(key: str) -> str | None:
    """`EVENTS.CUSTOMER.REWARDED.LOYALTY_POINTS` -> `customer.rewarded.loyalty_points`."""
    match = _EVENT_KEY.fullmatch(key.lower())
    return match.group(1) if match else None


def is_provider_spec(path: Path) -> bool:
    """Whether *path* looks like an OpenAPI document with webhooks (a cheap look at its start)."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return b'"openapi"' in head


def read_provider_spec(
    path: Path,
    *,
    source: str | None = None,
    events: Iterable[str] = DEFAULT_EVENTS,
    always: Iterable[str] = (),
    limit: int = MAX_FILE_BYTES,
) -> ProviderSpec:
    """Read and normalise the webhook events of *path* whose names match one of *events* (globs).

    Events named in *always* (those with doc pages) are read too when the document has them.
    Only a regular file of at most *limit* bytes (`max-file-bytes`; the Voucherify one is
    under 1 MiB) is read.
    """
    name = source or path.as_posix()
    data = read_file(path, limit=limit, source=name, error=ProviderSpecError)
    document = parse_strict(data, name)
    return normalise_spec(document, source=name, sha256=hashlib.sha256(data).hexdigest(), events=events, always=always)


def normalise_spec(
    document: Any,
    *,
    source: str,
    sha256: str = "",
    events: Iterable[str] = DEFAULT_EVENTS,
    always: Iterable[str] = (),
) -> ProviderSpec:
    """:func:`read_provider_spec` for a parsed document."""
    if not isinstance(document, dict):
        raise ProviderSpecError(source, "an OpenAPI document must be a JSON object", where="/")
    openapi = document.get("openapi")
    if not isinstance(openapi, str) or not openapi.startswith("3."):
        raise ProviderSpecError(source, "not an OpenAPI 3 document (no `openapi: 3.x`)", where="/openapi")
    info = document.get("info")
    version = info.get("version") if isinstance(info, dict) else None
    if not isinstance(version, str) or not version:
        raise ProviderSpecError(source, "the document has no info.version", where="/info/version")
    hooks = document.get("webhooks")
    if not isinstance(hooks, dict):
        raise ProviderSpecError(source, "the document has no `webhooks` object", where="/webhooks")
    patterns = tuple(events)
    wanted = set(always)
    reader = Normaliser(document, source)
    found: dict[str, ProviderEvent] = {}
    for key in sorted(hooks):
        event = event_name(key)
        if event is None or not (event in wanted or any(fnmatch.fnmatchcase(event, p) for p in patterns)):
            continue
        pointer = to_pointer(["webhooks", key, "post", "requestBody", "content", "application/json"])
        media = reader.at(pointer)
        if not isinstance(media, dict) or "schema" not in media:
            raise ProviderSpecError(source, "a webhook without a JSON request body schema", where=pointer)
        root = reader.event_root(media["schema"], f"{pointer}/schema")
        if event in found:
            raise ProviderSpecError(
                source, f"event {event} is described twice", where=to_pointer(["webhooks", key])
            )
        found[event] = ProviderEvent(event, pointer, root, tuple(_examples(media)))
    return ProviderSpec(
        source=source,
        sha256=sha256,
        api_version=api_version_of(version),
        events=found,
        definitions=dict(sorted(reader.defs.items())),
        notes=tuple(sorted(set(reader.notes), key=str)),
    )


def _examples(media: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if isinstance(media.get("example"), dict):
        yield media["example"]
    examples = media.get("examples")
    if isinstance(examples, dict):
        for name in sorted(examples):
            value = examples[name].get("value") if isinstance(examples[name], dict) else None
            if isinstance(value, dict):
                yield value

