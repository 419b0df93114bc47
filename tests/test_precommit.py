"""The pre-commit hooks, run by pre-commit itself on a project with its own layout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, commit_all, git

import webhook_contracts

HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))
#: What decides when pre-commit runs a hook and what it hands over.
TRIGGERS = ("files", "exclude", "types", "types_or", "always_run", "pass_filenames")


def test_every_hook_runs_whatever_the_commit_touches() -> None:
    assert [hook["id"] for hook in HOOKS] == ["webhook-contracts-check", "webhook-contracts-regen-check"]
    for hook in HOOKS:
        assert hook["always_run"] is True
        assert hook["pass_filenames"] is False
        assert "files" not in hook


@pytest.fixture
def precommit_repo(project: Path, tmp_path: Path) -> Path:
    """The project with fixtures in a folder of its own choosing and our hooks as local ones."""
    (project / "webhook-contracts.toml").write_text('fixtures = ["payload-samples/*.json"]\n', "utf-8")
    (project / "payload-samples").mkdir()
    hooks = [
        {
            "id": hook["id"],
            "name": hook["name"],
            "entry": hook["entry"],
            "language": "system",
            **{key: hook[key] for key in TRIGGERS if key in hook},
        }
        for hook in HOOKS
    ]
    config = {"repos": [{"repo": "local", "hooks": hooks}]}
    (project / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    commit_all(project)
    return project


def run_precommit(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    package_parent = Path(webhook_contracts.__file__).resolve().parent.parent
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(root.parent / "pre-commit-home"),
        # `language: system` runs the entry from PATH: the console script of this environment.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "PYTHONPATH": os.pathsep.join([str(package_parent), str(REPO / "contracts")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_broken_fixture_in_a_configured_folder_fails_the_hook(precommit_repo: Path) -> None:
    broken = precommit_repo / "payload-samples" / "broken.json"
    broken.write_text('{"type": "voucher.loyalty_card.pending_points.activated", "data": ', "utf-8")
    git(precommit_repo, "add", "-A")
    done = run_precommit(precommit_repo, "webhook-contracts-check", "--files", "payload-samples/broken.json")
    assert "Skipped" not in done.stdout
    assert done.returncode == 1, done.stdout + done.stderr
    assert "webhook contracts are consistent" in done.stdout
    assert "Failed" in done.stdout
    assert "payload-samples/broken.json" in done.stdout
