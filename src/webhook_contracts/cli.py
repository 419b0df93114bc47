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
from .config import FAIL_ON, Settings, load_settings
from .contractdiff import diff_contracts, resolve_contract
from .docpage import read_doc_page
from .errors import ExitCode, PayloadError, WebhookContractsError
from .findings import Report, exit_code
from .payloadcompare import compare_payloads
from .registry import Registry, bundled_schemas, load_registry
from .regen import plan_regen, regen
from .report import REPORTERS, VALIDATION_REPORTERS, render_page_json, render_page_text, with_fail_on
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
    settings = load_settings(root)
    return settings


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
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--examples", is_flag=True, help="Also print the example payloads.")
@handle_errors
def extract(page: Path, api_version: str | None, fmt: str, examples: bool) -> None:
    """Show what is read from a saved doc PAGE: event, version, examples, fields."""
    result = read_doc_page(page, api_version=api_version)
    renderer = render_page_json if fmt == "json" else render_page_text
    renderer(result, sys.stdout, examples=examples)


@main.command("regen")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 listing what is stale.")
@click.pass_context
@handle_errors
def regen_cmd(ctx: click.Context, check: bool) -> None:
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
            click.echo(f"note: {len(notes)} disagreement(s) between the examples of {version} "
                       "(merged definitions accept both):", err=True)
            for note in notes:
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
        kind = "breaking" if entry.breaking else "compatible"
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
@click.option("--format", "fmt", type=click.Choice(sorted(VALIDATION_REPORTERS)), default="text", show_default=True)
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


def report_options(func: F) -> F:
    """`--format` (from :data:`REPORTERS`) and `--fail-on`, shared by the checking commands."""
    func = click.option(
        "--fail-on", type=click.Choice(FAIL_ON),
        help="Lowest severity that makes the exit code 1 (default: config `fail-on`, else error).",
    )(func)
    return click.option(
        "--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True,
        help="Report format.",
    )(func)


def emit_report(report: Report, fmt: str, fail_on: str) -> None:
    """Render *report* on stdout and exit 0 or 1 by the *fail_on* threshold."""
    REPORTERS[fmt](with_fail_on(report, fail_on), sys.stdout)
    sys.exit(exit_code(report, fail_on))


def _registry(settings: Settings, schemas_dir: Path | None) -> Registry:
    folder = schemas_dir or settings.schemas_dir
    if schemas_dir is None and not (folder / "index.json").exists():
        folder = bundled_schemas() or folder
    return load_registry(folder)


@main.command()
@click.argument("old")
@click.argument("new")
@click.option("--schemas", "schemas_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Schemas folder for references (default: the project's, else the bundled ones).")
@report_options
@click.pass_context
@handle_errors
def diff(
    ctx: click.Context, old: str, new: str, schemas_dir: Path | None, fmt: str, fail_on: str | None
) -> None:
    """Compare two contracts OLD and NEW: each change breaking or compatible for a consumer.

    OLD and NEW are schema files or registry references EVENT, EVENT@vYYYY-MM-DD
    (its newest revision) or EVENT@vYYYY-MM-DD/rN; EVENT alone is the newest
    revision of the newest API version that has it. A name ending in .json or
    an existing file is a file (write ./NAME to force one).
    Breaking changes are errors, compatible ones warnings, documentation
    changes information. Exit 1 when a change is at or above --fail-on.
    """
    settings = _settings(ctx)
    registry = _registry(settings, schemas_dir)
    before = resolve_contract(old, registry, display=settings.rel)
    after = resolve_contract(new, registry, display=settings.rel)
    emit_report(diff_contracts(before, after), fmt, fail_on or settings.fail_on)


@main.command()
@click.argument("a")
@click.argument("b")
@click.option("--show-values", is_flag=True,
              help="Show differing values (they may hold personal data).")
@report_options
@click.pass_context
@handle_errors
def compare(
    ctx: click.Context, a: str, b: str, show_values: bool, fmt: str, fail_on: str | None
) -> None:
    """Show how payload B differs from payload A (JSON files; `-` for stdin).

    Each may be bare event data or a delivery envelope. Paths are JSON
    Pointers with `*` for array items. Removed fields and type changes are
    errors, added fields warnings, changed values information (shown only
    with --show-values). Exit 1 when a difference is at or above --fail-on.
    """
    if a == b == "-":
        raise click.UsageError("only one of A and B can be read from stdin")
    settings = _settings(ctx)
    values = []
    for name in (a, b):
        data, source = _read_input(name)
        values.append((parse_json(data, source), source))
    (first, source_a), (second, source_b) = values
    report = compare_payloads(first, second, source_a=source_a, source_b=source_b,
                              show_values=show_values or settings.show_values)
    emit_report(report, fmt, fail_on or settings.fail_on)
