"""Build hook: compiles the native drift validator (src/webhook_contracts/drift/native/_native.c).

The extension uses only the limited C API of Python 3.11, so one wheel serves
every later Python (tagged `cp311-abi3-<platform>`). setuptools' `build_ext`
finds the compiler and flags of each platform. An editable install builds it
in place, beside the C file. When it cannot be built (no compiler), the wheel
is pure Python and drift runs its Python engine, unless the environment sets
`WEBHOOK_CONTRACTS_REQUIRE_NATIVE=1` (the release wheels do): then the build fails.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

NAME = "webhook_contracts.drift.native._native"
SOURCE = Path("src/webhook_contracts/drift/native/_native.c")
#: The oldest Python the extension is built for (the project's requires-python).
LIMITED_API = "0x030B0000"
ABI3_TAG = "cp311-abi3"


def build_extension(root: Path, out: Path) -> Path:
    """Compile the extension into *out*; the path of the built module."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    extension = Extension(
        NAME,
        [str(root / SOURCE)],
        py_limited_api=True,
        define_macros=[("Py_LIMITED_API", LIMITED_API)],
        extra_compile_args=[] if sys.platform == "win32" else ["-O3", "-std=c99"],
    )
    command = build_ext(Distribution({"name": "webhook-contracts", "ext_modules": [extension]}))
    command.build_lib = str(out)
    command.build_temp = str(out / "temp")
    command.ensure_finalized()
    command.run()
    return Path(command.get_ext_fullpath(NAME))


class NativeBuildHook(BuildHookInterface):  # type: ignore[misc]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        with tempfile.TemporaryDirectory() as folder:
            try:
                built = build_extension(root, Path(folder))
            except Exception as exc:  # no compiler, no headers: the Python engine serves
                if os.environ.get("WEBHOOK_CONTRACTS_REQUIRE_NATIVE") == "1":
                    raise
                self.app.display_warning(f"the native drift validator was not built ({exc}); drift runs in Python")
                return
            target = root / SOURCE.parent / built.name
            if version == "editable":
                # A new file renamed over the old one: a running process keeps the module it mapped.
                fresh = target.with_name(target.name + ".new")
                shutil.copyfile(built, fresh)
                fresh.replace(target)
                return
            kept = Path(self.directory) / ".native" / built.name
            kept.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(built, kept)
        build_data["force_include"][str(kept)] = f"webhook_contracts/drift/native/{built.name}"
        build_data["pure_python"] = False
        build_data["tag"] = f"{ABI3_TAG}-{_platform_tag()}"


def _platform_tag() -> str:
    return sysconfig.get_platform().replace("-", "_").replace(".", "_")
