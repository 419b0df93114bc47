"""Bounded reads and atomic writes: one file, or a whole set of files as one transaction.

Every file of the repository (schemas, the index, the CHANGELOG, generated
models, the baseline, schema files named on the command line) is read by
:func:`read_file`: only a regular file, and only up to a size limit
(`max-file-bytes`), so a committed symlink to `/dev/zero` or a FIFO is an
error naming the file, not a hang or a MemoryError.

`regen` replaces schemas, the index, models and the CHANGELOG together. A
crash half way must not leave models that disagree with their schemas, so a
set of changes is applied as a journalled transaction: a copy of every file
about to change is kept under `.webhook-contracts/transaction/` with a journal,
then each file is written through a temporary file beside it and `os.replace`
(never a rename across folders, which fails between filesystems). An exception
rolls back at once; a killed process is rolled back by the next run (see
:func:`recover`), and so is a roll-back that was itself killed. A lock keeps
two runs apart.
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

from .errors import InputError, RegistryError, WriteError

STATE_DIR = ".webhook-contracts"
#: Default of `max-file-bytes`: the largest repository file read.
MAX_FILE_BYTES = 32 << 20
_LOCK_TIMEOUT_S = 30.0

#: Test hook: called with each destination just before it is replaced.
Fault = Callable[[str], None]


_FILE_TYPES = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def read_file(
    path: Path,
    *,
    limit: int = MAX_FILE_BYTES,
    source: str | Path | None = None,
    error: type[InputError] = InputError,
    limit_name: str = "max-file-bytes",
) -> bytes:
    """The bytes of the regular file at *path* (links followed), at most *limit* of them.

    Anything else (a device, a FIFO, a folder) and a file larger than *limit*
    is refused without being read: *error* names *source* (default: *path*),
    and the message names the limit (*limit_name*: the setting that raises it).
    A FIFO is opened without blocking, so a pipe nobody writes to cannot hang
    the run.
    """
    name = source if source is not None else path
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise error(name, f"cannot read: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = next((label for test, label in _FILE_TYPES if test(info.st_mode)), "not a file")
            raise error(name, f"not a regular file ({what}); refused")
        if info.st_size > limit:
            raise error(name, f"larger than {limit_name} ({limit} bytes); not read")
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise error(name, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise error(name, f"larger than {limit_name} ({limit} bytes); not read")
    return data


def write_atomic(path: Path, data: bytes, *, target: Path | None = None) -> None:
    """Write *data* to *path* so that readers see the old or the new file, never a part.

    Only a regular file (or a path that does not exist yet) is replaced; a
    symlink to a regular file has its target replaced and stays a link; anything
    else (`/dev/stdout`, `/dev/null`, a FIFO, a dangling link) is written
    through, never turned into a file. A new file
    gets the mode the umask gives; a replaced one keeps its mode (mkstemp's 0600
    would otherwise make every report private).

    Any OSError (a full disk, a read-only folder) is a :class:`WriteError` naming
    *target* (default: *path*), never the temporary file beside it.
    """
    try:
        _write_atomic(path, data)
    except OSError as exc:
        raise WriteError(target or path, exc) from exc


def _write_atomic(path: Path, data: bytes) -> None:
    if path.is_symlink() and path.resolve().is_file():
        path = path.resolve()
    elif path.is_symlink() or (path.exists() and not path.is_file()):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        Path(tmp).chmod(mode)
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise


def _write_all(fd: int, data: bytes) -> None:
    """Write all of *data* to *fd* (`os.write` may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


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
                    raise RegistryError(f"{state / 'lock'}: another webhook-contracts run holds the lock") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _journal_dir(root: Path) -> Path:
    return root / STATE_DIR / "transaction"


def pending(root: Path) -> bool:
    """True when a killed run left a transaction to roll back."""
    return (_journal_dir(root) / "journal.json").exists()


Entry = dict[str, str | None]


def recover(root: Path) -> bool:
    """Roll back a transaction a killed process left behind; True if there was one.

    Every step is safe to repeat, so a recovery that is itself killed (or fails
    part way) is finished by the next one: a file is restored by writing its
    saved copy again (the copy is only deleted with the journal), a new file is
    deleted if it is there. The journal goes last; then the transaction is over.
    """
    txn = _journal_dir(root)
    if not txn.exists():
        return False
    journal = txn / "journal.json"
    if journal.exists():
        entries, made = _read_journal(journal)
        _rollback(root, txn, entries, made)
    _finish(txn)
    return True


def _read_journal(journal: Path) -> tuple[list[Entry], list[str]]:
    try:
        data = json.loads(journal.read_bytes())
    except (OSError, ValueError) as exc:
        raise RegistryError(f"{journal}: cannot read the journal of an interrupted regen: {exc}") from exc
    if isinstance(data, list):  # the journal of an earlier version: entries only
        return data, []
    return list(data["entries"]), list(data["made"])


def _rollback(root: Path, txn: Path, entries: list[Entry], made: list[str]) -> None:
    """Put back what the transaction changed; raise saying exactly what is left if a step fails."""
    left: list[str] = []
    for entry in entries:
        rel = str(entry["path"])
        old = txn / "old" / str(entry["old"]) if entry["old"] is not None else None
        try:
            _undo(root / rel, old, created=entry["new"] is not None)
        except OSError as exc:
            why = exc.strerror or str(exc)
            left.append(f"{rel} ({why}; its old content is {old})" if old else f"{rel} ({why}; delete it)")
    for rel in sorted(made, key=lambda d: d.count("/"), reverse=True):
        with contextlib.suppress(OSError):
            (root / rel).rmdir()  # only if the transaction left it empty
    if left:
        raise RegistryError(
            f"{txn}: cannot roll back an interrupted regen; still to restore: {', '.join(left)}; "
            "fix that and run `webhook-contracts regen` again, which finishes the roll-back"
        )


def _undo(dest: Path, old: Path | None, *, created: bool) -> None:
    """One step of a roll-back, idempotent: *dest* gets the bytes of *old*, or is deleted if it was new.

    Nothing is asked of the disk that is already so (a read-only mount refuses even to delete what is not there).
    """
    _remove(_temp_for(dest))
    if old is not None:
        try:
            data = old.read_bytes()
        except FileNotFoundError:
            return  # moved back already by a roll-back of an earlier version
        try:
            if dest.read_bytes() == data:
                return
        except (FileNotFoundError, IsADirectoryError):
            pass
        _put(dest, data, stat.S_IMODE(old.stat().st_mode))
    elif created:
        _remove(dest)


def _remove(path: Path) -> None:
    if path.exists() or path.is_symlink():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _temp_for(dest: Path) -> Path:
    """The one temporary name a transaction writes *dest* through: a roll-back knows where to look."""
    return dest.with_name(f".{dest.name}.wc-txn")


def _put(dest: Path, data: bytes, mode: int) -> None:
    """Replace *dest* with *data* through a temporary file beside it (same folder: never EXDEV)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_for(dest)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(mode)
        tmp.replace(dest)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _finish(txn: Path) -> None:
    """End a transaction: the journal first (the moment it is over), then what it kept."""
    with contextlib.suppress(FileNotFoundError):
        (txn / "journal.json").unlink()
    shutil.rmtree(txn, ignore_errors=True)


def _stage(root: Path, txn: Path, changes: Mapping[str, bytes | None]) -> tuple[list[Entry], list[str]]:
    """Keep a copy of every file about to change, and the folders about to be made; then the journal."""
    shutil.rmtree(txn, ignore_errors=True)  # what an interrupted staging left: the tree was not touched
    with _naming(root / STATE_DIR):
        (txn / "old").mkdir(parents=True, exist_ok=True)
    entries: list[Entry] = []
    made: set[str] = set()
    try:
        for i, (rel, data) in enumerate(sorted(changes.items())):
            dest = root / rel
            entry: Entry = {"path": rel, "new": str(i) if data is not None else None, "old": None}
            if dest.is_file():
                with _naming(dest):
                    _put(txn / "old" / str(i), dest.read_bytes(), _mode_for(dest))
                entry["old"] = str(i)
            elif data is not None:
                made.update(_missing_folders(root, dest.parent))
            entries.append(entry)
        write_atomic(
            txn / "journal.json",
            json.dumps({"entries": entries, "made": sorted(made)}).encode(),
            target=root / STATE_DIR,
        )
    except BaseException:
        shutil.rmtree(txn, ignore_errors=True)
        raise
    return entries, sorted(made)


def _missing_folders(root: Path, folder: Path) -> list[str]:
    out: list[str] = []
    while folder != root and not folder.exists():
        out.append(folder.relative_to(root).as_posix())
        folder = folder.parent
    return out


def apply_changes(
    root: Path, changes: Mapping[str, bytes | None], *, fault: Fault | None = None, lock: bool = True
) -> None:
    """Write (bytes) or delete (None) every path in *changes*, relative to *root*, all or nothing.

    Pass ``lock=False`` when the caller already holds :func:`locked`. An OSError
    is a :class:`WriteError` naming the file being replaced (or, for the
    journal, the state folder), never a staged copy.
    """
    if not changes:
        return
    with locked(root) if lock else contextlib.nullcontext():
        recover(root)
        txn = _journal_dir(root)
        entries, made = _stage(root, txn, changes)
        try:
            for entry in entries:
                rel = str(entry["path"])
                dest = root / rel
                if fault is not None:
                    fault(rel)
                data = changes[rel]
                with _naming(dest):
                    if data is not None:
                        _put(dest, data, _mode_for(dest))
                    else:
                        with contextlib.suppress(FileNotFoundError):
                            dest.unlink()
        except BaseException as exc:
            try:
                _rollback(root, txn, entries, made)
            except RegistryError as failed:
                raise failed from exc
            _finish(txn)
            raise
        _finish(txn)


@contextlib.contextmanager
def _naming(target: Path) -> Iterator[None]:
    """Turn an OSError into a :class:`WriteError` naming *target*."""
    try:
        yield
    except OSError as exc:
        raise WriteError(target, exc) from exc
