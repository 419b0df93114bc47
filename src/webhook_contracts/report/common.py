"""What the report renderers share: the finding as plain data, grouping, failing.

A renderer receives only the report and a stream. The one setting some formats
need beyond the findings, the `--fail-on` threshold, travels in the report's
summary under :data:`FAIL_ON_KEY` (the CLI puts it there with
:func:`with_fail_on`). Without it, errors and warnings count as failures.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from itertools import groupby
from typing import Any

from ..findings import Finding, Location, Report, Severity

FAIL_ON_KEY = "fail_on"
#: The threshold renderers assume when the report does not carry one.
DEFAULT_FAILING = Severity.WARNING
#: Version of the JSON report layout (`report.schema.json`).
JSON_FORMAT = 1


def with_fail_on(report: Report, fail_on: str) -> Report:
    """*report* with the `--fail-on` threshold recorded in its summary."""
    return dataclasses.replace(report, summary={**report.summary, FAIL_ON_KEY: fail_on})


def failing_threshold(report: Report) -> Severity | None:
    """The lowest severity that fails, or None when nothing does (`never`)."""
    value = report.summary.get(FAIL_ON_KEY)
    if value == "never":
        return None
    if isinstance(value, str) and value.upper() in Severity.__members__:
        return Severity.parse(value)
    return DEFAULT_FAILING


def fails(finding: Finding, threshold: Severity | None) -> bool:
    return threshold is not None and finding.severity >= threshold


def baselined(finding: Finding) -> bool:
    return bool(finding.extra.get("baselined"))


def where(finding: Finding) -> Location | None:
    """The place a finding points at: its location, else where it was first seen."""
    return finding.location or finding.first_seen


def location_dict(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"file": location.file, "line": location.line, "created_at": location.created_at}


def plain(value: Any) -> Any:
    """*value* with everything JSON cannot hold turned into strings (tuples into lists)."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def finding_dict(finding: Finding) -> dict[str, Any]:
    """A finding as JSON-ready data, every field present, plus its fingerprint."""
    return {
        "kind": finding.kind,
        "severity": finding.severity.label,
        "message": finding.message,
        "event": finding.event,
        "api_version": finding.api_version,
        "revision": finding.revision,
        "path": finding.path,
        "expected": finding.expected,
        "observed": finding.observed,
        "location": location_dict(finding.location),
        "count": finding.count,
        "share": finding.share,
        "first_seen": location_dict(finding.first_seen),
        "last_seen": location_dict(finding.last_seen),
        "extra": plain(dict(finding.extra)),
        "fingerprint": finding.fingerprint,
    }


def iter_groups(report: Report) -> Iterator[tuple[tuple[str, str], list[Finding]]]:
    """Findings grouped by (event, API version), groups in name order, findings sorted."""

    def group(finding: Finding) -> tuple[str, str]:
        return finding.event or "", finding.api_version or ""

    ordered = sorted(report.findings, key=lambda f: (group(f), f.sort_key()))
    for key, items in groupby(ordered, key=group):
        yield key, list(items)


def group_title(event: str, api_version: str, revision: int | None = None) -> str:
    title = event or "(no event)"
    if api_version:
        title += f" @ {api_version}"
    if revision is not None:
        title += f" r{revision}"
    return title


def headline(report: Report) -> str:
    """`drift: 3 findings (1 error, 2 warning, 0 info)`, or `drift: no findings`."""
    if not report.findings:
        return f"{report.command}: no findings"
    counts = ", ".join(f"{n} {label}" for label, n in report.counts().items())
    total = len(report.findings)
    marked = sum(baselined(f) for f in report.findings)
    extra = f", {marked} baselined" if marked else ""
    return f"{report.command}: {total} finding{'s' if total != 1 else ''} ({counts}{extra})"


def seen(finding: Finding) -> str:
    """`first a.jsonl:3 (2024-01-01T00:00:00Z), last b.jsonl:9`, or ''."""
    parts = []
    for label, loc in (("first", finding.first_seen), ("last", finding.last_seen)):
        if loc is not None:
            stamp = f" ({loc.created_at})" if loc.created_at else ""
            parts.append(f"{label} {loc}{stamp}")
    return ", ".join(parts)


def change(finding: Finding) -> str:
    """`expected → observed` when the finding carries either."""
    if finding.expected is None and finding.observed is None:
        return ""
    return f"{finding.expected if finding.expected is not None else '-'} → " + (
        finding.observed if finding.observed is not None else "-"
    )


def share(finding: Finding) -> str:
    return "" if finding.share is None else f"{finding.share:.1%}"


def summary_lines(report: Report) -> Iterator[tuple[str, str]]:
    """(key, value) pairs of the summary, sorted, values as compact JSON unless strings."""
    for key in sorted(report.summary, key=str):
        value = report.summary[key]
        yield (
            str(key),
            value if isinstance(value, str) else json.dumps(plain(value), sort_keys=True),
        )
