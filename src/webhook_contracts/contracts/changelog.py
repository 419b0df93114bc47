"""CHANGELOG.md entries for contract revisions, in the Keep a Changelog form.

Entries go into the `## [Unreleased]` section, under `### Added` for a new
contract and `### Changed` for a new revision of an existing one; sections
are created in the canonical order when missing. Adding an entry that is
already there changes nothing, so `regen` stays idempotent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..diff.schemas import SchemaChange

SECTIONS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
UNRELEASED = "## [Unreleased]"
_SKELETON = """# Changelog

All notable changes to this project are documented in this file.
The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).

## [Unreleased]
"""


def mentions(line: str, event: str, revision: int | str) -> bool:
    """Whether a CHANGELOG *line* names contract *event* (in backticks) at exactly *revision*.

    `revision 12` is not an entry for revision 1, nor `revision 1.5`.
    """
    number = re.escape(str(revision))
    return f"`{event}`" in line and re.search(rf"\brevision {number}(?!\d|\.\d)", line) is not None


@dataclass(frozen=True)
class ContractEntry:
    """One new contract revision, as the CHANGELOG tells it."""

    event: str
    api_version: str
    revision: int
    changes: tuple[SchemaChange, ...]
    fields: int = 0

    @property
    def breaking(self) -> bool:
        return any(change.breaking for change in self.changes)

    @property
    def section(self) -> str:
        return "Added" if self.revision == 1 else "Changed"

    def text(self) -> str:
        head = f"Contract `{self.event}` (webhook API {self.api_version}) revision {self.revision}"
        if self.revision == 1:
            return f"- {head}: new contract with {self.fields} top-level fields."
        breaking = [c.describe() for c in self.changes if c.breaking]
        compatible = [c.describe() for c in self.changes if not c.breaking]
        parts = []
        if breaking:
            parts.append("**breaking** for consumers: " + "; ".join(breaking) + ".")
        else:
            parts.append("compatible for consumers.")
        if compatible:
            parts.append(("Compatible: " if breaking else "") + "; ".join(compatible) + ".")
        return f"- {head}, " + " ".join(parts)


def add_entries(text: str, entries: list[ContractEntry]) -> str:
    """*text* with every entry added under Unreleased (creating what is missing)."""
    if not text.strip():
        text = _SKELETON
    lines = text.splitlines()
    for entry in entries:
        line = entry.text()
        if line in lines:
            continue
        lines = _insert(lines, entry.section, line)
    return "\n".join(lines).rstrip("\n") + "\n"


def _insert(lines: list[str], section: str, line: str) -> list[str]:
    start = next((i for i, text in enumerate(lines) if text.strip().lower().startswith("## [unreleased]")), None)
    if start is None:
        first = next((i for i, text in enumerate(lines) if text.startswith("## ")), len(lines))
        lines = [*lines[:first], UNRELEASED, "", *lines[first:]]
        start = first
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    heading = f"### {section}"
    at = next((i for i in range(start + 1, end) if lines[i].strip() == heading), None)
    if at is None:
        rank = SECTIONS.index(section)
        later = next(
            (
                i
                for i in range(start + 1, end)
                if lines[i].startswith("### ") and lines[i][4:].strip() in SECTIONS[rank + 1 :]
            ),
            None,
        )
        where = later if later is not None else _trim_back(lines, end)
        block = [heading, "", line, ""]
        if where > 0 and lines[where - 1].strip():
            block.insert(0, "")
        return [*lines[:where], *block, *lines[where:]]
    stop = next((i for i in range(at + 1, end) if lines[i].startswith("#")), end)
    where = _trim_back(lines, stop)
    return [*lines[:where], line, *lines[where:]]


def _trim_back(lines: list[str], index: int) -> int:
    while index > 0 and not lines[index - 1].strip():
        index -= 1
    return index
