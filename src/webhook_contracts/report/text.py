"""A readable table per event and API version, then the summary and notes, fitted to a width.

Columns nobody in a group uses (counts for a contract diff, expected/observed
for some drift kinds) are left out. When a row is wider than the layout, the
message leaves the table (for a verbose report onto a wrapped line below it;
otherwise only when no `expected → observed` change says the same) and the
widest cells (paths, changes, places) are shortened in the middle. Listings of
input lines collapse into one line per reason with counts and line ranges;
`verbose` lists every line. Every value goes through
:func:`~.escaping.visible`, so nothing from a payload can move the cursor,
recolour the terminal or break a row.
"""

from __future__ import annotations

from typing import TextIO

from ..findings import Finding, Report
from .common import (
    DRIFT_LISTINGS,
    baselined,
    by_reason,
    change,
    group_title,
    headline,
    iter_groups,
    listed_lines,
    path_label,
    readable_summary,
    seen,
    share,
    summary_lines,
    where,
)
from .escaping import visible
from .layout import TextLayout, line_ranges, shorten, shorten_middle, wrap

_COLUMNS = ("severity", "kind", "path", "change", "count", "share", "where", "message")
_RIGHT = frozenset({"count", "share"})
#: Cells shortened, widest first, when a row is too wide; none below this many characters.
_SHRINK = ("path", "change")
_NARROWEST = 12
_READABLE = {"path": 24, "change": 16}
#: Columns left out, in this order, when shortened cells are not enough (a place then
#: goes, whole, onto the line below its row).
_OPTIONAL = ("where", "share")
#: Indent of the lines below a row.
_DETAIL = "      "


def _change(finding: Finding, width: int | None = None) -> str:
    """`expected → observed`, the expected side shortened when the cell is *width* wide."""
    text = visible(change(finding))
    if width is None or len(text) <= width or finding.observed is None:
        return shorten_middle(text, width) if width is not None else text
    observed = " → " + visible(finding.observed)
    kept = shorten(text[: len(text) - len(observed)], max(width - len(observed), 1)) + observed
    return kept if len(kept) <= width else shorten_middle(text, width)  # the observed side alone is too wide


def _place(finding: Finding, shared_file: str | None) -> str:
    loc = where(finding)
    if loc is None:
        return ""
    return str(loc.line) if shared_file is not None else str(loc)


def _row(finding: Finding, shared_file: str | None) -> dict[str, str]:
    mark = " [baselined]" if baselined(finding) else ""
    return {
        "severity": finding.severity.label,
        "kind": visible(finding.kind),
        "path": visible(path_label(finding)),
        "change": _change(finding),
        "count": str(finding.count),
        "share": share(finding),
        "where": visible(_place(finding, shared_file)),
        "message": visible(finding.message + mark),
    }


def _used(findings: list[Finding], rows: list[dict[str, str]], layout: TextLayout, shared: bool) -> list[str]:
    columns = []
    for name in _COLUMNS:
        if name == "count" and all(f.count == 1 and f.share is None for f in findings):
            continue
        if name == "where" and (layout.verbose or shared):
            continue
        if name != "count" and not any(row[name] for row in rows):
            continue
        columns.append(name)
    return columns


def _span(widths: dict[str, int]) -> int:
    return 2 + sum(widths.values()) + 2 * (len(widths) - 1)


def _shrink(widths: dict[str, int], budget: int, narrowest: dict[str, int]) -> dict[str, int]:
    fitted = dict(widths)
    while _span(fitted) > budget:
        candidates = [c for c in _SHRINK if c in fitted and fitted[c] > narrowest.get(c, _NARROWEST)]
        if not candidates:
            break
        fitted[max(candidates, key=lambda c: fitted[c])] -= 1
    return fitted


def _fit(widths: dict[str, int], budget: int) -> dict[str, int]:
    """Column widths no wider than *budget* in all, if it can be helped.

    The widest shrinkable cells give way first, down to a readable width; then the
    columns a reader can do without (where, share) go; then cells shrink further.
    """
    fitted = _shrink(widths, budget, _READABLE)
    for optional in _OPTIONAL:
        if _span(fitted) <= budget:
            break
        fitted.pop(optional, None)
    return _shrink(fitted, budget, {})


def _cell(name: str, finding: Finding, row: dict[str, str], width: int) -> str:
    if name == "change":
        return _change(finding, width)
    return shorten_middle(row[name], width)


def _header(name: str, shared_file: str | None) -> str:
    return ("line" if shared_file is not None else name).upper() if name == "where" else name.upper()


