"""The reconciliation report: what the doc pages, the OpenAPI document and the contract say, field by field.

A quality report on the provider's documentation (`webhook-contracts reconcile`).
:func:`build_view` picks and orders the rows of a :class:`~.reconcile.Reconciled`
result; :func:`render_text`, :func:`render_json` and :func:`render_markdown`
write it to a text stream. They print nothing else and take no options from
the command line, so they can be reused and tested on their own.

Rows are grouped by owner: for each event (sorted by name), the event's own
positions (owner ``event <name>``) first, then each shared definition it uses
that no earlier event already listed, so a definition shared by several
events appears once, with the events that use it ("used by"). Inside an
owner, rows are sorted by path. Nothing depends on the clock or the machine:
two runs on the same files give the same bytes.

The values are provider documentation, not payloads, so nothing is redacted;
every string is still escaped for where it is printed: :func:`~.report.escaping.visible`
on a terminal, :func:`~.report.escaping.markdown_cell` in Markdown.

JSON output (``indent=2``, sorted keys, ASCII)::

    {
      "api_version": "v2024-01-01",
      "filter": {"event": null | "<event>", "disagreements_only": false},
      "counts": {"events": 3, "owners": 40, "rows": 512, "disagreements": 20},
      "events": {"<event>": {"owners": ["event <event>", "<Definition>", ...]}},
      "owners": {"<owner>": {"used_by": ["<event>", ...]}},
      "rows": [{"owner": "...", "path": "/json/pointer", "page": "...", "openapi": "...",
                "decided": "...", "sources": ["openapi", "page", "openapi-example"],
                "disagreements": ["..."]}],
      "disagreements": [{"owner": "...", "path": "...", "detail": "..."}]
    }

``rows`` and ``disagreements`` follow the report's order (owner groups as
above, then path). ``events.<event>.owners`` lists the owners of that event
that have rows in the report. An empty ``page`` or ``openapi`` means that
source says nothing about the position (``"absent"``: the OpenAPI lacks it).
Disagreements with owner ``openapi`` are notes on the OpenAPI document itself
(``path`` is a pointer into it); with ``--event`` only the notes on the
definitions in the report are kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from ..errors import UsageError
from ..report.escaping import markdown_cell, visible
from ..values.pointer import pointer_tokens
from .reconcile import FieldRow, Reconciled, owner_of_event

if TYPE_CHECKING:
    from ..config import Settings

FORMATS = ("json", "markdown", "text")
_DOCUMENT = "openapi"
_COLUMNS = ("path", "page", "openapi", "decided", "sources")
#: Events named in a "used by" line of the text and Markdown reports; more are counted.
_NAMED = 6


class ReconcileReportError(UsageError):
    """An unknown event or API version, or no OpenAPI document to reconcile with."""


@dataclass(frozen=True)
class Issue:
    """One disagreement: the provider contradicting itself, or the page's field list disagreeing."""

    owner: str
    path: str
    detail: str


@dataclass(frozen=True)
class Section:
    """The rows of one owner (an event's own positions or a shared definition)."""

    owner: str
    used_by: tuple[str, ...]
    rows: tuple[FieldRow, ...]


@dataclass(frozen=True)
class View:
    """What a report shows, in the order it shows it."""

    api_version: str
    event: str | None
    disagreements_only: bool
    events: dict[str, tuple[str, ...]]
    sections: tuple[Section, ...]
    issues: tuple[Issue, ...]

    @property
    def row_count(self) -> int:
        return sum(len(s.rows) for s in self.sections)


def load_reconciled(settings: Settings, api_version: str | None = None) -> Reconciled:
    """Reconcile the OpenAPI document of *api_version* (default: the newest there is) with its doc pages."""
    from .reconcile import reconcile
    from .regen import read_pages, read_specs

    pages = read_pages(settings, allow_none=True)
    specs = read_specs(settings, pages)
    if api_version is None:
        if not specs:
            raise ReconcileReportError(
                f"{settings.rel(settings.docs_dir)}: no provider OpenAPI document found "
                f"(expected <docs>/<provider>/{settings.provider.api_version_form}/"
                "<document>.json)"
            )
        api_version = max(specs)
    known = sorted(pages.keys() | specs.keys())
    if api_version not in known:
        raise ReconcileReportError(f"unknown API version {api_version}; known: {', '.join(known) or 'none'}")
    if api_version not in specs:
        with_spec = ", ".join(sorted(specs)) or "none"
        raise ReconcileReportError(f"no OpenAPI document for {api_version}; versions with one: {with_spec}")
    return reconcile(specs[api_version], pages.get(api_version, []), provider=settings.provider)


