"""Rebuild contracts, index, models and CHANGELOG from the doc pages.

:func:`plan_regen` computes, without touching the disk, every file the tree
should hold: a new revision for each event whose contract changed (old
revisions are never rewritten), the index, the models and CHANGELOG entries.
:func:`apply_plan` writes that plan as one transaction. `regen --check` is
the plan compared with the disk.
"""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import fsio
from ..config import Settings
from ..diff.schemas import diff_schemas
from ..errors import DocPageError, InputError, ProviderSpecError, RegistryError
from ..providers import Provider
from .build import Disagreement, build_contracts
from .changelog import ContractEntry, add_entries
from .codegen import generate_models, is_generated, require_generator
from .docpage import DocPage
from .openapi import ProviderSpec, is_provider_spec, read_provider_spec
from .registry import (
    INDEX_NAME,
    META_KEY,
    Registry,
    Revision,
    build_index,
    check_published,
    contract_part,
    dump_json,
    load_registry,
    revision_path,
    sha256,
)

PAGE_SUFFIXES = (".txt", ".md", ".html", ".htm")


@dataclass(frozen=True)
class RegenPlan:
    """Everything `regen` would write, and how it differs from the disk."""

    files: dict[str, bytes | None]
    stale: tuple[str, ...]
    entries: tuple[ContractEntry, ...]
    disagreements: dict[str, tuple[Disagreement, ...]]
    warnings: tuple[str, ...]

    @property
    def changes(self) -> dict[str, bytes | None]:
        return {path: self.files[path] for path in self.stale}


def iter_doc_pages(settings: Settings) -> Iterator[Path]:
    """Doc pages: files under an API version folder (`vYYYY-MM-DD`) below the docs folder.

    A provider without doc pages has none.
    """
    docs = settings.docs_dir
    if not docs.is_dir() or settings.provider.read_doc_page is None:
        return
    for path in sorted(docs.rglob("*")):
        if (
            path.is_file()
            and path.suffix.lower() in PAGE_SUFFIXES
            and settings.provider.api_version.fullmatch(path.parent.name)
            and not path.name.startswith(".")
        ):
            yield path


def iter_provider_specs(settings: Settings) -> Iterator[Path]:
    """Provider OpenAPI documents: `.json` files with an `openapi` key under an API version folder."""
    docs = settings.docs_dir
    if not docs.is_dir():
        return
    versions = settings.provider.api_version
    for path in sorted(docs.rglob("*.json")):
        if versions.fullmatch(path.parent.name) and not path.name.startswith(".") and is_provider_spec(path):
            yield path


def read_specs(settings: Settings, pages: dict[str, list[DocPage]]) -> dict[str, ProviderSpec]:
    """{api_version: the provider's OpenAPI document of that version}, normalised."""
    out: dict[str, ProviderSpec] = {}
    for path in iter_provider_specs(settings):
        version = path.parent.name
        source = settings.rel(path)
        always = [p.event for p in pages.get(version, [])]
        spec = read_provider_spec(
            path,
            provider=settings.provider,
            source=source,
            events=settings.events,
            always=always,
            limit=settings.max_file_bytes,
        )
        if spec.api_version != version:
            raise ProviderSpecError(
                source, f"info.version says {spec.api_version}, the folder says {version}", where="/info/version"
            )
        if version in out:
            raise ProviderSpecError(source, f"a second OpenAPI document for {version} (first: {out[version].source})")
        out[version] = spec
    return out


def build_version(
    api_version: str, pages: list[DocPage], spec: ProviderSpec | None, provider: Provider
) -> tuple[dict[str, dict[str, Any]], tuple[Disagreement, ...]]:
    """The contracts of one API version: reconciled with the OpenAPI document when there is one."""
    if spec is None:
        built = build_contracts(pages, provider=provider)
        return built.schemas, built.disagreements
    from .reconcile import reconcile

    result = reconcile(spec, pages, provider=provider)
    return result.schemas, result.disagreements


def read_pages(settings: Settings, *, allow_none: bool = False) -> dict[str, list[DocPage]]:
    """{api_version: pages}; two pages documenting one event is an error."""
    by_version: dict[str, list[DocPage]] = defaultdict(list)
    for path in iter_doc_pages(settings):
        page = settings.provider.doc_page_reader(path)(path)
        page = dataclasses.replace(page, source=settings.rel(path))
        clash = next((p for p in by_version[page.api_version] if p.event == page.event), None)
        if clash is not None:
            raise DocPageError(page.source, f"documents {page.event} again (already read from {clash.source})")
        by_version[page.api_version].append(page)
    if not by_version and not allow_none:
        form = settings.provider.api_version_form
        raise DocPageError(settings.docs_dir, f"no doc pages found (expected <docs>/<provider>/{form}/<page>.txt)")
    return dict(by_version)


