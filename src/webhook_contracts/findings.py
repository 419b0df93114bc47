"""Findings as data: what every checking command reports, in one shape.

`drift`, `diff`, `compare` and `check` each produce a :class:`Report` of
:class:`Finding` objects; the renderers in :mod:`webhook_contracts.report`
turn any report into text, JSON, Markdown, JUnit, SARIF or GitHub annotations.
A finding carries paths, types and counts; payload values only when the user
asked for them.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ExitCode


class Severity(enum.IntEnum):
    """How much a finding matters to a consumer of the payloads."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, name: str) -> Severity:
        return cls[name.upper()]


#: Drift kinds and their default severity (users may override them in config).
DRIFT_SEVERITY: dict[str, Severity] = {
    "missing_field": Severity.ERROR,
    "retyped_field": Severity.ERROR,
    "format_changed": Severity.ERROR,
    "new_constant": Severity.ERROR,
    "new_enum_value": Severity.ERROR,
    "prefix_changed": Severity.WARNING,
    "new_field": Severity.WARNING,
    "new_open_key": Severity.INFO,
    "missing_documented_field": Severity.INFO,
    # About the run rather than a payload: a gate must not go green on traffic it could not check.
    "nothing_checked": Severity.ERROR,
    "unchecked_traffic": Severity.ERROR,
}


#: `extra` key of a finding that counts findings not described one by one (past a limit on
#: groups or differences): it has no path, and a baseline never accepts it.
UNGROUPED = "ungrouped"


#: `extra` key of a finding for the value it saw when that is not part of what groups it (a new
#: object tag): drift counts the distinct values of a group and lists the most frequent.
OBSERVED_VALUE = "observed_value"


@dataclass(frozen=True, order=True)
class Location:
    """Where something was seen: a file, a line, and the payload's own timestamp."""

    file: str
    line: int | None = None
    created_at: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True)
class Finding:
    """One (possibly aggregated) thing a command found."""

    kind: str
    severity: Severity
    message: str
    event: str | None = None
    api_version: str | None = None
    revision: int | None = None
    path: str | None = None
    expected: str | None = None
    observed: str | None = None
    location: Location | None = None
    count: int = 1
    first_seen: Location | None = None
    last_seen: Location | None = None
    share: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, ...]:
        """What makes two findings the same finding (used to group and to baseline)."""
        return (
            self.kind,
            self.event or "",
            self.api_version or "",
            self.path or "",
            self.expected or "",
            self.observed or "",
        )

    @property
    def fingerprint(self) -> str:
        """A stable id of :attr:`key`, for baselines and SARIF."""
        # surrogatepass: a schema read with the json module may hold lone surrogates.
        return hashlib.sha256("\x1f".join(self.key).encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def sort_key(self) -> tuple[Any, ...]:
        return (-self.severity, self.event or "", self.api_version or "", self.path or "", self.kind, self.key)


@dataclass(frozen=True)
class Report:
    """The findings of one command, with a command-specific summary."""

    command: str
    findings: tuple[Finding, ...]
    summary: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def sorted(self) -> Report:
        return Report(self.command, tuple(sorted(self.findings, key=Finding.sort_key)), self.summary, self.notes)

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def counts(self) -> dict[str, int]:
        out = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for finding in self.findings:
            out[finding.severity.label] += 1
        return out


def exit_code(report: Report, fail_on: str) -> ExitCode:
    """0 when nothing is at or above *fail_on* (error|warning|info|never), else 1."""
    if fail_on == "never":
        return ExitCode.OK
    threshold = Severity.parse(fail_on)
    return ExitCode.FINDINGS if any(f.severity >= threshold for f in report.findings) else ExitCode.OK
