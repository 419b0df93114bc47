"""Output formats. Each renderer takes a result and a text stream, nothing else.

:data:`REPORTERS` holds the renderers of a :class:`~webhook_contracts.findings.Report`
(every checking command, `validate` too, builds its `--format` choice from its keys); adding a
format is one module, one entry in :data:`_FORMATS` and one in :data:`_EXPORTS`.

A format's module is imported when a report is first rendered in it (or one of
its names is asked for here): a command renders one format, and the others
(JUnit's XML library, SARIF, the doc-page views) would only slow its start.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from .. import lazy_export
from ..findings import Report
from .common import FAIL_ON_KEY, with_fail_on

if TYPE_CHECKING:
    from .github import render_github
    from .jsonreport import render_json, report_dict, report_schema
    from .junit import render_junit
    from .markdown import render_markdown
    from .pages import render_page_json, render_page_text
    from .sarif import render_sarif, sarif_log
    from .text import render_text

Reporter = Callable[[Report, TextIO], None]

#: Each public name of a format's module, and that module.
_EXPORTS = {
    "render_github": "github",
    "render_json": "jsonreport",
    "report_dict": "jsonreport",
    "report_schema": "jsonreport",
    "render_junit": "junit",
    "render_markdown": "markdown",
    "render_page_json": "pages",
    "render_page_text": "pages",
    "render_sarif": "sarif",
    "sarif_log": "sarif",
    "render_text": "text",
}
#: The renderer of each `--format`, by its name in :data:`_EXPORTS`.
_FORMATS = {
    "text": "render_text",
    "json": "render_json",
    "markdown": "render_markdown",
    "junit": "render_junit",
    "sarif": "render_sarif",
    "github": "render_github",
}


def __getattr__(name: str) -> Any:
    return lazy_export(__name__, _EXPORTS, globals(), name)


def _reporter(name: str) -> Reporter:
    """The renderer *name*, imported when it first renders."""

    def render(report: Report, out: TextIO) -> None:
        renderer: Reporter = __getattr__(name)
        renderer(report, out)

    render.__name__ = render.__qualname__ = name
    return render


REPORTERS: dict[str, Reporter] = {fmt: _reporter(name) for fmt, name in _FORMATS.items()}

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
