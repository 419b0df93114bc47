"""Validation results as findings: the one conversion `validate` and `check`'s fixtures share.

A :class:`~.validate.ValidationResult` carries the keyword findings of one
payload (`schema.required`, `schema.type`, ...). What the result itself says
becomes a finding too: a payload whose event has no contract (`unknown_event`)
and one with more errors than `max-errors-per-payload` (`errors_not_listed`).
:func:`validation_report` gathers the payloads of a run into one
:class:`~webhook_contracts.findings.Report`, whose summary says, per payload,
which contract it was checked against and how that contract was found.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..findings import KINDS, Finding, Location, Report
from .validate import ValidationResult

#: The command whose report :func:`validation_report` builds.
COMMAND = "validate"


def result_findings(result: ValidationResult) -> tuple[Finding, ...]:
    """Every finding of one payload: its errors, or that its event is unknown, and whether errors went unlisted."""
    place = Location(result.source)
    rev = result.revision
    if rev is None:
        unknown = Finding(
            "unknown_event",
            KINDS["unknown_event"].severity,
            _unknown(result),
            event=result.detection.event,
            location=place,
        )
        return (unknown,)
    if result.stopped_at is None:
        return result.findings
    stopped = Finding(
        "errors_not_listed",
        KINDS["errors_not_listed"].severity,
        f"stopped after {result.stopped_at} errors (max-errors-per-payload); it has more",
        event=rev.event,
        api_version=rev.api_version,
        revision=rev.revision,
        location=place,
        extra={"max_errors_per_payload": result.stopped_at},
    )
    return (*result.findings, stopped)


def _unknown(result: ValidationResult) -> str:
    d = result.detection
    if d.ambiguous:
        return f"no contract chosen: the shape matches {' and '.join(d.ambiguous)} equally"
    if d.event is not None:
        return "no contract for this event in the API version"
    guess = f" (best guess {d.runner_up}, confidence {d.confidence:.2f})" if d.runner_up else ""
    return f"no contract matches this payload{guess}"


def _status(result: ValidationResult) -> str:
    if result.revision is None:
        return "unknown event"
    return "valid" if result.valid else "invalid"


def payload_summary(result: ValidationResult) -> dict[str, Any]:
    """What the report says of one payload besides its findings: its contract and how it was found."""
    d, rev = result.detection, result.revision
    return {
        "source": result.source,
        "where": result.where,
        "event": rev.event if rev else d.event,
        "api_version": rev.api_version if rev else None,
        "revision": rev.revision if rev else None,
        "detection": {
            "method": d.method,
            "confidence": d.confidence,
            "runner_up": d.runner_up,
            "ambiguous": list(d.ambiguous),
            "description": d.describe(),
        },
        "status": _status(result),
        "error_count": result.error_count,
        "stopped_at_max_errors": result.stopped_at,
    }


def validation_report(results: Iterable[ValidationResult]) -> Report:
    """The findings of every payload as one report; its summary lists the payloads and counts the valid ones."""
    results = list(results)
    findings = tuple(f for result in results for f in result_findings(result))
    summary = {
        "payloads": [payload_summary(r) for r in results],
        "valid": sum(r.valid for r in results),
        "total": len(results),
    }
    return Report(COMMAND, findings, summary).sorted()
