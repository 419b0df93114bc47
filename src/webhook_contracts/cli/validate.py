"""`validate`: payload files against their contracts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from ..config import Settings
from ..findings import Report
from .completion import complete_api_versions, complete_events
from .exits import handle_errors
from .inputs import load_contracts, read_input
from .options import ReportOptions, report_options, settings_of
from .output import emit_report


@dataclass(frozen=True)
class ValidateArgs:
    """The `validate` command line, the project's config applied: what :func:`execute_validate` runs."""

    settings: Settings
    files: tuple[str, ...]
    output: ReportOptions
    event: str | None = None
    api_version: str | None = None
    revision: int | None = None
    schemas_dir: Path | None = None
    show_values: bool = False


def parse_validate(
    settings: Settings,
    files: tuple[str, ...],
    *,
    output: ReportOptions,
    event: str | None = None,
    api_version: str | None = None,
    revision: int | None = None,
    schemas_dir: Path | None = None,
    show_values: bool = False,
) -> ValidateArgs:
    return ValidateArgs(
        settings,
        files,
        output.configured(settings),
        event,
        api_version or settings.api_version,
        revision,
        schemas_dir,
        show_values or settings.show_values,
    )


def execute_validate(args: ValidateArgs) -> Report:
    """Each payload validated against its contract, as one report of findings."""
    from ..payloads.results import validation_report
    from ..payloads.validate import ContractValidator, ValidationResult, parse_json

    settings = args.settings
    registry = load_contracts(settings, args.schemas_dir)
    registry.require_api_version(args.api_version)
    validator = ContractValidator(
        registry,
        api_version=args.api_version,
        threshold=settings.detect_threshold,
        max_errors=settings.max_errors_per_payload,
        provider=settings.provider,
    )
    results: list[ValidationResult] = []
    for name in args.files:
        data, source = read_input(name, settings.max_payload_bytes)
        value = parse_json(data, source)
        results.append(
            validator.validate(
                value, source=source, event=args.event, revision=args.revision, show_values=args.show_values
            )
        )
    return validation_report(results)


@click.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--event",
    help="Event type of every payload (default: envelope `type`, else detected).",
    shell_complete=complete_events,
)
@click.option(
    "--api-version", help="API version of the contracts (default: the newest).", shell_complete=complete_api_versions
)
@click.option("--revision", type=int, help="Contract revision (default: the newest).")
@click.option(
    "--schemas",
    "schemas_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Schemas folder (default: the project's, else the contracts bundled with the package).",
)
@click.option("--show-values", is_flag=True, help="Include offending values in messages (they may hold personal data).")
@report_options
@click.pass_context
@handle_errors
def validate(
    ctx: click.Context,
    files: tuple[str, ...],
    event: str | None,
    api_version: str | None,
    revision: int | None,
    schemas_dir: Path | None,
    show_values: bool,
    output: ReportOptions,
) -> None:
    """Validate payload FILES (JSON; `-` for stdin) against their contracts.

    Each broken JSON Schema keyword is a finding (`schema.required`, `schema.type`, ...);
    a payload without a contract is an `unknown_event`. Exit 0 when nothing is at
    or above --fail-on (every payload valid, by default), 1 when something is, 2 on
    a usage or input error.
    """
    args = parse_validate(
        settings_of(ctx),
        files,
        output=output,
        event=event,
        api_version=api_version,
        revision=revision,
        schemas_dir=schemas_dir,
        show_values=show_values,
    )
    emit_report(execute_validate(args), args.output)
