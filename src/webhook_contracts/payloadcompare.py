"""`compare`: how two concrete payloads differ (say, a documented example and a capture).

Both payloads are unwrapped first (bare data or a delivery envelope), then
compared with deepdiff. Its default `threshold_to_diff_deeper` reports an
object whose keys all changed as one changed value and hides the added and
removed keys, so it is set to 0; its default `ignore_private_variables`
skips every key that starts with `__`, so it is turned off. Differences become findings with JSON
Pointer paths, array items written `*`:

=========== ======== =====================================================
kind        severity meaning
=========== ======== =====================================================
removed     error    in A, not in B (only the root of a removed subtree)
retyped     error    JSON type differs (`integer` and `number` are distinct)
added       warning  in B, not in A (only the root of an added subtree)
value       info     same type, different value
=========== ======== =====================================================

Equal findings (same kind, path and types, typically the items of one array)
are merged and counted. Values are never part of a finding unless the caller
passes ``show_values``, since payloads carry personal data.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from deepdiff import DeepDiff
from deepdiff.model import DiffLevel

from .findings import KINDS, Finding, Location, Report
from .inference import escape_pointer
from .validation import json_type, unwrap

SEVERITY = {kind: KINDS[kind].severity for kind in ("removed", "retyped", "added", "value")}
_VALUE_LIMIT = 200
_ADDED = ("dictionary_item_added", "iterable_item_added")
_REMOVED = ("dictionary_item_removed", "iterable_item_removed")


def pointer(keys: list[Any]) -> str:
    """A JSON Pointer; list indices (the only non-string keys JSON has) become `*`."""
    return "".join("/*" if isinstance(k, int) else f"/{escape_pointer(str(k))}" for k in keys)


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)[:_VALUE_LIMIT]


def _finding(report_type: str, level: DiffLevel, show_values: bool) -> Finding:
    path = pointer(level.path(output_format="list"))
    where = path or "/"
    if report_type in _ADDED:
        kind, expected, observed = "added", None, json_type(level.t2)
        message = f"{where} is only in B ({observed})"
    elif report_type in _REMOVED:
        kind, expected, observed = "removed", json_type(level.t1), None
        message = f"{where} is only in A ({expected})"
    elif report_type == "type_changes" and json_type(level.t1) != json_type(level.t2):
        kind, expected, observed = "retyped", json_type(level.t1), json_type(level.t2)
        message = f"{where} changed type: {expected} → {observed}"
    else:
        kind, expected, observed = "value", None, None
        message = f"value differs at {where}"
        if show_values:
            expected, observed = _shown(level.t1), _shown(level.t2)
            message += f": {expected} → {observed}"
    return Finding(
        kind=kind,
        severity=SEVERITY[kind],
        message=message,
        path=path,
        expected=expected,
        observed=observed,
    )


def iter_differences(a: Any, b: Any, *, show_values: bool = False) -> list[Finding]:
    """Every difference from *a* to *b* (uncounted, in deepdiff's order)."""
    diff = DeepDiff(a, b, threshold_to_diff_deeper=0, ignore_private_variables=False, view="tree", verbose_level=2)
    return [
        _finding(report_type, level, show_values)
        for report_type, levels in diff.items()
        for level in levels
    ]


def compare_payloads(
    a: Any, b: Any, *, source_a: str = "A", source_b: str = "B", show_values: bool = False
) -> Report:
    """The differences between payloads *a* and *b*, as a report of the `compare` command."""
    first, second = unwrap(a, source_a), unwrap(b, source_b)
    event = second.event or first.event
    found = iter_differences(first.data, second.data, show_values=show_values)
    counts = Counter((f.kind, f.message, f.path, f.expected, f.observed) for f in found)
    findings = tuple(
        Finding(
            kind,
            SEVERITY[kind],
            message,
            event=event,
            path=path,
            expected=expected,
            observed=observed,
            location=Location(source_b),
            count=n,
        )
        for (kind, message, path, expected, observed), n in counts.items()
    )
    notes = []
    if first.event and second.event and first.event != second.event:
        notes.append(f"the payloads are of different events: {first.event} and {second.event}")
    summary = {"a": source_a, "b": source_b, "differences": len(found)}
    return Report("compare", findings, summary, tuple(notes)).sorted()
