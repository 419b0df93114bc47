"""Baselines: drift that is known and accepted, as stable fingerprints.

A baseline file lists the :attr:`Finding.fingerprint` of each accepted finding
(a hash of kind, event, API version, path, expected and observed; counts and
locations play no part), with those fields beside it for reviewers. Findings
in the baseline stay in the report, marked ``extra["baselined"] = True``, and
never fail a run. A finding that only counts what was not grouped (``extra["ungrouped"]``)
is never accepted: what it stands for is unknown, and may be new.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from ..config import MAX_BASELINE_BYTES
from ..contracts.registry import dump_json
from ..errors import InputError
from ..findings import UNGROUPED, Finding, Report
from ..fsio import read_file, write_atomic

BASELINE_FORMAT = 1


def baseline_document(findings: Iterable[Finding], command: str = "drift") -> dict[str, Any]:
    """The baseline that accepts every finding in *findings*."""
    entries = {
        f.fingerprint: {
            "kind": f.kind,
            "event": f.event,
            "api_version": f.api_version,
            "path": f.path,
            "expected": f.expected,
            "observed": f.observed,
        }
        for f in findings
        if not f.extra.get(UNGROUPED)
    }
    return {"format": BASELINE_FORMAT, "command": command, "fingerprints": dict(sorted(entries.items()))}


def write_baseline(path: Path, report: Report) -> None:
    """Record the drift of *report* as accepted (atomically)."""
    write_atomic(path, dump_json(baseline_document(report.findings, report.command)))


def load_baseline(path: Path, limit: int = MAX_BASELINE_BYTES) -> frozenset[str]:
    """The fingerprints in a baseline file; errors name the file.

    Only a regular file of at most *limit* bytes (`max-baseline-bytes`) is read:
    a device, a FIFO or a huge file is refused without reading it.
    """
    try:
        data = orjson.loads(read_file(path, limit=limit, limit_name="max-baseline-bytes"))
    except orjson.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc.msg}", where=f"{exc.lineno}:{exc.colno}") from exc
    if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
        raise InputError(path, f"not a webhook-contracts baseline (format {BASELINE_FORMAT})")
    prints = data.get("fingerprints")
    if not isinstance(prints, dict) or not all(isinstance(k, str) for k in prints):
        raise InputError(path, "'fingerprints' must be an object keyed by fingerprint", where="/fingerprints")
    return frozenset(prints)


def apply_baseline(report: Report, fingerprints: frozenset[str], source: str | None = None) -> Report:
    """*report* with the findings in the baseline marked ``baselined``; *source* names the baseline file."""
    findings = tuple(
        dataclasses.replace(f, extra={**f.extra, "baselined": True})
        if f.fingerprint in fingerprints and not f.extra.get(UNGROUPED)
        else f
        for f in report.findings
    )
    summary = {**report.summary, "baselined": sum(1 for f in findings if f.extra.get("baselined"))}
    if source is not None:
        summary["baseline_file"] = source
    return Report(report.command, findings, summary, report.notes)


def unaccepted(report: Report) -> Report:
    """*report* without the baselined findings: what decides the exit code."""
    kept = tuple(f for f in report.findings if not f.extra.get("baselined"))
    return Report(report.command, kept, report.summary, report.notes)
