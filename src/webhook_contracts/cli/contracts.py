"""`extract`, `regen` and `reconcile`: the commands of stage 1, doc pages and the provider's OpenAPI to contracts."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..config import Settings
from ..errors import ExitCode
from ..providers import Provider, default_provider
from ..report import render_page_json, render_page_text
from ..report.escaping import visible
from .completion import complete_api_versions, complete_events
from .exits import handle_errors
from .options import quiet_option, settings_of
from .terminal import write_and_exit

if TYPE_CHECKING:
    from ..contracts.docpage import DocPage
    from ..contracts.reconcile import Reconciled
    from ..contracts.reconcile_report import View
    from ..contracts.regen import RegenPlan


@dataclass(frozen=True)
class ExtractArgs:
    """The `extract` command line: what :func:`execute_extract` reads and how it is shown."""

    page: Path
    api_version: str | None = None
    fmt: str = "text"
    examples: bool = False
    quiet: bool = False
    #: The project's provider, whose doc-page reader reads the page.
    provider: Provider = field(default_factory=default_provider)


def execute_extract(args: ExtractArgs) -> DocPage:
    read_doc_page = args.provider.doc_page_reader(args.page)
    return read_doc_page(args.page, api_version=args.api_version)


@click.command()
@click.argument("page", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--api-version", help="API version of the page (default: its vYYYY-MM-DD folder, or what it says).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Output format."
)
@click.option("--examples", is_flag=True, help="Also print the example payloads.")
@quiet_option
@click.pass_context
@handle_errors
def extract(ctx: click.Context, page: Path, api_version: str | None, fmt: str, examples: bool, quiet: bool) -> None:
    """Show what is read from a saved doc PAGE: event, version, examples, fields.

    With -q nothing is printed: the exit code says whether the page reads.
    """
    args = ExtractArgs(page, api_version, fmt, examples, quiet, settings_of(ctx).provider)
    result = execute_extract(args)
    renderer = render_page_json if args.fmt == "json" else render_page_text
    if not args.quiet:
        write_and_exit(lambda out: renderer(result, out, examples=args.examples), ExitCode.OK)


@dataclass(frozen=True)
class RegenArgs:
    """The `regen` command line, with the project settings: what :func:`execute_regen` runs."""

    settings: Settings
    #: Change nothing; say what is stale.
    check: bool = False
    verbose: bool = False
    quiet: bool = False


def execute_regen(args: RegenArgs) -> RegenPlan:
    """The plan (`--check`), or the plan carried out."""
    from ..contracts.regen import plan_regen, regen

    return plan_regen(args.settings) if args.check else regen(args.settings)


def _show_regen(plan: RegenPlan, args: RegenArgs) -> int:
    """Warnings and notes on stderr, the outcome on stdout; the exit code."""
    for warning in () if args.quiet else plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    for version, notes in sorted(plan.disagreements.items()) if args.verbose and not args.quiet else ():
        if notes:
            click.echo(
                f"note: {version}: {len(notes)} disagreement(s) between the provider's examples and "
                "its schemas or other examples; the contracts accept what is sent:",
                err=True,
            )
            for note in notes:
                click.echo(f"  {note}", err=True)
    if args.check:
        if plan.stale:
            click.echo(
                f"{len(plan.stale)} file(s) stale (run `webhook-contracts regen`)"
                if args.quiet
                else "stale (run `webhook-contracts regen`):"
            )
            for path in () if args.quiet else plan.stale:
                click.echo(f"  {path}")
            return ExitCode.FINDINGS
        click.echo("contracts, index, models and changelog are up to date")
        return ExitCode.OK
    for entry in () if args.quiet else plan.entries:
        kind = "new contract" if entry.revision == 1 else "breaking" if entry.breaking else "compatible"
        click.echo(f"{entry.event} {entry.api_version}: revision {entry.revision} ({kind})")
    click.echo(f"{len(plan.stale)} file(s) written" if plan.stale else "nothing to do: everything is up to date")
    return ExitCode.OK


@click.command("regen")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 listing what is stale.")
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Also count and list the disagreements between the provider's examples and its schemas.",
)
@quiet_option
@click.pass_context
@handle_errors
def regen_cmd(ctx: click.Context, check: bool, verbose: bool, quiet: bool) -> None:
    """Rebuild schemas, index, models and CHANGELOG entries from the doc pages and the provider's OpenAPI.

    A contract gets a new revision only when it changed; old revisions are
    kept. The files are written as one transaction. Published revisions are
    never edited by hand: a new revision comes from a changed doc page or
    OpenAPI document, and a published file whose hash differs from the index
    is refused until it is restored from git.
    """
    args = RegenArgs(settings_of(ctx), check, verbose, quiet)
    code = _show_regen(execute_regen(args), args)
    if code != ExitCode.OK:
        sys.exit(code)


@dataclass(frozen=True)
class ReconcileArgs:
    """The `reconcile` command line, with the project settings: what :func:`execute_reconcile` runs."""

    settings: Settings
    event: str | None = None
    api_version: str | None = None
    disagreements_only: bool = False
    fmt: str = "text"
    quiet: bool = False


def execute_reconcile(args: ReconcileArgs) -> tuple[Reconciled, View]:
    """What the sources say, and the part of it asked for (an unknown event is a usage error)."""
    from ..contracts.reconcile_report import build_view, load_reconciled

    result = load_reconciled(args.settings, args.api_version)
    return result, build_view(result, event=args.event, disagreements_only=args.disagreements_only)


@click.command("reconcile")
@click.option(
    "--event",
    help="Only this event (its own fields and the shared definitions it uses).",
    shell_complete=complete_events,
)
@click.option(
    "--api-version",
    help="API version vYYYY-MM-DD (default: the newest with an OpenAPI document).",
    shell_complete=complete_api_versions,
)
@click.option("--disagreements-only", is_flag=True, help="Only the rows where the sources disagree.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@quiet_option
@click.pass_context
@handle_errors
def reconcile_cmd(
    ctx: click.Context,
    event: str | None,
    api_version: str | None,
    disagreements_only: bool,
    fmt: str,
    quiet: bool,
) -> None:
    """Show, per event and field, what the doc page, the OpenAPI and the contract say.

    A quality report on the provider's docs: every disagreement (an example
    breaking the OpenAPI, the page's field list contradicting it) is listed.
    A definition shared by several events is shown once. Exit 0 after a
    report, 2 for an unknown event or API version or without an OpenAPI document.
    """
    from ..contracts.reconcile_report import RENDERERS, headline

    args = ReconcileArgs(settings_of(ctx), event, api_version, disagreements_only, fmt, quiet)
    result, view = execute_reconcile(args)
    if args.quiet and args.fmt == "text":
        write_and_exit(lambda out: out.write(visible(headline(view)) + "\n"), ExitCode.OK)
    write_and_exit(
        lambda out: RENDERERS[args.fmt](result, out, event=args.event, disagreements_only=args.disagreements_only),
        ExitCode.OK,
    )
