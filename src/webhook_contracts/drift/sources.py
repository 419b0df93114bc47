"""Inputs as objects: every file, folder, pipe and `-` becomes a :class:`Source` here, in one place.

A source has a name (as the report lists it), a label (as its records name
it), a size (None for a stream), and opens as a binary stream from its start.
A seekable source can also be read by byte range, which is how `--jobs` cuts a
large plain file. A stream (stdin, a named pipe, `<(zcat log.gz)`) is read once,
from its start, and never split.

Whether an input is gzipped is told here, from its first two bytes, for every
kind of source (:func:`is_gzip`, :func:`ungzipped`); whether it is NDJSON or one
JSON document is told by :mod:`.sniff` from the bytes a source hands out.

A URL (`s3://bucket/logs/2026-11-*/*.ndjson.gz`, `https://...`) is read through
fsspec, an optional dependency (the `s3`, `gcs`, `azure` and `http` extras):
a glob names every object it matches, a prefix every log object under it.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import io
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from ..errors import InputError, MissingDependencyError

#: Read size: inputs are read in chunks of this many bytes.
CHUNK = 1 << 20
#: Log files a folder contributes (also when gzipped).
LOG_SUFFIXES = (".json", ".jsonl", ".ndjson", ".log")
STDIN = "-"
GZIP_MAGIC = b"\x1f\x8b"

Progress = Callable[[int], None]


class Source(Protocol):
    """One input to read."""

    @property
    def name(self) -> str:
        """How the input was named (the report's list of inputs)."""

    @property
    def label(self) -> str:
        """The file its records name."""

    @property
    def size(self) -> int | None:
        """Bytes of the input; None for a stream, which is read once and never split."""

    @property
    def ranges(self) -> bool:
        """Whether :meth:`read_range` can start past the beginning (else the input is read whole, once)."""

    def open(self) -> contextlib.AbstractContextManager[BinaryIO]:
        """The input's bytes from its start (closed on leaving, unless the stream is not the source's to close)."""

    def read_range(self, start: int, end: int, progress: Progress | None = None) -> Iterator[bytes]:
        """The bytes [start, end) in chunks of at most :data:`CHUNK` (a seekable source only)."""


@dataclass(frozen=True)
class FileSource:
    """A regular file on this machine."""

    name: str

    @property
    def label(self) -> str:
        return self.name

    @property
    def size(self) -> int:
        try:
            return Path(self.name).stat().st_size
        except OSError as exc:
            raise InputError(self.name, f"cannot read: {exc.strerror or exc}") from exc

    @property
    def ranges(self) -> bool:
        return True

    @contextlib.contextmanager
    def open(self) -> Iterator[BinaryIO]:
        try:
            raw = Path(self.name).open("rb", buffering=CHUNK)  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InputError(self.name, f"cannot read: {exc.strerror or exc}") from exc
        with raw:
            yield raw

    def read_range(self, start: int, end: int, progress: Progress | None = None) -> Iterator[bytes]:
        try:
            f = Path(self.name).open("rb", buffering=0)  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InputError(self.name, f"cannot read: {exc.strerror or exc}") from exc
        with f:
            yield from read_span(f, start, end, progress)


@dataclass(frozen=True)
class StreamSource:
    """Stdin, a named pipe or a process substitution: read once, from its start."""

    name: str
    #: The stream itself (stdin); None: open :attr:`name`.
    stream: BinaryIO | None = None

    @property
    def label(self) -> str:
        return "<stdin>" if self.name == STDIN else self.name

    @property
    def size(self) -> None:
        return None

    @property
    def ranges(self) -> bool:
        return False

    @contextlib.contextmanager
    def open(self) -> Iterator[BinaryIO]:
        if self.stream is not None:  # not ours to close
            yield self.stream if hasattr(self.stream, "peek") else io.BufferedReader(self.stream, CHUNK)  # type: ignore[type-var]
            return
        if self.name == STDIN:
            raise InputError(self.label, "no standard input to read")
        with FileSource(self.name).open() as raw:
            yield raw

    def read_range(self, start: int, end: int, progress: Progress | None = None) -> Iterator[bytes]:
        raise InputError(self.label, "a stream is read once, from its start")


@dataclass(frozen=True)
class UrlSource:
    """An object anywhere fsspec reaches (`s3://`, `gs://`, `az://`, `http(s)://`, `file://`).

    The store's own client reads it, with its credentials found the usual way
    for that store (environment, config files, instance roles); a URL source
    travels to other processes as its URL. An object whose size the store does
    not tell (an HTTP response without a length) is read once, as a stream.

    An HTTP server that answers no range requests (many do not) has its
    objects read whole, once, in one streamed response, whatever `--jobs` says.
    """

    name: str
    length: int | None

    @property
    def label(self) -> str:
        return self.name

    @property
    def size(self) -> int | None:
        return self.length

    @functools.cached_property
    def ranges(self) -> bool:
        """Whether the store serves byte ranges; asked of an HTTP server once, with a range of one byte."""
        if not _is_http(self.name):
            return True  # object stores always do
        fs, path = _filesystem(self.name)
        try:
            with fs.open(path, "rb", block_size=1) as f:
                f.seek(1)
                f.read(1)
        except ValueError:  # fsspec: "The HTTP server doesn't appear to support range requests"
            return False
        except OSError as exc:
            raise InputError(self.name, f"cannot read: {exc.strerror or exc}") from exc
        return True

    @contextlib.contextmanager
    def open(self) -> Iterator[BinaryIO]:
        fs, path = _filesystem(self.name)
        # A server that serves no ranges is read in one streamed response (not seekable, and never split);
        # every other store in blocks, which a task of a byte range seeks into.
        block = 0 if _is_http(self.name) and not self.ranges else _URL_BLOCK
        try:
            handle = fs.open(path, "rb", block_size=block)
        except OSError as exc:
            raise InputError(self.name, f"cannot read: {exc.strerror or exc}") from exc
        with handle, io.BufferedReader(handle, CHUNK) as raw:
            yield raw

    def read_range(self, start: int, end: int, progress: Progress | None = None) -> Iterator[bytes]:
        if start > 0 and not self.ranges:
            raise InputError(self.name, "the server serves no byte ranges: the object is read from its start")
        with self.open() as f:
            yield from read_span(f, start, end, progress)


#: Bytes a URL source fetches per request (its reads ahead).
_URL_BLOCK = 8 * CHUNK
#: The extra that installs the client of each store, by URL scheme.
EXTRAS = {
    "s3": "s3",
    "s3a": "s3",
    "gs": "gcs",
    "gcs": "gcs",
    "az": "azure",
    "abfs": "azure",
    "abfss": "azure",
    "http": "http",
    "https": "http",
}


def is_url(name: str) -> bool:
    """Whether input *name* is a URL (`scheme://...`), read through fsspec."""
    scheme, sep, _ = name.partition("://")
    return bool(sep) and scheme.isascii() and scheme.replace("+", "").replace("-", "").isalnum() and len(scheme) > 1


def _filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem of *url* and the path in it; a missing client says which extra installs it."""
    scheme = url.partition("://")[0].lower()
    extra = EXTRAS.get(scheme, "s3")
    try:
        from fsspec.core import url_to_fs
    except ImportError as exc:
        raise MissingDependencyError(
            f"{url}: reading URLs needs fsspec: pip install 'webhook-contracts[{extra}]'"
        ) from exc
    try:
        return url_to_fs(url)  # type: ignore[no-any-return]
    except ImportError as exc:
        raise MissingDependencyError(
            f"{url}: reading {scheme}:// needs its client: pip install 'webhook-contracts[{extra}]'"
        ) from exc
    except ValueError as exc:
        raise InputError(url, f"not a URL this tool can read ({exc})") from exc


def _is_http(url: str) -> bool:
    return url.partition("://")[0].lower() in ("http", "https")


def url_sources(url: str) -> list[Source]:
    """The objects *url* names: one object, every log object under a prefix (sorted), or a glob's matches.

    Over HTTP a prefix ends with `/` (its page lists the objects); any other URL
    is one object (fsspec would find out by downloading it whole).
    """
    fs, path = _filesystem(url)
    try:
        if any(c in path for c in "*?["):
            found = {p: info for p, info in fs.glob(path, detail=True).items() if info.get("type") != "directory"}
            if not found:
                raise InputError(url, "no objects match this pattern")
        elif path.endswith("/") if _is_http(url) else fs.isdir(path):
            found = {
                p: info
                for p, info in fs.find(path, detail=True).items()
                if is_log_name(p.rsplit("/", 1)[-1]) and not p.rsplit("/", 1)[-1].startswith(".")
            }
            if not found:
                raise InputError(url, f"no log objects ({', '.join(LOG_SUFFIXES)}, also .gz) under this prefix")
        else:
            found = {path: fs.info(path)}
    except FileNotFoundError as exc:
        raise InputError(url, "no such object") from exc
    except OSError as exc:
        raise InputError(url, f"cannot list: {exc.strerror or exc}") from exc
    sizes = {p: found[p].get("size") for p in found}
    return [UrlSource(fs.unstrip_protocol(p), None if sizes[p] is None else int(sizes[p])) for p in sorted(found)]


def read_span(f: BinaryIO, start: int, end: int, progress: Progress | None) -> Iterator[bytes]:
    """Bytes [start, end) of *f*, just opened, in chunks (*f* need not be seekable when *start* is 0)."""
    if start:
        f.seek(start)
    left = end - start
    while left > 0:
        chunk = f.read(min(CHUNK, left))
        if not chunk:
            break
        left -= len(chunk)
        if progress is not None:
            progress(len(chunk))
        yield chunk


def build_sources(names: Iterable[str], stdin: BinaryIO | None = None) -> list[Source]:
    """The inputs to read: `-` (*stdin*), files and pipes as given, every log file in a folder (sorted), and the
    objects a URL names (:func:`url_sources`)."""
    out: list[Source] = []
    for name in names:
        if name == STDIN:
            out.append(StreamSource(name, stdin))
            continue
        if is_url(name):
            out.extend(url_sources(name))
            continue
        path = Path(name)
        if path.is_dir():
            found = sorted(
                p.as_posix()
                for p in path.rglob("*")
                if p.is_file() and is_log_name(p.name) and not p.name.startswith(".")
            )
            if not found:
                raise InputError(name, f"no log files ({', '.join(LOG_SUFFIXES)}, also .gz) in this folder")
            out.extend(FileSource(p) for p in found)
        elif is_stream(name):
            out.append(StreamSource(name))
        elif path.is_file():
            out.append(FileSource(name))
        else:
            raise InputError(name, "not a file, folder or pipe" if path.exists() else "no such file or folder")
    return out


def as_sources(inputs: Iterable[Source | str], stdin: BinaryIO | None = None) -> list[Source]:
    """*inputs*, names among them made sources as they are given (a folder is not expanded)."""
    return [
        (StreamSource(item, stdin) if is_stream(item) else FileSource(item)) if isinstance(item, str) else item
        for item in inputs
    ]


def is_stream(name: str) -> bool:
    """Whether input *name* is read as a stream: stdin, a named pipe, `<(zcat log.gz)` (`/dev/fd/N`), a device."""
    if name == STDIN:
        return True
    try:
        mode = Path(name).stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def is_log_name(name: str) -> bool:
    return name.removesuffix(".gz").endswith(LOG_SUFFIXES)


def is_gzip(source: Source) -> bool:
    """Whether the seekable *source* is gzipped (its first two bytes)."""
    with source.open() as raw:
        return raw.read(2) == GZIP_MAGIC


def ungzipped(raw: BinaryIO) -> BinaryIO:
    """*raw* (a stream that can peek), or a gzip reader over it when it starts with the gzip magic bytes."""
    if raw.peek(2)[:2] == GZIP_MAGIC:  # type: ignore[attr-defined]
        return gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[return-value]
    return raw
