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


try:  # The renderers of every format, when installed; else plain text and JSON.
    from .report import REPORTERS as _DRIFT_REPORTERS  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on which renderers are present
    from .report.drift_fallback import FALLBACK_REPORTERS as _DRIFT_REPORTERS

#: Inputs larger than this get a progress bar when stderr is a terminal.
_PROGRESS_BYTES = 8 << 20


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--event", help="Event type of every payload (default: envelope `type`, else detected by shape).")
@click.option("--api-version", help="Pin the contracts' API version (default: the newest for each event).")
@click.option("--payload-field", metavar="FIELD",
              help="Records carry the payload under FIELD (an object or a JSON string); dotted paths work.")
@click.option("--schemas", "schemas_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Schemas folder (default: the project's, else the contracts bundled with the package).")
@click.option("--format", "fmt", type=click.Choice(sorted(_DRIFT_REPORTERS)), default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]),
              help="Exit 1 when a finding not in the baseline is at or above this severity (default: error).")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Accept the drift recorded in this baseline file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Record the current drift as accepted in this file.")
@click.option("--show-values", is_flag=True, help="Include example values (they may hold personal data).")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: on a terminal).")
@click.pass_context
@handle_errors
def drift(
    ctx: click.Context, files: tuple[str, ...], event: str | None, api_version: str | None,
    payload_field: str | None, schemas_dir: Path | None, fmt: str, fail_on: str | None,
    baseline_path: Path | None, write_baseline: Path | None, show_values: bool, progress: bool | None,
) -> None:
    """Compare captured payloads in FILES with their contracts and group the drift.

    FILES are JSON files, NDJSON logs, .gz files, folders (every log file in
    them) or `-` for stdin. Exit 0 when nothing outside the baseline is at or
    above --fail-on, 1 when something is, 2 on a usage or input error.
    """
    from .baseline import apply_baseline, load_baseline, unaccepted
    from .baseline import write_baseline as save_baseline
    from .findings import exit_code
    from .logread import STDIN, expand_inputs, input_size, iter_records
    from .scan import DriftOptions, DriftScanner, severities_from_config

    settings = _settings(ctx)
    folder = schemas_dir or settings.schemas_dir
    if schemas_dir is None and not (folder / "index.json").exists():
        folder = bundled_schemas() or folder
    registry = load_registry(folder)
    options = DriftOptions(
        event=event, api_version=api_version or settings.api_version, threshold=settings.detect_threshold,
        show_values=show_values or settings.show_values, severities=severities_from_config(settings.severity),
    )
    names = expand_inputs(files)
    scanner = DriftScanner(registry, options)
    stdin = sys.stdin.buffer if STDIN in names else None
    total = sum(input_size(name) for name in names)
    show_bar = progress if progress is not None else sys.stderr.isatty() and total >= _PROGRESS_BYTES
    if show_bar:
        with click.progressbar(length=total, label="reading", file=sys.stderr) as bar:
            scanner.feed(iter_records(names, payload_field=payload_field, stdin=stdin, progress=bar.update))
    else:
        scanner.feed(iter_records(names, payload_field=payload_field, stdin=stdin))
    report = scanner.report()
    baseline = baseline_path or (settings.root / settings.baseline if settings.baseline else None)
    if baseline is not None:
        report = apply_baseline(report, load_baseline(baseline))
    if write_baseline is not None:
        save_baseline(write_baseline, report)
        report = apply_baseline(report, frozenset(f.fingerprint for f in report.findings))
        click.echo(f"baseline with {len(report.findings)} finding(s) written to {write_baseline}", err=True)
    _DRIFT_REPORTERS[fmt](report, sys.stdout)
    sys.exit(exit_code(unaccepted(report), fail_on or settings.fail_on))
