"""Golden files: compare output with a committed file; show a diff and how to refresh."""

from __future__ import annotations

import difflib
from pathlib import Path

REFRESH = "pytest --update-goldens"


def assert_golden(actual: str | bytes, path: Path, update: bool) -> None:
    """Fail with a unified diff unless *actual* equals the golden file at *path*."""
    data = actual.encode("utf-8") if isinstance(actual, str) else actual
    if update:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return
    if not path.exists():
        raise AssertionError(f"golden file {path} is missing; create it with: {REFRESH}")
    expected = path.read_bytes()
    if expected == data:
        return
    diff = "".join(
        difflib.unified_diff(
            expected.decode("utf-8", "replace").splitlines(keepends=True),
            data.decode("utf-8", "replace").splitlines(keepends=True),
            fromfile=f"{path} (golden)",
            tofile="actual",
        )
    )
    raise AssertionError(f"output differs from {path}:\n{diff}\nIf the change is intended, refresh with: {REFRESH}")
