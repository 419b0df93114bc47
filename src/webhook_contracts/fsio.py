"""Atomic writes: one file, or a whole set of files as one transaction.

`regen` replaces schemas, the index, models and the CHANGELOG together. A
crash half way must not leave models that disagree with their schemas, so a
set of changes is applied as a journalled transaction: new contents and the
old files are staged next to the tree first, then files are swapped in with
`os.replace`. An exception rolls back at once; a killed process is rolled back
by the next run (see :func:`recover`). A lock keeps two runs apart.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from .errors import RegistryError

STATE_DIR = ".webhook-contracts"
_LOCK_TIMEOUT_S = 30.0

#: Test hook: called with each destination just before it is replaced.
Fault = Callable[[str], None]


def write_atomic(path: Path, data: bytes) -> None:
    """Write *data* to *path* so that readers see the old or the new file, never a part.

    Only a regular file (or a path that does not exist yet) is replaced; a
    symlink to a regular file has its target replaced and stays a link; anything
    else (`/dev/stdout`, `/dev/null`, a FIFO, a dangling link) is written
    through, never turned into a file. A new file
    gets the mode the umask gives; a replaced one keeps its mode (mkstemp's 0600
    would otherwise make every report private).
    """
    if path.is_symlink() and path.resolve().is_file():
        path = path.resolve()
    elif path.is_symlink() or (path.exists() and not path.is_file()):
        with path.open("wb") as handle:
            handle.write(data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).chmod(mode)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def _mode_for(path: Path) -> int:
    """The mode of the file at *path* if there is one, else what the umask leaves of 0o666."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


@contextlib.contextmanager
def locked(root: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold the project's write lock; wait up to *timeout* seconds (default 30) for it."""
    timeout = _LOCK_TIMEOUT_S if timeout is None else timeout
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: single-writer is the user's job
        yield
        return
    state = root / STATE_DIR
    state.mkdir(parents=True, exist_ok=True)
    with (state / "lock").open("a+b") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RegistryError(
                        f"{state / 'lock'}: another webhook-contracts run holds the lock"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _journal_dir(root: Path) -> Path:
    return root / STATE_DIR / "transaction"


def pending(root: Path) -> bool:
    """True when a killed run left a transaction to roll back."""
    return _journal_dir(root).exists()


def recover(root: Path) -> bool:
    """Roll back a transaction a killed process left behind; True if there was one."""
    txn = _journal_dir(root)
    journal = txn / "journal.json"
    if not txn.exists():
        return False
    if journal.exists():
        entries = json.loads(journal.read_text("utf-8"))
        _rollback(root, txn, entries)
    shutil.rmtree(txn, ignore_errors=True)
    return True


def _rollback(root: Path, txn: Path, entries: list[dict[str, str | None]]) -> None:
    for entry in entries:
        dest = root / str(entry["path"])
        old = entry["old"]
        if old is not None:
            (txn / "old" / old).replace(dest)
        elif entry["new"] is not None:
            with contextlib.suppress(FileNotFoundError):
                dest.unlink()


def apply_changes(
    root: Path, changes: Mapping[str, bytes | None], *, fault: Fault | None = None, lock: bool = True
) -> None:
    """Write (bytes) or delete (None) every path in *changes*, relative to *root*, all or nothing.

    Pass ``lock=False`` when the caller already holds :func:`locked`.
    """
    if not changes:
        return
    with locked(root) if lock else contextlib.nullcontext():
        recover(root)
        txn = _journal_dir(root)
        (txn / "new").mkdir(parents=True)
        (txn / "old").mkdir()
        entries: list[dict[str, str | None]] = []
        try:
            for i, (rel, data) in enumerate(sorted(changes.items())):
                dest = root / rel
                entry: dict[str, str | None] = {"path": rel, "new": None, "old": None}
                if data is not None:
                    write_atomic(txn / "new" / str(i), data)
                    entry["new"] = str(i)
                if dest.exists():
                    shutil.copy2(dest, txn / "old" / str(i))
                    entry["old"] = str(i)
                entries.append(entry)
            write_atomic(txn / "journal.json", json.dumps(entries).encode())
        except BaseException:
            shutil.rmtree(txn, ignore_errors=True)
            raise
        try:
            for entry in entries:
                dest = root / str(entry["path"])
                if fault is not None:
                    fault(str(entry["path"]))
                if entry["new"] is not None:
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    (txn / "new" / str(entry["new"])).replace(dest)
                elif dest.exists():
                    dest.unlink()
        except BaseException:
            _rollback(root, txn, entries)
            shutil.rmtree(txn, ignore_errors=True)
            raise
        (txn / "journal.json").unlink()
        shutil.rmtree(txn, ignore_errors=True)
