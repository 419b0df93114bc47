"""Files the tool writes: atomically, only regular files, with the modes a user expects."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from conftest import REPO, Invoke, snapshot

from webhook_contracts import fsio
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
        [
            sys.executable,
            "-m",
            "webhook_contracts",
            "--root",
            str(REPO),
            "drift",
            "--fail-on",
            "never",
            "--report",
            "json:/dev/stdout",
            str(log),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert '"command": "drift"' in done.stdout


def _called_from_fsio() -> bool:
    """Whether the caller's chain passes through the module under test (not pytest, click or codegen)."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        if frame.f_globals.get("__name__") == "webhook_contracts.fsio":
            return True
        frame = frame.f_back
    return False


def _disk_full(real: Callable[..., Any], when: Callable[..., bool] = lambda *a: True) -> Callable[..., Any]:
    def fault(*args: Any) -> Any:
        if _called_from_fsio() and when(*args):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args)

    return fault


@pytest.mark.parametrize("call", ["write", "replace"])
def test_a_full_disk_names_the_report_not_its_temporary_file(
    tmp_path: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    log = tmp_path / "empty.ndjson"
    log.write_bytes(b"")
    target = tmp_path / "reports" / "drift.json"
    monkeypatch.setattr(os, call, _disk_full(getattr(os, call)))
    result = cli("drift", "--fail-on", "never", "--report", f"json:{target}", str(log), root=REPO)
    assert result.exit_code == 2
    assert result.stderr == f"error: {target}: cannot write: No space left on device\n"
    assert list(target.parent.iterdir()) == []  # the temporary file is gone too


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_device_that_is_full_is_named(tmp_path: Path, cli: Invoke) -> None:
    log = tmp_path / "empty.ndjson"
    log.write_bytes(b"")
    result = cli("drift", "--fail-on", "never", "--report", "json:/dev/full", str(log), root=REPO)
    assert result.exit_code == 2
    assert result.stderr == "error: /dev/full: cannot write: No space left on device\n"


MODEL = "contracts/voucherify_webhooks/v2024_01_01/shared.py"


@pytest.mark.parametrize("phase", ["journal", "swapping"])
def test_a_full_disk_during_regen_names_the_file_meant_and_changes_nothing(
    project: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch, phase: str
) -> None:
    (project / MODEL).unlink()
    before = snapshot(project)
    if phase == "journal":  # the transaction's journal cannot be written: the state folder is named
        monkeypatch.setattr(os, "write", _disk_full(os.write))
        meant = project / ".webhook-contracts"
    else:  # a new file cannot be moved into place from its temporary copy beside it
        monkeypatch.setattr(os, "replace", _disk_full(os.replace, lambda src, dst: str(src).endswith(".wc-txn")))
        meant = project / MODEL
    result = cli("regen", root=project)
    assert result.exit_code == 2
    assert result.stderr == f"error: {meant}: cannot write: No space left on device\n"
    assert snapshot(project) == before
    assert not fsio.pending(project)
