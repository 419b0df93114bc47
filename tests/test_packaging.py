"""The wheel, built offline with the project's own build backend: what it ships."""

from __future__ import annotations

import re
import zipfile
from email.parser import Parser
from pathlib import Path

from conftest import REPO
from hatchling.builders.wheel import WheelBuilder

MODELS = REPO / "contracts" / "voucherify_webhooks"


def _wheel(tmp_path: Path) -> zipfile.ZipFile:
    built = next(WheelBuilder(str(REPO)).build(directory=str(tmp_path), versions=["standard"]))
    return zipfile.ZipFile(built)


def test_wheel_ships_typed_packages_and_the_whole_models_package(tmp_path: Path) -> None:
    with _wheel(tmp_path) as wheel:
        names = set(wheel.namelist())
        metadata = Parser().parsestr(wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode())
    assert (MODELS / "py.typed").is_file()
    assert {"webhook_contracts/py.typed", "voucherify_webhooks/py.typed"} <= names
    generated = {f"voucherify_webhooks/{p.relative_to(MODELS).as_posix()}" for p in MODELS.rglob("*.py")}
    assert {"voucherify_webhooks/model_types.py", "voucherify_webhooks/rfc3339.py"} <= generated <= names
    assert "webhook_contracts/_bundled/schemas/index.json" in names
    # The generator comes with the codegen extra only.
    requires = metadata.get_all("Requires-Dist") or []
    assert [r for r in requires if r.startswith("datamodel-code-generator")] == [
        "datamodel-code-generator==0.89.0; extra == 'codegen'"
    ]
    assert sorted(metadata.get_all("Provides-Extra") or []) == ["azure", "codegen", "dask", "fast", "gcs", "http", "s3"]
    # The stores' clients and Dask come with their extras only: the base install stays lean.
    projects = {r: re.split(r"[\[<>=;! ]", r, maxsplit=1)[0] for r in requires}
    store_and_cluster = {r for r, name in projects.items() if name in ("dask", "fsspec", "s3fs", "gcsfs", "adlfs")}
    assert {projects[r] for r in store_and_cluster} == {"dask", "fsspec", "s3fs", "gcsfs", "adlfs"}
    assert all("; extra ==" in r for r in store_and_cluster)


def test_wheel_with_the_native_validator_is_abi3_else_pure(tmp_path: Path) -> None:
    """With a C compiler the wheel ships the native drift validator, tagged for the limited API (one wheel
    for every Python from 3.11); without one it is a pure-Python wheel, and drift runs in Python."""
    with _wheel(tmp_path) as wheel:
        names = set(wheel.namelist())
        tags = Parser().parsestr(wheel.read(next(n for n in names if n.endswith(".dist-info/WHEEL"))).decode())
    native = [n for n in names if n.startswith("webhook_contracts/drift/native/_native.") and not n.endswith(".c")]
    (tag,) = tags.get_all("Tag") or []
    if native:
        assert tag.startswith("cp311-abi3-")
        assert tags["Root-Is-Purelib"] == "false"
    else:
        assert tag == "py3-none-any"
    assert "webhook_contracts/drift/native/program.py" in names
