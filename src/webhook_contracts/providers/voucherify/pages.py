"""Read a saved Voucherify doc page: event name, API version, examples, field list.

Doc pages are copied from a website as they are: examples glued to headings,
the same example twice, event names spelt four ways, a field list that is
either name / type / description triples or bare descriptions. No parsing
library reads "text a browser copied", so this module is hand-written; each
rule below names the page shape it exists for.
"""

from __future__ import annotations

import codecs
import datetime as _dt
import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

from ...contracts.docpage import DocField, DocPage
from ...errors import DocPageError
from ...fsio import read_file
from .names import API_VERSION, EVENT_NAME

#: A saved doc page is tens of kilobytes; a larger file is not a doc page (and
#: the example scanner should never be fed megabytes of near-JSON).
MAX_PAGE_BYTES = 8 << 20

_MENTIONS = (
    # EVENTS.CUSTOMER.REWARDED.LOYALTY_POINTS, also inside EVENT: "..."
    (re.compile(r"\bEVENTS\.([A-Z0-9_]+(?:\.[A-Z0-9_]+)+)"), str.lower),
    # Event data object schema for customer.rewarded.loyalty_points.
    (re.compile(r"Event data object schema for ([a-z0-9_]+(?:\.[a-z0-9_]+)+)"), str),
    # Example: voucher.loyalty card.pending points.activated
    (
        re.compile(r"(?m)^\s*Example:\s*([a-z0-9_ ]+(?:\.[a-z0-9_ ]+)+?)\s*$"),
        lambda s: re.sub(r"\s+", "_", s.strip()),
    ),
)
_VERSION_MENTION = re.compile(r"\b(v\d{4}-\d{2}-\d{2})\b")
_LAST_MODIFIED = re.compile(r"Last modified on\s+([A-Z][a-z]+ \d{1,2}, \d{4}|\d{4}-\d{2}-\d{2})")
# An example starts with "{" followed by a key or "}", at a line start or glued
# to text ("Example:{").
_EXAMPLE_START = re.compile(r'\{(?=\s*["}])')
#: Candidates glued to text that may fail to parse before the rest are ignored:
#: each failed attempt costs up to the length of the page, so a page of
#: near-JSON fragments would otherwise take quadratic time.
_GLUED_ATTEMPTS = 64
_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_FIELD_TYPE = re.compile(r"(.+?)\s*[·•|]\s*((?:array|boolean|integer|null|number|object|string)(?:\s*\|\s*[a-z]+)*)")
_SECTION_START = re.compile(r"^(Event data object schema for\b.*|Body|application/json)$")
_SECTION_END = re.compile(r"^(Response|Last modified on\b.*|Was this page helpful\?)$")
_NOISE = {"Show child attributes", "Hide child attributes", "Body", "application/json"}


def read_doc_page(path: str | Path, *, api_version: str | None = None) -> DocPage:
    """Read the doc page at *path*; the API version defaults to a `vYYYY-MM-DD` folder."""
    path = Path(path)
    data = read_file(path, limit=MAX_PAGE_BYTES, error=DocPageError, limit_name="the doc-page limit")
    if api_version is None:
        api_version = next((p for p in reversed(path.parts[:-1]) if API_VERSION.fullmatch(p)), None)
    return parse_doc_page(data, source=path.as_posix(), api_version=api_version)


def parse_doc_page(data: bytes, *, source: str, api_version: str | None = None) -> DocPage:
    """Parse the bytes of a doc page; *source* names it in errors."""
    if len(data) > MAX_PAGE_BYTES:
        raise DocPageError(source, f"larger than {MAX_PAGE_BYTES} bytes: not a saved doc page")
    text = _decode(data, source)
    examples, spans, duplicates = _examples(text, source)
    prose = _mask(text, spans)
    warnings: list[str] = []
    event = _event_name(prose, source)
    version = _api_version(prose, source, api_version)
    if not examples:
        raise DocPageError(source, f"no JSON example payload found for {event}")
    fields = _fields(prose, examples[0], warnings)
    return DocPage(
        source=source,
        event=event,
        api_version=version,
        examples=tuple(examples),
        fields=tuple(fields),
        description=_description(prose),
        last_modified=_last_modified(prose, source),
        sha256=hashlib.sha256(data).hexdigest(),
        duplicate_examples=duplicates,
        warnings=tuple(warnings),
    )


