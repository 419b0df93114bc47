"""Drift on a Dask cluster: partitions scanned by the workers, partial scans merged here in input order.

`--dask local` (or `local:N`) starts a local cluster of N worker processes;
`--dask tcp://HOST:PORT` uses a running scheduler, whose workers must reach the
same inputs (objects in a bucket, or a shared file system) and have the package
installed. A partition is one input, or one byte range of a plain NDJSON
input of about :data:`PARTITION_BYTES`; gzip objects, JSON documents and
small inputs are read whole. Each worker compiles the contracts and the gate
once (for the run) and scans the partitions it is given into partial scans;
they are merged by :class:`~.partials.Partial`, the reduction `--jobs` uses,
so the report is the one a single process gives, whatever the partitioning.

A task that fails is retried (:data:`RETRIES`), and so are the partitions of a
worker that dies; a partition whose bytes still cannot be read becomes an
unparseable line that says why, and the run goes on (the lines after it in the
same input are then numbered as if it had none). A partition that fails in any
other way on every attempt ends the run with an :class:`~..errors.InputError`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from ..contracts.registry import Registry
from ..errors import InputError, MissingDependencyError, UsageError, WebhookContractsError
from ..findings import Report
from .fastpath import DriftGate
from .parallel import Progress, Reading, Task, new_scanner, plan, scan_task
from .partials import Partial
from .records import Record
from .scanner import DriftOptions, DriftScanner
from .sniff import MAX_LINE_BYTES, SNIFF_LINES
from .sources import Source, StreamSource

#: Bytes of a plain input per partition: large enough that a task outweighs its scheduling many times over.
PARTITION_BYTES = 64 << 20
#: Times a failed task is run again.
RETRIES = 2
_INSTALL = "pip install 'webhook-contracts[dask]'"


def scan_cluster(
    inputs: Sequence[Source],
    registry: Registry,
    options: DriftOptions | None = None,
    *,
    address: str,
    payload_field: str | None = None,
    max_line: int = MAX_LINE_BYTES,
    sniff_lines: int = SNIFF_LINES,
    partition_bytes: int = PARTITION_BYTES,
    progress: Progress | None = None,
) -> Report:
    """Scan *inputs* for drift on the Dask cluster at *address* (`local`, `local:N`, `tcp://HOST:PORT`)."""
    streams = [source.label for source in inputs if isinstance(source, StreamSource)]
    if streams:
        raise UsageError(f"{streams[0]}: a stream is read once, here; it cannot be scanned on a cluster")
    scanner = new_scanner(inputs, registry, options)
    reading = Reading(payload_field, max_line, sniff_lines)
    tasks = plan(inputs, reading, partition_bytes=partition_bytes)
    with connect(address) as client:
        from distributed import as_completed

        run = uuid.uuid4().hex
        # A task, not scattered data: a worker fetches it once, and if the workers holding it die the
        # scheduler computes it again (scattered data would be lost, and the partitions with it).
        template = client.submit(_template, scanner.detach(), key=f"drift-{run}-template", pure=False)
        futures = [
            client.submit(
                scan_partition, run, template, reading, task, key=f"drift-{run}-{index}", retries=RETRIES, pure=False
            )
            for index, task in enumerate(tasks)
        ]
        order = {future.key: index for index, future in enumerate(futures)}
        done: dict[int, Partial] = {}
        total, following = Partial(scanner), 0
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                index = order[future.key]
                failed = future.exception() if future.status == "error" else None
                if failed is not None and not isinstance(failed, UnreadablePartition):
                    raise _failure(tasks[index], failed) from failed
                # Read on its last attempt, or not: a partition that cannot be read is a line of the report.
                done[index] = unreadable(scanner, tasks[index], str(failed)) if failed else future.result()
                future.release()
                if progress is not None:
                    progress(tasks[index].size)
                while following in done:  # merged in input order: the lines before each range are known
                    total.merge(done.pop(following))
                    following += 1
        except BaseException:
            client.cancel(futures)
            raise
    return scanner.report()


def _template(scanner: DriftScanner) -> DriftScanner:
    return scanner


#: Per worker process: the run whose scanner template and gate are built, and them.
_BUILT: dict[str, tuple[DriftScanner, DriftGate]] = {}


class UnreadablePartition(WebhookContractsError):
    """A partition's bytes could not be read; raised on a worker (so that the task is run again), with the reason."""


def scan_partition(run: str, template: DriftScanner, reading: Reading, task: Task) -> Partial:
    """Worker side: the partial scan of one partition (the contracts compiled once per *run* and process;
    *run* names the run, any string that differs between runs). A partition that cannot be read raises
    :class:`UnreadablePartition`, which any engine can pickle: the store's own errors may not travel."""
    built = _BUILT.get(run)
    if built is None:
        _BUILT.clear()
        built = _BUILT[run] = (template, template.detach().gate(reading.payload_field))
    try:
        return scan_task(built[0], built[1], task, reading)
    except InputError as exc:
        raise UnreadablePartition(exc.detail) from None
    except OSError as exc:
        raise UnreadablePartition(exc.strerror or str(exc)) from None


def unreadable(template: DriftScanner, task: Task, reason: str) -> Partial:
    """The partial of a partition that cannot be read: one unparseable line that says why. Its lines are
    not known, so later lines of the same input are numbered as if it had none."""
    scanner = template.detach()
    where = "" if task.end is None else f"bytes {task.start}-{task.end}: "
    scanner.add(Record(task.source.label, None, error=f"{where}cannot read: {reason}"))
    scanner.release()
    return Partial.of_task(scanner, task.source.label, 0, task.start)


def _failure(task: Task, failed: BaseException) -> InputError:
    """The one-line error of a partition the cluster could not scan, after its retries (a worker that died
    each time it ran it, an error that is not about reading)."""
    where = "" if task.end is None else f"bytes {task.start}-{task.end}: "
    return InputError(task.source.label, f"{where}the cluster could not scan it ({type(failed).__name__}: {failed})")


@contextlib.contextmanager
def connect(address: str) -> Iterator[Any]:
    """A client of the cluster at *address*; a local cluster lives as long as the client."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise MissingDependencyError(f"--dask needs Dask's distributed scheduler: {_INSTALL}") from exc
    if address == "local" or address.startswith("local:"):
        workers = _local_workers(address)
        with (
            LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,  # type: ignore[no-untyped-call]
        ):
            yield client
        return
    if "://" not in address:
        raise UsageError(f"--dask {address}: expected local, local:N or a scheduler address (tcp://HOST:PORT)")
    try:
        client = Client(address, timeout="10s")  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"--dask {address}: cannot reach the scheduler ({exc})") from exc
    with client:
        yield client


def _local_workers(address: str) -> int:
    count = address.partition(":")[2]
    if not count:
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
    if not count.isdigit() or int(count) < 1:
        raise UsageError(f"--dask {address}: the number of workers is a positive integer (local:N)")
    return int(count)
