"""Reports as their consumers read them: SARIF as code scanning does, JUnit through a JUnit parser,
Markdown as GitHub renders it."""

from __future__ import annotations

import json
import re
from functools import cache
from html.parser import HTMLParser
from typing import Any

from conftest import DATA
from jsonschema import Draft4Validator
from junitparser import JUnitXml, TestCase
from markdown_it import MarkdownIt

# The official SARIF 2.1.0 schema (oasis-tcs/sarif-spec, sarif-2.1/schema/sarif-schema-2.1.0.json);
# see tests/data/sarif/README.md for the commit it was copied from.
SARIF_SCHEMA = DATA / "sarif" / "sarif-schema-2.1.0.json"


@cache
def _sarif_validator() -> Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text("utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def assert_code_scanning_accepts(log: dict[str, Any]) -> list[dict[str, Any]]:
    """Fail unless *log* is valid SARIF 2.1.0 that GitHub code scanning takes; return its results.

    GitHub refuses an upload when a result has no location with a physical
    location and an artifact URI ("expected at least one location").
    """
    errors = sorted(_sarif_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    results = [result for run in log["runs"] for result in run["results"]]
    for result in results:
        assert isinstance(result["message"]["text"], str) and isinstance(result["ruleId"], str)
        physical = [loc["physicalLocation"] for loc in result.get("locations", []) if "physicalLocation" in loc]
        assert physical and all(p["artifactLocation"]["uri"] for p in physical), result
        for place in physical:
            assert place.get("region", {}).get("startLine", 1) >= 1
    return results


def junit_cases(xml: str) -> list[TestCase]:
    """Every test case of a JUnit document, as junitparser reads it."""
    document = JUnitXml.fromstring(xml)
    return [case for suite in document for case in suite]


def outcome(case: TestCase) -> str:
    if case.is_skipped:
        return "skipped"
    return "passed" if case.is_passed else "failed"


#: The HTML a report's own Markdown makes (headings, bold, lists, tables); any other tag came from a value.
_REPORT_TAGS = {"h1", "h2", "h3", "p", "strong", "ul", "li", "table", "thead", "tbody", "tr", "th", "td"}
#: What GitHub links in the text of rendered Markdown, after the Markdown parser has run: @mentions,
#: issue references (#1, owner/repo#1, GH-1), www. and scheme autolinks, :emoji: shortcodes.
_GITHUB_REFERENCES = re.compile(
    r"@[a-z0-9]|#\d|\bgh-\d|\bwww\.|://|(?<![\w/])//\w|:[\w+-]*[a-z][\w+-]*:", re.IGNORECASE
)


def github_markdown(text: str) -> str:
    """*text* as HTML, parsed as GitHub parses Markdown: GFM tables, raw HTML kept, autolinks."""
    md = MarkdownIt("gfm-like")  # tables, strikethrough, linkify (linkify-it) and raw HTML on
    assert md.linkify is not None  # linkify-it-py is installed with the `linkify` extra
    md.linkify.tlds("test", True)  # GitHub autolinks `www.` hosts whatever their top-level domain
    html: str = md.render(text)
    return html


class _Rendered(HTMLParser):
    """Tags, text and table rows (their cells' text) of rendered Markdown."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def assert_github_renders_inert(markdown: str) -> list[list[str]]:
    """Fail if *markdown*, rendered as GitHub renders it, holds a link, image, HTML of its own or a
    reference GitHub would link; return the text of each table row's cells."""
    rendered = _Rendered()
    rendered.feed(github_markdown(markdown))
    rendered.close()
    assert set(rendered.tags) <= _REPORT_TAGS, sorted(set(rendered.tags) - _REPORT_TAGS)
    for text in rendered.text:
        assert not _GITHUB_REFERENCES.search(text), text
    return rendered.rows
