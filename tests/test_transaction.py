"""regen's transaction: killed at any step, and its roll-back killed at any step, the next run restores the tree.

A kill is simulated in-process: every call that changes the disk (`os.open`
creating a file, `os.replace`, `os.unlink`, `os.mkdir`, `os.rmdir`) is
numbered, and from call *n* on each one raises :class:`Killed`, which no
handler of the toolkit catches, so nothing more is written, exactly as after
SIGKILL. One case kills real processes with SIGKILL.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Invoke, snapshot
from test_regen import edit_activated_page

from webhook_contracts import fsio
from webhook_contracts.config import load_settings
from webhook_contracts.contracts.regen import plan_regen

BEFORE = {
    "schemas/index.json": b"index 1\n",
    "schemas/a/r1.json": b"a 1\n",
    "schemas/b/r1.json": b"b 1\n",
    "contracts/pkg/models.py": b"models 1\n",
    "CHANGELOG.md": b"changelog 1\n",
}
CHANGES: dict[str, bytes | None] = {
    "schemas/index.json": b"index 2\n",  # replaced
    "schemas/a/r1.json": b"a 2\n",  # replaced
    "schemas/b/r1.json": None,  # removed
    "schemas/c/d/r1.json": b"c 1\n",  # new, in new folders
    "contracts/pkg/models.py": b"models 2\n",  # replaced
    "CHANGELOG.md": b"changelog 2\n",  # replaced
}
AFTER = {rel: data for rel, data in CHANGES.items() if data is not None}


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """fsync guards against power loss, not kills; without it the hundreds of runs here take seconds."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)


class Killed(BaseException):
    """The simulated SIGKILL: not an OSError, not an Exception."""


class Disk:
    """The calls that changed the disk so far; from call `kill_at` on, each raises Killed."""

    def __init__(self, kill_at: int | None) -> None:
        self.calls: list[str] = []
        self.kill_at = kill_at

    def kill_now(self) -> None:
        self.kill_at = len(self.calls) + 1