def known_events(result: Reconciled) -> list[str]:
    """The events of *result*, sorted."""
    return sorted(e for owner, events in result.owners.items() for e in events if owner == owner_of_event(e))


def build_view(result: Reconciled, *, event: str | None = None, disagreements_only: bool = False) -> View:
    """The sections and disagreements of the report; :class:`ReconcileReportError` for an unknown *event*."""
    events = known_events(result)
    if event is not None and event not in events:
        raise ReconcileReportError(f"unknown event {event} in {result.api_version}; known: {', '.join(events)}")
    chosen = [event] if event is not None else events
    rows = _rows_by_owner(result, disagreements_only)
    sections: list[Section] = []
    listed: dict[str, tuple[str, ...]] = {}
    for name in chosen:
        for owner in _owners_of(result, name):
            if owner not in listed and rows.get(owner):
                sections.append(Section(owner, result.owners[owner], rows[owner]))
                listed[owner] = result.owners[owner]
    shown = {name: tuple(o for o in _owners_of(result, name) if o in listed) for name in chosen}
    issues = [Issue(r.owner, r.path, d) for s in sections for r in s.rows for d in r.disagreements]
    issues += _document_notes(result, None if event is None else set(listed))
    return View(result.api_version, event, disagreements_only, shown, tuple(sections), tuple(issues))


def _owners_of(result: Reconciled, event: str) -> list[str]:
    """The owners of *event*: its own positions first, then its definitions by name."""
    own = owner_of_event(event)
    found = [o for o, events in result.owners.items() if event in events]
    return sorted(found, key=lambda o: (o != own, o))


def _rows_by_owner(result: Reconciled, disagreements_only: bool) -> dict[str, tuple[FieldRow, ...]]:
    grouped: dict[str, list[FieldRow]] = {}
    for row in result.rows:
        if row.disagreements or not disagreements_only:
            grouped.setdefault(row.owner, []).append(row)
    return {owner: tuple(sorted(rows, key=_row_key)) for owner, rows in grouped.items()}


def _row_key(row: FieldRow) -> tuple[Any, ...]:
    return (row.path, row.page, row.openapi, row.decided, row.sources, row.disagreements)


def _document_notes(result: Reconciled, owners: set[str] | None) -> list[Issue]:
    """Notes on the OpenAPI document; with *owners*, only those on these definitions."""
    notes = [d for d in result.disagreements if d.definition == _DOCUMENT]
    if owners is not None:
        notes = [d for d in notes if _note_owner(d.path) in owners]
    return [Issue(_DOCUMENT, d.path, d.detail) for d in sorted(notes, key=lambda d: (d.path, d.detail))]


def _note_owner(pointer: str) -> str | None:
    tokens = pointer_tokens(pointer)
    return tokens[2] if len(tokens) > 2 and tokens[:2] == ["components", "schemas"] else None


def headline(view: View) -> str:
    scope = f"event {view.event}" if view.event else f"{len(view.events)} event(s)"
    only = ", rows with disagreements only" if view.disagreements_only else ""
    return (
        f"reconcile {view.api_version}: {scope}, {len(view.sections)} owner(s), {view.row_count} row(s), "
        f"{len(view.issues)} disagreement(s){only}"
    )


def _used_by(section: Section) -> str:
    if section.owner.startswith("event ") and section.used_by == (section.owner[len("event ") :],):
        return ""
    names = section.used_by
    if len(names) > _NAMED:
        # A definition most events hold: the count says it; JSON keeps the whole list.
        return f"used by {len(names)} event(s): {', '.join(names[:3])} and {len(names) - 3} more"
    return f"used by {len(names)} event(s): {', '.join(names)}"


def _cells(row: FieldRow) -> dict[str, str]:
    return {
        "path": row.path or "/",
        "page": row.page or "-",
        "openapi": row.openapi or "-",
        "decided": row.decided or "-",
        "sources": "+".join(row.sources) or "-",
    }


# -- text ------------------------------------------------------------------------------------


