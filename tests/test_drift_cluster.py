"""`drift` over object storage and on a Dask cluster: a real S3-compatible server on 127.0.0.1 (moto) and a
real local cluster of two worker processes; the reports are the ones a single process gives, byte for byte."""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from conftest import Invoke
from distributed import LocalCluster
from drift_support import registry
from moto.server import ThreadedMotoServer

from webhook_contracts.drift import cluster, parallel
from webhook_contracts.drift.cluster import scan_cluster
from webhook_contracts.drift.parallel import scan_files
from webhook_contracts.drift.sources import FileSource, Progress, UrlSource, build_sources
from webhook_contracts.errors import InputError
from webhook_contracts.report.jsonreport import report_dict

SAMPLE = Path(__file__).resolve().parent / "data" / "sample-log"
BUCKET = "logs"
#: (key, local file) of the logs in the bucket: a plain log split into ranges, a gzip log read whole.
OBJECTS = {
    "webhooks/2026-11-01/production.ndjson": SAMPLE / "production.ndjson",
    "webhooks/2026-11-02/production.ndjson.gz": SAMPLE / "production.ndjson.gz",
}
ARGS = ("drift", "--payload-field", "body", "--format", "json", "--fail-on", "never")


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """A bucket of logs on an S3-compatible server on 127.0.0.1, found through the usual AWS variables."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "us-east-1")
        env.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        for key, path in OBJECTS.items():
            client.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())
        yield f"s3://{BUCKET}/"
        client.close()
    server.stop()


@pytest.fixture(scope="module")
def scheduler(s3: str) -> Iterator[str]:
    """A local cluster of two worker processes (started after the store's variables are set, so they see them)."""
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    ) as running:
        yield running.scheduler_address


@pytest.fixture
def local_copy(tmp_path: Path) -> str:
    """The bucket's logs as local files, laid out as in the bucket (the prefix standing for `s3://logs/`)."""
    for key, path in OBJECTS.items():
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, tmp_path / key)
    return f"{tmp_path.as_posix()}/"


