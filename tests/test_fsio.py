"""Files the tool writes: atomically, only regular files, with the modes a user expects."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from webhook_contracts.fsio import write_atomic


def test_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "report.sarif", b"{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.sarif").stat().st_mode) == 0o644


def test_a_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_bytes(b"old")
    target.chmod(0o640)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_symlink_keeps_pointing_at_its_replaced_target(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_bytes(b"old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_atomic(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"


def test_a_device_is_written_through_not_replaced() -> None:
    write_atomic(Path("/dev/null"), b"report")
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    write_atomic(fifo, b"through the pipe")
    out, _ = reader.communicate(timeout=30)
    assert out == b"through the pipe"
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_report_to_dev_stdout_prints_and_keeps_the_device(tmp_path: Path) -> None:
    log = tmp_path / "empty.ndjson"
    log.write_bytes(b"")
    done = subprocess.run(
        [sys.executable, "-m", "webhook_contracts", "--root", str(REPO), "drift", "--fail-on", "never",
         "--report", "json:/dev/stdout", str(log)],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert '"command": "drift"' in done.stdout
