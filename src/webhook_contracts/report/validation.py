"""Reports of `validate`: a readable text form and stable JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:  # the validator imports jsonschema, which only `validate` needs
    from ..payloads.validate import ValidationResult

Reporter = Callable[[Sequence["ValidationResult"], TextIO], None]


def _status(result: ValidationResult) -> str:
    if result.revision is None:
        return "unknown event"
    if result.valid:
        return "valid"
    if result.stopped_at is not None:
        return f"more than {result.error_count} error(s); stopped at max-errors-per-payload ({result.stopped_at})"
    return f"{result.error_count} error(s)"


def _location(result: ValidationResult) -> str:
    return f"{result.source}:{result.where}" if result.where else result.source


def render_text(results: Sequence[ValidationResult], stream: TextIO) -> None:
    for result in results:
        d = result.detection
        if result.revision is None:
            guess = f" (best guess {d.runner_up}, confidence {d.confidence:.2f})" if d.runner_up else ""
            named = f"{d.event}: " if d.event else ""
            stream.write(f"{_location(result)}: {named}unknown event{guess}\n")
            continue
        rev = result.revision
        stream.write(
            f"{_location(result)}: {rev.event} ({rev.api_version} r{rev.revision}, {d.describe()}): {_status(result)}\n"
        )
        for v in result.violations:
            value = f" (value: {v.value})" if v.value is not None else ""
            stream.write(f"  {v.path or '/'}: {v.message} [{v.keyword}]{v.occurrences()}{value}\n")
    stream.write(summary_line(results) + "\n")


def summary_line(results: Sequence[ValidationResult]) -> str:
    """`2 of 3 payload(s) valid`: the headline of a validation (all `-q` prints)."""
    return f"{sum(r.valid for r in results)} of {len(results)} payload(s) valid"


def _as_dict(result: ValidationResult) -> dict[str, Any]:
    d, rev = result.detection, result.revision
    return {
        "source": result.source,
        "where": result.where,
        "event": rev.event if rev else d.event,
        "api_version": rev.api_version if rev else None,
        "revision": rev.revision if rev else None,
        "detection": {"method": d.method, "confidence": d.confidence, "runner_up": d.runner_up},
        "valid": result.valid,
        "error_count": result.error_count,
        "stopped_at_max_errors": result.stopped_at,
        "errors": [
            {
                "path": v.path, "keyword": v.keyword, "message": v.message, "count": v.count,
                "examples": list(v.examples), **({"value": v.value} if v.value else {}),
            }
            for v in result.violations
        ],
    }


def render_json(results: Sequence[ValidationResult], stream: TextIO) -> None:
    doc = {"results": [_as_dict(r) for r in results], "valid": sum(r.valid for r in results), "total": len(results)}
    json.dump(doc, stream, indent=2, sort_keys=True)
    stream.write("\n")


VALIDATION_REPORTERS: dict[str, Reporter] = {"text": render_text, "json": render_json}
