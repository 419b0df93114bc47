"""A checking command's report on stdout and in each `--report` file, and the exit code it decides."""

from __future__ import annotations

import io
import sys

from ..findings import Report, exit_code
from ..fsio import write_atomic
from ..report import REPORTERS, render_text, with_fail_on
from ..report.layout import TextLayout
from .options import ReportOptions
from .terminal import text_layout, write_and_exit


def stdout_layout(output: ReportOptions) -> TextLayout:
    """How the text report on stdout is laid out: the terminal's width and colour, -v, -q."""
    return text_layout(sys.stdout, color=output.color, verbose=output.verbose, quiet=output.quiet)


def emit_report(report: Report, output: ReportOptions, *, gate: Report | None = None) -> None:
    """Render *report* on stdout (and to each `--report` target), then exit 0 or 1.

    The exit code is decided by *gate* (default: the report itself) against
    `--fail-on`. A text report on stdout follows the terminal; written ones are
    100 columns wide, without colour.
    """
    fail_on = output.fail_on or "error"
    shown = with_fail_on(report, fail_on)
    for target_fmt, path in output.targets:
        buffer = io.StringIO()
        REPORTERS[target_fmt](shown, buffer)
        write_atomic(path, buffer.getvalue().encode("utf-8"))
    code = exit_code(gate if gate is not None else report, fail_on)
    if output.fmt == "text":
        layout = stdout_layout(output)
        write_and_exit(lambda out: render_text(shown, out, layout), code)
    write_and_exit(lambda out: REPORTERS[output.fmt](shown, out), code)
