"""`diff`: compare two contracts and report each change as breaking or compatible.

A contract is named by a schema file or by a registry reference:

- ``EVENT`` - the newest revision in the newest API version that has EVENT;
- ``EVENT@VERSION`` - the newest revision in VERSION (``vYYYY-MM-DD``);
- ``EVENT@VERSION/rN`` - revision N.

An argument ending in ``.json``, or naming a file that exists, is a schema
file; write ``./NAME`` to force a file. Anything else must be a reference.

Changes come from :func:`~webhook_contracts.schemadiff.diff_schemas`, computed
on the contract part of each schema (the provenance block is left out). A
breaking change (the consumer may receive what it was not promised) is an
error; a compatible change of a field is a warning; a change of titles or
descriptions only is information.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..contracts.registry import META_KEY, Registry, contract_part, load_schema_file
from ..errors import InputError
from ..findings import Finding, Location, Report, Severity
from ..providers import Provider, default_provider
from .schemas import SchemaChange, diff_schemas

_REVISION = re.compile(r"r([1-9][0-9]{0,5})")


def _syntax(provider: Provider) -> str:
    """How a registry reference is written, for messages."""
    form = provider.api_version_form if " " not in provider.api_version_form else "VERSION"
    return f"EVENT, EVENT@{form} or EVENT@{form}/rN"


class ContractReferenceError(InputError):
    """An argument is neither a schema file nor a well-formed registry reference."""


@dataclass(frozen=True)
class Reference:
    """A registry reference: an event, optionally pinned to an API version and revision."""

    event: str
    api_version: str | None = None
    revision: int | None = None


@dataclass(frozen=True)
class Contract:
    """A schema to compare, with what is known of where it came from."""

    label: str
    schema: dict[str, Any]
    file: str
    event: str | None = None
    api_version: str | None = None
    revision: int | None = None


def parse_reference(text: str, provider: Provider | None = None) -> Reference | None:
    """The registry reference *text* spells (in *provider*'s names), or None when *text* names a schema file."""
    provider = provider or default_provider()
    syntax = _syntax(provider)
    if text.lower().endswith(".json") or Path(text).is_file():
        return None
    event, at, rest = text.partition("@")
    if not provider.event_name.fullmatch(event):
        if at or not text:
            raise ContractReferenceError(text, f"not an event name before '@' (expected {syntax})")
        return None
    if not at:
        return Reference(event)
    version, slash, revision = rest.partition("/")
    if not provider.api_version.fullmatch(version):
        raise ContractReferenceError(
            text, f"{version!r} is not an API version {provider.api_version_form} (expected {syntax})"
        )
    if not slash:
        return Reference(event, version)
    match = _REVISION.fullmatch(revision)
    if match is None:
        raise ContractReferenceError(text, f"{revision!r} is not a revision rN (expected {syntax})")
    return Reference(event, version, int(match.group(1)))


def _file_contract(path: Path, display: Callable[[Path], str], limit: int) -> Contract:
    schema = load_schema_file(path, limit=limit)
    meta = schema.get(META_KEY)
    if not isinstance(meta, dict):
        meta = {}
    event, version, revision = meta.get("event"), meta.get("api_version"), meta.get("revision")
    return Contract(
        label=display(path),
        schema=schema,
        file=display(path),
        event=event if isinstance(event, str) else None,
        api_version=version if isinstance(version, str) else None,
        revision=revision if isinstance(revision, int) and not isinstance(revision, bool) else None,
    )


def resolve_contract(
    text: str,
    registry: Registry,
    *,
    display: Callable[[Path], str] = Path.as_posix,
    provider: Provider | None = None,
) -> Contract:
    """The contract *text* names (see the module docs; *provider*'s names); *display* turns paths into labels."""
    ref = parse_reference(text, provider)
    if ref is None:
        if not Path(text).exists():
            hint = (
                ""
                if text.lower().endswith(".json")
                else f", and not a contract reference ({_syntax(provider or default_provider())})"
            )
            raise ContractReferenceError(text, f"no such schema file{hint}")
        return _file_contract(Path(text), display, registry.max_file_bytes)
    if ref.event not in registry.events():
        known = ", ".join(registry.events()) or "none"
        where = display(registry.root)
        raise ContractReferenceError(text, f"no contract for {ref.event} in {where} (known: {known})")
    if ref.revision is not None and ref.api_version is not None:
        rev = registry.find(ref.event, ref.api_version, ref.revision)
    else:
        rev = registry.latest(ref.event, ref.api_version)
    return Contract(
        label=rev.label,
        schema=registry.load(rev),
        file=display(registry.root / rev.path),
        event=rev.event,
        api_version=rev.api_version,
        revision=rev.revision,
    )


def change_severity(change: SchemaChange) -> Severity:
    """Breaking: error. Compatible change of a field: warning. Documentation only: info."""
    if change.breaking:
        return Severity.ERROR
    return Severity.INFO if change.kind == "annotation" else Severity.WARNING


def change_finding(change: SchemaChange, old: Contract, new: Contract) -> Finding:
    return Finding(
        kind=change.kind,
        severity=change_severity(change),
        message=f"{'breaking' if change.breaking else 'compatible'}: {change.describe()}",
        event=new.event or old.event,
        api_version=new.api_version,
        revision=new.revision,
        path=change.path,
        expected=change.old,
        observed=change.new,
        location=Location(new.file),
        extra={"breaking": change.breaking},
    )


def diff_contracts(old: Contract, new: Contract) -> Report:
    """Every change from *old* to *new*, as a report of the `diff` command."""
    changes = diff_schemas(contract_part(old.schema), contract_part(new.schema))
    findings = tuple(change_finding(c, old, new) for c in changes)
    breaking = sum(c.breaking for c in changes)
    notes: list[str] = []
    if old.event and new.event and old.event != new.event:
        notes.append(f"the two contracts describe different events: {old.event} and {new.event}")
    summary = {
        "old": old.label,
        "new": new.label,
        "breaking": breaking,
        "compatible": len(changes) - breaking,
    }
    return Report("diff", findings, summary, tuple(notes)).sorted()