def plan_regen(settings: Settings) -> RegenPlan:
    """What `regen` would write; reads the disk, changes nothing."""
    require_generator()  # before reading anything: a missing generator is said at once
    if fsio.pending(settings.root):
        raise RegistryError(
            f"{settings.root / fsio.STATE_DIR}: an interrupted regen left files half-replaced; "
            "run `webhook-contracts regen` to roll them back"
        )
    registry = load_registry(settings.schemas_dir, max_file_bytes=settings.max_file_bytes)
    check_published(registry, settings.rel)
    pages = read_pages(settings, allow_none=True)
    specs = read_specs(settings, pages)
    if not pages and not specs:
        raise DocPageError(settings.docs_dir, _nothing_found(settings))
    revisions = list(registry.revisions)
    files: dict[str, bytes | None] = {}
    entries: list[ContractEntry] = []
    disagreements: dict[str, tuple[Disagreement, ...]] = {}
    warnings = [f"{p.source}: {w}" for ps in pages.values() for p in ps for w in p.warnings]
    schemas_rel = settings.schemas.rstrip("/")
    for api_version in sorted(pages.keys() | specs.keys()):
        version_pages = pages.get(api_version, [])
        schemas, disagreements[api_version] = build_version(
            api_version, version_pages, specs.get(api_version), settings.provider
        )
        for event, schema in schemas.items():
            history = registry.history(event, api_version)
            previous = registry.load(history[-1], strict=False) if history else None
            if previous is not None and contract_part(previous) == contract_part(schema):
                continue
            number = history[-1].revision + 1 if history else 1
            schema[META_KEY]["revision"] = number
            data = dump_json(schema)
            files[f"{schemas_rel}/{revision_path(api_version, event, number)}"] = data
            revisions.append(Revision(api_version, event, number, sha256(data), schema[META_KEY]["source"]))
            changes = tuple(diff_schemas(contract_part(previous), contract_part(schema))) if previous else ()
            entries.append(ContractEntry(event, api_version, number, changes, len(schema.get("properties", {}))))
    files[f"{schemas_rel}/{INDEX_NAME}"] = dump_json(build_index(revisions))
    files.update(_model_files(settings, registry, revisions, files))
    if entries:
        changelog = settings.changelog_path
        text = _read_text(changelog, settings) if changelog.exists() else ""
        files[settings.changelog] = add_entries(text, entries).encode("utf-8")
    stale = tuple(sorted(path for path, data in files.items() if _differs(settings.root / path, data, settings)))
    return RegenPlan(files, stale, tuple(entries), disagreements, tuple(warnings))


def _nothing_found(settings: Settings) -> str:
    form = settings.provider.api_version_form
    if settings.provider.read_doc_page is None:
        return f"no provider OpenAPI document found (expected <docs>/<provider>/{form}/<document>.json)"
    return (
        f"no doc pages or provider OpenAPI documents found "
        f"(expected <docs>/<provider>/{form}/<page>.txt or <document>.json)"
    )


def _model_files(
    settings: Settings, registry: Registry, revisions: list[Revision], pending: dict[str, bytes | None]
) -> dict[str, bytes | None]:
    latest: dict[tuple[str, str], Revision] = {}
    for rev in sorted(revisions):
        latest[(rev.api_version, rev.event)] = rev
    schemas: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    schemas_rel = settings.schemas.rstrip("/")
    for (api_version, event), rev in latest.items():
        staged = pending.get(f"{schemas_rel}/{rev.path}")
        if staged is not None:
            schemas[api_version][event] = json.loads(staged)
        else:
            schemas[api_version][event] = registry.load(rev, strict=False)
    numbers = {key: rev.revision for key, rev in latest.items()}
    generated = generate_models(dict(schemas), settings.package, numbers)
    prefix = f"{settings.contracts.rstrip('/')}/{settings.package}"
    out: dict[str, bytes | None] = {f"{prefix}/{name}": code.encode("utf-8") for name, code in generated.items()}
    # Generated modules that are no longer produced are deleted (never hand-written ones).
    if settings.package_dir.is_dir():
        for path in sorted(settings.package_dir.rglob("*.py")):
            rel = f"{prefix}/{path.relative_to(settings.package_dir).as_posix()}"
            if rel not in out and is_generated(_read(path, settings).decode("utf-8", "replace")):
                out[rel] = None
    return out


def _read(path: Path, settings: Settings) -> bytes:
    """A file of the project: only a regular file of at most `max-file-bytes`."""
    return fsio.read_file(path, limit=settings.max_file_bytes, source=settings.rel(path))


def _read_text(path: Path, settings: Settings) -> str:
    try:
        return _read(path, settings).decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = exc.object[exc.start]
        raise InputError(settings.rel(path), f"not UTF-8 (byte 0x{byte:02x} at offset {exc.start})") from exc


def _differs(path: Path, data: bytes | None, settings: Settings) -> bool:
    if data is None:
        return path.exists()
    if not path.exists():
        return True
    return _read(path, settings) != data


def regen(settings: Settings, *, fault: fsio.Fault | None = None) -> RegenPlan:
    """Plan and write the stale files as one transaction, under the project lock."""
    with fsio.locked(settings.root):
        fsio.recover(settings.root)
        plan = plan_regen(settings)
        fsio.apply_changes(settings.root, plan.changes, fault=fault, lock=False)
    return plan
