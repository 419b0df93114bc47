"""The native validator in front of the drift fast path, and the choice of engine.

The C extension (:file:`_native.c`) walks the raw bytes of each line against
a program compiled from the contract (:mod:`.program`) and answers "clean" or
"refer", building no Python object for a clean line. Whatever it refers
takes the Python path as before: the msgspec gate, then the walker. It is
built with the package (a hatch build hook); when it is not built or cannot
be imported, or the environment sets `WEBHOOK_CONTRACTS_NATIVE=0`, the
Python path reads every line, with the same reports, more slowly.

This module only loads the extension (cheap: `--version` names the engine);
:mod:`.gate` puts it in front of the msgspec gate, :mod:`.program` compiles
the contracts for it.
"""

from __future__ import annotations

import os
from types import ModuleType

#: Set to "0" to force the Python engine (the reports are the same).
ENV = "WEBHOOK_CONTRACTS_NATIVE"
_IMPORTED: list[tuple[ModuleType | None, str]] = []


def _load() -> tuple[ModuleType | None, str]:
    """The extension module (None when not used), and why. The environment is read at every call."""
    if os.environ.get(ENV, "1").strip() == "0":
        return None, f"{ENV}=0"
    if not _IMPORTED:
        try:
            from . import _native  # type: ignore[attr-defined]

            _IMPORTED.append((_native, "C extension"))
        except ImportError as exc:
            _IMPORTED.append((None, f"the native validator is not available: {exc}"))
    return _IMPORTED[0]


def load() -> ModuleType | None:
    """The extension module, or None when the Python engine runs."""
    return _load()[0]


def engine_name() -> str:
    """Which drift engine runs, as `drift -v` and `--version` say it."""
    module, why = _load()
    return f"native ({why})" if module is not None else f"python ({why})"


__all__ = ["ENV", "engine_name", "load"]
