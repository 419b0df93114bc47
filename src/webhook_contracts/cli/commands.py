"""The `webhook-contracts` command: parse options, call the library, pick a reporter, exit.

Exit codes: 0 clean, 1 findings (invalid payloads, stale files), 2 usage or
input error. Errors the toolkit foresees print one line on stderr, no traceback.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from ..check.gate import CHECKS, CheckOptions, run_checks
from ..config import FAIL_ON, Settings, load_settings
from ..contracts.registry import Registry, bundled_schemas, load_registry
from ..errors import ExitCode, PayloadError, WebhookContractsError
from ..findings import Report, exit_code
from ..fsio import write_atomic
from ..payloads.validate import ContractValidator, ValidationResult, parse_json
from ..report import REPORTERS, VALIDATION_REPORTERS, render_page_json, render_page_text, render_text, with_fail_on
from ..report.escaping import visible
from ..report.layout import TextLayout
from ..report.validation import summary_line
from .completion import complete_api_versions, complete_events, complete_references
from .terminal import (
    COLOR_CHOICES,
    DelayedProgress,
    prepare_std_streams,
    silence_stdout,
    stdin_bytes,
    text_layout,
    write_and_exit,
)

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> None:
    for line in message.splitlines() or [""]:
        click.echo(f"error: {line}", err=True)
    sys.exit(ExitCode.ERROR)


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that clean-up (stopping `--jobs` workers) runs."""


def _on_sigterm(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    raise _Terminated


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def handle_errors(func: F) -> F:
    """Turn the toolkit's own errors into one line on stderr and exit code 2.

    SIGINT and SIGTERM end the command as shells expect: a one-line message and
    exit 130 or 143 (128 + the signal number), after clean-up.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with _sigterm_raises():
                return func(*args, **kwargs)
        except KeyboardInterrupt:
            click.echo("error: interrupted", err=True)
            sys.exit(128 + signal.SIGINT)
        except _Terminated:
            click.echo("error: terminated", err=True)
            sys.exit(128 + signal.SIGTERM)
        except BrokenPipeError:
            # The reader went away (`| head`) before a command knew its outcome: stop quietly.
            silence_stdout()
            sys.exit(ExitCode.FINDINGS)
        except WebhookContractsError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
        return None

    return wrapper  # type: ignore[return-value]


def quiet_option(func: F) -> F:
    """`-q/--quiet`, which every command takes."""
    return click.option("-q", "--quiet", is_flag=True, help="Print only the headline (and errors).")(func)


def _settings(ctx: click.Context) -> Settings:
    root: Path | None = ctx.find_root().params.get("root")
    return load_settings(root)


class _Main(click.Group):
    """The command group; before anything runs, the standard streams are made safe to use."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if not prepare_std_streams():
            click.echo("error: standard output is closed; nothing can be reported", err=True)
            sys.exit(ExitCode.ERROR)
        return super().main(*args, **kwargs)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    help="Project folder. Default: the nearest folder above the working one with a "
    "[tool.webhook-contracts] table or webhook-contracts.toml, else the working folder.",
)
@click.version_option(package_name="webhook-contracts", prog_name="webhook-contracts")
def main(root: Path | None) -> None:
    """Keep webhook consumers honest: contracts from doc pages, validation and drift."""


