"""The GitHub Action: `action.yml` is well formed, and its step runs as a workflow runs it.

The step's environment is built from `action.yml` itself (its `env:` with the
inputs substituted), then its `run:` line is run by bash in a temporary git
repository whose project sits in a sub-folder, as in a monorepo.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, commit_all, git
from consumers import assert_github_renders_inert

import webhook_contracts

ACTION = yaml.safe_load((REPO / "action.yml").read_text("utf-8"))
SCRIPT = REPO / "tools" / "github_action.py"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
INPUT = re.compile(r"\binputs\.([A-Za-z0-9_-]+)")
SUB = "services/hooks"
EVENT = "voucher.loyalty_card.pending_points.activated"


def steps() -> list[dict[str, Any]]:
    return list(ACTION["runs"]["steps"])


def test_every_action_is_pinned_to_a_commit() -> None:
    uses = [step["uses"] for step in steps() if "uses" in step]
    assert uses
    for use in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}", use), use
    text = (REPO / "action.yml").read_text("utf-8")
    assert re.search(r"uses: actions/setup-python@[0-9a-f]{40}  # v5\.\d+\.\d+\n", text)


def test_every_input_used_is_declared_and_every_declared_one_is_used() -> None:
    declared = set(ACTION["inputs"])
    used = set(INPUT.findall(yaml.safe_dump(ACTION["runs"]))) | set(INPUT.findall(yaml.safe_dump(ACTION["outputs"])))
    assert used <= declared, f"undeclared: {sorted(used - declared)}"
    assert declared <= used, f"never used: {sorted(declared - used)}"


def test_the_script_reads_only_what_the_step_sets() -> None:
    step = next(step for step in steps() if step.get("id") == "check")
    wanted = set(re.findall(r"\bWC_[A-Z_]+", SCRIPT.read_text("utf-8")))
    assert wanted <= set(step["env"]), sorted(wanted - set(step["env"]))


def test_python_is_the_version_the_project_tests_with() -> None:
    version = ACTION["inputs"]["python-version"]["default"]
    assert sys.version.startswith(version + ".")
    assert f"Programming Language :: Python :: {version}" in (REPO / "pyproject.toml").read_text("utf-8")


@dataclass
class Run:
    code: int
    log: str
    outputs: str
    summary: str


@pytest.fixture
def monorepo(project: Path, tmp_path: Path) -> Path:
    """A repository with the project in a sub-folder, main's tip as `origin/main`, on a branch."""
    workspace = tmp_path / "workspace"
    shutil.copytree(project, workspace / SUB)
    (workspace / SUB / "webhook-contracts.toml").write_text('fixtures = ["samples/*.json"]\n', "utf-8")
    (workspace / SUB / "samples").mkdir()
    (workspace / "README.md").write_text("other things\n", "utf-8")
    commit_all(workspace)
    git(workspace, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(workspace, "checkout", "-qb", "change")
    return workspace


def run_step(workspace: Path, **inputs: str) -> Run:
    """The `check` step of action.yml, in *workspace*, with these inputs (others: their defaults)."""
    step = next(step for step in steps() if step.get("id") == "check")
    values = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()}
    values.update({name.replace("_", "-"): value for name, value in inputs.items()})

    def substitute(text: str) -> str:
        def value(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression == "github.action_path":
                return str(REPO)
            name = INPUT.fullmatch(expression)
            assert name, expression
            return str(values[name.group(1)])

        return EXPRESSION.sub(value, text)

    outputs, summary = workspace.parent / "outputs", workspace.parent / "summary.md"
    outputs.write_text("", "utf-8")
    summary.write_text("", "utf-8")
    env = {
        **os.environ,
        **{key: substitute(str(value)) for key, value in step["env"].items()},
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_BASE_REF": "main",
        # The Python that has the toolkit installed, as setup-python and the install step leave it.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "PYTHONPATH": str(Path(webhook_contracts.__file__).resolve().parent.parent),
    }
    done = subprocess.run(
        ["bash", "-c", step["run"]], cwd=workspace, env=env, capture_output=True, text=True, check=False
    )
    return Run(done.returncode, done.stdout + done.stderr, outputs.read_text("utf-8"), summary.read_text("utf-8"))


def test_clean_project_in_a_sub_folder(monorepo: Path) -> None:
    run = run_step(monorepo, working_directory=SUB)
    assert run.code == 0, run.log
    assert run.outputs == f"sarif-file={SUB}/webhook-contracts.sarif\n"
    assert json.loads((monorepo / SUB / "webhook-contracts.sarif").read_text("utf-8"))["version"] == "2.1.0"
    assert "changes measured from: origin/main" in run.log
    assert "::error" not in run.log and "::warning" not in run.log
    assert "check: no findings" in run.summary


def test_findings_point_at_files_from_the_repository_root(monorepo: Path) -> None:
    (monorepo / SUB / "samples" / "broken.json").write_text(json.dumps({"type": EVENT, "data": {}}), "utf-8")
    run = run_step(monorepo, working_directory=SUB, args="--skip models")
    assert run.code == 1, run.log
    annotations = [line for line in run.log.splitlines() if line.startswith("::error ")]
    assert annotations
    assert all(f"file={SUB}/samples/broken.json," in line for line in annotations), annotations
    assert run.outputs == f"sarif-file={SUB}/webhook-contracts.sarif\n"
    sarif = json.loads((monorepo / SUB / "webhook-contracts.sarif").read_text("utf-8"))
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in sarif["runs"][0]["results"]
        for loc in result["locations"]
    }
    assert uris == {f"{SUB}/samples/broken.json"}
    assert f"{len(annotations)} finding" in run.summary and "fixtures failed" in run.summary


