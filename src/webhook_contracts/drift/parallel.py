"""Drift over log files at parsing speed: the gate, byte ranges in parallel, gzip in a thread.

Each NDJSON line goes first through the :class:`~.fastpath.DriftGate`;
the lines it lets through are counted as clean payloads without being parsed
into dicts, every other line takes the detailed path (the records of
:mod:`.records` and :meth:`DriftScanner.add`). With several jobs a plain file
is cut into byte ranges at line ends, each range is scanned by its own process
and the partial scans are merged in input order by :class:`~.partials.Partial`,
line numbers shifted, so the report is the one a single job gives. A gzip file
is inflated by a second thread while the first scans (:mod:`.inflate`). JSON documents and streams (stdin, named pipes)
are read by :func:`~.records.iter_file_records` in one job, and neither is
cut into ranges. Inputs are :class:`~.sources.Source` objects; whether one is
gzipped is told by :mod:`.sources`, whether it is NDJSON or one document by
:mod:`.sniff` from a bounded prefix, the same for every kind of input.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import signal
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from ..contracts.registry import Registry
from ..errors import RegistryError
from ..findings import Report
from . import sources
from .fastpath import DriftGate, Pass
from .inflate import GZIP_ERRORS, inflating
from .lines import LineSplitter
from .native.gate import native_gate
from .options import DriftOptions, check_options
from .partials import Partial
from .records import Record, iter_file_records, line_records
from .scanner import DriftScanner
from .sniff import MAX_LINE_BYTES, SNIFF_LINES, Sniff, Sniffer, TooLong
from .sources import CHUNK, STDIN, Source, as_sources, is_gzip

Progress = Callable[[int], None]
#: Files smaller than this are not cut into ranges: a process costs more than it saves.
MIN_SPLIT = 4 * CHUNK
#: Ranges per job when a file is cut: the workers take them in turn, so one that runs slower (a busier
#: CPU, lines that drift more) takes fewer, and none sits idle while another works through half the file.
RANGES_PER_JOB = 4


@dataclass(frozen=True)
class Reading:
    """How every input is read."""

    payload_field: str | None = None
    max_line: int = MAX_LINE_BYTES
    sniff_lines: int = SNIFF_LINES

    def sniffer(self) -> Sniffer:
        return Sniffer(self.max_line, self.sniff_lines)

    def records(self, source: Source, progress: Progress | None = None) -> Iterator[Record]:
        return iter_file_records(
            source,
            payload_field=self.payload_field,
            progress=progress,
            max_line=self.max_line,
            sniff_lines=self.sniff_lines,
        )

    def sniff(self, source: Source) -> Sniff:
        """How the seekable *source* reads (NDJSON or one document), from its start."""
        with source.open() as raw:
            return self.sniffer().sniff(iter(lambda: raw.read(sources.CHUNK), b""))


@dataclass(frozen=True)
class Task:
    """One input, or the byte range [start, end) of a plain NDJSON file."""

    source: Source
    start: int = 0
    end: int | None = None

    @property
    def size(self) -> int:
        """Bytes of input the task reads (0 for a stream)."""
        end = self.end if self.end is not None else self.source.size
        return 0 if end is None else end - self.start


def scan_files(
    inputs: Sequence[Source | str],
    registry: Registry,
    options: DriftOptions | None = None,
    *,
    payload_field: str | None = None,
    jobs: int = 1,
    stdin: BinaryIO | None = None,
    progress: Progress | None = None,
    max_line: int = MAX_LINE_BYTES,
    sniff_lines: int = SNIFF_LINES,
) -> Report:
    """Scan the *inputs* (as :func:`~.sources.build_sources` gives them; a name stands for its source, `-` for
    *stdin*) for drift."""
    found = as_sources(inputs, stdin)
    scanner = new_scanner(found, registry, options)
    gate = scanner.gate(payload_field)
    reading = Reading(payload_field, max_line, sniff_lines)
    parallel = jobs > 1 and all(source.name != STDIN for source in found)
    tasks = plan(found, reading, parts=jobs * RANGES_PER_JOB if parallel else 1)
    with _without_gc():
        if parallel and len(tasks) > 1:
            _run_parallel(scanner, gate, tasks, reading, jobs, progress)
        else:
            for task in tasks:
                _run(scanner, gate, task, reading, progress)
    return scanner.report()


def new_scanner(inputs: Sequence[Source], registry: Registry, options: DriftOptions | None) -> DriftScanner:
    """The scanner a run of *inputs* fills, its options checked against *registry*."""
    if not registry.revisions:
        raise RegistryError(f"{registry.root}: no contracts; run `webhook-contracts regen`")
    check_options(registry, options or DriftOptions())
    scanner = DriftScanner(registry, options)
    for source in inputs:  # an input with nothing in it is still an input (and named by `nothing_checked`)
        scanner.inputs.setdefault(source.name)
    return scanner


@contextlib.contextmanager
def _without_gc() -> Iterator[None]:
    """Bulk scanning makes no reference cycles; the cyclic collector would only cost time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def plan(
    inputs: Sequence[Source],
    reading: Reading,
    *,
    parts: int = 1,
    partition_bytes: int | None = None,
) -> list[Task]:
    """The tasks that read *inputs*: a plain NDJSON source cut at line starts into *parts* byte ranges of about
    equal size when it has :data:`MIN_SPLIT` bytes or more (or, with *partition_bytes*, into ranges of about
    that size), any other input whole."""
    tasks: list[Task] = []
    for source in inputs:
        size = source.size
        if size is None:  # a stream is read once, from its start: never opened to look ahead
            tasks.append(Task(source))
            continue
        count = parts if partition_bytes is None else -(-size // partition_bytes)
        small = size < MIN_SPLIT if partition_bytes is None else False
        if count <= 1 or small or not source.ranges or is_gzip(source) or reading.sniff(source).document:
            tasks.append(Task(source))
            continue
        cuts = sorted({_line_start(source, size * i // count) for i in range(count)} | {size})
        tasks.extend(Task(source, start, end) for start, end in itertools.pairwise(cuts) if start < end)
    return tasks


def _line_start(source: Source, offset: int) -> int:
    """The first line start at or after *offset*."""
    if offset == 0:
        return 0
    with source.open() as f:
        f.seek(offset - 1)
        while True:
            block = f.read(1 << 16)
            if not block:
                return f.tell()
            found = block.find(b"\n")
            if found >= 0:
                return f.tell() - len(block) + found + 1


def _run(scanner: DriftScanner, gate: DriftGate, task: Task, reading: Reading, progress: Progress | None) -> int:
    """Scan one task into *scanner*; the number of lines read."""
    source = task.source
    size = source.size
    if size is None:
        scanner.feed(reading.records(source, progress))
        return 0
    if task.end is None and is_gzip(source):
        return _scan_gzip(scanner, gate, source, reading, progress)
    if task.start == 0:  # the first (or only) range says how the file reads
        sniffed = reading.sniff(source)
        if sniffed.document:
            scanner.feed(reading.records(source, progress))
            return 0
        if sniffed.note is not None:
            scanner.add(Record(source.label, None, note=sniffed.note))
    end = size if task.end is None else task.end
    splitter = LineSplitter(reading.max_line)
    regions = splitter.regions(source.read_range(task.start, end, progress))
    return _scan_lines(scanner, gate, source.label, regions, reading.payload_field, splitter)


def _scan_lines(
    scanner: DriftScanner,
    gate: DriftGate,
    label: str,
    regions: Iterable[tuple[int, bytes, int, int]],
    payload_field: str | None,
    splitter: LineSplitter | None = None,
) -> int:
    """Scan the lines of :meth:`LineSplitter.regions`; the number of the last line.

    Lines are cut out of their chunk here and decoded in place: only the lines
    the gate refuses are copied, to be explained. With the native validator,
    each region is checked in C and only the lines it refers come back here.
    The lines of each region are counted while scanning and told to *splitter*,
    which then need not count them again.
    """
    native = native_gate(gate)
    check, add = gate.check_span, scanner.add
    passed: list[Pass] = []
    number = 0
    try:
        for first, buf, begin, stop in regions:
            if buf.__class__ is not bytes:  # an over-long line, already skipped
                number = first
                for record in line_records(label, number, buf, payload_field):
                    add(record)
                continue
            view = memoryview(buf)
            if native is not None:
                lines, referred = native.scan(buf, begin, stop)
                for i in range(0, len(referred), 3):
                    code, start, end = referred[i], referred[i + 1], referred[i + 2]
                    # Odd: the line needs a program the native validator does not have yet; even: it
                    # judged the line (not clean, or not for it to judge), so the gate would refuse it too.
                    found = native.judge(buf, view, start, end) if code & 1 else None
                    if found is not None:
                        passed.append(found)
                    else:
                        for record in line_records(label, first + (code >> 1), buf[start:end], payload_field):
                            add(record)
                number = first + lines - 1
            else:
                number, start, find = first - 1, begin, buf.find
                while start < stop:
                    end = find(b"\n", start, stop)
                    number += 1
                    found = check(buf, view, start, end)
                    if found is not None:
                        passed.append(found)
                    else:
                        for record in line_records(label, number, buf[start:end], payload_field):
                            add(record)
                    start = end + 1
            if splitter is not None:
                splitter.tell(number - first + 1)
    finally:  # also when a gzip stream breaks off: the lines before it count
        for found, count in Counter(passed).items():
            scanner.add_clean(label, found, count)
        if native is not None:
            for found, count in native.take():
                scanner.add_clean(label, found, count)
    return number


def _scan_gzip(
    scanner: DriftScanner,
    gate: DriftGate,
    source: Source,
    reading: Reading,
    progress: Progress | None,
) -> int:
    """A gzip file, inflated by a second thread; a truncated stream ends with an error record."""
    sniffer = reading.sniffer()
    numbered: LineSplitter | None = None
    with inflating(source, progress) as inflated:
        try:
            sniffed = sniffer.sniff(inflated)
            if not sniffed.document:
                if sniffed.note is not None:
                    scanner.add(Record(source.label, None, note=sniffed.note))
                numbered = LineSplitter(reading.max_line, sniffed.lines)
                regions = numbered.regions(itertools.chain([sniffed.rest], inflated))
                _scan_lines(
                    scanner,
                    gate,
                    source.label,
                    itertools.chain(_head_regions(sniffed), regions),
                    reading.payload_field,
                    numbered,
                )
        except GZIP_ERRORS as exc:
            where = sniffer.lines if numbered is None else numbered.number
            scanner.add(Record(source.label, where + 1, error=f"truncated or corrupt gzip stream ({exc})"))
            return where
    if numbered is None:  # one JSON document: read by the records of the whole input
        scanner.feed(reading.records(source))
        return 0
    return numbered.number


def _head_regions(sniffed: Sniff) -> Iterator[tuple[int, bytes, int, int]]:
    """The lines the sniff read, as :meth:`LineSplitter.regions` hands them out."""
    for number, line in sniffed.head:
        if isinstance(line, TooLong):
            yield number, line, 0, 0
        else:
            yield number, line + b"\n", 0, len(line) + 1


# Parallel scanning: one process per range, partial scans merged in input order.


def cpu_count() -> int:
    """The CPUs this process may run on: the most jobs that can run at once."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13
    if counter is not None:
        return int(counter() or 1)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


_WORKER: dict[str, Any] = {}


def _run_parallel(
    scanner: DriftScanner,
    gate: DriftGate,
    tasks: list[Task],
    reading: Reading,
    jobs: int,
    progress: Progress | None,
) -> None:
    # Imported here: a run of one job (most runs) need not pay for loading them.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    fork = "fork" in multiprocessing.get_all_start_methods()
    # fork hands the workers the compiled contracts and gate as they are (nothing is
    # pickled); with spawn each worker compiles its own gate (its types cannot be pickled).
    context = multiprocessing.get_context("fork" if fork else "spawn")
    if fork:
        _warm(scanner, gate, tasks)
    others = set(multiprocessing.active_children())
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(tasks)),
        mp_context=context,
        initializer=_init_worker,
        initargs=(os.getpid(), scanner.detach(), gate if fork else None, reading),
    ) as pool:
        try:
            futures = [pool.submit(_work, task) for task in tasks]
            total = Partial(scanner)
            for task, future in zip(tasks, futures, strict=True):
                total.merge(future.result())  # in input order: the lines before each range are known
                if progress is not None:
                    progress(task.size)
        except BaseException:  # an error, Ctrl-C or SIGTERM (as the CLI raises it): no worker outlives the scan
            pool.shutdown(wait=False, cancel_futures=True)
            for worker in set(multiprocessing.active_children()) - others:
                worker.kill()
                worker.join()
            raise


#: Bytes read, over the starts of all ranges, to learn which events the workers will meet (each range's
#: share is at least :data:`WARM_MIN_BYTES`): the lines are decoded in Python, before any worker starts.
WARM_BYTES = 1 << 19
WARM_MIN_BYTES = 1 << 16


def _warm(scanner: DriftScanner, gate: DriftGate, tasks: Sequence[Task]) -> None:
    """Compile, before the workers fork, the contracts of the events at the start of each range.

    Every worker would otherwise compile the same contracts (and the native
    programs) on its own: with the native validator scanning fast, that
    start-up cost is most of what a second job could save. Only the first
    lines of each range are looked at (the native validator, or else the gate, compiles the events it meets;
    nothing is counted), so a small log does not pay for contracts it never
    needs; an event met later is compiled by the worker that meets it, as before.
    """
    met: set[str] = set()
    native = native_gate(gate)
    check = gate.check_span if native is None else native.check_span
    share = max(WARM_MIN_BYTES, WARM_BYTES // max(1, len(tasks)))
    for task in tasks:
        size = task.size
        if not size or is_gzip(task.source):
            continue
        buf = b"".join(task.source.read_range(task.start, task.start + min(size, share)))
        view = memoryview(buf)
        start, stop = 0, buf.rfind(b"\n") + 1
        while start < stop:
            end = buf.index(b"\n", start, stop)
            found = check(buf, view, start, end)
            if found is not None:
                met.add(found.event)
            start = end + 1
    scanner.prepare(met)


#: prctl(2) option: the signal a process gets when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1


def _end_with_parent(parent: int) -> None:
    """Tie a worker's life to the scanning process.

    Ctrl-C reaches the whole process group: only the parent acts on it, and
    stops its workers; on Linux the kernel also kills a worker whose parent
    died in any way (even SIGKILL), so none is left blocked on its result.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a forked worker inherits the parent's handler
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the kernel was told
        os._exit(1)


def _init_worker(parent: int, template: DriftScanner, gate: DriftGate | None, reading: Reading) -> None:
    _end_with_parent(parent)
    _WORKER["template"] = template
    _WORKER["reading"] = reading
    _WORKER["gate"] = gate if gate is not None else template.gate(reading.payload_field)


def _work(task: Task) -> Partial:
    return scan_task(_WORKER["template"], _WORKER["gate"], task, _WORKER["reading"])


def scan_task(template: DriftScanner, gate: DriftGate, task: Task, reading: Reading) -> Partial:
    """The partial scan of one task, by a scanner of its own (what a worker sends back)."""
    scanner = template.detach()
    with _without_gc():
        lines = _run(scanner, gate, task, reading, None)
    scanner.release()
    return Partial.of_task(scanner, task.source.label, lines, task.start)
