"""Closed and odd standard streams, named pipes and process substitution as inputs.

Every case runs the real command in a child process, its streams set up by a
shell (`<&-`, `>&-`, `2>&-`) or by the environment (`PYTHONIOENCODING`).
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import HANG_TIMEOUT_S, REPO, module_env
from drift_support import envelope, example

SAMPLE = "tests/data/sample-log/production.ndjson"
DEMO = ["drift", "--payload-field", "body", SAMPLE]
PAYLOAD = "tests/data/payloads/customer.rewarded.loyalty_points.json"
PAGE = "docs/voucherify/v2024-01-01/customer.rewarded.loyalty_points.txt"
EVENT = "customer.rewarded.loyalty_points"
CLOSED_STDOUT = b"error: standard output is closed; nothing can be reported\n"


def _run(
    args: list[str], *, redirect: str = "", encoding: str | None = None, shell: str = "sh", log: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    """`webhook-contracts ARGS REDIRECT` run by *shell*, so `<&-` closes a stream as it does for a user.

    REDIRECT may name *log* as `$LOG` (`<(cat "$LOG")`).
    """
    env = module_env()
    env.pop("PYTHONIOENCODING", None)
    if encoding is not None:
        env["PYTHONIOENCODING"] = encoding
    if log is not None:
        env["LOG"] = str(log)
    command = [sys.executable, "-m", "webhook_contracts", "--root", str(REPO), *args]
    return subprocess.run(
        [shell, "-c", f'exec "$@" {redirect}', shell, *command],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        cwd=REPO,
        env=env,
        check=False,
        timeout=HANG_TIMEOUT_S,
    )


@pytest.mark.parametrize("args", [["validate", "-"], ["compare", "-", PAYLOAD], ["drift", "-"]])
def test_reading_a_closed_stdin_is_an_input_error(args: list[str]) -> None:
    result = _run(args, redirect="<&-")
    assert (result.returncode, result.stdout, result.stderr) == (2, b"", b"error: <stdin>: standard input is closed\n")


def test_a_closed_stdin_is_no_matter_when_it_is_not_read() -> None:
    result = _run(["validate", "-q", PAYLOAD], redirect="<&-")
    assert (result.returncode, result.stdout, result.stderr) == (0, b"validate: no findings\n", b"")


@pytest.mark.parametrize("args", [DEMO, ["regen", "--check"], ["--help"], ["extract", "-q", PAGE]])
def test_a_closed_stdout_is_exit_2_with_one_line(args: list[str]) -> None:
    result = _run(args, redirect=">&-")
    assert (result.returncode, result.stderr) == (2, CLOSED_STDOUT)


def test_a_closed_stdout_and_stderr_is_exit_2() -> None:
    assert _run(DEMO, redirect=">&- 2>&-").returncode == 2


@pytest.mark.parametrize("extra", [[], ["--progress"], ["--jobs", "2"]])
def test_a_closed_stderr_still_reports_on_stdout(extra: list[str]) -> None:
    expected = _run(DEMO)
    assert expected.returncode == 1 and expected.stdout.startswith(b"drift: 15 findings")
    result = _run([*DEMO[:1], *extra, *DEMO[1:]], redirect="2>&-")
    assert (result.returncode, result.stdout) == (1, expected.stdout)


def _non_ascii_log(tmp_path: Path) -> Path:
    data = example(EVENT)
    data["order"]["pr\u00e9nom\u540d"] = "x"  # a new field whose name the locale cannot write
    data["order"]["amount"] = "1"
    log = tmp_path / "caf\u00e9.ndjson"
    log.write_text(json.dumps(envelope(EVENT, data)) + "\n", "utf-8")
    return log


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
@pytest.mark.parametrize("fmt", ["text", "markdown", "junit", "github", "json"])
def test_a_narrow_stdout_encoding_spells_and_escapes(tmp_path: Path, encoding: str, fmt: str) -> None:
    log = _non_ascii_log(tmp_path)
    result = _run(["drift", "--format", fmt, str(log)], encoding=encoding)
    assert (result.returncode, result.stderr) == (1, b"")
    text = result.stdout.decode(encoding)
    assert "\u2192" not in text
    if fmt in ("json", "sarif"):
        json.loads(text)
        return
    name = "pr\\u00e9nom" if encoding == "ascii" else "pr\u00e9nom"
    assert f"{name}\\u540d" in text  # a payload's text is escaped
    if fmt in ("text", "markdown"):
        assert "absent -> string" in text  # the tool's own arrow, spelled


def test_a_narrow_stdout_encoding_keeps_json_valid_and_pages_readable() -> None:
    pages = _run(["extract", "--format", "json", "--examples", PAGE], encoding="ascii")
    assert pages.returncode == 0, pages.stderr
    assert json.loads(pages.stdout)["event"] == EVENT
    text = _run(["extract", PAGE], encoding="ascii")
    assert text.returncode == 0, text.stderr
    assert b"Voucher | object" in text.stdout  # `Type \u00b7 json-type`, spelled


def _json_report(*args: str) -> subprocess.CompletedProcess[bytes]:
    return _run(["drift", "--format", "json", "--payload-field", "body", *args])


@pytest.fixture(scope="module")
def file_report() -> bytes:
    result = _json_report(SAMPLE)
    assert result.returncode == 1, result.stderr
    return result.stdout


@pytest.fixture
def gzipped(tmp_path: Path) -> Path:
    path = tmp_path / "production.ndjson.gz"
    path.write_bytes(gzip.compress((REPO / SAMPLE).read_bytes()))
    return path


@pytest.mark.skipif(shutil.which("bash") is None, reason="process substitution needs bash")
@pytest.mark.parametrize("command", ["cat", "gzip -dc"])
def test_process_substitution_is_read_as_a_stream(file_report: bytes, gzipped: Path, command: str) -> None:
    """`drift <(zcat log.gz)` and `drift <(cat log.gz)`: a pipe, plain or gzip (told from its first bytes)."""
    result = _run(
        ["drift", "--format", "json", "--payload-field", "body", "--jobs", "2"],
        redirect=f'<({command} "$LOG")',
        shell="bash",
        log=gzipped,
    )
    assert result.returncode == 1, result.stderr
    name = json.loads(result.stdout)["findings"][0]["location"]["file"]
    assert name.startswith("/dev/fd/")
    assert result.stdout.replace(name.encode(), SAMPLE.encode()) == file_report


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_named_pipe_is_read_once_and_not_split(file_report: bytes, gzipped: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    # The writer blocks until drift opens the pipe; a drift that never does must not hang the test.
    writer = subprocess.Popen(["sh", "-c", 'cat "$1" > "$2"', "sh", str(gzipped), str(fifo)])
    try:
        result = _json_report("--jobs", "2", str(fifo), SAMPLE)
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.wait()
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    events = json.loads(file_report)["summary"]["events"]
    assert {event: numbers["payloads"] * 2 for event, numbers in events.items()} == {
        event: numbers["payloads"] for event, numbers in document["summary"]["events"].items()
    }


def test_a_socket_is_no_input(tmp_path: Path) -> None:
    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        result = _run(["drift", str(path)])
    assert (result.returncode, result.stderr) == (2, f"error: {path}: not a file, folder or pipe\n".encode())
