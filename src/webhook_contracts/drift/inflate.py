"""Gzip inflated by a second thread while the first scans, in large steps, with bounded memory.

zlib releases the GIL while it inflates, so a second thread inflating ahead
of the scanner (at most :data:`_QUEUE_CHUNKS` chunks ahead) hides most of
gzip's cost. When python-isal is installed (the `fast` extra), its inflater
(ISA-L, about twice zlib's speed) does the work; it inflates the same bytes,
and a broken stream is still explained by the standard reader, so reports are
the same with either. A stream that breaks off hands out everything it could
inflate first, then the error, which the scanning thread raises.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import queue
import threading
import zlib
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from . import sources
from .sources import Progress, Source

#: Set to "0" to inflate with zlib even when python-isal is installed (the reports are the same).
ENV = "WEBHOOK_CONTRACTS_ISAL"


def inflater_module() -> ModuleType:
    """The module whose `decompressobj` inflates: python-isal's `isal_zlib` when installed, else `zlib`."""
    if os.environ.get(ENV, "1").strip() != "0":
        try:
            from isal import isal_zlib
        except ImportError:
            pass
        else:
            return isal_zlib
    return zlib


#: Inflated chunks the gzip thread may hold ahead of the scanner (bounded memory).
_QUEUE_CHUNKS = 8
#: What a broken gzip stream raises.
GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


@contextlib.contextmanager
def inflating(source: Source, progress: Progress | None) -> Iterator[Iterator[bytes]]:
    """The inflated chunks of the gzip *source*, inflated by a thread that ends when the block is left;
    *progress* gets the compressed bytes read."""
    chunks: queue.Queue[bytes | BaseException | None] = queue.Queue(_QUEUE_CHUNKS)
    stop = threading.Event()
    reader = threading.Thread(target=_inflate, args=(source, chunks, stop, progress), daemon=True)
    reader.start()
    try:
        yield _drain(chunks)
    finally:
        stop.set()
        with contextlib.suppress(queue.Empty):
            chunks.get_nowait()
        reader.join()


def _drain(chunks: queue.Queue[bytes | BaseException | None]) -> Iterator[bytes]:
    while True:
        item = chunks.get()
        if item is None:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


#: Inflated bytes per step of the gzip thread. zlib releases the GIL while it
#: inflates, but the thread needs it back after every step; `gzip.GzipFile` steps
#: in about 128 KiB of input, so against a busy scanning thread each hand-over
#: (up to the 5 ms switch interval) made the scanner wait for its input.
_INFLATE_STEP = 4 * sources.CHUNK


def _inflate(
    source: Source,
    chunks: queue.Queue[bytes | BaseException | None],
    stop: threading.Event,
    progress: Progress | None,
) -> None:
    """Thread body: put the inflated chunks of *source* on *chunks*, then None (or the error)."""
    try:
        try:
            _inflate_steps(source, chunks, stop, progress)
        except (EOFError, zlib.error) as exc:
            # zlib drops the output of the step that fails (a bad CRC fails the
            # last one); the standard reader hands out everything it can first.
            _inflate_rest(source, chunks, stop, exc.args[-1] if isinstance(exc.args[-1], int) else 0)
        _put(chunks, None, stop)
    except BaseException as exc:  # handed to the scanning thread, which raises it
        _put(chunks, exc, stop)


def _inflate_steps(
    source: Source,
    chunks: queue.Queue[bytes | BaseException | None],
    stop: threading.Event,
    progress: Progress | None,
) -> None:
    """Inflate in large steps; a stream error is raised with the bytes handed out so far as its last arg."""
    emitted = 0
    module = inflater_module()
    errors: tuple[type[BaseException], ...] = (zlib.error, module.error)
    with source.open() as raw:
        inflater: Any = module.decompressobj(wbits=31)
        pending = b""
        while not stop.is_set():
            if not pending:
                pending = raw.read(sources.CHUNK)
                if not pending:
                    break
                if progress is not None:
                    progress(len(pending))
            if inflater.eof:  # another gzip member follows (concatenated .gz files)
                if not pending.strip(b"\0"):
                    pending = b""
                    continue
                inflater = module.decompressobj(wbits=31)
            try:
                chunk = inflater.decompress(pending, _INFLATE_STEP)
            except errors as exc:
                raise zlib.error(str(exc), emitted) from exc
            pending = inflater.unconsumed_tail or inflater.unused_data
            if chunk:
                emitted += len(chunk)
                _put(chunks, chunk, stop)
        if not stop.is_set() and not inflater.eof:
            raise EOFError("stream ends early", emitted)


def _inflate_rest(
    source: Source,
    chunks: queue.Queue[bytes | BaseException | None],
    stop: threading.Event,
    emitted: int,
) -> None:
    """Inflate with the standard reader from byte *emitted* on, so its errors come after all it could read."""
    with source.open() as raw, gzip.GzipFile(fileobj=raw, mode="rb") as stream:
        while emitted > 0:
            skipped = len(stream.read(min(emitted, sources.CHUNK)))
            if not skipped:
                return
            emitted -= skipped
        while not stop.is_set() and (chunk := stream.read1(sources.CHUNK)):
            _put(chunks, chunk, stop)


def _put(
    chunks: queue.Queue[bytes | BaseException | None], item: bytes | BaseException | None, stop: threading.Event
) -> None:
    while not stop.is_set():
        try:
            chunks.put(item, timeout=0.1)
            return
        except queue.Full:
            continue
