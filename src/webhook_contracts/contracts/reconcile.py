"""Reconcile the two sources of a contract, field by field: the provider's OpenAPI and the doc pages.

Evidence is what the provider shows it sends: the examples of the doc pages
and the official examples of the OpenAPI document. Each example is walked
beside the event's normalised OpenAPI schema, so what an example shows inside
a shared definition (a customer, a voucher) is evidence about that definition,
merged across every event that uses it. Then each position is decided:

- **type**: what the OpenAPI declares, widened by what the examples show (a
  field the docs only show as `null` takes its type from the OpenAPI, plus `null`);
- **presence**: *required* (the provider promises it), *documented* (every
  example has it, the OpenAPI calls it optional: `x-documented`) or optional;
- **enum** and **format** from the OpenAPI, widened where an example breaks
  them; identifier prefixes inferred from the examples;
- fields only the OpenAPI knows are optional; fields only the examples show
  stay, typed by the examples;
- where the provider contradicts itself (an example breaks its own schema),
  the contract accepts what is really sent and the contradiction is reported.

Every position records which source said what (:class:`FieldRow`), for the
reconciliation report and the `provenance` of each schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..providers import Provider, default_provider
from .build import Disagreement, _referenced
from .docpage import DocPage
from .evidence import EXAMPLE, PAGE, Evidence
from .inference import DRAFT
from .openapi import ProviderEvent, ProviderSpec
from .positions import ContractBuilder, FieldRow, owner_of_event
from .registry import META_KEY

__all__ = ["FieldRow", "Reconciled", "owner_of_event", "reconcile"]


@dataclass(frozen=True)
class Reconciled:
    """The contracts of one API version, built from an OpenAPI document and doc pages."""

    api_version: str
    schemas: dict[str, dict[str, Any]]
    rows: tuple[FieldRow, ...]
    disagreements: tuple[Disagreement, ...]
    #: Owner ("event X" or a definition name) -> the events whose contract holds it.
    owners: dict[str, tuple[str, ...]] = field(default_factory=dict)


def reconcile(spec: ProviderSpec, pages: Iterable[DocPage], *, provider: Provider | None = None) -> Reconciled:
    """Contracts for the events of *spec* (and of *pages*), reconciled with the doc pages, of *provider*."""
    provider = provider or default_provider()
    pages = sorted(pages, key=lambda p: p.event)
    by_event = {p.event: p for p in pages}
    events: dict[str, ProviderEvent] = dict(spec.events)
    for page in pages:
        if page.event not in events:
            # A page of an event the document does not describe: the examples alone decide.
            events[page.event] = ProviderEvent(page.event, "", {"type": "object"})
    evidence = Evidence(spec.definitions, provider)
    for name, event in sorted(events.items()):
        owner = owner_of_event(name)
        for example in event.examples:
            evidence.add(EXAMPLE, example, event.schema, owner)
        if name in by_event:
            for example in by_event[name].examples:
                evidence.add(PAGE, example, event.schema, owner)
    builder = ContractBuilder(spec, evidence)
    bodies = {name: builder.event_body(event, by_event.get(name)) for name, event in sorted(events.items())}
    users: dict[str, set[str]] = {}
    used_by_event: dict[str, set[str]] = {}
    for name, body in bodies.items():
        used_by_event[name] = _referenced(body, builder.defs)
        for definition in used_by_event[name]:
            users.setdefault(definition, set()).add(name)
    schemas: dict[str, dict[str, Any]] = {}
    for name, body in bodies.items():
        doc = by_event.get(name)
        used = sorted(used_by_event[name])
        schema: dict[str, Any] = {"$schema": DRAFT, "title": name}
        description = (doc.description if doc else None) or body.pop("description", None)
        body.pop("description", None)
        if description:
            schema["description"] = description
        schema.update(body)
        if used:
            schema["$defs"] = {d: builder.defs[d] for d in used}
        schema[META_KEY] = {
            "event": name,
            "api_version": spec.api_version,
            "source": {
                "page": doc.source if doc else None,
                "sha256": doc.sha256 if doc else None,
                "last_modified": doc.last_modified if doc else None,
                "openapi": spec.source if name in spec.events else None,
                "openapi_sha256": spec.sha256 if name in spec.events else None,
            },
            "definitions": {d: sorted(users[d]) for d in used},
            "provenance": {
                owner: builder.provenance[owner]
                for owner in (owner_of_event(name), *used)
                if owner in builder.provenance
            },
        }
        schemas[name] = schema
    owners = {owner_of_event(e): (e,) for e in bodies} | {d: tuple(sorted(u)) for d, u in users.items()}
    rows = tuple(r for r in builder.rows if r.owner in owners)
    disagreements = tuple(Disagreement(r.owner, r.path, d) for r in rows for d in r.disagreements) + tuple(
        Disagreement("openapi", note.pointer, note.detail) for note in spec.notes
    )
    return Reconciled(spec.api_version, schemas, rows, disagreements, owners)
