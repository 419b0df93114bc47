"""Markdown for pull-request comments and `$GITHUB_STEP_SUMMARY`.

A heading with the counts, one table of findings (worst first), then the
summary and notes. Cells are passed through :func:`~.escaping.markdown_cell`:
a crafted field name cannot add links, HTML, mentions or table columns.
"""

from __future__ import annotations

from typing import TextIO

from ..findings import Finding, Report, Severity
from .common import (
    baselined,
    change,
    failing_threshold,
    fails,
    headline,
    path_label,
    readable_summary,
    seen,
    share,
    summary_lines,
)
from .escaping import markdown_cell as cell

_HEADERS = ("Severity", "Event", "Path", "Kind", "Change", "Count", "Share", "Seen", "Message")


def _cells(finding: Finding, threshold: Severity | None) -> dict[str, str]:
    severity = finding.severity.label
    if fails(finding, threshold):
        severity = f"**{severity}**"
    event = finding.event or ""
    if finding.api_version:
        event += f" @ {finding.api_version}"
    if finding.revision is not None:
        event += f" r{finding.revision}"
    return {
        "Severity": severity + (" (baselined)" if baselined(finding) else ""),
        "Event": cell(event),
        "Path": cell(path_label(finding)),
        "Kind": cell(finding.kind),
        "Change": cell(change(finding)),
        "Count": str(finding.count) if finding.count != 1 or finding.share is not None else "",
        "Share": share(finding),
        "Seen": cell(seen(finding)),
        "Message": cell(finding.message),
    }


def render_markdown(report: Report, stream: TextIO) -> None:
    w = stream.write
    w(f"### webhook-contracts {cell(headline(report))}\n")
    threshold = failing_threshold(report)
    findings = report.sorted().findings
    if findings:
        rows = [_cells(f, threshold) for f in findings]
        headers = [h for h in _HEADERS if any(row[h] for row in rows)]
        w("\n| " + " | ".join(headers) + " |\n")
        w("|" + "|".join("---:" if h in ("Count", "Share") else "---" for h in headers) + "|\n")
        for row in rows:
            w("| " + " | ".join(row[h] for h in headers) + " |\n")
    lines = readable_summary(report)
    if lines:
        w("\n**Summary**\n\n")
        w("".join(f"- {cell(line)}\n" for line in lines))
    summary = [] if lines is not None else list(summary_lines(report))
    if summary:
        w("\n**Summary**\n\n")
        for key, value in summary:
            w(f"- {cell(key)}: {cell(value)}\n")
    if report.notes:
        w("\n**Notes**\n\n")
        for note in report.notes:
            w(f"- {cell(note)}\n")
