"""`diff` (contract against contract) and `compare` (payload against payload)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from ..config import Settings
from ..findings import Report
from ..providers import Provider
from .completion import complete_references
from .exits import handle_errors
from .inputs import contracts_folder, read_input
from .options import ReportOptions, report_options, settings_of
from .output import emit_report


@dataclass(frozen=True)
class DiffArgs:
    """The `diff` command line, the project's config applied: what :func:`execute_diff` runs."""

    settings: Settings
    old: str
    new: str
    #: Where references (EVENT@vYYYY-MM-DD/rN) are looked up.
    schemas: Path
    output: ReportOptions


def parse_diff(
    settings: Settings,
    old: str,
    new: str,
    *,
    schemas_dir: Path | None = None,
    output: ReportOptions,
) -> DiffArgs:
    return DiffArgs(settings, old, new, contracts_folder(settings, schemas_dir), output.configured(settings))


def execute_diff(args: DiffArgs) -> Report:
    from ..contracts.registry import load_registry
    from ..diff.contracts import diff_contracts, resolve_contract

    settings = args.settings
    registry = load_registry(args.schemas, max_file_bytes=settings.max_file_bytes)
    before = resolve_contract(args.old, registry, display=settings.rel, provider=settings.provider)
    after = resolve_contract(args.new, registry, display=settings.rel, provider=settings.provider)
    return diff_contracts(before, after)


@click.command()
@click.argument("old", shell_complete=complete_references)
@click.argument("new", shell_complete=complete_references)
@click.option(
    "--schemas",
    "schemas_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Schemas folder for references (default: the project's, else the bundled ones).",
)
@report_options
@click.pass_context
@handle_errors
def diff(ctx: click.Context, old: str, new: str, schemas_dir: Path | None, output: ReportOptions) -> None:
    """Compare two contracts OLD and NEW: each change breaking or compatible for a consumer.

    OLD and NEW are schema files or registry references EVENT, EVENT@vYYYY-MM-DD
    (its newest revision) or EVENT@vYYYY-MM-DD/rN; EVENT alone is the newest
    revision of the newest API version that has it. A name ending in .json or
    an existing file is a file (write ./NAME to force one).
    Breaking changes are errors, compatible ones warnings, documentation
    changes information. Exit 1 when a change is at or above --fail-on.
    """
    args = parse_diff(settings_of(ctx), old, new, schemas_dir=schemas_dir, output=output)
    emit_report(execute_diff(args), args.output)


@dataclass(frozen=True)
class CompareArgs:
    """The `compare` command line, the project's config applied: what :func:`execute_compare` runs."""

    a: str
    b: str
    show_values: bool
    max_payload_bytes: int
    max_errors: int
    output: ReportOptions
    provider: Provider


def parse_compare(
    settings: Settings,
    a: str,
    b: str,
    *,
    show_values: bool = False,
    output: ReportOptions,
) -> CompareArgs:
    """What `compare` runs; a usage error when both payloads would come from stdin."""
    if a == b == "-":
        raise click.UsageError("only one of A and B can be read from stdin")
    return CompareArgs(
        a,
        b,
        show_values or settings.show_values,
        settings.max_payload_bytes,
        settings.max_errors_per_payload,
        output.configured(settings),
        settings.provider,
    )


def execute_compare(args: CompareArgs) -> Report:
    from ..diff.payloads import compare_payloads
    from ..payloads.validate import parse_json

    values = []
    for name in (args.a, args.b):
        data, source = read_input(name, args.max_payload_bytes)
        values.append((parse_json(data, source), source))
    (first, source_a), (second, source_b) = values
    return compare_payloads(
        first,
        second,
        source_a=source_a,
        source_b=source_b,
        show_values=args.show_values,
        max_errors=args.max_errors,
        provider=args.provider,
    )


@click.command()
@click.argument("a")
@click.argument("b")
@click.option("--show-values", is_flag=True, help="Show differing values (they may hold personal data).")
@report_options
@click.pass_context
@handle_errors
def compare(ctx: click.Context, a: str, b: str, show_values: bool, output: ReportOptions) -> None:
    """Show how payload B differs from payload A (JSON files; `-` for stdin).

    Each may be bare event data or a delivery envelope. Paths are JSON
    Pointers with `*` for array items. Removed fields and type changes are
    errors, added fields warnings, changed values information (shown only
    with --show-values). Exit 1 when a difference is at or above --fail-on.
    """
    args = parse_compare(settings_of(ctx), a, b, show_values=show_values, output=output)
    emit_report(execute_compare(args), args.output)
