"""Golden files: compare output with a committed file; show a diff and how to refresh.

Every golden file lives under `tests/data/golden/`; a report's file is named by its format through the one
suffix map, :data:`SUFFIX`.
"""

from __future__ import annotations

import difflib
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
REFRESH = "pytest --update-goldens"
#: Report format -> suffix of its golden file.
SUFFIX = {
    "text": "txt",
    "json": "json",
    "markdown": "md",
    "junit": "xml",
    "sarif": "sarif",
    "github": "github.txt",
}


def golden_path(name: str, fmt: str | None = None) -> Path:
    """The golden file *name* (relative to the golden tree), with the suffix of report format *fmt* if given."""
    return GOLDEN / (f"{name}.{SUFFIX[fmt]}" if fmt is not None else name)


def assert_golden(actual: str | bytes, name: str, update: bool, *, fmt: str | None = None) -> None:
    """Fail with a unified diff unless *actual* equals the golden file *name* (see :func:`golden_path`)."""
    path = golden_path(name, fmt)
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
