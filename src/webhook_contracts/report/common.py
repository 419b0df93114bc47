"""What the report renderers share: the finding as plain data, grouping, failing.

A renderer receives only the report and a stream. The one setting some formats
need beyond the findings, the `--fail-on` threshold, travels in the report's
summary under :data:`FAIL_ON_KEY` (the CLI puts it there with
:func:`with_fail_on`). Without it, errors and warnings count as failures.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Mapping
from itertools import groupby
from typing import Any

from ..findings import UNGROUPED, Finding, Location, Report, Severity

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


def baseline_justification(report: Report) -> str:
    """Why a baselined finding does not fail: `accepted in the baseline FILE`."""
    file = report.summary.get("baseline_file")
    return f"accepted in the baseline {file}" if isinstance(file, str) and file else "accepted in the baseline"


def path_label(finding: Finding) -> str:
    """The path to show: `/` for the root, `(other paths)` for a count of findings not grouped."""
    return "(other paths)" if finding.extra.get(UNGROUPED) else finding.path or "/"


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
    first, last = finding.first_seen, finding.last_seen
    if first is not None and first == last:
        return f"at {first}" + (f" ({first.created_at})" if first.created_at else "")
    if first is not None and last is not None and first.file == last.file and first.line is not None:
        # One file: name it once (`in a.jsonl, first line 3 (...), last line 9`).
        parts = [
            f"{label} line {loc.line}" + (f" ({loc.created_at})" if loc.created_at else "")
            for label, loc in (("first", first), ("last", last))
        ]
        return f"in {first.file}, " + ", ".join(parts)
    parts = []
    for label, loc in (("first", first), ("last", last)):
        if loc is not None:
            stamp = f" ({loc.created_at})" if loc.created_at else ""
            parts.append(f"{label} {loc}{stamp}")
    return ", ".join(parts)


def change(finding: Finding) -> str:
    """`expected → observed` when the finding carries either."""
    if finding.expected is None and finding.observed is None:
        return ""
    observed = finding.observed
    values = finding.extra.get("values")
    if isinstance(values, dict) and values.get("distinct") == 1 and not values.get("untracked"):
        # A finding grouped over values (a new tag) that saw one: name it (as labelled for privacy).
        observed = next(iter(values.get("most_frequent") or {observed: 0}))
    return f"{finding.expected if finding.expected is not None else '-'} → " + (
        observed if observed is not None else "-"
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


#: Lines of unparseable input or unknown events listed in text before "and N more".
_LISTED = 20


def _section(summary: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A `{count, lines}` part of a summary, whatever shape a caller gave it."""
    value = summary.get(key, {})
    if isinstance(value, int):
        return {"count": value, "lines": []}
    return value if isinstance(value, dict) else {}


#: The two listings of input lines a drift summary carries: (title, summary key).
DRIFT_LISTINGS = (("unparseable", "unparseable"), ("unknown event", "unknown"))


def listed_lines(summary: Mapping[str, Any], key: str) -> tuple[int, list[dict[str, Any]]]:
    """How many lines a drift summary counts under *key*, and those it lists (file, line, reason)."""
    section = _section(summary, key)
    lines = section.get("lines", [])
    items = [item for item in lines if isinstance(item, dict)] if isinstance(lines, list) else []
    count = section.get("count", 0)
    return (count if isinstance(count, int) else 0), items


def by_reason(items: list[dict[str, Any]]) -> list[tuple[str, dict[str, list[int]]]]:
    """Listed lines grouped by reason (most frequent first), each as {file: [line, ...]}."""
    groups: dict[str, dict[str, list[int]]] = {}
    for item in items:
        line = item.get("line")
        lines = groups.setdefault(str(item.get("reason")), {}).setdefault(str(item.get("file")), [])
        if isinstance(line, int):
            lines.append(line)
    return sorted(groups.items(), key=lambda kv: (-sum(map(len, kv[1].values())), kv[0]))


