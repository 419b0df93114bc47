"""The versioned registry of contracts under `schemas/`.

Layout: `schemas/<api-version>/<event>/r<N>.json`, one self-contained schema
per contract revision (old revisions stay in the tree), and `schemas/index.json`
listing API versions, events and revisions with file hashes. Event names and
versions are checked against strict patterns before they become paths, and
every path read from the index must be the one the layout prescribes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import msgspec

from ..diff.schemas import FieldSpec
from ..errors import InputError, PublishedRevisionError, RegistryError, SchemaFileError, UnresolvedRefError, UsageError
from ..fsio import MAX_FILE_BYTES, read_file
from ..providers.names import API_VERSION, EVENT_NAME
from ..values.pointer import append_pointer, iter_pointer_nodes, resolve_pointer
from .schemaguard import check_metaschema, check_schema_safety

#: The key of a contract's own metadata (event, API version, sources): not part of the schema a payload meets.
META_KEY = "x-webhook-contracts"

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
    #: Largest schema file read (`max-file-bytes`).
    max_file_bytes: int = MAX_FILE_BYTES

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
        return load_schema_file(self.root / revision.path, strict=strict, limit=self.max_file_bytes)

    def fields(self, revision: Revision) -> dict[str, FieldSpec]:
        """Every field position of a contract (:func:`~..diff.schemas.flatten_schema`), read once; not to be changed."""
        self.load(revision)
        path = self.root / revision.path
        return _load_and_flatten(path.absolute(), _mtime(path), self.max_file_bytes)[1]

    def top_level(self, revision: Revision) -> dict[str, Any]:
        """The top level of a contract: its keys, `required`, `x-documented` and whether it is a map.

        What shape detection compares payloads with, read without checking the
        whole schema (a log holds a few of the events; the contract of each is
        checked when its payloads are checked).
        """
        path = self.root / revision.path
        return _top_level(path.absolute(), _mtime(path), self.max_file_bytes)


def _mtime(path: Path) -> int:
    return path.stat().st_mtime_ns if path.exists() else 0


def load_schema_file(path: Path, *, strict: bool = True, limit: int = MAX_FILE_BYTES) -> dict[str, Any]:
    """Read a schema file; refuse anything that is not a JSON object with local refs only.

    Any schema that could hang or crash a command is refused (see
    :mod:`~webhook_contracts.schemaguard`); *strict* also refuses one that is
    not a valid JSON Schema or has a `$ref` that resolves to nothing. Only a
    regular file of at most *limit* bytes is read.
    """
    load = _load_checked if strict else _load_schema_cached
    return load(path.absolute(), _mtime(path), limit)


@cache
def _load_checked(path: Path, mtime: int, limit: int) -> dict[str, Any]:
    data = _load_schema_cached(path, mtime, limit)
    check_metaschema(data, path)
    check_refs_resolve(data, path)
    return data


#: A JSON object's keys, each value left as raw bytes: read, checked as JSON, but not built into objects.
_KEYS = msgspec.json.Decoder(dict[str, msgspec.Raw])
#: What :meth:`Registry.top_level` reads of a contract.
_TOP_LEVEL_KEYS = ("properties", "required", "x-documented", "additionalProperties")


def _shallow(value: msgspec.Raw) -> Any:
    """A JSON value; an object's values are left raw."""
    try:
        return _KEYS.decode(value)
    except msgspec.ValidationError:  # not an object
        return msgspec.json.decode(value)


@cache
def _top_level(path: Path, _mtime: int, limit: int) -> dict[str, Any]:
    raw = read_file(path, limit=limit, error=SchemaFileError)
    # Every drift run reads the top level of each contract of its API version (the shipped ones: 26 files,
    # 2.2 MB). Parsing them whole took 15-25 ms of its start; msgspec reads the top-level keys and the
    # keys of `properties` in 4 ms, building none of the objects below them (it still checks that the whole
    # file is JSON). A file msgspec refuses is parsed by json, which accepts more (NaN, lone surrogates) and
    # names the place of an error, exactly as before.
    try:
        top = _KEYS.decode(raw)
        data = {key: _shallow(top[key]) for key in _TOP_LEVEL_KEYS if key in top}
    except msgspec.DecodeError:
        data = parse_schema(raw, path)
    props = data.get("properties")
    out: dict[str, Any] = {"properties": {str(k): {} for k in props} if isinstance(props, dict) else {}}
    for key in ("required", "x-documented"):
        if isinstance(data.get(key), list):
            out[key] = [k for k in data[key] if isinstance(k, str)]
    if isinstance(data.get("additionalProperties"), dict):
        out["additionalProperties"] = {}
    return out


def _read_object(path: Path, limit: int) -> dict[str, Any]:
    """A schema file's JSON object (not yet checked)."""
    return parse_schema(read_file(path, limit=limit, error=SchemaFileError), path)


