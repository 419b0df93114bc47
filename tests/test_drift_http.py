"""`drift` over HTTP: real servers on 127.0.0.1, one that answers range requests and one that does not (Python's
own `http.server`, like many simple servers). Either way the report is the one the same files give when named by
path, whatever `--jobs` says; only a server that serves ranges has an object split between jobs."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import Invoke

from webhook_contracts.drift import parallel, sources

SAMPLE = Path(__file__).resolve().parent / "data" / "sample-log"
ARGS = ("drift", "--payload-field", "body", "--format", "json", "--fail-on", "never")
_RANGE = re.compile(r"bytes=(\d+)-(\d*)")


class _Quiet(SimpleHTTPRequestHandler):
    """Serves a folder (with listings, which fsspec reads to expand a glob) and remembers each GET's Range."""

    requests: list[str | None]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.requests.append(self.headers.get("Range"))
        super().do_GET()


class _Ranged(_Quiet):
    """Also answers `Range: bytes=A-B` (and `A-`) with 206 and those bytes, as object stores and CDNs do."""

    def send_head(self) -> Any:
        wanted = _RANGE.fullmatch(self.headers.get("Range") or "")
        path = Path(self.translate_path(self.path))
        if wanted is None or not path.is_file():
            return super().send_head()
        data = path.read_bytes()
        start = int(wanted[1])
        end = min(len(data), int(wanted[2]) + 1 if wanted[2] else len(data))
        if start >= len(data):
            self.send_error(416)
            return None
        self.send_response(206)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.send_header("Content-Length", str(end - start))
        self.end_headers()
        self.wfile.write(data[start:end])
        return None


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("served")
    for name in ("production.ndjson", "production.ndjson.gz"):
        shutil.copyfile(SAMPLE / name, root / name)
    return root


def _serve(folder: Path, handler: type[_Quiet]) -> Iterator[tuple[str, list[str | None]]]:
    requests: list[str | None] = []
    kind = type(handler.__name__, (handler,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(kind, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", requests
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def plain_server(folder: Path) -> Iterator[tuple[str, list[str | None]]]:
    yield from _serve(folder, _Quiet)


@pytest.fixture(scope="module")
def ranged_server(folder: Path) -> Iterator[tuple[str, list[str | None]]]:
    yield from _serve(folder, _Ranged)


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fetch in blocks far smaller than the logs, and split even these small logs, so that every read goes past the
    first block and --jobs really cuts an object."""
    monkeypatch.setattr(sources, "_URL_BLOCK", 1 << 16)
    monkeypatch.setattr(parallel, "MIN_SPLIT", 1)


@pytest.mark.parametrize("server", ["plain_server", "ranged_server"])
@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("name", ["production.ndjson", "production.ndjson.gz", "*.ndjson*", ""])
def test_the_report_is_the_one_of_the_files_by_path(
    cli: Invoke, folder: Path, request: pytest.FixtureRequest, server: str, jobs: str, name: str
) -> None:
    """An object, a gzip object, a glob, and a folder's page (every log it lists)."""
    url, _ = request.getfixturevalue(server)
    by_url = cli(*ARGS, "--jobs", jobs, url + name)
    by_path = cli(*ARGS, *sorted(str(p) for p in folder.glob(name or "*")))
    assert by_url.exit_code == by_path.exit_code == 0, by_url.stderr
    assert by_url.stdout.replace(url, f"{folder}/") == by_path.stdout


def test_a_server_without_ranges_has_each_object_read_once_whole(
    cli: Invoke, plain_server: tuple[str, list[str | None]]
) -> None:
    url, requests = plain_server
    requests.clear()
    assert cli(*ARGS, "--jobs", "2", url + "production.ndjson").exit_code == 0
    # One request asks for a range (the server answers with the whole object, of which nothing is read); the first
    # bytes are read twice (is it gzip? NDJSON?), then the whole object once.
    assert requests == ["bytes=1-2", None, None, None]


def test_a_server_with_ranges_has_an_object_split_between_jobs(
    cli: Invoke, ranged_server: tuple[str, list[str | None]]
) -> None:
    url, requests = ranged_server
    requests.clear()
    assert cli(*ARGS, "--jobs", "2", url + "production.ndjson").exit_code == 0
    starts = {int(_RANGE.fullmatch(r)[1]) for r in requests if r and _RANGE.fullmatch(r)}  # type: ignore[index]
    assert len([s for s in starts if s > 1]) >= 2 * parallel.RANGES_PER_JOB - 1  # every range but the first


def test_a_missing_object_is_a_one_line_error(cli: Invoke, plain_server: tuple[str, list[str | None]]) -> None:
    url, _ = plain_server
    for name in ("gone.ndjson", "gone/*.ndjson"):
        result = cli(*ARGS, url + name)
        assert result.exit_code == 2
        assert result.stderr.count("\n") == 1 and f"{url}{name}" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