def _table(
    findings: list[Finding], stream: TextIO, layout: TextLayout, *, shared: bool, shared_file: str | None
) -> None:
    rows = [_row(f, shared_file) for f in findings]
    columns = _used(findings, rows, layout, shared)
    widths = {c: max(len(_header(c, shared_file)), *(len(r[c]) for r in rows)) for c in columns}
    if "message" in widths and _span(widths) > layout.columns:
        del widths["message"]
    moved = "message" in columns and "message" not in widths
    widths = _fit(widths, layout.columns)
    placed = "where" in columns and "where" not in widths

    def line(cells: dict[str, str], label: str | None = None) -> str:
        out = [cells[c].rjust(widths[c]) if c in _RIGHT else cells[c].ljust(widths[c]) for c in widths]
        text = ("  " + "  ".join(out)).rstrip()
        if label is not None and layout.color:
            text = "  " + layout.severity(label, out[0]) + text[2 + len(out[0]) :]
        return text + "\n"

    stream.write(line({c: _header(c, shared_file) for c in widths}))
    for finding, row in zip(findings, rows, strict=True):
        stream.write(line({c: _cell(c, finding, row, widths[c]) for c in widths}, finding.severity.label))
        # A message the change column does not already say is never lost (nor a baselined mark).
        said = row["change"] and not baselined(finding) and not layout.verbose
        details = [row["message"]] if moved and not said else []
        details += [f"at {visible(where(finding))}"] if placed and where(finding) is not None else []
        if layout.verbose:
            details += _seen(finding, shared)
        if details:
            stream.writelines(f"{text}\n" for text in wrap("; ".join(details), layout.columns, _DETAIL, "  "))


def _seen(finding: Finding, shared: bool) -> list[str]:
    details = (
        [f"at {finding.location}"]
        if finding.location is not None and not shared and finding.location != finding.first_seen
        else []
    )
    return details + ([visible(seen(finding))] if finding.first_seen or finding.last_seen else [])


def _listings(report: Report, layout: TextLayout) -> list[str]:
    """Unparseable lines and unknown events, one line per reason: count, line ranges, reason."""
    out = []
    for title, key in DRIFT_LISTINGS:
        count, items = listed_lines(report.summary, key)
        if not count:
            continue
        out.append(f"  {title}: {count} line(s); each one with -v or in --format json")
        groups = by_reason(items)
        number = max(len(str(sum(map(len, files.values())))) for _, files in groups) if groups else 1
        for reason, files in groups:
            total = sum(map(len, files.values()))
            if len(files) == 1:
                lines = "lines " + line_ranges(next(iter(files.values())))
            else:
                lines = f"in {len(files)} files, first {next(iter(files))}:{min(next(iter(files.values())))}"
            head = f"    {total:>{number}}  "
            room = layout.columns - len(head) - len(lines) - 2
            out.append(f"{head}{shorten(visible(reason), max(room, 12))}: {lines}")
        if count > len(items):
            out.append(f"    {count - len(items)} more not listed")
    return [shorten(text, layout.columns) for text in out]


def _summary(report: Report, stream: TextIO, layout: TextLayout) -> None:
    lines = readable_summary(report, None if layout.verbose else 0)
    if lines is not None:
        out = [row for line in lines for row in wrap(visible(line), layout.columns, "  ")]
        out += [] if layout.verbose else _listings(report, layout)
        if out:
            stream.write("\nsummary\n")
            stream.writelines(f"{text}\n" for text in out)
        return
    summary = list(summary_lines(report))
    if summary:
        stream.write("\nsummary\n")
        width = max(len(visible(k)) for k, _ in summary)
        for key, value in summary:
            text = f"  {visible(key):<{width}}  {visible(value)}"
            stream.writelines(f"{row}\n" for row in wrap(text, layout.columns, "", " " * (width + 4)))


def _one_file(report: Report, layout: TextLayout) -> str | None:
    """The file every finding was seen in, by line, when there is one (its rows then show line numbers)."""
    places = {where(f) for f in report.findings}
    files = {p.file for p in places if p is not None}
    if layout.verbose or len(files) != 1 or any(p is None or p.line is None for p in places):
        return None
    return files.pop()


def render_text(report: Report, stream: TextIO, layout: TextLayout | None = None) -> None:
    """*report* as text laid out by *layout* (default: 100 columns, no colour, collapsed listings)."""
    layout = layout or TextLayout()
    top = visible(headline(report))
    shared_file = _one_file(report, layout)
    if shared_file is not None and not layout.quiet:
        place = f"in {visible(shared_file)}"
        top += (
            f" {place}"
            if len(top) + 1 + len(place) <= layout.columns
            else "\n" + shorten_middle(f"  {place}", layout.columns)
        )
    stream.write(layout.bold(top) + "\n")
    if layout.quiet:
        return
    for (event, api_version), findings in iter_groups(report):
        revisions = {f.revision for f in findings}
        revision = revisions.pop() if len(revisions) == 1 else None
        locations = {f.location for f in findings}
        shared = len(locations) == 1 and None not in locations
        title = group_title(event, api_version, revision)
        if shared:
            title += f" (at {findings[0].location})"
        stream.write("\n" + "\n".join(layout.bold(t) for t in wrap(visible(title), layout.columns)) + "\n")
        _table(findings, stream, layout, shared=shared, shared_file=shared_file)
    _summary(report, stream, layout)
    if report.notes:
        stream.write("\nnotes\n")
        for note in report.notes:
            stream.writelines(f"{text}\n" for text in wrap(visible(note), layout.columns, "  - ", ""))