def _drift_summary(summary: Mapping[str, Any], listed: int | None = _LISTED) -> Iterator[str]:
    """The drift summary as lines; *listed* lines of each listing (None: all of them)."""
    unparseable = _section(summary, "unparseable")
    unknown = _section(summary, "unknown")
    yield (
        f"{summary.get('payloads', 0)} payload(s) in {summary.get('records', 0)} record(s); "
        f"{unparseable.get('count', 0)} unparseable, {unknown.get('count', 0)} of unknown events"
    )
    events = summary.get("events", {})
    for event, info in sorted(events.items()) if isinstance(events, dict) else ():
        if not isinstance(info, dict):
            continue
        shape = f", {info['detected_by_shape']} detected by shape" if info.get("detected_by_shape") else ""
        best = info.get("best_revision")
        match = f"best match r{best}" if best == info.get("revision") else f"traffic matches r{best} best"
        yield (
            f"{group_title(event, info.get('api_version', ''))}: {info.get('payloads', 0)} payload(s){shape}, "
            f"checked against r{info.get('revision')}, {match}"
        )
    deliveries = summary.get("deliveries")
    if isinstance(deliveries, dict) and deliveries:
        yield "deliveries: " + ", ".join(f"{count} {kind}" for kind, count in sorted(deliveries.items()))
    distributions = summary.get("distributions")
    if not isinstance(distributions, dict):
        distributions = {}
    names = distributions.get("names", {})
    if isinstance(names, dict) and names:
        ranked = sorted(names.items(), key=lambda item: (-item[1], item[0]))
        text = ", ".join(f"{name!r} {count}" for name, count in ranked[:_LISTED])
        rest = len(ranked) - _LISTED + (1 if distributions.get("other") else 0)
        yield f"distributions: {text}" + (f" and {rest} more" if rest > 0 else "")
    for title, key in DRIFT_LISTINGS if listed != 0 else ():
        count, items = listed_lines(summary, key)
        for item in items[:listed]:
            yield f"{title}: {item.get('file')}:{item.get('line')}: {item.get('reason')}"
        if count > len(items[:listed]):
            yield f"{title}: ... and {count - len(items[:listed])} more (all of them in --format json)"
    ungrouped = summary.get("ungrouped")
    if isinstance(ungrouped, dict) and ungrouped:
        counts = ", ".join(
            f"{n} {kind} ({severity})"
            for kind, by_severity in sorted(ungrouped.items())
            if isinstance(by_severity, dict)
            for severity, n in sorted(by_severity.items())
        )
        yield f"not grouped (past the limit on distinct findings): {counts}"
    if summary.get("baselined"):
        yield f"baselined: {summary['baselined']}"


def _check_summary(summary: Mapping[str, Any], listed: int | None = _LISTED) -> Iterator[str]:
    checks = summary.get("checks", {})
    if checks:
        yield "checks: " + "; ".join(f"{name} {status}" for name, status in checks.items())


def validated_payloads(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The payloads a `validate` summary lists (source, event, revision, status, ...)."""
    payloads = summary.get("payloads")
    return [p for p in payloads if isinstance(p, dict)] if isinstance(payloads, list) else []


def payload_line(payload: Mapping[str, Any]) -> str:
    """`a.json: customer.rewarded.loyalty_points (v2024-01-01 r2, from the envelope type): valid`."""
    place = f"{payload.get('source')}:{payload['where']}" if payload.get("where") else str(payload.get("source"))
    detection = payload.get("detection")
    detection = detection if isinstance(detection, dict) else {}
    event = payload.get("event")
    if payload.get("revision") is None:
        runner_up, confidence = detection.get("runner_up"), detection.get("confidence")
        sure = f", confidence {confidence:.2f}" if isinstance(confidence, (int, float)) else ""
        guess = f" (best guess {runner_up}{sure})" if runner_up else ""
        return f"{place}: {f'{event}: ' if event else ''}unknown event{guess}"
    head = f"{place}: {event} ({payload.get('api_version')} r{payload.get('revision')}, {detection.get('description')})"
    errors, stopped = payload.get("error_count", 0), payload.get("stopped_at_max_errors")
    if payload.get("status") == "valid":
        return f"{head}: valid"
    if stopped is not None:
        return f"{head}: more than {errors} error(s); stopped at max-errors-per-payload ({stopped})"
    return f"{head}: {errors} error(s)"


def _validate_summary(summary: Mapping[str, Any], listed: int | None = _LISTED) -> Iterator[str]:
    yield from (payload_line(p) for p in validated_payloads(summary))
    yield f"{summary.get('valid', 0)} of {summary.get('total', 0)} payload(s) valid"


#: Command-specific summary layouts; other commands get the generic key/value list.
SUMMARIES: dict[str, Callable[[Mapping[str, Any], int | None], Iterator[str]]] = {
    "check": _check_summary,
    "drift": _drift_summary,
    "validate": _validate_summary,
}


def readable_summary(report: Report, listed: int | None = _LISTED) -> list[str] | None:
    """The summary as readable lines for this command, or None for the generic layout.

    *listed* is how many lines of each listing (unparseable input, unknown events) to
    show one by one: None for all, 0 for none.
    """
    describe = SUMMARIES.get(report.command)
    return None if describe is None else list(describe(report.summary, listed))