def test_dask_local_cluster_on_s3_gives_the_single_process_report(
    cli: Invoke,
    s3: str,
    local_copy: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`drift --dask local:2 s3://...` is byte for byte `drift` (and `--jobs 2`) on the same objects, and on the
    same files here."""
    monkeypatch.setattr(cluster, "PARTITION_BYTES", 1 << 20)  # the plain log becomes nine partitions
    glob = f"{s3}webhooks/2026-11-*/*.ndjson*"
    on_cluster = cli(*ARGS, "--dask", "local:2", glob)
    single = cli(*ARGS, glob)
    monkeypatch.setattr(parallel, "MIN_SPLIT", 1)
    two_jobs = cli(*ARGS, "--jobs", "2", glob)
    local = cli(*ARGS, f"{local_copy}webhooks")
    assert on_cluster.exit_code == single.exit_code == two_jobs.exit_code == local.exit_code == 0, on_cluster.stderr
    assert on_cluster.stdout == single.stdout == two_jobs.stdout
    assert on_cluster.stdout.replace(s3, local_copy) == local.stdout
    assert '"unparseable"' in local.stdout and f'"{s3}webhooks/2026-11-01/production.ndjson"' in on_cluster.stdout


@pytest.mark.parametrize("partition_bytes", [200_000, 3 << 20])
def test_any_partition_size_gives_the_jobs_report(scheduler: str, local_copy: str, partition_bytes: int) -> None:
    inputs = build_sources([f"{local_copy}webhooks"])
    expected = report_dict(scan_files(inputs, registry(), payload_field="body", jobs=2))
    got = scan_cluster(inputs, registry(), address=scheduler, payload_field="body", partition_bytes=partition_bytes)
    assert report_dict(got) == expected


def test_progress_counts_every_byte(scheduler: str, s3: str) -> None:
    inputs = build_sources([f"{s3}webhooks"])
    seen: list[int] = []
    scan_cluster(
        inputs, registry(), address=scheduler, payload_field="body", partition_bytes=1 << 20, progress=seen.append
    )
    assert len(seen) == 10 and sum(seen) == sum(path.stat().st_size for path in OBJECTS.values())


@dataclass(frozen=True)
class DyingSource(FileSource):
    """A file whose reader kills its worker process the first time it reads a range that does not start at 0."""

    marker: str = ""

    def read_range(self, start: int, end: int, progress: Progress | None = None) -> Iterator[bytes]:
        if start and not Path(self.marker).exists():
            Path(self.marker).touch()
            os._exit(1)
        return super().read_range(start, end, progress)


def test_a_dead_workers_partitions_are_run_again(scheduler: str, tmp_path: Path) -> None:
    log = tmp_path / "log.ndjson"
    shutil.copyfile(SAMPLE / "production.ndjson", log)
    dying = DyingSource(log.as_posix(), marker=(tmp_path / "died").as_posix())
    report = scan_cluster([dying], registry(), address=scheduler, payload_field="body", partition_bytes=1 << 20)
    assert (tmp_path / "died").exists()  # a worker did die
    assert report_dict(report) == report_dict(scan_files([log.as_posix()], registry(), payload_field="body"))


@dataclass(frozen=True)
class BrokenSource(FileSource):
    """A file whose reader fails, not for want of bytes, on every range that does not start at 0."""

    def read_range(self, start: int, end: int, progress: Progress | None = None) -> Iterator[bytes]:
        if start:
            raise RuntimeError("reader broken")
        return super().read_range(start, end, progress)


def test_a_partition_that_fails_every_attempt_is_a_one_line_error(scheduler: str, tmp_path: Path) -> None:
    log = tmp_path / "log.ndjson"
    shutil.copyfile(SAMPLE / "production.ndjson", log)
    with pytest.raises(
        InputError,
        match=r"log.ndjson: bytes \d+-\d+: the cluster could not scan it "
        r"\(RuntimeError: reader broken\)",
    ):
        scan_cluster(
            [BrokenSource(log.as_posix())], registry(), address=scheduler, payload_field="body", partition_bytes=1 << 20
        )


def test_an_unreadable_partition_is_reported_and_the_run_goes_on(scheduler: str, s3: str) -> None:
    missing = UrlSource(f"{s3}webhooks/gone.ndjson", 5 << 20)  # listed, then deleted before it was read
    inputs = [missing, *build_sources([f"{s3}webhooks/2026-11-02"])]
    report = report_dict(scan_cluster(inputs, registry(), address=scheduler, payload_field="body"))
    (line,) = [line for line in report["summary"]["unparseable"]["lines"] if line["file"] == missing.name]
    assert line["line"] is None and line["reason"].startswith("cannot read: "), line
    assert "testing" not in line["reason"]  # no credential in a message
    assert report["summary"]["records"] > 1000  # the gzip log was read


def test_url_inputs_that_name_nothing_are_input_errors(cli: Invoke, s3: str) -> None:
    for url, message in (
        (f"{s3}webhooks/2027-*/*.gz", "no objects match"),
        (f"{s3}nothing.ndjson", "no such object"),
        ("unknown+scheme://x/y", "not a URL this tool can read"),
    ):
        result = cli("drift", url)
        assert result.exit_code == 2 and message in result.stderr, result.stderr
        assert "Traceback" not in result.stderr


def test_dask_usage_errors(cli: Invoke, tmp_path: Path) -> None:
    log = tmp_path / "log.ndjson"
    log.write_text("{}\n", "utf-8")
    for args, message in (
        (("--dask", "nowhere", str(log)), "expected local, local:N or a scheduler address"),
        (("--dask", "local:0", str(log)), "positive integer"),
        (("--dask", "local", "--jobs", "2", str(log)), "exclude each other"),
        (("--dask", "local:1", "-"), "cannot be scanned on a cluster"),
    ):
        result = cli("drift", *args, input=b"{}\n")
        assert result.exit_code == 2 and message in result.stderr, (args, result.stderr)


def test_missing_extras_say_what_to_install(cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "log.ndjson"
    log.write_text("{}\n", "utf-8")
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = cli("drift", "--dask", "local:1", str(log))
    assert result.exit_code == 2 and "pip install 'webhook-contracts[dask]'" in result.stderr
    monkeypatch.setitem(sys.modules, "fsspec.core", None)
    result = cli("drift", "s3://bucket/logs/*.ndjson.gz")
    assert result.exit_code == 2 and "pip install 'webhook-contracts[s3]'" in result.stderr
    result = cli("drift", "gs://bucket/logs/x.ndjson")
    assert result.exit_code == 2 and "pip install 'webhook-contracts[gcs]'" in result.stderr


def test_file_urls_read_like_local_files(cli: Invoke, local_copy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A `file://` glob, split into ranges by --jobs, gives the report of the same files named by path."""
    monkeypatch.setattr(parallel, "MIN_SPLIT", 1)
    url = f"file://{local_copy}"
    by_url = cli(*ARGS, "--jobs", "2", f"{url}webhooks/2026-11-0?/*")
    by_path = cli(*ARGS, f"{local_copy}webhooks")
    assert by_url.exit_code == by_path.exit_code == 0, by_url.stderr
    assert by_url.stdout.replace(url, local_copy) == by_path.stdout


def test_an_object_of_unknown_size_is_read_once_whole(scheduler: str, local_copy: str) -> None:
    """An object whose store tells no size (an HTTP response without a length) is read as a stream, here and on a
    cluster, with the report of the same file of known size."""
    path = f"{local_copy}webhooks/2026-11-01/production.ndjson"
    known = report_dict(
        scan_files([UrlSource(f"file://{path}", Path(path).stat().st_size)], registry(), payload_field="body", jobs=2)
    )
    unknown = UrlSource(f"file://{path}", None)
    assert report_dict(scan_files([unknown], registry(), payload_field="body", jobs=2)) == known
    on_cluster = scan_cluster([unknown], registry(), address=scheduler, payload_field="body", partition_bytes=1 << 20)
    assert report_dict(on_cluster) == known
