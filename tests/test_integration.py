"""The pre-commit hooks and the GitHub Action, run the way pre-commit and Actions run them."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, commit_all

HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))
ACTION = yaml.safe_load((REPO / "action.yml").read_text("utf-8"))
MODULE = "contracts/voucherify_webhooks/v2024_01_01/customer_rewarded_loyalty_points.py"
BIN = Path(sys.executable).parent


@pytest.fixture
def repo(project: Path) -> Path:
    commit_all(project)
    return project


def run_hook(hook: dict[str, Any], root: Path) -> subprocess.CompletedProcess[str]:
    """As pre-commit runs a `language: python` hook: its entry, in the repository root."""
    argv = shlex.split(hook["entry"]) + list(hook.get("args", []))
    assert hook.get("pass_filenames") is False, "the checks look at the whole tree, not at files"
    executable = shutil.which(argv[0], path=str(BIN)) or argv[0]
    return subprocess.run([executable, *argv[1:]], cwd=root, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("hook", HOOKS, ids=[h["id"] for h in HOOKS])
def test_hook_passes_then_fails_on_a_stale_model(hook: dict[str, Any], repo: Path) -> None:
    assert hook["language"] == "python"
    # What the checks read depends on the configuration: the hooks run whatever a commit touches.
    assert hook["always_run"] is True and "files" not in hook
    clean = run_hook(hook, repo)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    (repo / MODULE).write_text("# edited by hand\n", "utf-8")
    stale = run_hook(hook, repo)
    assert stale.returncode == 1
    assert MODULE in stale.stdout


def _check_step() -> dict[str, Any]:
    return next(step for step in ACTION["runs"]["steps"] if step.get("id") == "check")


def run_action(root: Path, tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    """The action's check step with the environment GitHub gives it."""
    values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()} | inputs
    step = _check_step()
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    for name, expression in step["env"].items():
        if expression == "${{ github.action_path }}":
            env[name] = str(REPO)
            continue
        match = re.fullmatch(r"\$\{\{ inputs\.([a-z-]+) \}\}", expression)
        assert match, f"{name}: inputs reach the script only through env ({expression})"
        env[name] = values[match.group(1)]
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    env |= {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}
    assert "${{" not in step["run"], "no expression is expanded inside the script"
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    return done, summary, output


def test_action_check_step_on_a_clean_repository(repo: Path, tmp_path: Path) -> None:
    done, summary, output = run_action(repo, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert summary.read_text("utf-8").startswith("### webhook-contracts check")
    assert output.read_text("utf-8") == "sarif-file=webhook-contracts.sarif\n"
    sarif = json.loads((repo / "webhook-contracts.sarif").read_text("utf-8"))
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"] == []


def test_action_check_step_fails_with_annotations(repo: Path, tmp_path: Path) -> None:
    (repo / MODULE).write_text("# edited by hand\n", "utf-8")
    done, summary, output = run_action(repo, tmp_path, **{"sarif-file": "out/contracts.sarif"})
    assert done.returncode == 1
    assert any(line.startswith("::error file=") and "is stale" in line for line in done.stdout.splitlines())
    assert "**error**" in summary.read_text("utf-8")
    assert output.read_text("utf-8") == "sarif-file=out/contracts.sarif\n"
    results = json.loads((repo / "out/contracts.sarif").read_text("utf-8"))["runs"][0]["results"]
    assert results and all(r["level"] == "error" for r in results)


def test_action_drift_through_args(repo: Path, tmp_path: Path) -> None:
    sample = REPO / "tests" / "data" / "sample-log" / "production.ndjson.gz"
    done, _, _ = run_action(repo, tmp_path, args=f"--logs {sample} --payload-field body", **{"fail-on": "never"})
    assert done.returncode == 0, done.stderr
    assert "::error" in done.stdout and "missing_field" in done.stdout


def test_action_metadata() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert ACTION["outputs"]["sarif-file"]["value"] == "${{ steps.check.outputs.sarif-file }}"
    install = next(s for s in ACTION["runs"]["steps"] if s.get("name") == "Install webhook-contracts")
    assert "${{" not in install["run"]
