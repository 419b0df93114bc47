"""Group per-payload drift findings for triage, in bounded memory.

Findings of many payloads are grouped by :attr:`Finding.key` (event, API
version, kind, path, expected, observed). A group keeps its count (payloads
that show it), its share of that event's payloads, where it was first and last
seen (in input order: file, line and the payload's `created_at`), and a few
example locations; never the payloads themselves.

Past :data:`MAX_GROUPS` groups, a finding of a new group is not grouped but
counted by event, API version, kind and severity: :meth:`DriftAggregator.findings`
turns each count into one finding marked ``extra["ungrouped"]``, so what was not
grouped still shows in every format, counts in the headline and fails the run.
The new keys a payload
counted rather than listed (`unlisted`, see :mod:`.drift`) add up per group.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..findings import OBSERVED_VALUE, UNGROUPED, Finding, Location, Severity

#: Example locations kept per group.
MAX_EXAMPLES = 3
#: Distinct groups kept; findings of further groups are only counted.
MAX_GROUPS = 10_000
#: Distinct observed values counted per group (a new tag's); later new values are counted together.
MAX_VALUES = 1000
#: The most frequent observed values a group lists.
SHOWN_VALUES = 5


@dataclass
class _Group:
    finding: Finding
    count: int
    first: Location
    last: Location
    examples: list[Location] = field(default_factory=list)
    #: Observed value -> payloads (findings that carry one, :data:`OBSERVED_VALUE`).
    values: Counter[str] = field(default_factory=Counter)
    #: Payloads whose value was new once :data:`MAX_VALUES` were counted.
    untracked: int = 0
    #: New keys counted, not listed, over the group's payloads.
    unlisted: int = 0

    def count_value(self, value: str, count: int = 1) -> None:
        if value in self.values or len(self.values) < MAX_VALUES:
            self.values[value] += count
        else:
            self.untracked += count


class DriftAggregator:
    """Collects the findings of each payload; :meth:`findings` returns the groups."""

    def __init__(self, *, max_examples: int = MAX_EXAMPLES, max_groups: int = MAX_GROUPS) -> None:
        self.max_examples = max_examples
        self.max_groups = max_groups
        #: (event, API version, kind, severity) -> findings not grouped (their group would pass max_groups).
        self.ungrouped: Counter[tuple[str, str, str, Severity]] = Counter()
        self._groups: dict[tuple[str, ...], _Group] = {}

    @property
    def dropped(self) -> int:
        """Findings not grouped (counted in :attr:`ungrouped`)."""
        return sum(self.ungrouped.values())

    def _drop(self, finding: Finding, count: int) -> None:
        self.ungrouped[(finding.event or "", finding.api_version or "", finding.kind, finding.severity)] += count

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
                    self._drop(finding, 1)
                    continue
                group = self._groups[key] = _Group(finding, 1, where, where, [where], unlisted=_unlisted(finding))
                if OBSERVED_VALUE in finding.extra:
                    group.count_value(finding.extra[OBSERVED_VALUE])
                continue
            if OBSERVED_VALUE in finding.extra:
                group.count_value(finding.extra[OBSERVED_VALUE])
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
        self.ungrouped.update(other.ungrouped)
        for key, theirs in other._groups.items():
            group = self._groups.get(key)
            if group is None:
                if len(self._groups) >= self.max_groups:
                    self._drop(theirs.finding, theirs.count)
                    continue
                first = move(theirs.first)
                self._groups[key] = _Group(
                    theirs.finding,
                    theirs.count,
                    first,
                    move(theirs.last),
                    [move(w) for w in theirs.examples],
                    theirs.values,
                    theirs.untracked,
                    theirs.unlisted,
                )
                continue
            for value, count in theirs.values.items():
                group.count_value(value, count)
            group.untracked += theirs.untracked
            group.count += theirs.count
            group.unlisted += theirs.unlisted
            group.last = move(theirs.last)
            room = self.max_examples - len(group.examples)
            group.examples.extend(move(w) for w in theirs.examples[: max(room, 0)])

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
            message = f.message
            if extra.pop(OBSERVED_VALUE, None) is not None:
                extra["values"], message = _values(group, message)
            if group.unlisted:
                extra["unlisted"] = group.unlisted
            out.append(
                dataclasses.replace(
                    f,
                    message=message,
                    location=group.first,
                    count=group.count,
                    first_seen=group.first,
                    last_seen=group.last,
                    share=round(group.count / total, 4) if total else None,
                    extra=extra,
                )
            )
        out.extend(self._ungrouped_findings())
        return tuple(sorted(out, key=Finding.sort_key))

    def _ungrouped_findings(self) -> list[Finding]:
        """One finding per (event, API version, kind, severity) of what was not grouped."""
        out = []
        for (event, api_version, kind, severity), count in sorted(self.ungrouped.items()):
            out.append(
                Finding(
                    kind=kind,
                    severity=severity,
                    message=f"{count} more finding(s) of this kind at other paths or values, not grouped "
                    f"(more than {self.max_groups} distinct findings)",
                    event=event or None,
                    api_version=api_version or None,
                    count=count,
                    extra={UNGROUPED: True},
                )
            )
        return out

    def ungrouped_summary(self) -> dict[str, dict[str, int]]:
        """Findings not grouped, by kind and severity (`{"new_field": {"warning": 10}}`)."""
        out: dict[str, dict[str, int]] = {}
        for (_, _, kind, severity), count in sorted(self.ungrouped.items()):
            by_severity = out.setdefault(kind, {})
            by_severity[severity.label] = by_severity.get(severity.label, 0) + count
        return out


def _values(group: _Group, message: str) -> tuple[dict[str, Any], str]:
    """The distinct values a group saw, the most frequent (ties by value), and its message saying so."""
    ranked = sorted(group.values.items(), key=lambda item: (-item[1], item[0]))[:SHOWN_VALUES]
    distinct = f"{len(group.values)}{'+' if group.untracked else ''}"
    listed = ", ".join(f"{value} ({count})" for value, count in ranked)
    more = ", ..." if len(group.values) > len(ranked) or group.untracked else ""
    summary = {"distinct": len(group.values), "untracked": group.untracked, "most_frequent": dict(ranked)}
    if distinct == "1":
        return summary, f"{message}: {listed}"
    return summary, f"{message} ({distinct} distinct): {listed}{more}"


def _unlisted(finding: Finding) -> int:
    count = finding.extra.get("unlisted", 0)
    return count if isinstance(count, int) else 0


def shift(where: Location, lines: int) -> Location:
    """*where* moved down by *lines* (a part of a file read on its own starts at line 1)."""
    if not lines or where.line is None:
        return where
    return dataclasses.replace(where, line=where.line + lines)
