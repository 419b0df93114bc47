"""One drift run, from a request to a Report: what the `drift` command and `check --logs` both call.

A :class:`DriftRequest` says everything a run needs as plain data (inputs,
contracts folder, scan options, payload field, jobs, baseline, limits), so a
caller builds one and hands it over; :func:`drift_request` builds it from the
project settings, with what the command line gives winning. :func:`run_drift`
loads the contracts, expands the inputs, scans them and applies the baseline.
It prints nothing: standard input and a progress display are handed in by the
caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol

from ..config import MAX_BASELINE_BYTES, Settings
from ..contracts.registry import load_registry
from ..findings import Report
from ..fsio import MAX_FILE_BYTES
from .baseline import apply_baseline, load_baseline, write_baseline
from .options import DriftOptions, drift_options
from .parallel import scan_files
from .sniff import MAX_LINE_BYTES, SNIFF_LINES
from .sources import STDIN, build_sources


class ProgressDisplay(Protocol):
    """Told the bytes of input read as they are read; closed when the scan ends."""

    def __call__(self, nbytes: int) -> None: ...

    def close(self) -> None: ...


#: Opens a progress display, given the bytes on disk of every input (0 for streams).
ProgressFactory = Callable[[int], ProgressDisplay]


@dataclass(frozen=True)
class DriftRequest:
    """What one drift run reads, against which contracts, and how."""

    #: Files, folders, pipes, `-` (stdin) and URLs, as given; folders and globs are expanded by the run.
    inputs: tuple[str, ...]
    #: The contracts folder (its `index.json` and schemas).
    schemas: Path
    options: DriftOptions = field(default_factory=DriftOptions)
    #: Records carry the payload under this field (dotted paths work).
    payload_field: str | None = None
    jobs: int = 1
    #: Scan on this Dask cluster instead (`local`, `local:N`, `tcp://HOST:PORT`).
    dask: str | None = None
    #: Accepted drift: findings in this baseline are marked, and never fail a run.
    baseline: Path | None = None
    #: How the report names the baseline (default: not named).
    baseline_name: str | None = None
    #: Record the run's drift as accepted in this file, then mark it so.
    write_baseline: Path | None = None
    max_line: int = MAX_LINE_BYTES
    sniff_lines: int = SNIFF_LINES
    max_file_bytes: int = MAX_FILE_BYTES
    max_baseline_bytes: int = MAX_BASELINE_BYTES


def drift_request(
    settings: Settings,
    inputs: tuple[str, ...],
    *,
    schemas: Path | None = None,
    event: str | None = None,
    api_version: str | None = None,
    show_values: bool = False,
    payload_field: str | None = None,
    jobs: int = 1,
    dask: str | None = None,
    baseline: Path | None = None,
    write_baseline: Path | None = None,
) -> DriftRequest:
    """A request from the project settings; what is given here (the command line) wins.

    Without *schemas* the project's contracts folder is read; without *baseline*
    the configured one, if any.
    """
    accepted = baseline or settings.baseline_path
    return DriftRequest(
        inputs=inputs,
        schemas=schemas or settings.schemas_dir,
        options=drift_options(settings, event=event, api_version=api_version, show_values=show_values),
        payload_field=payload_field,
        jobs=jobs,
        dask=dask,
        baseline=accepted,
        baseline_name=(baseline.as_posix() if baseline else settings.rel(accepted)) if accepted else None,
        write_baseline=write_baseline,
        max_line=settings.max_payload_bytes,
        sniff_lines=settings.sniff_lines,
        max_file_bytes=settings.max_file_bytes,
        max_baseline_bytes=settings.max_baseline_bytes,
    )


def run_drift(
    request: DriftRequest,
    *,
    stdin: Callable[[], BinaryIO] | None = None,
    progress: ProgressFactory | None = None,
) -> Report:
    """Scan the request's inputs for drift against its contracts, the baseline applied.

    *stdin* opens standard input, only when `-` is among the inputs (without it,
    `-` is an input error). *progress* opens the progress display. The findings
    that decide an exit code are :func:`~.baseline.unaccepted`'s.
    """
    registry = load_registry(request.schemas, max_file_bytes=request.max_file_bytes)
    stream = stdin() if stdin is not None and STDIN in request.inputs else None
    inputs = build_sources(request.inputs, stream)
    display = progress(sum(source.size or 0 for source in inputs)) if progress is not None else None
    try:
        if request.dask is not None:
            from .cluster import scan_cluster

            report = scan_cluster(
                inputs,
                registry,
                request.options,
                address=request.dask,
                payload_field=request.payload_field,
                max_line=request.max_line,
                sniff_lines=request.sniff_lines,
                progress=display,
            )
        else:
            report = scan_files(
                inputs,
                registry,
                request.options,
                payload_field=request.payload_field,
                jobs=request.jobs,
                max_line=request.max_line,
                sniff_lines=request.sniff_lines,
                progress=display,
            )
    finally:
        if display is not None:
            display.close()
    if request.baseline is not None:
        report = apply_baseline(
            report, load_baseline(request.baseline, request.max_baseline_bytes), request.baseline_name
        )
    if request.write_baseline is not None:
        write_baseline(request.write_baseline, report)
        report = apply_baseline(
            report, frozenset(f.fingerprint for f in report.findings), request.write_baseline.as_posix()
        )
    return report
