"""`check`: the pre-merge gate, every check of :mod:`..check.gate` in one report."""

from __future__ import annotations

from dataclasses import dataclass

import click

from ..check.gate import CHECKS, CheckOptions, run_checks
from ..config import Settings
from ..findings import Report
from .exits import handle_errors
from .options import ReportOptions, report_options, settings_of
from .output import emit_report


@dataclass(frozen=True)
class CheckArgs:
    """The `check` command line, the project's config applied: what :func:`execute` runs."""

    settings: Settings
    options: CheckOptions
    output: ReportOptions


def parse(
    settings: Settings,
    *,
    base: str | None = None,
    logs: tuple[str, ...] = (),
    payload_field: str | None = None,
    skip: tuple[str, ...] = (),
    output: ReportOptions,
) -> CheckArgs:
    options = CheckOptions(base=base, skip=frozenset(skip), logs=logs, payload_field=payload_field)
    return CheckArgs(settings, options, output.configured(settings))


def execute(args: CheckArgs) -> Report:
    return run_checks(args.settings, args.options)


@click.command()
@click.option(
    "--base",
    metavar="REF",
    help="Git revision the contract changes are measured from (default: the merge base with main).",
)
@click.option(
    "--logs",
    multiple=True,
    metavar="PATH",
    help="Also run drift on these captured payloads (files, folders, .gz; repeatable).",
)
@click.option("--payload-field", metavar="FIELD", help="With --logs: records carry the payload under FIELD.")
@click.option("--skip", type=click.Choice(sorted(CHECKS)), multiple=True, help="Leave out a check (repeatable).")
@report_options
@click.pass_context
@handle_errors
def check(
    ctx: click.Context,
    base: str | None,
    logs: tuple[str, ...],
    payload_field: str | None,
    skip: tuple[str, ...],
    output: ReportOptions,
) -> None:
    """Run every consistency check and report all failures at once.

    Schemas are valid and their $refs local and resolvable; the index agrees
    with the files; models are fresh and import; doc examples and configured
    fixtures conform; contract changes since --base have CHANGELOG entries and
    breaking ones are new revisions; with --logs, captured traffic has no drift.
    Exit 0 when nothing is at or above --fail-on, 1 when something is, 2 on a
    usage or input error.
    """
    args = parse(settings_of(ctx), base=base, logs=logs, payload_field=payload_field, skip=skip, output=output)
    report = execute(args)
    emit_report(report, args.output)
