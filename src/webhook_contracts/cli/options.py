"""Options several commands share, and the project settings a command runs with.

`-q/--quiet` is every command's; the checking commands share the report
options (`--format`, `--fail-on`, `--report`, `-v`, `-q`, `--color`), which
reach the command as one :class:`ReportOptions`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import click

from ..config import FAIL_ON, Settings, load_settings
from ..report import REPORTERS
from .terminal import COLOR_CHOICES

F = TypeVar("F", bound=Callable[..., Any])


def settings_of(ctx: click.Context) -> Settings:
    """The project settings, from the config file found from `--root` (or the working folder)."""
    root: Path | None = ctx.find_root().params.get("root")
    return load_settings(root)


def quiet_option(func: F) -> F:
    """`-q/--quiet`, which every command takes."""
    return click.option("-q", "--quiet", is_flag=True, help="Print only the headline (and errors).")(func)


@dataclass(frozen=True)
class ReportOptions:
    """How a checking command reports: on stdout in *fmt*, also to each target, failing at *fail_on*."""

    fmt: str = "text"
    #: Lowest severity that makes the exit code 1; None: the config's `fail-on`.
    fail_on: str | None = None
    #: (FORMAT, PATH) of each `--report`.
    targets: tuple[tuple[str, Path], ...] = ()
    verbose: bool = False
    quiet: bool = False
    color: str = "auto"

    def configured(self, settings: Settings) -> ReportOptions:
        """These options, the config's `fail-on` filling in what the command line left open."""
        return replace(self, fail_on=self.fail_on or settings.fail_on)


def parse_report_targets(targets: tuple[str, ...]) -> tuple[tuple[str, Path], ...]:
    """`--report FORMAT:PATH` values as pairs; a usage error names the bad one."""
    parsed = []
    for target in targets:
        fmt, sep, path = target.partition(":")
        if not sep or fmt not in REPORTERS or not path:
            raise click.BadParameter(
                f"{target!r}: expected FORMAT:PATH with FORMAT one of {', '.join(sorted(REPORTERS))}",
                param_hint="--report",
            )
        parsed.append((fmt, Path(path)))
    return tuple(parsed)


def report_options(func: F) -> F:
    """The report options, handed to the command as one `output` argument (a :class:`ReportOptions`)."""

    @functools.wraps(func)
    def wrapper(
        *args: Any,
        fmt: str,
        fail_on: str | None,
        reports: tuple[str, ...],
        verbose: bool,
        quiet: bool,
        color: str,
        **kwargs: Any,
    ) -> Any:
        output = ReportOptions(fmt, fail_on, parse_report_targets(reports), verbose, quiet, color)
        return func(*args, output=output, **kwargs)

    decorated: Any = click.option(
        "--color",
        type=click.Choice(COLOR_CHOICES),
        default="auto",
        show_default=True,
        help="Colour in the text report: on a terminal unless NO_COLOR is set (auto), always or never.",
    )(wrapper)
    decorated = quiet_option(decorated)
    decorated = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        help="Text report: every message, where each finding was first and last seen, every listed line.",
    )(decorated)
    decorated = click.option(
        "--report",
        "reports",
        multiple=True,
        metavar="FORMAT:PATH",
        help="Also write the report in FORMAT to PATH (repeatable), e.g. sarif:drift.sarif.",
    )(decorated)
    decorated = click.option(
        "--fail-on",
        type=click.Choice(FAIL_ON),
        help="Lowest severity that makes the exit code 1 (default: config `fail-on`, else error).",
    )(decorated)
    return click.option(  # type: ignore[no-any-return]
        "--format",
        "fmt",
        type=click.Choice(sorted(REPORTERS)),
        default="text",
        show_default=True,
        help="Report format.",
    )(decorated)
