"""Group per-payload drift findings for triage, in bounded memory.

Findings of many payloads are grouped by :attr:`Finding.key` (event, API
version, kind, path, expected, observed). A group keeps its count (payloads
that show it), its share of that event's payloads, where it was first and last
seen (in input order: file, line and the payload's `created_at`), and a few
example locations; never the payloads themselves. The new keys a payload
counted rather than listed (`unlisted`, see :mod:`.drift`) add up per group.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .findings import Finding, Location

#: Example locations kept per group.
MAX_EXAMPLES = 3
#: Distinct groups kept; findings of further groups are only counted.
MAX_GROUPS = 10_000


@dataclass
class _Group:
    finding: Finding
    count: int
    first: Location
    last: Location
    examples: list[Location] = field(default_factory=list)
    #: New keys counted, not listed, over the group's payloads.
    unlisted: int = 0


class DriftAggregator:
    """Collects the findings of each payload; :meth:`findings` returns the groups."""

    def __init__(self, *, max_examples: int = MAX_EXAMPLES, max_groups: int = MAX_GROUPS) -> None:
        self.max_examples = max_examples
        self.max_groups = max_groups
        self.dropped = 0
        self._groups: dict[tuple[str, ...], _Group] = {}

    def add(self, findings: Iterable[Finding], where: Location) -> None:
        """The findings of one payload, seen at *where* (one per key is counted)."""
        seen: set[tuple[str, ...]] = set()
        for finding in findings:
            key = finding.key
            if key in seen:
                continue
            seen.add(key)
            group = self._groups.get(key)
            if group is None:
                if len(self._groups) >= self.max_groups:
                    self.dropped += 1
                    continue
                self._groups[key] = _Group(finding, 1, where, where, [where], _unlisted(finding))
                continue
            group.count += 1
            group.unlisted += _unlisted(finding)
            group.last = where
            if len(group.examples) < self.max_examples:
                group.examples.append(where)

    def merge(self, other: DriftAggregator, move: Callable[[Location], Location]) -> None:
        """Add the groups of *other*, which saw input after this one; *move* fixes its locations.

        The result is what one aggregator fed both inputs in order would hold,
        unless a side reached :attr:`max_groups`.
        """
        self.dropped += other.dropped
        for key, theirs in other._groups.items():
            group = self._groups.get(key)
            if group is None:
                if len(self._groups) >= self.max_groups:
                    self.dropped += theirs.count
                    continue
                first = move(theirs.first)
                self._groups[key] = _Group(
                    theirs.finding, theirs.count, first, move(theirs.last), [move(w) for w in theirs.examples],
                    theirs.unlisted,
                )
                continue
            group.count += theirs.count
            group.unlisted += theirs.unlisted
            group.last = move(theirs.last)
            room = self.max_examples - len(group.examples)
            group.examples.extend(move(w) for w in theirs.examples[:max(room, 0)])

    def __len__(self) -> int:
        return len(self._groups)

    def findings(self, payloads: Mapping[tuple[str, str], int]) -> tuple[Finding, ...]:
        """One finding per group, with count, share of *payloads* per (event, API version), first and last seen."""
        out = []
        for group in self._groups.values():
            f = group.finding
            total = payloads.get((f.event or "", f.api_version or ""), 0)
            extra = dict(f.extra)
            extra["examples"] = [str(where) for where in group.examples]
            if group.unlisted:
                extra["unlisted"] = group.unlisted
            out.append(
                dataclasses.replace(
                    f,
                    location=group.first,
                    count=group.count,
                    first_seen=group.first,
                    last_seen=group.last,
                    share=round(group.count / total, 4) if total else None,
                    extra=extra,
                )
            )
        return tuple(sorted(out, key=Finding.sort_key))


def _unlisted(finding: Finding) -> int:
    count = finding.extra.get("unlisted", 0)
    return count if isinstance(count, int) else 0


def shift(where: Location, lines: int) -> Location:
    """*where* moved down by *lines* (a part of a file read on its own starts at line 1)."""
    if not lines or where.line is None:
        return where
    return dataclasses.replace(where, line=where.line + lines)
