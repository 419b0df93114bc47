"""The pre-merge gate: every consistency check of a contracts repository, as findings.

Each check is a generator of :class:`Finding` and is run even when an earlier
one failed, so a pull request learns everything that is wrong at once:

- `schemas`: every schema is JSON, valid against its metaschema, and every
  `$ref` is local and resolves (nothing is ever fetched);
- `index`: the index and the files on disk agree (paths, hashes);
- `models`: the generated files are fresh (what `regen --check` checks; needs the
  `codegen` extra) and import;
- `fixtures`: the doc examples and the configured payload fixtures conform;
- `changelog`: a contract change since a git base has a CHANGELOG entry, and a
  breaking change is a new revision, not an edit of a published one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..contracts.changelog import mentions
from ..contracts.registry import (
    INDEX_NAME,
    Revision,
    edited_revision_message,
    iter_edited_revisions,
    load_registry,
    load_schema_file,
    parse_schema,
)
from ..diff.schemas import diff_schemas
from ..errors import (
    ConfigError,
    InputError,
    MissingDependencyError,
    PublishedRevisionError,
    UnresolvedRefError,
    WebhookContractsError,
)
from ..findings import REPOSITORY_CONFIG, Finding, Location, Report, Severity, locate
from ..fsio import read_file

if TYPE_CHECKING:
    from ..payloads.validate import ValidationResult

Check = Callable[[Settings, "CheckOptions"], Iterator[Finding]]


class SkipCheck(Exception):
    """Raised by a check that does not apply; its reason goes into the summary."""


@dataclass(frozen=True)
class CheckOptions:
    """What the caller asks of `check` beyond the settings."""

    base: str | None = None
    skip: frozenset[str] = frozenset()
    #: Captured payloads to run `drift` on (files, folders, `.gz`); none: no drift check.
    logs: tuple[str, ...] = ()
    payload_field: str | None = None


def _finding(kind: str, message: str, file: str | None = None, **kw: Any) -> Finding:
    return Finding(
        kind=kind,
        severity=kw.pop("severity", Severity.ERROR),
        message=message,
        location=Location(file) if file else None,
        **kw,
    )


def _file_of(settings: Settings, exc: WebhookContractsError) -> str | None:
    """The file an error is about (relative to the root), when it names one."""
    return settings.rel(Path(exc.source)) if isinstance(exc, InputError) else None


def check_schemas(settings: Settings, options: CheckOptions) -> Iterator[Finding]:
    root = settings.schemas_dir
    for path in sorted(root.rglob("*.json")) if root.is_dir() else []:
        if path.name == INDEX_NAME:
            continue
        rel = settings.rel(path)
        try:
            load_schema_file(path, limit=settings.max_file_bytes)  # also checks it against the metaschema
        except UnresolvedRefError as exc:
            yield _finding(
                "unresolved_ref",
                f"{exc} (schemas are generated: restore the file from git, `git checkout -- {rel}`)",
                rel,
            )
        except WebhookContractsError as exc:
            yield _finding(
                "invalid_schema",
                f"{exc} (schemas are generated: restore the file from git, `git checkout -- {rel}`)",
                rel,
            )


def check_index(settings: Settings, options: CheckOptions) -> Iterator[Finding]:
    root = settings.schemas_dir
    index_rel = settings.rel(root / INDEX_NAME)
    try:
        registry = load_registry(root, max_file_bytes=settings.max_file_bytes)
    except WebhookContractsError as exc:
        yield _finding("index_mismatch", str(exc), index_rel)
        return
    listed = {rev.path for rev in registry.revisions}
    for rev, problem in iter_edited_revisions(registry):
        rel = settings.rel(root / rev.path)
        yield _finding("index_mismatch", edited_revision_message(rel, problem), rel)
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("r*.json")} if root.is_dir() else set()
    for rel in sorted(on_disk - listed):
        yield _finding(
            "index_mismatch",
            f"{rel} is not listed in the index (run `webhook-contracts regen`)",
            settings.rel(root / rel),
        )


def check_models(settings: Settings, options: CheckOptions) -> Iterator[Finding]:
    from ..contracts.regen import (
        plan_regen,  # the checks' modules load when they run: `drift` imports this one for its names
    )

    try:
        plan = plan_regen(settings)
    except MissingDependencyError as exc:
        # Not a skip: a gate that could not check the models must not go green.
        yield _finding(
            "generator_missing",
            f"cannot check that the models are fresh: {exc} (or leave this check out with --skip models)",
        )
        return
    except PublishedRevisionError as exc:
        # Rebuilding on an edited revision is never the fix: the index check says to restore it.
        if "index" not in options.skip:
            raise SkipCheck("a published revision differs from the index (see the index check)") from exc
        for line in str(exc).splitlines():
            yield _finding("index_mismatch", line, line.split(": ", 1)[0])
        return
    except WebhookContractsError as exc:
        yield _finding("stale", f"cannot regenerate: {exc}", _file_of(settings, exc))
        return
    else:
        for rel in plan.stale:
            what = "would be deleted" if plan.files[rel] is None else "is stale"
            yield _finding("stale", f"{rel} {what}; run `webhook-contracts regen`", rel)
    package = settings.package_dir
    if package.is_dir():
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(package.parent), os.environ.get("PYTHONPATH", "")])}
        code = (
            "import importlib, pkgutil, sys\n"
            f"pkg = importlib.import_module({settings.package!r})\n"
            "for mod in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
            "    importlib.import_module(mod.name)\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["unknown error"])[-1]
            yield _finding("model_import", f"the generated models do not import: {last}", settings.rel(package))


def _fixture_paths(settings: Settings) -> list[Path]:
    """The files the `fixtures` globs match; one reached through a symlink out of the project is an error."""
    root = settings.root.resolve()
    paths: set[Path] = set()
    for pattern in settings.fixtures:
        for path in settings.root.glob(pattern):
            target = path.resolve()
            if not target.is_relative_to(root):
                shown = path.relative_to(settings.root)
                raise ConfigError(
                    f"{settings.source}: fixtures: {pattern!r} matches {shown}, which leads "
                    f"outside the project through a symlink (to {target})"
                )
            paths.add(path)
    return sorted(p for p in paths if p.is_file())


def check_fixtures(settings: Settings, options: CheckOptions) -> Iterator[Finding]:
    from ..contracts.regen import read_pages, read_specs
    from ..payloads.validate import ContractValidator, parse_json

    try:
        registry = load_registry(settings.schemas_dir, max_file_bytes=settings.max_file_bytes)
        pages = read_pages(settings, allow_none=True)
        specs = read_specs(settings, pages)
    except WebhookContractsError as exc:
        yield _finding(
            "fixture_violation",
            f"cannot load contracts, doc pages or the provider's OpenAPI: {exc}",
            _file_of(settings, exc),
        )
        return
    # A revision edited by hand is to be restored (the index check says so), not met by the fixtures.
    edited = {rev for rev, _ in iter_edited_revisions(registry)}
    limit = settings.max_errors_per_payload
    provider = settings.provider
    validator = ContractValidator(registry, threshold=settings.detect_threshold, max_errors=limit, provider=provider)
    samples: list[tuple[str, Any, str | None]] = []
    for version, version_pages in sorted(pages.items()):
        validator_for_version = ContractValidator(
            registry, api_version=version, threshold=settings.detect_threshold, max_errors=limit, provider=provider
        )
        for page in version_pages:
            for i, example in enumerate(page.examples, 1):
                source = f"{page.source} (example {i})"
                try:
                    result = validator_for_version.validate(example, source=source, event=page.event)
                except WebhookContractsError as exc:
                    yield _finding("fixture_violation", str(exc), page.source)
                    continue
                yield from _violations(result, page.source, edited)
    # The provider's official examples: a contract must accept what its own provider shows.
    for version, spec in sorted(specs.items()):
        validator_for_version = ContractValidator(
            registry, api_version=version, threshold=settings.detect_threshold, max_errors=limit, provider=provider
        )
        for name, event in sorted(spec.events.items()):
            for i, example in enumerate(event.examples, 1):
                source = f"{spec.source} ({name}, example {i})"
                try:
                    result = validator_for_version.validate(example, source=source, event=name)
                except WebhookContractsError as exc:
                    yield _finding("fixture_violation", str(exc), spec.source)
                    continue
                yield from _violations(result, spec.source, edited)
    for path in _fixture_paths(settings):
        rel = settings.rel(path)
        try:
            samples.append(
                (
                    rel,
                    parse_json(
                        read_file(path, limit=settings.max_payload_bytes, source=rel, limit_name="max-payload-bytes"),
                        rel,
                    ),
                    None,
                )
            )
        except WebhookContractsError as exc:
            yield _finding("fixture_violation", str(exc), rel)
    for rel, value, _ in samples:
        try:
            result = validator.validate(value, source=rel)
        except WebhookContractsError as exc:
            yield _finding("fixture_violation", str(exc), rel)
            continue
        yield from _violations(result, rel, edited)


def _violations(result: ValidationResult, file: str, edited: set[Revision]) -> Iterator[Finding]:
    """The findings of a validated example or fixture (what `validate` reports), as fixture violations."""
    from ..payloads.results import result_findings

    if result.revision in edited:
        return
    for found in result_findings(result):
        place = f"{found.path}: " if found.path else ""
        fix = " (fix the fixture, or the doc page and `webhook-contracts regen`)" if found.path else ""
        yield replace(
            found,
            kind="fixture_violation",
            severity=Severity.ERROR,
            location=Location(file),
            message=f"{result.source}: {place}{found.message}{fix}",
            extra={**found.extra, "validate": found.kind},
        )


def _git_bytes(settings: Settings, *args: str) -> bytes | None:
    try:
        done = subprocess.run(["git", *args], cwd=settings.root, capture_output=True, check=False)
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def _git(settings: Settings, *args: str) -> str | None:
    out = _git_bytes(settings, *args)
    return out.decode("utf-8", "replace") if out is not None else None


def _git_file(settings: Settings, base: str, rel: str) -> bytes | None:
    """The bytes of *rel* at *base* (None if it has none there), refused above `max-file-bytes`."""
    size = _git(settings, "cat-file", "-s", f"{base}:{rel}")
    if size is None:
        return None
    if int(size) > settings.max_file_bytes:
        raise InputError(
            f"{rel} at {base[:12]}", f"larger than max-file-bytes ({settings.max_file_bytes} bytes); not read"
        )
    return _git_bytes(settings, "show", f"{base}:{rel}")


def default_base(settings: Settings) -> str | None:
    """The merge base with the main branch, if there is one."""
    for branch in ("origin/main", "main", "origin/master", "master"):
        if _git(settings, "rev-parse", "--verify", "--quiet", branch) is not None:
            base = _git(settings, "merge-base", "HEAD", branch)
            if base:
                return base.strip()
    return None


def _unchecked_changelog(settings: Settings, options: CheckOptions) -> Finding | None:
    """A warning when the changelog cannot be compared although it should be, else None (a plain skip).

    An asked-for base missing from the clone, or a shallow clone, is a CI checkout
    without history: the check would otherwise pass without having run.
    """
    shallow = (_git(settings, "rev-parse", "--is-shallow-repository") or "").strip() == "true"
    if options.base is None and not shallow:
        return None
    what = f"the base {options.base!r} is not in this clone" if options.base else "this clone is shallow"
    return _finding(
        "changelog_unchecked",
        f"the changelog check could not run: {what}; fetch the history "
        "(`fetch-depth: 0` with actions/checkout, or `git fetch --unshallow origin`)",
        severity=Severity.WARNING,
    )


def check_changelog(settings: Settings, options: CheckOptions) -> Iterator[Finding]:
    base = options.base or default_base(settings)
    if base is None or _git(settings, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}") is None:
        unchecked = _unchecked_changelog(settings, options)
        if unchecked is None:
            raise SkipCheck("no git base to compare with (pass --base REF)")
        yield unchecked
        return
    schemas_rel = settings.rel(settings.schemas_dir)
    changed = _git(settings, "diff", "--name-status", "--no-renames", base, "--", schemas_rel) or ""
    # Files not yet added to git are changes too (a pre-commit run sees them so).
    untracked = _git(settings, "ls-files", "--others", "--exclude-standard", "--", schemas_rel) or ""
    changed += "".join(f"A\t{rel}\n" for rel in untracked.splitlines())
    try:
        changelog_before = (_git_file(settings, base, settings.changelog) or b"").decode("utf-8", "replace")
        changelog_now = _read_text(settings.changelog_path, settings) if settings.changelog_path.exists() else ""
    except InputError as exc:
        yield _finding("changelog", str(exc), settings.changelog)
        changelog_before = changelog_now = ""
    added_lines = set(changelog_now.splitlines()) - set(changelog_before.splitlines())
    for line in changed.splitlines():
        status, _, rel = line.partition("\t")
        name = Path(rel).name
        if not (name.startswith("r") and name.endswith(".json")) or status == "D":
            if status == "D" and name != INDEX_NAME:
                yield _finding("published_revision_edited", _restore_message(rel, "deleted", base), rel)
            continue
        parts = Path(rel).parts
        event, revision = parts[-2], name[1:-5]
        if status == "M":
            # A CHANGELOG entry does not mend an edited revision; restoring it does.
            yield _finding(
                "published_revision_edited", _restore_message(rel, _edit(settings, base, rel), base), rel, event=event
            )
            continue
        mentioned = any(mentions(text, event, revision) for text in added_lines)
        if not mentioned:
            yield _finding(
                "changelog",
                f"{rel} changed since {base[:12]} but {settings.changelog} has no new entry for "
                f"`{event}` revision {revision}",
                settings.changelog,
                event=event,
            )


def _read_text(path: Path, settings: Settings) -> str:
    return read_file(path, limit=settings.max_file_bytes, source=settings.rel(path)).decode("utf-8", "replace")


def _edit(settings: Settings, base: str, rel: str) -> str:
    """How a published revision was edited: its breaking changes, or why the versions cannot be compared.

    Both versions are untrusted (a pull request may hold anything): one that
    cannot be read as a schema is named, and the check goes on.
    """
    try:
        old_data = _git_file(settings, base, rel)
        old_name = f"{rel} at {base[:12]}"
        old = parse_schema(old_data, old_name) if old_data is not None else {}
        new = parse_schema(read_file(settings.root / rel, limit=settings.max_file_bytes, source=rel), rel)
        breaking = [c.describe() for c in diff_schemas(old, new, sources=(old_name, rel)) if c.breaking]
    except WebhookContractsError as exc:
        return f"edited (cannot compare the edited revision with {base[:12]}: {exc})"
    return f"edited in a breaking way ({'; '.join(breaking)})" if breaking else "edited"


def _restore_message(rel: str, what: str, base: str) -> str:
    return (
        f"{rel}: published revision {what} since {base[:12]}; restore it from git "
        f"(`git checkout {base[:12]} -- {rel}`): published revisions are never edited, a new revision "
        "comes from changed doc pages or OpenAPI document and `webhook-contracts regen`"
    )


def check_drift(settings: Settings, options: CheckOptions) -> Iterator[Finding]:
    """Drift of the captured payloads, baseline applied; only when logs are given."""
    if not options.logs:
        raise SkipCheck("no --logs given")
    from ..drift.baseline import unaccepted
    from ..drift.run import drift_request, run_drift

    report = run_drift(drift_request(settings, options.logs, payload_field=options.payload_field))
    unparseable = report.summary.get("unparseable", {})
    if unparseable.get("count", 0):
        first = (unparseable.get("lines") or [{}])[0]
        yield replace(
            _finding(
                "drift",
                f"{unparseable['count']} line(s) of the logs could not be read (see `drift`)",
                severity=Severity.WARNING,
            ),
            location=Location(first["file"], first.get("line")) if first.get("file") else None,
        )
    yield from unaccepted(report).findings


CHECKS: dict[str, Check] = {
    "schemas": check_schemas,
    "index": check_index,
    "models": check_models,
    "fixtures": check_fixtures,
    "changelog": check_changelog,
    "drift": check_drift,
}


def run_checks(settings: Settings, options: CheckOptions | None = None) -> Report:
    """Run every check not skipped; the summary says which passed, failed or were skipped."""
    options = options or CheckOptions()
    findings: list[Finding] = []
    status: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name in options.skip:
            status[name] = "skipped"
            continue
        found: list[Finding] = []
        try:
            found.extend(f if f.extra.get("check") else _tag(f, name) for f in check(settings, options))
        except SkipCheck as skip:
            status[name] = f"skipped: {skip}"
            continue
        findings.extend(found)
        status[name] = "failed" if any(f.severity >= Severity.WARNING for f in found) else "passed"
    # A finding without a place of its own points at the configuration (code scanning needs a file).
    report = locate(Report("check", tuple(findings), {"checks": status}), settings.config_file or REPOSITORY_CONFIG)
    return report.sorted()


def _tag(finding: Finding, check: str) -> Finding:
    return replace(finding, extra={**finding.extra, "check": check})
