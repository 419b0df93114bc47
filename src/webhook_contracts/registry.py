"""The versioned registry of contracts under `schemas/`.

Layout: `schemas/<api-version>/<event>/r<N>.json`, one self-contained schema
per contract revision (old revisions stay in the tree), and `schemas/index.json`
listing API versions, events and revisions with file hashes. Event names and
versions are checked against strict patterns before they become paths, and
every path read from the index must be the one the layout prescribes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .contract import META_KEY
from .docpage import API_VERSION, EVENT_NAME
from .errors import PublishedRevisionError, RegistryError, SchemaFileError, UsageError
from .inference import escape_pointer
from .schemaguard import check_metaschema, check_schema_safety

INDEX_NAME = "index.json"
INDEX_FORMAT = 1


@dataclass(frozen=True, order=True)
class Revision:
    """One published contract revision."""

    api_version: str
    event: str
    revision: int
    sha256: str
    #: The doc page it was generated from: page path, its sha256, last-modified date.
    source: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def path(self) -> str:
        return revision_path(self.api_version, self.event, self.revision)

    @property
    def label(self) -> str:
        return f"{self.event}@{self.api_version}/r{self.revision}"


def revision_path(api_version: str, event: str, revision: int) -> str:
    """Where revision *revision* of *event* lives, relative to the schemas folder."""
    if not API_VERSION.fullmatch(api_version):
        raise RegistryError(f"not an API version: {api_version!r}")
    if not EVENT_NAME.fullmatch(event):
        raise RegistryError(f"not an event name: {event!r}")
    return f"{api_version}/{event}/r{revision}.json"


def dump_json(value: Any) -> bytes:
    """The one JSON style of every file the toolkit writes: sorted, indented, LF."""
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def contract_part(schema: dict[str, Any]) -> dict[str, Any]:
    """A schema without its provenance block: what decides whether a contract changed."""
    return {k: v for k, v in schema.items() if k != META_KEY}


@dataclass(frozen=True)
class Registry:
    """The contracts in one schemas folder."""

    root: Path
    revisions: tuple[Revision, ...]

    def api_versions(self) -> list[str]:
        return sorted({r.api_version for r in self.revisions})

    def require_api_version(self, api_version: str | None) -> None:
        """Refuse an API version the contracts do not have, naming the known ones (None: any)."""
        if api_version is not None and api_version not in self.api_versions():
            known = ", ".join(self.api_versions()) or "none"
            raise UsageError(f"no contracts for API version {api_version!r} (known: {known})")

    def events(self, api_version: str | None = None) -> list[str]:
        return sorted({r.event for r in self.revisions if api_version in (None, r.api_version)})

    def history(self, event: str, api_version: str) -> list[Revision]:
        return sorted(r for r in self.revisions if r.event == event and r.api_version == api_version)

    def latest(self, event: str, api_version: str | None = None) -> Revision:
        version = api_version or self.latest_api_version(event)
        history = self.history(event, version)
        if not history:
            known = ", ".join(self.events(version)) or "none"
            raise RegistryError(f"no contract for {event} in API version {version} (known: {known})")
        return history[-1]

    def latest_api_version(self, event: str | None = None) -> str:
        versions = sorted({r.api_version for r in self.revisions if event in (None, r.event)})
        if not versions:
            which = f" for {event}" if event else ""
            raise RegistryError(f"{self.root}: no contracts{which}; run `webhook-contracts regen`")
        return versions[-1]

    def find(self, event: str, api_version: str, revision: int) -> Revision:
        for rev in self.history(event, api_version):
            if rev.revision == revision:
                return rev
        raise RegistryError(f"no revision {revision} of {event} in API version {api_version}")

    def load(self, revision: Revision, *, strict: bool = True) -> dict[str, Any]:
        return load_schema_file(self.root / revision.path, strict=strict)

    def top_level(self, revision: Revision) -> dict[str, Any]:
        """The top level of a contract: its keys, `required`, `x-documented` and whether it is a map.

        What shape detection compares payloads with, read without checking the
        whole schema (a log holds a few of the events; the contract of each is
        checked when its payloads are checked).
        """
        path = self.root / revision.path
        return _top_level(path.resolve(), path.stat().st_mtime_ns if path.exists() else 0)


def load_schema_file(path: Path, *, strict: bool = True) -> dict[str, Any]:
    """Read a schema file; refuse anything that is not a JSON object with local refs only.

    Any schema that could hang or crash a command is refused (see
    :mod:`~webhook_contracts.schemaguard`); *strict* also refuses one that is
    not a valid JSON Schema.
    """
    load = _load_checked if strict else _load_schema_cached
    return load(path.resolve(), path.stat().st_mtime_ns if path.exists() else 0)


@cache
def _load_checked(path: Path, mtime: int) -> dict[str, Any]:
    data = _load_schema_cached(path, mtime)
    check_metaschema(data, path)
    return data


@cache
def _top_level(path: Path, _mtime: int) -> dict[str, Any]:
    data = _read_object(path)
    props = data.get("properties")
    out: dict[str, Any] = {"properties": {str(k): {} for k in props} if isinstance(props, dict) else {}}
    for key in ("required", "x-documented"):
        if isinstance(data.get(key), list):
            out[key] = [k for k in data[key] if isinstance(k, str)]
    if isinstance(data.get("additionalProperties"), dict):
        out["additionalProperties"] = {}
    return out


def _read_object(path: Path) -> dict[str, Any]:
    """A schema file's JSON object (not yet checked)."""
    try:
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise SchemaFileError(path, f"cannot read: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise SchemaFileError(path, f"not valid JSON: {exc.msg}", where=f"{exc.lineno}:{exc.colno}") from exc
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise SchemaFileError(path, f"not valid JSON: {reason}") from exc
    if not isinstance(data, dict):
        raise SchemaFileError(path, "a schema must be a JSON object")
    return data


@cache
def _load_schema_cached(path: Path, _mtime: int) -> dict[str, Any]:
    data = _read_object(path)
    check_local_refs(data, path)
    check_schema_safety(data, path)
    return data


def iter_refs(schema: Any) -> Iterator[tuple[str, str, str]]:
    """(JSON Pointer of the object, keyword, target) of every `$ref` and `$dynamicRef` in *schema*."""
    stack: list[tuple[Any, str]] = [(schema, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                    yield where, key, value
                stack.append((value, f"{where}/{escape_pointer(str(key))}"))
        elif isinstance(node, list):
            stack.extend((value, f"{where}/{i}") for i, value in enumerate(node))


def check_local_refs(schema: Any, source: str | Path) -> None:
    """Refuse `$ref`s that leave the document: nothing is ever fetched."""
    for where, keyword, target in iter_refs(schema):
        if not target.startswith("#"):
            raise SchemaFileError(
                source, f"$ref {target!r} leaves the schema; only local refs (#/...) are allowed",
                where=f"{where}/{keyword}",
            )


def load_registry(root: Path) -> Registry:
    """The registry in *root*; an empty one if the folder has no index yet."""
    index_path = root / INDEX_NAME
    if not index_path.exists():
        return Registry(root=root, revisions=())
    try:
        index = json.loads(index_path.read_bytes())
    except (OSError, ValueError) as exc:
        raise RegistryError(f"{index_path}: cannot read the index: {exc}") from exc
    return Registry(root=root, revisions=tuple(_parse_index(index, index_path)))


def bundled_schemas() -> Path | None:
    """The schemas shipped inside an installed wheel, if any."""
    candidate = resources.files("webhook_contracts") / "_bundled" / "schemas"
    path = Path(str(candidate))
    return path if (path / INDEX_NAME).exists() else None


def _parse_index(index: Any, where: Path) -> list[Revision]:
    if not isinstance(index, dict) or index.get("format") != INDEX_FORMAT:
        raise RegistryError(f"{where}: not a webhook-contracts index (format {INDEX_FORMAT})")
    out: list[Revision] = []
    versions = index.get("api_versions")
    if not isinstance(versions, dict):
        raise RegistryError(f"{where}: 'api_versions' must be an object")
    for version, events in versions.items():
        if not isinstance(events, dict):
            raise RegistryError(f"{where}: /api_versions/{version} must be an object")
        for event, entry in events.items():
            revisions = entry.get("revisions") if isinstance(entry, dict) else None
            if not isinstance(revisions, list):
                raise RegistryError(f"{where}: /api_versions/{version}/{event}/revisions must be a list")
            for item in revisions:
                try:
                    rev = Revision(version, event, int(item["revision"]), str(item["sha256"]), dict(item["source"]))
                    expected = revision_path(version, event, rev.revision)
                except (KeyError, TypeError, ValueError) as exc:
                    raise RegistryError(f"{where}: bad revision entry under {version}/{event}: {exc}") from exc
                if item.get("path") != expected:
                    raise RegistryError(f"{where}: {version}/{event} r{rev.revision} must live at {expected}")
                out.append(rev)
    return out


def iter_edited_revisions(registry: Registry) -> Iterator[tuple[Revision, str]]:
    """(revision, what is wrong) for each published revision whose file is missing or differs from the index."""
    for rev in registry.revisions:
        try:
            data = (registry.root / rev.path).read_bytes()
        except FileNotFoundError:
            yield rev, "is missing"
            continue
        if sha256(data) != rev.sha256:
            yield rev, "differs from the hash the index records"


def edited_revision_message(rel: str, problem: str) -> str:
    """What to do about a published revision that is missing or was edited: restore it, never rebuild on it."""
    return (
        f"{rel}: published revision {problem}; restore it from git (`git checkout -- {rel}`): published "
        "revisions are never edited, a new revision comes from changed doc pages or OpenAPI document "
        "and `webhook-contracts regen`"
    )


def check_published(registry: Registry, rel: Callable[[Path], str]) -> None:
    """Refuse to build on published revisions that differ from the index: one line per file."""
    lines = [edited_revision_message(rel(registry.root / rev.path), problem)
             for rev, problem in iter_edited_revisions(registry)]
    if lines:
        raise PublishedRevisionError("\n".join(lines))


def build_index(revisions: list[Revision]) -> dict[str, Any]:
    versions: dict[str, dict[str, Any]] = {}
    for rev in sorted(revisions):
        entry = versions.setdefault(rev.api_version, {}).setdefault(rev.event, {"revisions": []})
        entry["latest"] = rev.revision
        entry["revisions"].append(
            {"revision": rev.revision, "path": rev.path, "sha256": rev.sha256, "source": rev.source}
        )
    return {"format": INDEX_FORMAT, "api_versions": versions}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
