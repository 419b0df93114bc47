"""Shared fixtures: the repository, a throwaway copy of the project, a CLI runner."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from webhook_contracts.cli import main

# Machines running the tests are shared and noisy: no test may depend on how
# fast it runs, and that includes Hypothesis's timing health checks and deadlines.
# Under CI the examples are derandomized, so a red run can be replayed exactly.
settings.register_profile(
    "default",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=bool(os.environ.get("CI")),
    print_blob=True,
)
settings.load_profile("default")

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
SCHEMAS = REPO / "schemas"
DATA = Path(__file__).resolve().parent / "data"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens", action="store_true", default=False,
        help="Rewrite golden files with the current output instead of comparing.",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the project's contract files (docs, schemas, contracts, changelog)."""
    root = tmp_path / "project"
    root.mkdir()
    for name in ("docs", "schemas", "contracts"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(REPO / "CHANGELOG.md", root / "CHANGELOG.md")
    return root


Invoke = Callable[..., Result]


@pytest.fixture
def cli() -> Invoke:
    """Run the CLI in-process: cli("regen", "--check", root=path)."""

    def invoke(*args: str, root: Path | None = None, input: bytes | str | None = None) -> Result:
        argv: Sequence[str] = (["--root", str(root)] if root else []) + list(args)
        return CliRunner().invoke(main, argv, input=input, catch_exceptions=False)

    return invoke
