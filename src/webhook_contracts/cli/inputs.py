"""What the commands read besides logs: the contracts folder, and one payload file or stdin."""

from __future__ import annotations

from pathlib import Path

from ..config import Settings
from ..contracts.registry import Registry, bundled_schemas, load_registry
from ..errors import PayloadError
from .terminal import stdin_bytes


def contracts_folder(settings: Settings, schemas_dir: Path | None) -> Path:
    """`--schemas`, else the project's schemas folder, else (without an index there) the bundled contracts."""
    folder = schemas_dir or settings.schemas_dir
    if schemas_dir is None and not (folder / "index.json").exists():
        folder = bundled_schemas() or folder
    return folder


def load_contracts(settings: Settings, schemas_dir: Path | None) -> Registry:
    return load_registry(contracts_folder(settings, schemas_dir), max_file_bytes=settings.max_file_bytes)


def read_input(path: str, limit: int) -> tuple[bytes, str]:
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