def _decode(data: bytes, source: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocPageError(source, f"invalid UTF-16 at byte {exc.start}") from exc
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocPageError(
                source, f"not UTF-8 text (invalid byte at offset {exc.start}); save the page as UTF-8"
            ) from exc
    if "\x00" in text:
        raise DocPageError(source, f"NUL character at offset {text.index(chr(0))}: not a text page")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _line_col(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    return f"{line}:{pos - (text.rfind(chr(10), 0, pos) + 1) + 1}"


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"duplicate key {json.dumps(key)}")
        obj[key] = value
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class _OutOfRange(ValueError):
    def __init__(self, literal: str) -> None:
        self.literal = literal
        super().__init__(f"the number {literal} is out of range (a JSON number must fit a double, about ±1.8e308)")


def _finite_float(literal: str) -> float:
    """A JSON number with a fraction or exponent; one beyond a double's range is refused, never infinity.

    Refused rather than kept exact: the contract, `extract --format json` and
    every consumer of the payloads read numbers as doubles, so `1e400` is not a
    number any of them could receive. Integers stay exact (Python's int).
    """
    value = float(literal)
    if math.isinf(value):
        raise _OutOfRange(literal)
    return value


_DECODER = json.JSONDecoder(
    object_pairs_hook=_strict_object, parse_constant=_reject_constant, parse_float=_finite_float
)


def _examples(text: str, source: str) -> tuple[list[dict[str, Any]], list[tuple[int, int]], int]:
    """Every distinct JSON object example, the spans they cover, and how many repeated."""
    examples: list[dict[str, Any]] = []
    seen: set[str] = set()
    spans: list[tuple[int, int]] = []
    duplicates = 0
    glued_failures = 0
    pos = 0
    while (match := _EXAMPLE_START.search(text, pos)) is not None:
        start = match.start()
        at_line_start = _at_line_start(text, start)
        if not at_line_start and glued_failures >= _GLUED_ATTEMPTS:
            pos = start + 1
            continue
        try:
            value, end = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError as exc:
            if at_line_start:
                raise DocPageError(
                    source, f"example JSON does not parse: {exc.msg}", where=_line_col(text, exc.pos)
                ) from exc
            glued_failures += 1
            pos = start + 1
            continue
        except (ValueError, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            at = text.find(exc.literal, start) if isinstance(exc, _OutOfRange) else start
            raise DocPageError(source, f"example JSON rejected: {reason}", where=_line_col(text, at)) from exc
        spans.append((start, end))
        pos = end
        if not value:
            continue
        canonical = json.dumps(value, sort_keys=True)
        if canonical in seen:
            duplicates += 1
            continue
        seen.add(canonical)
        examples.append(value)
    return examples, spans, duplicates


def _at_line_start(text: str, pos: int) -> bool:
    """True when only blanks precede *pos* on its line (looks back over blanks only)."""
    i = pos - 1
    while i >= 0 and text[i] in " \t\f\v":
        i -= 1
    return i < 0 or text[i] == "\n"


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """The page's prose: examples replaced by line breaks."""
    parts, last = [], 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append("\n")
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _event_name(prose: str, source: str) -> str:
    names: dict[str, int] = {}
    for pattern, normalise in _MENTIONS:
        for raw in pattern.findall(prose):
            name = normalise(raw)
            if EVENT_NAME.fullmatch(name):
                names[name] = names.get(name, 0) + 1
    if not names:
        raise DocPageError(
            source,
            "no event name found (looked for 'EVENTS.X.Y', 'Event data object schema for x.y' and 'Example: x.y')",
        )
    if len(names) > 1:
        listed = ", ".join(sorted(names))
        raise DocPageError(source, f"the page names more than one event: {listed}")
    return next(iter(names))


def _api_version(prose: str, source: str, given: str | None) -> str:
    mentioned: list[str] = sorted(set(_VERSION_MENTION.findall(prose)))
    if given is not None and not API_VERSION.fullmatch(given):
        raise DocPageError(source, f"API version {given!r} is not of the form vYYYY-MM-DD")
    if given is None:
        if len(mentioned) == 1:
            return mentioned[0]
        raise DocPageError(
            source,
            "API version unknown: keep the page in a folder named after it (e.g. v2024-01-01)"
            + (f"; the page mentions {', '.join(mentioned)}" if mentioned else ""),
        )
    if mentioned and given not in mentioned:
        raise DocPageError(source, f"the page documents {', '.join(mentioned)}, but it is filed under {given}")
    return given


def _last_modified(prose: str, source: str) -> str | None:
    match = _LAST_MODIFIED.search(prose)
    if match is None:
        return None
    raw = match.group(1)
    for fmt in ("%B %d, %Y", "%Y-%m-%d"):
        try:
            return _dt.datetime.strptime(raw, fmt).date().isoformat()
        except ValueError:
            continue
    raise DocPageError(source, f"unreadable 'Last modified' date {raw!r}")


def _description(prose: str) -> str | None:
    for line in prose.splitlines():
        if " event indicates " in line:
            text = re.sub(r"\s+", " ", line).strip()
            return text if not text.startswith("EVENTS.") else "The " + text
    return None


def _section(prose: str) -> list[str]:
    lines = [line.strip() for line in prose.splitlines()]
    start = next((i for i, line in enumerate(lines) if line.startswith("Event data object schema for")), None)
    if start is None:
        start = next((i for i, line in enumerate(lines) if _SECTION_START.fullmatch(line)), None)
    if start is None:
        return []
    body: list[str] = []
    for line in lines[start + 1 :]:
        if _SECTION_END.fullmatch(line):
            break
        if line and line not in _NOISE:
            body.append(line)
    return body


def _fields(prose: str, example: dict[str, Any], warnings: list[str]) -> list[DocField]:
    lines = _section(prose)
    if not lines:
        return []
    triples = _field_triples(lines)
    if triples:
        return triples
    # Bare descriptions, one per top-level key of the example, in payload order.
    keys = list(example)
    if len(lines) != len(keys):
        warnings.append(
            f"field list has {len(lines)} descriptions but the example has {len(keys)} "
            "top-level fields; descriptions not used"
        )
        return []
    return [DocField(name=key, description=text) for key, text in zip(keys, lines, strict=True)]


def _field_triples(lines: list[str]) -> list[DocField]:
    """Fields written as name / `Type · json-type` / description lines."""
    fields: list[DocField] = []
    i = 0
    while i < len(lines):
        name = lines[i]
        type_match = _FIELD_TYPE.fullmatch(lines[i + 1]) if i + 1 < len(lines) else None
        if not (_FIELD_NAME.fullmatch(name) and type_match):
            if fields:
                # A description line that continues the previous field.
                last = fields[-1]
                text = f"{last.description} {name}" if last.description else name
                fields[-1] = DocField(last.name, text, last.type_name, last.json_types)
            i += 1
            continue
        json_types = tuple(t.strip() for t in type_match.group(2).split("|"))
        fields.append(DocField(name=name, type_name=type_match.group(1).strip(), json_types=json_types))
        i += 2
    return fields
