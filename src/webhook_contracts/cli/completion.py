"""Shell completion of event names, API versions and contract references, read from the registry.

click calls these while the shell completes a word; they never fail (a project
without contracts completes nothing) and print nothing.
"""

from __future__ import annotations

from pathlib import Path

import click
from click.shell_completion import CompletionItem

from ..contracts.registry import Registry, bundled_schemas, load_registry


def _registry(ctx: click.Context) -> Registry | None:
    from ..config import load_settings

    try:
        settings = load_settings(ctx.find_root().params.get("root"))
        folder: Path = ctx.params.get("schemas_dir") or settings.schemas_dir
        if not (folder / "index.json").exists():
            folder = bundled_schemas() or folder
        return load_registry(folder, max_file_bytes=settings.max_file_bytes)
    except Exception:
        return None


def complete_events(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The registry's event names that start with *incomplete*."""
    registry = _registry(ctx)
    version = ctx.params.get("api_version")
    events = registry.events(version if registry and version in registry.api_versions() else None) if registry else []
    return [CompletionItem(event) for event in events if event.startswith(incomplete)]


def complete_api_versions(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    registry = _registry(ctx)
    versions = registry.api_versions() if registry else []
    return [CompletionItem(version) for version in versions if version.startswith(incomplete)]


def complete_references(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """`EVENT`, `EVENT@vYYYY-MM-DD` and (after the `@`) `EVENT@vYYYY-MM-DD/rN`, then files."""
    registry = _registry(ctx)
    names: list[str] = []
    for revision in registry.revisions if registry else ():
        reference = f"{revision.event}@{revision.api_version}"
        names += [revision.event, reference] + ([f"{reference}/r{revision.revision}"] if "@" in incomplete else [])
    found = sorted({name for name in names if name.startswith(incomplete)})
    return [CompletionItem(name) for name in found] + [CompletionItem(incomplete, type="file")]
