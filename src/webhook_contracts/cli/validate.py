"""`validate`: payload files against their contracts."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import ExitCode
from ..payloads.validate import ContractValidator, ValidationResult, parse_json
from ..report import VALIDATION_REPORTERS
from ..report.validation import summary_line
from .completion import complete_api_versions, complete_events
from .exits import handle_errors
from .inputs import load_contracts, read_input
from .options import quiet_option, settings_of
from .terminal import write_and_exit


@click.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--event", help="Event type of every payload (default: envelope `type`, else detected).",
              shell_complete=complete_events)
@click.option("--api-version", help="API version of the contracts (default: the newest).",
              shell_complete=complete_api_versions)
@click.option("--revision", type=int, help="Contract revision (default: the newest).")
@click.option("--schemas", "schemas_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Schemas folder (default: the project's, else the contracts bundled with the package).")
@click.option("--format", "fmt", type=click.Choice(sorted(VALIDATION_REPORTERS)), default="text", show_default=True,
              help="Output format.")
@click.option("--show-values", is_flag=True, help="Include offending values in messages (they may hold personal data).")
@quiet_option
@click.pass_context
@handle_errors
def validate(
    ctx: click.Context, files: tuple[str, ...], event: str | None, api_version: str | None,
    revision: int | None, schemas_dir: Path | None, fmt: str, show_values: bool, quiet: bool,
) -> None:
    """Validate payload FILES (JSON; `-` for stdin) against their contracts.

    Exit 0 when all are valid, 1 when any is invalid or of an unknown event.
    """
    settings = settings_of(ctx)
    registry = load_contracts(settings, schemas_dir)
    registry.require_api_version(api_version or settings.api_version)
    validator = ContractValidator(
        registry, api_version=api_version or settings.api_version, threshold=settings.detect_threshold,
        max_errors=settings.max_errors_per_payload, provider=settings.provider,
    )
    results: list[ValidationResult] = []
    for name in files:
        data, source = read_input(name, settings.max_payload_bytes)
        value = parse_json(data, source)
        results.append(
            validator.validate(value, source=source, event=event, revision=revision,
                               show_values=show_values or settings.show_values)
        )
    code = ExitCode.OK if all(r.valid for r in results) else ExitCode.FINDINGS
    if quiet and fmt == "text":
        write_and_exit(lambda out: out.write(summary_line(results) + "\n"), code)
    write_and_exit(lambda out: VALIDATION_REPORTERS[fmt](results, out), code)
