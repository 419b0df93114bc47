"""Plain text and JSON for a drift :class:`Report`, used when no other renderers are registered."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TextIO

from ..findings import Finding, Location, Report


def _where(location: Location | None) -> str:
    if location is None:
        return "-"
    when = f" ({location.created_at})" if location.created_at else ""
    return f"{location}{when}"


def render_text(report: Report, stream: TextIO) -> None:
    """One screen for triage: summary per event, then the grouped findings."""
    report = report.sorted()
    summary = report.summary
    stream.write(
        f"{summary.get('payloads', 0)} payload(s) in {summary.get('records', 0)} record(s); "
        f"{summary.get('unparseable', {}).get('count', 0)} unparseable, "
        f"{summary.get('unknown', {}).get('count', 0)} of unknown events\n"
    )
    for event, info in summary.get("events", {}).items():
        stream.write(
            f"  {event} {info['api_version']}: {info['payloads']} payload(s), checked r{info['revision']}, "
            f"best match r{info['best_revision']}\n"
        )
    for finding in report.findings:
        share = f" {finding.share:.1%}" if finding.share is not None else ""
        mark = " [baselined]" if finding.extra.get("baselined") else ""
        stream.write(
            f"{finding.severity.label:7} {finding.kind:14} {finding.event} {finding.path}: {finding.message} "
            f"x{finding.count}{share}{mark}\n"
            f"        first {_where(finding.first_seen)}, last {_where(finding.last_seen)}\n"
        )
    for name in ("unparseable", "unknown"):
        for item in summary.get(name, {}).get("lines", []):
            stream.write(f"{name}: {item['file']}:{item['line']}: {item['reason']}\n")
    for note in report.notes:
        stream.write(f"note: {note}\n")
    counts = report.counts()
    stream.write(", ".join(f"{n} {label}(s)" for label, n in counts.items()) + "\n")


def _location(location: Location | None) -> dict[str, Any] | None:
    if location is None:
        return None
    return {"file": location.file, "line": location.line, "created_at": location.created_at}


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "fingerprint": finding.fingerprint,
        "kind": finding.kind,
        "severity": finding.severity.label,
        "message": finding.message,
        "event": finding.event,
        "api_version": finding.api_version,
        "revision": finding.revision,
        "path": finding.path,
        "expected": finding.expected,
        "observed": finding.observed,
        "count": finding.count,
        "share": finding.share,
        "first_seen": _location(finding.first_seen),
        "last_seen": _location(finding.last_seen),
        "extra": dict(finding.extra),
    }


def render_json(report: Report, stream: TextIO) -> None:
    """The whole report as one JSON document (sorted keys, no timestamps)."""
    report = report.sorted()
    document = {
        "command": report.command,
        "counts": report.counts(),
        "findings": [finding_dict(f) for f in report.findings],
        "summary": report.summary,
        "notes": list(report.notes),
    }
    stream.write(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


FALLBACK_REPORTERS: dict[str, Callable[[Report, TextIO], None]] = {"json": render_json, "text": render_text}