def parse_schema(data: bytes, source: str | Path) -> dict[str, Any]:
    """The JSON object in *data*, the bytes of a schema; :class:`SchemaFileError` naming *source* otherwise."""
    try:
        value = json.loads(data)
    except json.JSONDecodeError as exc:
        raise SchemaFileError(source, f"not valid JSON: {exc.msg}", where=f"{exc.lineno}:{exc.colno}") from exc
    except (ValueError, RecursionError) as exc:  # invalid UTF-8, nesting deeper than the parser goes
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise SchemaFileError(source, f"not valid JSON: {reason}") from exc
    if not isinstance(value, dict):
        raise SchemaFileError(source, "a schema must be a JSON object")
    return value


def _load_schema_cached(path: Path, mtime: int, limit: int) -> dict[str, Any]:
    return _load_and_flatten(path, mtime, limit)[0]


@cache
def _load_and_flatten(path: Path, _mtime: int, limit: int) -> tuple[dict[str, Any], dict[str, FieldSpec]]:
    """A schema file, read and checked, and its fields as :func:`~..diff.schemas.flatten_schema` gives them (the
    safety check flattens it anyway to bound its fan-out; drift compiles from the same mapping)."""
    data = _read_object(path, limit)
    check_local_refs(data, path)
    return data, check_schema_safety(data, path)


def iter_refs(schema: Any) -> Iterator[tuple[str, str, str]]:
    """(JSON Pointer of the object, keyword, target) of every `$ref` and `$dynamicRef` in *schema*."""
    stack: list[tuple[Any, str]] = [(schema, "")]
    while stack:
        node, where = stack.pop()
        # Only objects and arrays are followed (and given a pointer): most values of a schema are text.
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("$ref", "$dynamicRef") and isinstance(value, str):
                    yield where, key, value
                elif isinstance(value, (dict, list)):
                    stack.append((value, append_pointer(where, key)))
        elif isinstance(node, list):
            stack.extend((value, f"{where}/{i}") for i, value in enumerate(node) if isinstance(value, (dict, list)))


def check_local_refs(schema: Any, source: str | Path) -> None:
    """Refuse `$ref`s that leave the document: nothing is ever fetched."""
    for where, keyword, target in iter_refs(schema):
        if not target.startswith("#"):
            raise SchemaFileError(
                source,
                f"$ref {target!r} leaves the schema; only local refs (#/...) are allowed",
                where=f"{where}/{keyword}",
            )


_MISSING = object()


def check_refs_resolve(schema: dict[str, Any], source: str | Path) -> None:
    """Refuse a local `$ref` (or `$dynamicRef`) that points at nothing.

    jsonschema only notices one when a payload reaches it, and the drift walker
    reads it as "any value": a contract with a broken reference would accept
    anything there. A reference resolves within the nearest enclosing `$id`.
    """
    for where, keyword, target in iter_refs(schema):
        base = _resource_of(schema, where)
        fragment = unquote(target[1:])
        if fragment.startswith("/"):
            if resolve_pointer(base, fragment, _MISSING) is not _MISSING:
                continue
            what = "nothing is at that JSON Pointer"
        elif fragment == "" or fragment in _anchors(base):
            continue
        else:
            what = "no $anchor has that name"
        raise UnresolvedRefError(source, f"{keyword} {target!r} does not resolve ({what})", where=f"{where}/{keyword}")


def _resource_of(schema: dict[str, Any], pointer: str) -> Any:
    """The schema resource *pointer* lies in: the nearest object on the way with an `$id`, else the root."""
    base: Any = schema
    for node in iter_pointer_nodes(schema, pointer):
        if isinstance(node, dict) and isinstance(node.get("$id"), str):
            base = node
    return base


def _anchors(schema: Any) -> set[str]:
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found.update(v for k, v in node.items() if k in ("$anchor", "$dynamicAnchor") and isinstance(v, str))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def load_registry(root: Path, *, max_file_bytes: int = MAX_FILE_BYTES) -> Registry:
    """The registry in *root*; an empty one if the folder has no index yet.

    The index and every schema are read only from regular files of at most *max_file_bytes*.
    """
    index_path = root / INDEX_NAME
    if not index_path.exists() and not index_path.is_symlink():
        return Registry(root=root, revisions=(), max_file_bytes=max_file_bytes)
    try:
        index = json.loads(read_file(index_path, limit=max_file_bytes))
    except InputError as exc:
        raise RegistryError(f"{index_path}: cannot read the index: {exc.detail}") from exc
    except (ValueError, RecursionError) as exc:
        raise RegistryError(f"{index_path}: cannot read the index: {exc}") from exc
    return Registry(root=root, revisions=tuple(_parse_index(index, index_path)), max_file_bytes=max_file_bytes)


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
        path = registry.root / rev.path
        if not path.exists() and not path.is_symlink():
            yield rev, "is missing"
            continue
        try:
            data = read_file(path, limit=registry.max_file_bytes)
        except InputError as exc:
            yield rev, f"cannot be read ({exc.detail})"
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
    lines = [
        edited_revision_message(rel(registry.root / rev.path), problem)
        for rev, problem in iter_edited_revisions(registry)
    ]
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
    import hashlib  # only regen and check hash files; drift starts 3-5 ms sooner without OpenSSL

    return hashlib.sha256(data).hexdigest()