@contextlib.contextmanager
def killed_at(n: int | None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Disk]:
    """Number the calls that change the disk; from call *n* on, each raises Killed (None: only count)."""
    disk = Disk(n)

    def wrap(patch: pytest.MonkeyPatch, name: str, changes: Callable[..., bool]) -> None:
        real = getattr(os, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if changes(*args):
                disk.calls.append(f"{name} {args[0]}")
                if disk.kill_at is not None and len(disk.calls) >= disk.kill_at:
                    raise Killed(disk.calls[-1])
            return real(*args, **kwargs)

        patch.setattr(os, name, call)

    with monkeypatch.context() as patch:
        wrap(patch, "open", lambda path, flags, *a: bool(flags & os.O_CREAT))
        for name in ("replace", "unlink", "rmdir", "mkdir"):
            wrap(patch, name, lambda *a: True)
        yield disk


def other_filesystem(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if every folder were its own filesystem: a rename between two folders fails with EXDEV."""
    real = os.replace

    def replace(src: Any, dst: Any, **kwargs: Any) -> None:
        if Path(src).parent.resolve() != Path(dst).parent.resolve():
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), str(src))
        real(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def tree(root: Path) -> dict[str, bytes]:
    """Every file and folder under *root* but the tool's own state: exactly what a user sees."""
    out: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(fsio.STATE_DIR):
            continue
        out[rel] = path.read_bytes() if path.is_file() else b"<folder>"
    return out


def make_tree(root: Path) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    for rel, data in BEFORE.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def expected_trees(tmp_path: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    before = tree(make_tree(tmp_path / "before"))
    after_root = make_tree(tmp_path / "after")
    fsio.apply_changes(after_root, CHANGES)
    assert {k: v for k, v in tree(after_root).items() if v != b"<folder>"} == AFTER
    return before, tree(after_root)


def crash_at_file(
    root: Path, n: int, monkeypatch: pytest.MonkeyPatch, prepare: Callable[[Path], object] = make_tree
) -> None:
    """Apply CHANGES to a fresh tree, killed just before its *n*-th file is written."""
    prepare(root)
    seen: list[str] = []
    with killed_at(None, monkeypatch) as disk, contextlib.suppress(Killed):

        def fault(rel: str) -> None:
            seen.append(rel)
            if len(seen) == n:
                disk.kill_now()

        fsio.apply_changes(root, CHANGES, fault=fault)
    assert fsio.pending(root)


def crash_commit(root: Path, k: int, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Apply CHANGES to a fresh tree, killed at disk change *k*; False if the run finished first."""
    make_tree(root)
    with killed_at(k, monkeypatch), contextlib.suppress(Killed):
        fsio.apply_changes(root, CHANGES)
        return False
    return True


@pytest.mark.parametrize("cross_device", [False, True], ids=["one-filesystem", "exdev"])
def test_killed_commit_then_killed_recovery_at_every_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cross_device: bool
) -> None:
    if cross_device:
        other_filesystem(monkeypatch)
    before, after = expected_trees(tmp_path)
    root = tmp_path / "root"
    make_tree(root)
    with killed_at(None, monkeypatch) as disk:
        fsio.apply_changes(root, CHANGES)
    calls = disk.calls
    # The transaction is over once its journal is gone: a kill after that keeps the new tree.
    commit_point = next(i for i, c in enumerate(calls, 1) if c.endswith("journal.json") and "unlink" in c)
    runs = 0
    for k in range(1, len(calls) + 1):
        expected = after if k > commit_point else before
        for j in range(1, 100):
            assert crash_commit(root, k, monkeypatch)
            with killed_at(j, monkeypatch) as recovery, contextlib.suppress(Killed):
                fsio.recover(root)
            finished = len(recovery.calls) < j
            fsio.recover(root)
            assert not fsio.pending(root)
            assert tree(root) == expected, f"killed at disk change {k}, its recovery at {j}: {calls[k - 1]}"
            fsio.apply_changes(root, CHANGES)
            assert tree(root) == after
            runs += 1
            if finished:
                break
    assert runs > len(calls)


def test_rollback_after_an_error_resumes_when_itself_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An error half way rolls back at once; that roll-back killed part way is finished by the next run."""
    before, after = expected_trees(tmp_path)
    root = tmp_path / "root"
    for failing in sorted(CHANGES):
        for j in range(1, 100):
            make_tree(root)
            with killed_at(None, monkeypatch) as disk:
                started: list[int] = []

                def fault(
                    rel: str, failing: str = failing, disk: Disk = disk, started: list[int] = started, j: int = j
                ) -> None:
                    if rel == failing:
                        started.append(len(disk.calls))  # the roll-back starts after this many disk changes
                        disk.kill_at = len(disk.calls) + j
                        raise OSError(errno.ENOSPC, "No space left on device")

                with contextlib.suppress(OSError, Killed):
                    fsio.apply_changes(root, CHANGES, fault=fault)
            assert tree(root) != after
            fsio.recover(root)
            assert not fsio.pending(root)
            assert tree(root) == before, f"error at {failing}, roll-back killed at {j}"
            if len(disk.calls) < started[0] + j:
                break
    fsio.apply_changes(root, CHANGES)
    assert tree(root) == after


def test_journal_of_a_rollback_that_already_moved_files_back(tmp_path: Path) -> None:
    """What a killed roll-back of earlier versions left: a journal whose saved copies were moved back."""
    root = make_tree(tmp_path / "root")
    before = tree(root)
    txn = root / fsio.STATE_DIR / "transaction"
    (txn / "old").mkdir(parents=True)
    (txn / "new").mkdir()
    entries = [{"path": rel, "new": str(i), "old": str(i)} for i, rel in enumerate(sorted(BEFORE))]
    (txn / "journal.json").write_text(json.dumps(entries), "utf-8")
    for i, rel in enumerate(sorted(BEFORE)):
        if i % 2:  # not moved back yet: the new content is in place, the old one saved
            (txn / "old" / str(i)).write_bytes(BEFORE[rel])
            (root / rel).write_bytes(b"new content\n")
    assert fsio.recover(root)
    assert not fsio.pending(root) and not txn.exists()
    assert tree(root) == before


def test_exdev_between_the_state_folder_and_the_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other_filesystem(monkeypatch)
    before, after = expected_trees(tmp_path)
    root = tmp_path / "root"
    crash_at_file(root, 4, monkeypatch)
    assert tree(root) != before
    assert fsio.recover(root)
    assert tree(root) == before
    fsio.apply_changes(root, CHANGES)
    assert tree(root) == after


SHM = Path("/dev/shm")


@pytest.mark.skipif(
    not SHM.is_dir() or not os.access(SHM, os.W_OK) or SHM.stat().st_dev == Path(tempfile.gettempdir()).stat().st_dev,
    reason="needs a second, writable filesystem",
)
def test_schemas_on_another_filesystem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real EXDEV: the schemas folder is a link to a folder on another filesystem."""
    before, after = expected_trees(tmp_path)
    root = tmp_path / "root"
    elsewhere = Path(tempfile.mkdtemp(dir=SHM))

    def linked_tree() -> None:
        make_tree(root)
        shutil.rmtree(elsewhere / "schemas", ignore_errors=True)
        shutil.move(root / "schemas", elsewhere / "schemas")
        (root / "schemas").symlink_to(elsewhere / "schemas", target_is_directory=True)

    def files() -> dict[str, bytes]:
        linked = {f"schemas/{rel}": data for rel, data in tree(elsewhere / "schemas").items()}
        return {**{rel: data for rel, data in tree(root).items() if rel != "schemas"}, **linked}

    try:
        linked_tree()
        fsio.apply_changes(root, CHANGES)  # before: EXDEV from the state folder to the schemas
        assert files() == {rel: data for rel, data in after.items() if rel != "schemas"}
        for n in range(1, len(CHANGES) + 1):
            crash_at_file(root, n, monkeypatch, prepare=lambda _: linked_tree())
            fsio.recover(root)
            assert files() == {rel: data for rel, data in before.items() if rel != "schemas"}
    finally:
        shutil.rmtree(elsewhere, ignore_errors=True)


def read_only(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every change below *folder* (a read-only mount; chmod does not stop root)."""
    inside = str(folder.resolve()) + os.sep

    def refuse(name: str, real: Callable[..., Any], creates: Callable[..., bool]) -> None:
        def call(*args: Any, **kwargs: Any) -> Any:
            path = str(Path(args[0]).resolve()) if isinstance(args[0], (str, Path)) else ""
            if path.startswith(inside) and creates(*args):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), path)
            return real(*args, **kwargs)

        monkeypatch.setattr(os, name, call)

    refuse("open", os.open, lambda path, flags, *a: bool(flags & os.O_CREAT))
    refuse("replace", os.replace, lambda *a: True)
    refuse("unlink", os.unlink, lambda *a: True)


def test_recovery_on_a_read_only_tree_says_what_is_left(
    project: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit_activated_page(project)
    before = snapshot(project)
    changes = plan_regen(load_settings(project)).changes
    with killed_at(None, monkeypatch) as disk, contextlib.suppress(Killed):
        seen: list[str] = []

        def fault(rel: str) -> None:
            seen.append(rel)
            if len(seen) == len(changes) - 1:
                disk.kill_now()

        fsio.apply_changes(project, changes, fault=fault)
    assert fsio.pending(project) and snapshot(project) != before

    with monkeypatch.context() as patch:
        read_only(project / "schemas", patch)
        result = cli("regen", root=project)
        assert result.exit_code == 2, result.output
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
        assert "cannot roll back an interrupted regen; still to restore: schemas/" in result.stderr
        assert "Read-only file system" in result.stderr
        assert "run `webhook-contracts regen` again, which finishes the roll-back" in result.stderr
        assert fsio.pending(project)
        check = cli("regen", "--check", root=project)
        assert check.exit_code == 2 and "interrupted regen" in check.stderr

    assert fsio.recover(project)
    assert snapshot(project) == before
    assert cli("regen", root=project).exit_code == 0
    assert cli("regen", "--check", root=project).exit_code == 0


def test_commit_on_a_read_only_tree_rolls_back(project: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    edit_activated_page(project)
    before = snapshot(project)
    with monkeypatch.context() as patch:
        read_only(project / "schemas", patch)
        result = cli("regen", root=project)
    assert result.exit_code == 2 and "Read-only file system" in result.stderr, result.output
    assert not fsio.pending(project)
    assert snapshot(project) == before


def test_sigkilled_regen_and_sigkilled_recovery(project: Path, cli: Invoke) -> None:
    """Real processes killed with SIGKILL: regen in the middle of its files, then the roll-back of it."""
    edit_activated_page(project)
    before = snapshot(project)
    regen = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from webhook_contracts.config import load_settings\n"
        "from webhook_contracts.contracts.regen import regen\n"
        "calls = []\n"
        "def fault(path):\n"
        "    calls.append(path)\n"
        "    if len(calls) == 3:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "regen(load_settings(Path(sys.argv[1])), fault=fault)\n"
    )
    recovery = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from webhook_contracts import fsio\n"
        "real, calls = os.replace, []\n"
        "def replace(*args, **kwargs):\n"
        "    calls.append(args)\n"
        "    if len(calls) == 2:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    real(*args, **kwargs)\n"
        "os.replace = replace\n"
        "fsio.recover(Path(sys.argv[1]))\n"
    )
    for script in (regen, recovery):
        done = subprocess.run([sys.executable, "-c", script, str(project)], check=False)
        assert done.returncode == -signal.SIGKILL
        assert fsio.pending(project)
        assert snapshot(project) != before, "the kill left a half-written tree behind"
    assert fsio.recover(project)
    assert snapshot(project) == before
    assert cli("regen", root=project).exit_code == 0
    assert cli("regen", "--check", root=project).exit_code == 0
