"""Output formats. Each renderer takes a result and a text stream, nothing else.

:data:`REPORTERS` holds the renderers of a :class:`~webhook_contracts.findings.Report`
(every checking command, `validate` too, builds its `--format` choice from its keys); adding a
format is one function and one entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from ..findings import Report
from .common import FAIL_ON_KEY, with_fail_on
from .github import render_github
from .jsonreport import render_json, report_dict, report_schema
from .junit import render_junit
from .markdown import render_markdown
from .pages import render_page_json, render_page_text
from .sarif import render_sarif, sarif_log
from .text import render_text

Reporter = Callable[[Report, TextIO], None]

REPORTERS: dict[str, Reporter] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "junit": render_junit,
    "sarif": render_sarif,
    "github": render_github,
}

__all__ = [
    "FAIL_ON_KEY",
    "REPORTERS",
    "Reporter",
    "render_github",
    "render_json",
    "render_junit",
    "render_markdown",
    "render_page_json",
    "render_page_text",
    "render_sarif",
    "render_text",
    "report_dict",
    "report_schema",
    "sarif_log",
    "with_fail_on",
]