@main.command()
@click.argument("page", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--api-version", help="API version of the page (default: its vYYYY-MM-DD folder, or what it says).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Output format.")
@click.option("--examples", is_flag=True, help="Also print the example payloads.")
@quiet_option
@click.pass_context
@handle_errors
def extract(ctx: click.Context, page: Path, api_version: str | None, fmt: str, examples: bool, quiet: bool) -> None:
    """Show what is read from a saved doc PAGE: event, version, examples, fields.

    With -q nothing is printed: the exit code says whether the page reads.
    """
    read_doc_page = _settings(ctx).provider.doc_page_reader(page)
    result = read_doc_page(page, api_version=api_version)
    renderer = render_page_json if fmt == "json" else render_page_text
    if not quiet:
        write_and_exit(lambda out: renderer(result, out, examples=examples), ExitCode.OK)


@main.command("regen")
@click.option("--check", is_flag=True, help="Change nothing; exit 1 listing what is stale.")
@click.option("-v", "--verbose", is_flag=True,
              help="Also count and list the disagreements between the provider's examples and its schemas.")
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
    settings = _settings(ctx)
    from ..contracts.regen import plan_regen, regen

    plan = plan_regen(settings) if check else regen(settings)
    for warning in () if quiet else plan.warnings:
        click.echo(f"warning: {warning}", err=True)
    for version, notes in sorted(plan.disagreements.items()) if verbose and not quiet else ():
        if notes:
            click.echo(f"note: {version}: {len(notes)} disagreement(s) between the provider's examples and "
                       "its schemas or other examples; the contracts accept what is sent:", err=True)
            for note in notes:
                click.echo(f"  {note}", err=True)
    if check:
        if plan.stale:
            click.echo(f"{len(plan.stale)} file(s) stale (run `webhook-contracts regen`)" if quiet
                       else "stale (run `webhook-contracts regen`):")
            for path in () if quiet else plan.stale:
                click.echo(f"  {path}")
            sys.exit(ExitCode.FINDINGS)
        click.echo("contracts, index, models and changelog are up to date")
        return
    for entry in () if quiet else plan.entries:
        kind = "new contract" if entry.revision == 1 else "breaking" if entry.breaking else "compatible"
        click.echo(f"{entry.event} {entry.api_version}: revision {entry.revision} ({kind})")
    click.echo(f"{len(plan.stale)} file(s) written" if plan.stale else "nothing to do: everything is up to date")


@main.command("reconcile")
@click.option("--event", help="Only this event (its own fields and the shared definitions it uses).",
              shell_complete=complete_events)
@click.option("--api-version", help="API version vYYYY-MM-DD (default: the newest with an OpenAPI document).",
              shell_complete=complete_api_versions)
@click.option("--disagreements-only", is_flag=True, help="Only the rows where the sources disagree.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text",
              show_default=True, help="Output format.")
@quiet_option
@click.pass_context
@handle_errors
def reconcile_cmd(
    ctx: click.Context, event: str | None, api_version: str | None, disagreements_only: bool, fmt: str,
    quiet: bool,
) -> None:
    """Show, per event and field, what the doc page, the OpenAPI and the contract say.

    A quality report on the provider's docs: every disagreement (an example
    breaking the OpenAPI, the page's field list contradicting it) is listed.
    A definition shared by several events is shown once. Exit 0 after a
    report, 2 for an unknown event or API version or without an OpenAPI document.
    """
    from ..contracts.reconcile_report import RENDERERS, build_view, headline, load_reconciled

    result = load_reconciled(_settings(ctx), api_version)
    view = build_view(result, event=event, disagreements_only=disagreements_only)  # an unknown event fails here
    if quiet and fmt == "text":
        write_and_exit(lambda out: out.write(visible(headline(view)) + "\n"), ExitCode.OK)
    write_and_exit(lambda out: RENDERERS[fmt](result, out, event=event, disagreements_only=disagreements_only),
                   ExitCode.OK)


def _read_input(path: str, limit: int) -> tuple[bytes, str]:
    """The bytes of one payload file (`-`: stdin), refused beyond *limit* bytes (read no further)."""
    from ..drift.sources import STDIN, as_sources

    (source,) = as_sources([path], stdin_bytes() if path == STDIN else None)
    try:
        with source.open() as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise PayloadError(path, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise PayloadError(source.label, f"larger than max-payload-bytes ({limit}); not read")
    return data, source.label


@main.command()
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
    settings = _settings(ctx)
    registry = _registry(settings, schemas_dir)
    registry.require_api_version(api_version or settings.api_version)
    validator = ContractValidator(
        registry, api_version=api_version or settings.api_version, threshold=settings.detect_threshold,
        max_errors=settings.max_errors_per_payload, provider=settings.provider,
    )
    results: list[ValidationResult] = []
    for name in files:
        data, source = _read_input(name, settings.max_payload_bytes)
        value = parse_json(data, source)
        results.append(
            validator.validate(value, source=source, event=event, revision=revision,
                               show_values=show_values or settings.show_values)
        )
    code = ExitCode.OK if all(r.valid for r in results) else ExitCode.FINDINGS
    if quiet and fmt == "text":
        write_and_exit(lambda out: out.write(summary_line(results) + "\n"), code)
    write_and_exit(lambda out: VALIDATION_REPORTERS[fmt](results, out), code)


def report_options(func: F) -> F:
    """`--format`, `--fail-on`, `--report`, `-v`, `-q` and `--color`, shared by the checking commands."""
    func = click.option(
        "--color", type=click.Choice(COLOR_CHOICES), default="auto", show_default=True,
        help="Colour in the text report: on a terminal unless NO_COLOR is set (auto), always or never.",
    )(func)
    func = quiet_option(func)
    func = click.option(
        "-v", "--verbose", is_flag=True,
        help="Text report: every message, where each finding was first and last seen, every listed line.",
    )(func)
    func = click.option(
        "--report", "reports", multiple=True, metavar="FORMAT:PATH",
        help="Also write the report in FORMAT to PATH (repeatable), e.g. sarif:drift.sarif.",
    )(func)
    func = click.option(
        "--fail-on", type=click.Choice(FAIL_ON),
        help="Lowest severity that makes the exit code 1 (default: config `fail-on`, else error).",
    )(func)
    return click.option(
        "--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True,
        help="Report format.",
    )(func)


def _parse_report_targets(targets: tuple[str, ...]) -> list[tuple[str, Path]]:
    parsed = []
    for target in targets:
        fmt, sep, path = target.partition(":")
        if not sep or fmt not in REPORTERS or not path:
            raise click.BadParameter(
                f"{target!r}: expected FORMAT:PATH with FORMAT one of {', '.join(sorted(REPORTERS))}",
                param_hint="--report",
            )
        parsed.append((fmt, Path(path)))
    return parsed


def layout_for(color: str, verbose: bool, quiet: bool) -> TextLayout:
    """How the text report on stdout is laid out: the terminal's width and colour, -v, -q."""
    return text_layout(sys.stdout, color=color, verbose=verbose, quiet=quiet)


def emit_report(
    report: Report, fmt: str, fail_on: str, targets: tuple[str, ...] = (), *, gate: Report | None = None,
    layout: TextLayout | None = None,
) -> None:
    """Render *report* on stdout (and to each FORMAT:PATH target), then exit 0 or 1.

    The exit code is decided by *gate* (default: the report itself) against *fail_on*.
    A text report on stdout follows *layout*; written ones are 100 columns wide, without colour.
    """
    import io

    shown = with_fail_on(report, fail_on)
    for target_fmt, path in _parse_report_targets(targets):
        buffer = io.StringIO()
        REPORTERS[target_fmt](shown, buffer)
        write_atomic(path, buffer.getvalue().encode("utf-8"))
    code = exit_code(gate if gate is not None else report, fail_on)
    if fmt == "text":
        write_and_exit(lambda out: render_text(shown, out, layout), code)
    write_and_exit(lambda out: REPORTERS[fmt](shown, out), code)


def _registry(settings: Settings, schemas_dir: Path | None) -> Registry:
    folder = schemas_dir or settings.schemas_dir
    if schemas_dir is None and not (folder / "index.json").exists():
        folder = bundled_schemas() or folder
    return load_registry(folder, max_file_bytes=settings.max_file_bytes)


@main.command()
@click.argument("old", shell_complete=complete_references)
@click.argument("new", shell_complete=complete_references)
@click.option("--schemas", "schemas_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Schemas folder for references (default: the project's, else the bundled ones).")
@report_options
@click.pass_context
@handle_errors
def diff(
    ctx: click.Context, old: str, new: str, schemas_dir: Path | None, fmt: str, fail_on: str | None,
    reports: tuple[str, ...], verbose: bool, quiet: bool, color: str,
) -> None:
    """Compare two contracts OLD and NEW: each change breaking or compatible for a consumer.

    OLD and NEW are schema files or registry references EVENT, EVENT@vYYYY-MM-DD
    (its newest revision) or EVENT@vYYYY-MM-DD/rN; EVENT alone is the newest
    revision of the newest API version that has it. A name ending in .json or
    an existing file is a file (write ./NAME to force one).
    Breaking changes are errors, compatible ones warnings, documentation
    changes information. Exit 1 when a change is at or above --fail-on.
    """
    from ..diff.contracts import diff_contracts, resolve_contract

    settings = _settings(ctx)
    registry = _registry(settings, schemas_dir)
    before = resolve_contract(old, registry, display=settings.rel, provider=settings.provider)
    after = resolve_contract(new, registry, display=settings.rel, provider=settings.provider)
    emit_report(diff_contracts(before, after), fmt, fail_on or settings.fail_on, reports,
                layout=layout_for(color, verbose, quiet))


@main.command()
@click.argument("a")
@click.argument("b")
@click.option("--show-values", is_flag=True,
              help="Show differing values (they may hold personal data).")
@report_options
@click.pass_context
@handle_errors
def compare(
    ctx: click.Context, a: str, b: str, show_values: bool, fmt: str, fail_on: str | None,
    reports: tuple[str, ...], verbose: bool, quiet: bool, color: str,
) -> None:
    """Show how payload B differs from payload A (JSON files; `-` for stdin).

    Each may be bare event data or a delivery envelope. Paths are JSON
    Pointers with `*` for array items. Removed fields and type changes are
    errors, added fields warnings, changed values information (shown only
    with --show-values). Exit 1 when a difference is at or above --fail-on.
    """
    if a == b == "-":
        raise click.UsageError("only one of A and B can be read from stdin")
    from ..diff.payloads import compare_payloads

    settings = _settings(ctx)
    values = []
    for name in (a, b):
        data, source = _read_input(name, settings.max_payload_bytes)
        values.append((parse_json(data, source), source))
    (first, source_a), (second, source_b) = values
    report = compare_payloads(first, second, source_a=source_a, source_b=source_b,
                              show_values=show_values or settings.show_values,
                              max_errors=settings.max_errors_per_payload, provider=settings.provider)
    emit_report(report, fmt, fail_on or settings.fail_on, reports, layout=layout_for(color, verbose, quiet))


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--event", help="Event type of every payload (default: envelope `type`, else detected by shape).",
              shell_complete=complete_events)
@click.option("--api-version", help="Pin the contracts' API version (default: the newest for each event).",
              shell_complete=complete_api_versions)
@click.option("--payload-field", metavar="FIELD",
              help="Records carry the payload under FIELD (an object or a JSON string); dotted paths work.")
@click.option("--schemas", "schemas_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Schemas folder (default: the project's, else the contracts bundled with the package).")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Accept the drift recorded in this baseline file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Record the current drift as accepted in this file.")
@click.option("--show-values", is_flag=True, help="Include example values (they may hold personal data).")
@click.option("--progress/--no-progress", default=None,
              help="Progress on stderr (default: on a terminal, once reading takes a second, not with -q).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes to scan with, at most the CPUs available: large plain files are split by byte "
              "ranges (stdin and pipes are read by one).")
@click.option("--dask", "dask_address", metavar="ADDRESS",
              help="Scan on a Dask cluster: local or local:N (N worker processes here), or a scheduler's "
              "tcp://HOST:PORT. Needs the dask extra.")
@report_options
@click.pass_context
@handle_errors
def drift(
    ctx: click.Context, files: tuple[str, ...], event: str | None, api_version: str | None,
    payload_field: str | None, schemas_dir: Path | None, fmt: str, fail_on: str | None,
    baseline_path: Path | None, write_baseline: Path | None, show_values: bool, progress: bool | None,
    jobs: int, dask_address: str | None, reports: tuple[str, ...], verbose: bool, quiet: bool, color: str,
) -> None:
    """Compare captured payloads in FILES with their contracts and group the drift.

    FILES are JSON files, NDJSON logs, .gz files, folders (every log file in
    them), named pipes and `<(zcat log.gz)`, `-` for stdin, or URLs (s3://, gs://, az://, http(s)://, file://;
    globs and prefixes name every object they match). Exit 0 when nothing outside the baseline is at or
    above --fail-on, 1 when something is, 2 on a usage or input error.
    """
    from ..drift.baseline import apply_baseline, load_baseline, unaccepted
    from ..drift.baseline import write_baseline as save_baseline
    from ..drift.parallel import cpu_count, scan_files
    from ..drift.scanner import drift_options
    from ..drift.sources import STDIN, build_sources

    settings = _settings(ctx)
    if dask_address is not None and jobs > 1:
        raise click.UsageError("--jobs and --dask exclude each other: the cluster's workers scan in parallel")
    if jobs > (cpus := cpu_count()):
        click.echo(f"note: --jobs {jobs} is more than the {cpus} CPU(s) available; using {cpus}", err=True)
        jobs = cpus
    registry = _registry(settings, schemas_dir)
    options = drift_options(settings, event=event, api_version=api_version, show_values=show_values)
    inputs = build_sources(files, stdin_bytes() if STDIN in files else None)
    show = progress if progress is not None else sys.stderr.isatty() and not quiet
    # Shown only once reading took a second (at once when asked for), stdin included.
    bar = DelayedProgress(sys.stderr, sum(source.size or 0 for source in inputs), delay=0 if progress else 1.0)
    try:
        if dask_address is not None:
            from ..drift.cluster import scan_cluster

            report = scan_cluster(inputs, registry, options, address=dask_address, payload_field=payload_field,
                                  max_line=settings.max_payload_bytes, sniff_lines=settings.sniff_lines,
                                  progress=bar if show else None)
        else:
            report = scan_files(inputs, registry, options, payload_field=payload_field, jobs=jobs,
                                max_line=settings.max_payload_bytes, sniff_lines=settings.sniff_lines,
                                progress=bar if show else None)
    finally:
        bar.close()
    baseline = baseline_path or settings.baseline_path
    if baseline is not None:
        source = baseline_path.as_posix() if baseline_path else settings.rel(baseline)
        report = apply_baseline(report, load_baseline(baseline, settings.max_baseline_bytes), source)
    if write_baseline is not None:
        save_baseline(write_baseline, report)
        report = apply_baseline(report, frozenset(f.fingerprint for f in report.findings),
                                write_baseline.as_posix())
        if not quiet:
            click.echo(f"baseline with {len(report.findings)} finding(s) written to {write_baseline}", err=True)
    emit_report(report, fmt, fail_on or settings.fail_on, reports, gate=unaccepted(report),
                layout=layout_for(color, verbose, quiet))


@main.command()
@click.option("--base", metavar="REF",
              help="Git revision the contract changes are measured from (default: the merge base with main).")
@click.option("--logs", multiple=True, metavar="PATH",
              help="Also run drift on these captured payloads (files, folders, .gz; repeatable).")
@click.option("--payload-field", metavar="FIELD", help="With --logs: records carry the payload under FIELD.")
@click.option("--skip", type=click.Choice(sorted(CHECKS)), multiple=True, help="Leave out a check (repeatable).")
@report_options
@click.pass_context
@handle_errors
def check(
    ctx: click.Context, base: str | None, logs: tuple[str, ...], payload_field: str | None, skip: tuple[str, ...],
    fmt: str, fail_on: str | None, reports: tuple[str, ...], verbose: bool, quiet: bool, color: str,
) -> None:
    """Run every consistency check and report all failures at once.

    Schemas are valid and their $refs local and resolvable; the index agrees
    with the files; models are fresh and import; doc examples and configured
    fixtures conform; contract changes since --base have CHANGELOG entries and
    breaking ones are new revisions; with --logs, captured traffic has no drift.
    Exit 0 when nothing is at or above --fail-on, 1 when something is, 2 on a
    usage or input error.
    """
    settings = _settings(ctx)
    options = CheckOptions(base=base, skip=frozenset(skip), logs=logs, payload_field=payload_field)
    emit_report(run_checks(settings, options), fmt, fail_on or settings.fail_on, reports,
                layout=layout_for(color, verbose, quiet))
