"""`compare`: how two concrete payloads differ (say, a documented example and a capture).

Both payloads are unwrapped first (bare data or a delivery envelope), then
walked together: objects key by key, arrays item by item in order. An object
whose keys all changed is reported key by key, not as one changed value.
(deepdiff, used for contracts in `schemadiff`, builds every difference before it
returns and cannot stop after N of them: a payload with a million differing
items took 311 MB; this walker yields one difference at a time.)
Differences become findings with JSON Pointer paths, array items written `*`:

=========== ======== =====================================================
kind        severity meaning
=========== ======== =====================================================
removed     error    in A, not in B (only the root of a removed subtree)
retyped     error    JSON type differs (`integer` and `number` are distinct)
added       warning  in B, not in A (only the root of an added subtree)
value       info     same type, different value
=========== ======== =====================================================

Equal findings (same kind, path and types, typically the items of one array)
are merged and counted, with the first few concrete paths. The walk reads one
difference at a time: past `max-errors-per-payload` differences, a difference
of a new path is only counted by kind (a finding per kind says how many), so
a payload with a million differing items costs what a hundred do and still
fails the command as it should. Values are never part of a finding unless the
caller passes ``show_values``, since payloads carry personal data.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..findings import KINDS, UNGROUPED, Finding, Location, Report
from ..payloads import MAX_ERRORS
from ..payloads.envelope import unwrap
from ..providers import Provider
from ..values.jsontypes import json_type
from ..values.pointer import ANY_ITEM, append_pointer, to_pointer

SEVERITY = {kind: KINDS[kind].severity for kind in ("removed", "retyped", "added", "value")}
_VALUE_LIMIT = 200
#: Concrete paths kept per merged finding.
MAX_PATHS = 3


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)[:_VALUE_LIMIT]


#: (path with `*`, the parent's concrete path, the key or index, A's value, B's value)
_Pair = tuple[str, tuple[Any, ...], Any, Any, Any]
#: (kind, path with `*`, the parent's concrete path, the key or index, A's value, B's value)
Difference = tuple[str, str, tuple[Any, ...], Any, Any, Any]


def iter_differences(a: Any, b: Any) -> Iterator[Difference]:
    """Each difference from *a* to *b*, one at a time, in document order.

    The concrete path of a difference is its parent's plus its key or index
    (None for the root). The walk keeps a stack of iterators, one per level of
    nesting: no recursion, and no list the size of an array.
    """
    stack: list[Iterator[_Pair]] = [iter([("", (), None, a, b)])]
    while stack:
        pair = next(stack[-1], None)
        if pair is None:
            stack.pop()
            continue
        path, parent, last, first, second = pair
        kind_a, kind_b = json_type(first), json_type(second)
        if kind_a != kind_b:
            yield "retyped", path, parent, last, first, second
            continue
        if kind_a not in ("object", "array"):
            if first != second:
                yield "value", path, parent, last, first, second
            continue
        parts = parent if last is None else (*parent, last)
        if kind_a == "object":
            for key, value in first.items():
                if key not in second:
                    yield "removed", append_pointer(path, key), parts, key, value, None
            for key, value in second.items():
                if key not in first:
                    yield "added", append_pointer(path, key), parts, key, None, value
            stack.append(_common_keys(path, parts, first, second))
        else:
            items = append_pointer(path, ANY_ITEM)
            for index in range(len(second), len(first)):
                yield "removed", items, parts, index, first[index], None
            for index in range(len(first), len(second)):
                yield "added", items, parts, index, None, second[index]
            stack.append(_common_items(items, parts, first, second))


def _common_keys(path: str, parts: tuple[Any, ...], first: dict[str, Any], second: dict[str, Any]) -> Iterator[_Pair]:
    for key, value in first.items():
        if key in second:
            yield append_pointer(path, key), parts, key, value, second[key]


def _common_items(items: str, parts: tuple[Any, ...], first: list[Any], second: list[Any]) -> Iterator[_Pair]:
    for index, (x, y) in enumerate(zip(first, second, strict=False)):
        yield items, parts, index, x, y


def _concrete(parent: tuple[Any, ...], last: Any) -> str:
    return to_pointer([*parent, last] if last is not None else list(parent))


def _key(kind: str, path: str, first: Any, second: Any, show_values: bool) -> tuple[str, str, str, str]:
    """(kind, path, expected, observed): what makes two differences the same finding."""
    if kind == "added":
        return kind, path, "", json_type(second)
    if kind == "removed":
        return kind, path, json_type(first), ""
    if kind == "retyped":
        return kind, path, json_type(first), json_type(second)
    if show_values:
        return kind, path, _shown(first), _shown(second)
    return kind, path, "", ""


def _message(kind: str, path: str, expected: str, observed: str) -> str:
    where = path or "/"
    if kind == "added":
        return f"{where} is only in B ({observed})"
    if kind == "removed":
        return f"{where} is only in A ({expected})"
    if kind == "retyped":
        return f"{where} changed type: {expected} → {observed}"
    return f"value differs at {where}: {expected} → {observed}" if expected else f"value differs at {where}"


@dataclass
class _Tally:
    """Differences merged into findings; past *limit* differences, new ones only counted by kind."""

    limit: int
    total: int = 0
    #: finding key -> [count, the first few concrete paths]
    groups: dict[tuple[str, str, str, str], list[Any]] = field(default_factory=dict)
    beyond: Counter[str] = field(default_factory=Counter)

    def add(self, difference: Difference, show_values: bool) -> None:
        kind, path, parent, last, first, second = difference
        key = _key(kind, path, first, second, show_values)
        self.total += 1
        group = self.groups.get(key)
        if group is not None:
            group[0] += 1
            if len(group[1]) < MAX_PATHS:
                group[1].append(_concrete(parent, last))
        elif len(self.groups) < self.limit:
            self.groups[key] = [1, [_concrete(parent, last)]]
        else:
            self.beyond[kind] += 1


def compare_payloads(
    a: Any,
    b: Any,
    *,
    source_a: str = "A",
    source_b: str = "B",
    show_values: bool = False,
    max_errors: int = MAX_ERRORS,
    provider: Provider | None = None,
) -> Report:
    """The differences between payloads *a* and *b* (bare, or in *provider*'s envelopes), as a report of the
    `compare` command."""
    first, second = unwrap(a, source_a, provider=provider), unwrap(b, source_b, provider=provider)
    event = second.event or first.event
    tally = _Tally(max_errors)
    for difference in iter_differences(first.data, second.data):
        tally.add(difference, show_values)
    findings = [
        Finding(
            kind,
            SEVERITY[kind],
            _message(kind, path, expected, observed),
            event=event,
            path=path,
            expected=expected or None,
            observed=observed or None,
            location=Location(source_b),
            count=count,
            extra={"paths": paths} if "*" in path else {},
        )
        for (kind, path, expected, observed), (count, paths) in tally.groups.items()
    ]
    findings += [
        Finding(
            kind,
            SEVERITY[kind],
            f"{count} more difference(s) of this kind at other paths, only counted "
            f"(max-errors-per-payload {max_errors})",
            event=event,
            location=Location(source_b),
            count=count,
            extra={UNGROUPED: True},
        )
        for kind, count in sorted(tally.beyond.items())
    ]
    notes = []
    if first.event and second.event and first.event != second.event:
        notes.append(f"the payloads are of different events: {first.event} and {second.event}")
    summary: dict[str, Any] = {"a": source_a, "b": source_b, "differences": tally.total}
    if tally.beyond:
        summary["max_errors_per_payload"] = max_errors
        notes.append(
            f"{tally.total} differences at more than {max_errors} paths: the first {max_errors} are described, "
            f"{sum(tally.beyond.values())} at other paths only counted by kind (max-errors-per-payload)"
        )
    return Report("compare", tuple(findings), summary, tuple(notes)).sorted()
