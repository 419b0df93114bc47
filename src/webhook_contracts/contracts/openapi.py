"""Read the provider's OpenAPI webhooks document: its events, their data schemas and examples.

An OpenAPI 3.1 document with `webhooks` describes each event's `data` with a
`$ref` into `components.schemas`; where in each webhook's request body the
data is, and what names the event, are the provider's rules
(:class:`~webhook_contracts.providers.WebhookRules`). This module reads the document, picks the
events wanted and has each event's schema normalised into the contracts' own
dialect; how a schema is normalised (compositions, `nullable`, shared
definitions) is :mod:`.normalise`'s business. Nothing is ever fetched. Errors
name the file and the JSON Pointer.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ProviderSpecError
from ..fsio import MAX_FILE_BYTES, read_file
from ..values.pointer import escape_pointer
from ..values.strictjson import parse_strict
from .normalise import MAX_DEPTH, Normaliser, SpecNote

if TYPE_CHECKING:
    from ..providers import Provider


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
    provider: Provider,
    source: str | None = None,
    events: Iterable[str] | None = None,
    always: Iterable[str] = (),
    limit: int = MAX_FILE_BYTES,
) -> ProviderSpec:
    """Read and normalise the webhook events of *path* whose names match one of *events* (globs).

    *provider* says where the events are (:class:`~webhook_contracts.providers.WebhookRules`); *events*
    defaults to its default events. Events named in *always* (those with doc pages) are read too when the
    document has them. Only a regular file of at most *limit* bytes (`max-file-bytes`) is read.
    """
    name = source or path.as_posix()
    data = read_file(path, limit=limit, source=name, error=ProviderSpecError)
    document = parse_strict(data, name)
    return normalise_spec(
        document, provider=provider, source=name, sha256=hashlib.sha256(data).hexdigest(), events=events, always=always
    )


def normalise_spec(
    document: Any,
    *,
    provider: Provider,
    source: str,
    sha256: str = "",
    events: Iterable[str] | None = None,
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
    rules = provider.webhooks
    api_version = rules.api_version_of(version)
    if api_version is None or not provider.api_version.fullmatch(api_version):
        raise ProviderSpecError(
            source,
            f"info.version {version!r} names no API version of the {provider.name} "
            f"provider ({provider.api_version_form})",
            where="/info/version",
        )
    hooks = document.get("webhooks")
    if not isinstance(hooks, dict):
        raise ProviderSpecError(source, "the document has no `webhooks` object", where="/webhooks")
    patterns = tuple(provider.default_events if events is None else events)
    wanted = set(always)

    def chosen(event: str) -> bool:
        return event in wanted or any(fnmatch.fnmatchcase(event, p) for p in patterns)

    reader = Normaliser(document, source)
    found: dict[str, ProviderEvent] = {}
    for key in sorted(hooks):
        where = f"/webhooks/{escape_pointer(key)}"
        if rules.envelope is None:
            event = rules.event_of_key(key) if rules.event_of_key is not None else None
            if event is None or not chosen(event):
                continue
        pointer = f"{where}/post/requestBody/content/application~1json"
        media = reader.at(pointer)
        if not isinstance(media, dict) or "schema" not in media:
            raise ProviderSpecError(source, "a webhook without a JSON request body schema", where=pointer)
        schema, schema_at = media["schema"], f"{pointer}/schema"
        if rules.envelope is not None:
            event, schema, schema_at = _enveloped(reader, schema, schema_at, rules.envelope, provider)
            if not chosen(event):
                continue
        assert event is not None  # named by the key, or by the envelope
        root = reader.event_root(schema, schema_at)
        if event in found:
            raise ProviderSpecError(source, f"event {event} is described twice", where=where)
        examples = _examples(media) if rules.envelope is None else _enveloped_examples(media, rules.envelope[1])
        found[event] = ProviderEvent(event, pointer, root, tuple(examples))
    return ProviderSpec(
        source=source,
        sha256=sha256,
        api_version=api_version,
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


def _enveloped(
    reader: Normaliser, schema: Any, where: str, keys: tuple[str, str], provider: Provider
) -> tuple[str, Any, str]:
    """(event, data schema, its pointer) of a request body that is an envelope object (:class:`WebhookRules`)."""
    event_key, data_key = keys
    where, schema = _followed(reader, schema, where)
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict) or event_key not in props or data_key not in props:
        raise reader.error(
            where,
            f"the request body is not an envelope: an object with the properties "
            f"{event_key!r} (the event's name) and {data_key!r} (its data)",
        )
    name_at = f"{where}/properties/{escape_pointer(event_key)}"
    name_at, named = _followed(reader, props[event_key], name_at)
    values = named.get("enum") if isinstance(named, dict) else None
    if isinstance(named, dict) and "const" in named:
        values = [named["const"]]
    if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
        raise reader.error(
            name_at, f"the envelope's {event_key!r} must name the event: a `const` string or an `enum` of one string"
        )
    event = values[0]
    if not provider.event_name.fullmatch(event):
        raise reader.error(name_at, f"{event!r} is not an event name (lower-case words joined by dots)")
    return event, props[data_key], f"{where}/properties/{escape_pointer(data_key)}"


def _followed(reader: Normaliser, node: Any, where: str) -> tuple[str, Any]:
    """(pointer, node) at the end of a chain of `$ref`s starting at *node* (itself when it is no `$ref`)."""
    for _ in range(MAX_DEPTH):
        if not (isinstance(node, dict) and "$ref" in node):
            return where, node
        where, node = reader.target(node["$ref"], f"{where}/$ref")
    raise reader.error(where, f"a chain of more than {MAX_DEPTH} `$ref`s (a cycle?)")


def _enveloped_examples(media: dict[str, Any], data_key: str) -> Iterator[dict[str, Any]]:
    for example in _examples(media):
        if isinstance(example.get(data_key), dict):
            yield example[data_key]