def test_a_run_that_cannot_start_sets_no_sarif_output(monorepo: Path) -> None:
    stale = monorepo / SUB / "webhook-contracts.sarif"
    stale.write_text("{}", "utf-8")  # left by an earlier run: must not pass for this one's report
    run = run_step(monorepo, working_directory=SUB, args="--skip nothing-of-the-sort")
    assert run.code == 2, run.log
    assert run.outputs == ""
    assert not stale.exists()
    assert "no SARIF report was written (check exited 2); the sarif-file output is not set" in run.log
    assert re.search(r"^::error title=webhook-contracts check::.*nothing-of-the-sort", run.log, re.M)
    assert "could not run" in run.summary


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"working_directory": "no/such/folder"}, "working-directory 'no/such/folder' is not a folder"),
        ({"working_directory": SUB, "args": "--root elsewhere"}, "--root cannot go in `args`"),
        ({"working_directory": SUB, "args": '--logs "unterminated'}, "args: No closing quotation"),
    ],
)
def test_bad_inputs_exit_2(monorepo: Path, inputs: dict[str, str], message: str) -> None:
    run = run_step(monorepo, **inputs)
    assert run.code == 2
    assert run.outputs == ""
    assert re.search(r"^::error title=webhook-contracts check::" + re.escape(message), run.log, re.M), run.log


def test_the_job_summary_of_a_run_that_cannot_start_renders_inert(monorepo: Path) -> None:
    run = run_step(monorepo, working_directory="www.evil.test/@octocat/#1/GH-2/<b>x</b>|[x](https://evil.test)")
    assert run.code == 2
    assert "could not run" in run.summary
    assert_github_renders_inert(run.summary)


def test_a_shallow_checkout_says_the_changelog_was_not_checked(monorepo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "shallow" / "workspace"
    git(tmp_path, "clone", "-q", "--depth", "1", monorepo.as_uri(), str(clone))
    run = run_step(clone, working_directory=SUB, args="--skip models --skip fixtures")
    assert run.code == 0, run.log
    warning = [line for line in run.log.splitlines() if line.startswith("::warning ")]
    assert len(warning) == 1
    assert "the changelog check could not run: the base 'origin/main' is not in this clone" in warning[0]
    assert "`fetch-depth: 0`" in warning[0]
    strict = run_step(clone, working_directory=SUB, args="--skip models --skip fixtures", fail_on="warning")
    assert strict.code == 1


def test_the_base_input_overrides_the_pull_request_base(monorepo: Path) -> None:
    run = run_step(monorepo, working_directory=SUB, base="HEAD", args="--skip models --skip fixtures")
    assert run.code == 0, run.log
    assert "changes measured from: HEAD" in run.log


def readme_ci_blocks() -> list[Any]:
    text = (REPO / "README.md").read_text("utf-8")
    section = text[text.index("## Using it in CI\n") :]
    section = section[: section.index("\n## ", 1)]
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.S)]


def test_readme_workflows_use_only_what_the_action_declares() -> None:
    workflows = [block for block in readme_ci_blocks() if "jobs" in block]
    assert len(workflows) == 2  # the pull request workflow and the monorepo one
    seen: set[str] = set()
    for workflow in workflows:
        for job in workflow["jobs"].values():
            ours = [step for step in job["steps"] if step.get("uses", "").startswith("webhook-contracts/")]
            assert len(ours) == 1
            seen |= set(ours[0].get("with", {}))
            assert set(ours[0].get("with", {})) <= set(ACTION["inputs"])
            used = re.findall(rf"steps\.{ours[0]['id']}\.outputs\.([\w-]+)", yaml.safe_dump(job))
            assert set(used) <= set(ACTION["outputs"])
    assert "working-directory" in seen
    text = (REPO / "README.md").read_text("utf-8")
    for name in ACTION["inputs"]:
        assert f"\n| `{name}` |" in text, f"input {name} is not in the README's table"


def test_readme_precommit_config_names_our_hooks() -> None:
    hooks = {hook["id"] for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))}
    [config] = [block for block in readme_ci_blocks() if "repos" in block]
    assert {hook["id"] for repo in config["repos"] for hook in repo["hooks"]} == hooks
