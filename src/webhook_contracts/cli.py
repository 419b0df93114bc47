"""The `webhook-contracts` command: parse options, call the library, pick a reporter, exit.

Exit codes: 0 clean, 1 findings (invalid payloads, stale files), 2 usage or
input error. Errors the toolkit foresees print one line on stderr, no traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .config import Settings, load_settings
from .docpage import read_doc_page
from .errors import ExitCode, PayloadError, WebhookContractsError
from .regen import plan_regen, regen
from .registry import bundled_schemas, load_registry
from .report import VALIDATION_REPORTERS, render_page_json, render_page_text
from .validation import ContractValidator, ValidationResult, parse_json

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(ExitCode.ERROR)


def handle_errors(func: F) -> F:
    """Turn the toolkit's own errors into one line on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except WebhookContractsError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
        return None

    return wrapper  # type: ignore[return-value]


def _settings(ctx: click.Context) -> Settings:
    root: Path | None = ctx.find_root().params.get("root")
    return load_settings(root)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Project folder. Default: the nearest folder above the working one with a "
    "[tool.webhook-contracts] table or webhook-contracts.toml, else the working folder.",
)
@click.version_option(__version__, prog_name="webhook-contracts")
def main(root: Path | None) -> None:
    """Keep webhook consumers honest: contracts from doc pages, validation and drift."""


@main.command()
@click.argument("page", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--api-version", help="API version of the page (default: its vYYYY-MM-DD folder, or what it says).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--examples", is_flag=True, help="Also print the example payloads.")
@handle_errors
def extract(page: Path, api_version: str | None, fmt: str, examples: bool) -> None:
    """Show what is read from a saved doc PAGE: event, version, examples, fields."""
    result = read_doc_page(page, api_version=api_version)
    renderer = render_page_json if fmt == "json" else render_page_text
    renderer(result, sys.stdout, examples=examples)


@main.command("regen")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 listing what is stale.")
@click.option("-v", "--verbose", is_flag=True, help="List each disagreement between examples of a shared definition.")
@click.pass_context
@handle_errors
def regen_cmd(ctx: click.Context, check: bool, verbose: bool) -> None:
    """Rebuild schemas, index, models and CHANGELOG entries from the doc pages.

    A contract gets a new revision only when it changed; old revisions are
    kept. The files are written as one transaction.
    """
    settings = _settings(ctx)
    plan = plan_regen(settings) if check else regen(settings)
    for warning in plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    for version, notes in sorted(plan.disagreements.items()):
        if notes:
            hint = ":" if verbose else " (use -v to list them)"
            click.echo(f"note: {version}: {len(notes)} disagreement(s) between the events' examples of "
                       f"shared definitions; the merged definitions accept both{hint}", err=True)
            for note in notes if verbose else ():
                click.echo(f"  {note}", err=True)
    if check:
        if plan.stale:
            click.echo("stale (run `webhook-contracts regen`):")
            for path in plan.stale:
                click.echo(f"  {path}")
            sys.exit(ExitCode.FINDINGS)
        click.echo("contracts, index, models and changelog are up to date")
        return
    for entry in plan.entries:
        kind = "new contract" if entry.revision == 1 else "breaking" if entry.breaking else "compatible"
        click.echo(f"{entry.event} {entry.api_version}: revision {entry.revision} ({kind})")
    click.echo(f"{len(plan.stale)} file(s) written" if plan.stale else "nothing to do: everything is up to date")


def _read_input(path: str) -> tuple[bytes, str]:
    if path == "-":
        return sys.stdin.buffer.read(), "<stdin>"
    try:
        return Path(path).read_bytes(), path
    except OSError as exc:
        raise PayloadError(path, f"cannot read: {exc.strerror or exc}") from exc


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--event", help="Event type of every payload (default: envelope `type`, else detected).")
@click.option("--api-version", help="API version of the contracts (default: the newest).")
@click.option("--revision", type=int, help="Contract revision (default: the newest).")
@click.option("--schemas", "schemas_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Schemas folder (default: the project's, else the contracts bundled with the package).")
@click.option("--format", "fmt", type=click.Choice(sorted(VALIDATION_REPORTERS)), default="text", show_default=True,
              help="Output format.")
@click.option("--show-values", is_flag=True, help="Include offending values in messages (they may hold personal data).")
@click.pass_context
@handle_errors
def validate(
    ctx: click.Context, files: tuple[str, ...], event: str | None, api_version: str | None,
    revision: int | None, schemas_dir: Path | None, fmt: str, show_values: bool,
) -> None:
    """Validate payload FILES (JSON; `-` for stdin) against their contracts.

    Exit 0 when all are valid, 1 when any is invalid or of an unknown event.
    """
    settings = _settings(ctx)
    folder = schemas_dir or settings.schemas_dir
    if schemas_dir is None and not (folder / "index.json").exists():
        folder = bundled_schemas() or folder
    registry = load_registry(folder)
    validator = ContractValidator(
        registry, api_version=api_version or settings.api_version, threshold=settings.detect_threshold
    )
    results: list[ValidationResult] = []
    for name in files:
        data, source = _read_input(name)
        value = parse_json(data, source)
        results.append(
            validator.validate(value, source=source, event=event, revision=revision,
                               show_values=show_values or settings.show_values)
        )
    VALIDATION_REPORTERS[fmt](results, sys.stdout)
    sys.exit(ExitCode.OK if all(r.valid for r in results) else ExitCode.FINDINGS)
