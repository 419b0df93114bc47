"""Shared fixtures and helpers: the repository, a throwaway copy of the project, the CLI (in-process and in a
child process), git, JSON files, snapshots of a tree, folders of cases and golden files."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from golden import assert_golden
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
CASES = DATA / "cases"
#: How long a child process may take before a test calls it hung: far beyond any healthy run, so that
#: only a regression to unbounded work (a hang, a blow-up) reaches it.
HANG_TIMEOUT_S = 120


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="Rewrite golden files with the current output instead of comparing.",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


Golden = Callable[..., None]


@pytest.fixture
def golden(update_goldens: bool) -> Golden:
    """Compare with a golden file: golden(output, "drift/sample", fmt="json") (see golden.py)."""

    def compare(actual: str | bytes, name: str, *, fmt: str | None = None) -> None:
        assert_golden(actual, name, update_goldens, fmt=fmt)

    return compare


def case_folders(family: str) -> list[Any]:
    """The case folders of `tests/data/cases/<family>/`, as pytest parameters named by their folder."""
    return [pytest.param(folder, id=folder.name) for folder in sorted((CASES / family).iterdir()) if folder.is_dir()]


def read_json(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def write_json(path: Path, value: Any, *, indent: int | None = None) -> Path:
    """Write *value* as a JSON file (parents made) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=indent), "utf-8")
    return path


def write_ndjson(path: Path, *values: Any) -> Path:
    """Write one JSON value a line and return the path."""
    path.write_text("".join(json.dumps(v) + "\n" for v in values), "utf-8")
    return path


def snapshot(root: Path) -> dict[str, str]:
    """Every file under *root* (but the state folder and caches) with the hash of its bytes."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".webhook-contracts" not in p.parts and "__pycache__" not in p.parts
    }


def git(root: Path, *args: str) -> str:
    """Run git in *root* as a throwaway identity; its stdout."""
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def commit_all(root: Path) -> Path:
    """Make *root* a git repository on `main` with everything in one commit."""
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "contracts")
    return root


def module_env() -> dict[str, str]:
    """The environment for a child `python -m webhook_contracts` that imports this checkout."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO / "contracts")])}


def run_module(
    args: Sequence[str], *, timeout: float = HANG_TIMEOUT_S, **kwargs: Any
) -> subprocess.CompletedProcess[Any]:
    """`python -m webhook_contracts ARGS` in a child process; a run past *timeout* fails the test instead of
    hanging it. Keyword arguments go to `subprocess.run` (`env` defaults to :func:`module_env`)."""
    kwargs.setdefault("env", module_env())
    try:
        done: subprocess.CompletedProcess[Any] = subprocess.run(
            [sys.executable, "-m", "webhook_contracts", *args], check=False, timeout=timeout, **kwargs
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`webhook-contracts {' '.join(args)}` ran past {timeout} s: its work is no longer bounded")
    return done


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


#: Runs the command in its argv and reports the peak resident size of its only child on stderr. A child
#: forked from the (large) test process would start with that process's peak, and tracemalloc would make
#: millions of small allocations crawl; a small launcher measures the command alone.
_PEAK_LAUNCHER = (
    "import resource, subprocess, sys\n"
    "done = subprocess.run(sys.argv[1:])\n"
    "sys.stderr.write(f'\\npeak_kib={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}\\n')\n"
    "sys.exit(done.returncode)\n"
)


def run_module_with_peak(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """`python -m webhook_contracts ARGS` in a child process whose peak resident size :func:`peak_kib_of` reads;
    a run past the hang timeout fails the test instead of hanging it."""
    command = [sys.executable, "-c", _PEAK_LAUNCHER, sys.executable, "-m", "webhook_contracts", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=HANG_TIMEOUT_S)


def peak_kib_of(done: subprocess.CompletedProcess[str]) -> int:
    """The peak resident size (KiB) :func:`run_module_with_peak` reported."""
    return int(done.stderr.rsplit("peak_kib=", 1)[1])
