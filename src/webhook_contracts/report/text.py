"""A readable table per event and API version, then the summary and notes.

Columns nobody in a group uses (counts for a contract diff, expected/observed
for some drift kinds) are left out. Every value goes through
:func:`~.escaping.visible`, so nothing from a payload can move the cursor,
recolour the terminal or break a row.
"""

from __future__ import annotations

from typing import TextIO

from ..findings import Finding, Report
from .common import (
    baselined,
    change,
    group_title,
    headline,
    iter_groups,
    path_label,
    readable_summary,
    seen,
    share,
    summary_lines,
)
from .escaping import visible

_COLUMNS = ("severity", "kind", "path", "change", "count", "share", "message")


def _row(finding: Finding) -> dict[str, str]:
    mark = " [baselined]" if baselined(finding) else ""
    return {
        "severity": finding.severity.label,
        "kind": finding.kind,
        "path": path_label(finding),
        "change": change(finding),
        "count": str(finding.count),
        "share": share(finding),
        "message": finding.message + mark,
    }


def _used(findings: list[Finding], rows: list[dict[str, str]]) -> list[str]:
    columns = []
    for name in _COLUMNS:
        if name == "count" and all(f.count == 1 and f.share is None for f in findings):
            continue
        if name != "count" and not any(row[name] for row in rows):
            continue
        columns.append(name)
    return columns


def _table(findings: list[Finding], stream: TextIO, *, shared_location: bool) -> None:
    rows = [{k: visible(v) for k, v in _row(f).items()} for f in findings]
    columns = _used(findings, rows)
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    right = {"count", "share"}

    def line(cells: dict[str, str]) -> str:
        out = [
            cells[c].rjust(widths[c]) if c in right else cells[c].ljust(widths[c]) for c in columns
        ]
        return ("  " + "  ".join(out)).rstrip() + "\n"

    stream.write(line({c: c.upper() for c in columns}))
    for finding, row in zip(findings, rows, strict=True):
        stream.write(line(row))
        details = (
            [f"at {finding.location}"]
            if finding.location is not None and not shared_location and finding.location != finding.first_seen
            else []
        )
        details += [seen(finding)] if finding.first_seen or finding.last_seen else []
        if details:
            stream.write(f"      {visible('; '.join(details))}\n")


def render_text(report: Report, stream: TextIO) -> None:
    stream.write(visible(headline(report)) + "\n")
    for (event, api_version), findings in iter_groups(report):
        revisions = {f.revision for f in findings}
        revision = revisions.pop() if len(revisions) == 1 else None
        locations = {f.location for f in findings}
        shared = len(locations) == 1 and None not in locations
        title = group_title(event, api_version, revision)
        if shared:
            title += f" (at {findings[0].location})"
        stream.write(f"\n{visible(title)}\n")
        _table(findings, stream, shared_location=shared)
    lines = readable_summary(report)
    if lines:
        stream.write("\nsummary\n")
        stream.writelines(f"  {visible(line)}\n" for line in lines)
    summary = [] if lines is not None else list(summary_lines(report))
    if summary:
        stream.write("\nsummary\n")
        width = max(len(visible(k)) for k, _ in summary)
        for key, value in summary:
            stream.write(f"  {visible(key):<{width}}  {visible(value)}\n")
    if report.notes:
        stream.write("\nnotes\n")
        for note in report.notes:
            stream.write(f"  - {visible(note)}\n")