def render_text(
    result: Reconciled, stream: TextIO, *, event: str | None = None, disagreements_only: bool = False
) -> None:
    """A table per owner, each disagreement under its row, then every disagreement."""
    view = build_view(result, event=event, disagreements_only=disagreements_only)
    stream.write(visible(headline(view)) + "\n")
    for section in view.sections:
        stream.write("\n" + visible(section.owner) + "\n")
        if _used_by(section):
            stream.write("  " + visible(_used_by(section)) + "\n")
        _text_table(section.rows, stream)
    stream.write(f"\ndisagreements ({len(view.issues)}):\n" if view.issues else "\nno disagreements\n")
    for issue in view.issues:
        stream.write(f"  {visible(issue.owner)} {visible(issue.path or '/')}: {visible(issue.detail)}\n")


def _text_table(rows: tuple[FieldRow, ...], stream: TextIO) -> None:
    cells = [{k: visible(v) for k, v in _cells(r).items()} for r in rows]
    widths = {c: max(len(c), *(len(r[c]) for r in cells)) for c in _COLUMNS}

    def line(values: dict[str, str]) -> str:
        return ("  " + "  ".join(values[c].ljust(widths[c]) for c in _COLUMNS)).rstrip() + "\n"

    stream.write(line({c: c.upper() for c in _COLUMNS}))
    for row, values in zip(rows, cells, strict=True):
        stream.write(line(values))
        for detail in row.disagreements:
            stream.write(f"      ! {visible(detail)}\n")


# -- JSON ------------------------------------------------------------------------------------


def report_dict(view: View) -> dict[str, Any]:
    """The JSON document described in the module docstring."""
    return {
        "api_version": view.api_version,
        "filter": {"event": view.event, "disagreements_only": view.disagreements_only},
        "counts": {
            "events": len(view.events),
            "owners": len(view.sections),
            "rows": view.row_count,
            "disagreements": len(view.issues),
        },
        "events": {name: {"owners": list(owners)} for name, owners in view.events.items()},
        "owners": {s.owner: {"used_by": list(s.used_by)} for s in view.sections},
        "rows": [_row_dict(r) for s in view.sections for r in s.rows],
        "disagreements": [{"owner": i.owner, "path": i.path, "detail": i.detail} for i in view.issues],
    }


def _row_dict(row: FieldRow) -> dict[str, Any]:
    return {
        "owner": row.owner,
        "path": row.path,
        "page": row.page,
        "openapi": row.openapi,
        "decided": row.decided,
        "sources": list(row.sources),
        "disagreements": list(row.disagreements),
    }


def render_json(
    result: Reconciled, stream: TextIO, *, event: str | None = None, disagreements_only: bool = False
) -> None:
    view = build_view(result, event=event, disagreements_only=disagreements_only)
    json.dump(report_dict(view), stream, indent=2, sort_keys=True, ensure_ascii=True)
    stream.write("\n")


# -- Markdown --------------------------------------------------------------------------------

_MD_HEADER = "| Path | Page | OpenAPI | Decided | Sources | Disagreements |\n| --- | --- | --- | --- | --- | --- |\n"


def render_markdown(
    result: Reconciled, stream: TextIO, *, event: str | None = None, disagreements_only: bool = False
) -> None:
    """A heading and a table per owner, then a table of every disagreement; every cell inert."""
    view = build_view(result, event=event, disagreements_only=disagreements_only)
    stream.write(f"# Reconciliation of {markdown_cell(view.api_version)}\n\n{markdown_cell(headline(view))}\n")
    for section in view.sections:
        stream.write(f"\n## {markdown_cell(section.owner)}\n\n")
        if _used_by(section):
            stream.write(markdown_cell("U" + _used_by(section)[1:]) + "\n\n")
        stream.write(_MD_HEADER)
        for row in section.rows:
            cells = [*_cells(row).values(), "; ".join(row.disagreements) or "-"]
            stream.write("| " + " | ".join(markdown_cell(c) for c in cells) + " |\n")
    stream.write(f"\n## Disagreements ({len(view.issues)})\n\n")
    if not view.issues:
        stream.write("None.\n")
        return
    stream.write("| Owner | Path | Disagreement |\n| --- | --- | --- |\n")
    for issue in view.issues:
        stream.write(
            f"| {markdown_cell(issue.owner)} | {markdown_cell(issue.path or '/')} | {markdown_cell(issue.detail)} |\n"
        )


RENDERERS = {"json": render_json, "markdown": render_markdown, "text": render_text}
