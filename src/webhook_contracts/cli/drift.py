"""`drift`: captured payloads against their contracts, grouped; the run itself is :func:`run_drift`'s."""

from __future__ import annotations

import functools
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..config import Settings
from ..findings import Report
from .completion import complete_api_versions, complete_events
from .exits import handle_errors
from .inputs import contracts_folder
from .options import ReportOptions, report_options, settings_of
from .output import emit_report
from .terminal import DelayedProgress, stdin_bytes

if TYPE_CHECKING:
    from ..drift.run import DriftRequest  # loaded when `drift` runs, not when any command starts


@dataclass(frozen=True)
class DriftArgs:
    """The `drift` command line, the project's config applied: what :func:`execute` runs."""

    request: DriftRequest
    output: ReportOptions
    #: `--progress/--no-progress`; None: on a terminal, unless -q.
    progress: bool | None = None
    #: What the command line asked that was adjusted, said on stderr before the run.
    notes: tuple[str, ...] = ()


def parse(
    settings: Settings,
    files: tuple[str, ...],
    *,
    event: str | None = None,
    api_version: str | None = None,
    payload_field: str | None = None,
    schemas_dir: Path | None = None,
    baseline: Path | None = None,
    write_baseline: Path | None = None,
    show_values: bool = False,
    progress: bool | None = None,
    jobs: int = 1,
    dask: str | None = None,
    output: ReportOptions,
) -> DriftArgs:
    """The run the command line asks for; `--jobs` is held to the CPUs available."""
    if dask is not None and jobs > 1:
        raise click.UsageError("--jobs and --dask exclude each other: the cluster's workers scan in parallel")
    from ..drift.parallel import cpu_count
    from ..drift.run import drift_request

    notes: tuple[str, ...] = ()
    if jobs > (cpus := cpu_count()):
        notes = (f"--jobs {jobs} is more than the {cpus} CPU(s) available; using {cpus}",)
        jobs = cpus
    request = drift_request(
        settings,
        files,
        schemas=contracts_folder(settings, schemas_dir),
        event=event,
        api_version=api_version,
        show_values=show_values,
        payload_field=payload_field,
        jobs=jobs,
        dask=dask,
        baseline=baseline,
        write_baseline=write_baseline,
    )
    return DriftArgs(request, output.configured(settings), progress, notes)


def execute(args: DriftArgs) -> Report:
    """Run the scan, with a progress bar on stderr when asked for or on a terminal."""
    from ..drift.run import run_drift

    show = args.progress if args.progress is not None else sys.stderr.isatty() and not args.output.quiet
    # Shown only once reading took a second (at once when asked for), stdin included.
    bar = functools.partial(DelayedProgress, sys.stderr, delay=0 if args.progress else 1.0)
    return run_drift(args.request, stdin=stdin_bytes, progress=bar if show else None)


@click.command()
@click.argument("files", nargs=-1, required=True)
@click.option(
    "--event",
    help="Event type of every payload (default: envelope `type`, else detected by shape).",
    shell_complete=complete_events,
)
@click.option(
    "--api-version",
    help="Pin the contracts' API version (default: the newest for each event).",
    shell_complete=complete_api_versions,
)
@click.option(
    "--payload-field",
    metavar="FIELD",
    help="Records carry the payload under FIELD (an object or a JSON string); dotted paths work.",
)
@click.option(
    "--schemas",
    "schemas_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Schemas folder (default: the project's, else the contracts bundled with the package).",
)
@click.option(
    "--baseline",
    "baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Accept the drift recorded in this baseline file.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Record the current drift as accepted in this file.",
)
@click.option("--show-values", is_flag=True, help="Include example values (they may hold personal data).")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress on stderr (default: on a terminal, once reading takes a second, not with -q).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes to scan with, at most the CPUs available: large plain files are split by byte "
    "ranges (stdin and pipes are read by one).",
)
@click.option(
    "--dask",
    "dask_address",
    metavar="ADDRESS",
    help="Scan on a Dask cluster: local or local:N (N worker processes here), or a scheduler's "
    "tcp://HOST:PORT. Needs the dask extra.",
)
@report_options
@click.pass_context
@handle_errors
def drift(
    ctx: click.Context,
    files: tuple[str, ...],
    event: str | None,
    api_version: str | None,
    payload_field: str | None,
    schemas_dir: Path | None,
    baseline: Path | None,
    write_baseline: Path | None,
    show_values: bool,
    progress: bool | None,
    jobs: int,
    dask_address: str | None,
    output: ReportOptions,
) -> None:
    """Compare captured payloads in FILES with their contracts and group the drift.

    FILES are JSON files, NDJSON logs, .gz files, folders (every log file in
    them), named pipes and `<(zcat log.gz)`, `-` for stdin, or URLs (s3://, gs://, az://, http(s)://, file://;
    globs and prefixes name every object they match). Exit 0 when nothing outside the baseline is at or
    above --fail-on, 1 when something is, 2 on a usage or input error.
    """
    from ..drift.baseline import unaccepted

    args = parse(
        settings_of(ctx),
        files,
        event=event,
        api_version=api_version,
        payload_field=payload_field,
        schemas_dir=schemas_dir,
        baseline=baseline,
        write_baseline=write_baseline,
        show_values=show_values,
        progress=progress,
        jobs=jobs,
        dask=dask_address,
        output=output,
    )
    for note in args.notes:
        click.echo(f"note: {note}", err=True)
    report = execute(args)
    if args.output.verbose and not args.output.quiet:
        from ..drift.native import engine_name

        click.echo(f"drift engine: {engine_name()}", err=True)
    written = args.request.write_baseline
    if written is not None and not args.output.quiet:
        click.echo(f"baseline with {len(report.findings)} finding(s) written to {written}", err=True)
    emit_report(report, args.output, gate=unaccepted(report))
