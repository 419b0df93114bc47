"""Stable JSON: sorted keys, every field present, ASCII only; see `report.schema.json`.

The layout is versioned by its `format` member; a change that removes or
renames a member raises it. Non-ASCII and control characters are written as
`\\uXXXX` escapes, so the output is safe to print on any terminal.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, TextIO

from ..findings import Report
from .common import JSON_FORMAT, finding_dict, plain

SCHEMA_NAME = "report.schema.json"


def report_dict(report: Report) -> dict[str, Any]:
    ordered = report.sorted()
    return {
        "format": JSON_FORMAT,
        "command": report.command,
        "counts": report.counts(),
        "findings": [finding_dict(f) for f in ordered.findings],
        "summary": plain({str(k): v for k, v in report.summary.items()}),
        "notes": list(report.notes),
    }


def render_json(report: Report, stream: TextIO) -> None:
    json.dump(report_dict(report), stream, indent=2, sort_keys=True, ensure_ascii=True)
    stream.write("\n")


@cache
def _schema_text() -> str:
    return (resources.files(__package__) / SCHEMA_NAME).read_text("utf-8")


def report_schema() -> dict[str, Any]:
    """The JSON Schema of :func:`render_json`'s output."""
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema
