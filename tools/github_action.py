"""The step of the GitHub Action (`action.yml`): run `webhook-contracts check` the way a workflow needs it.

Reads the action's inputs from the environment (`WC_*`, set by `action.yml`)
and GitHub's own variables, then:

- runs `check` in `WC_WORKING_DIRECTORY` (a monorepo's sub-folder: the project
  root and its configuration are found from there, as on a developer machine);
- compares with `WC_BASE`, else the pull request's base branch
  (`origin/$GITHUB_BASE_REF`), else `check`'s own default;
- prints one annotation per finding, with file paths from the repository root
  (GitHub resolves annotations and SARIF locations from there, `check` writes
  them from the project root), and an annotation for a run that could not start;
- appends the Markdown report to `$GITHUB_STEP_SUMMARY`;
- sets the `sarif-file` output only when the SARIF report was written (not on
  exit 2), and says so in the log;
- exits with `check`'s exit code: 0 clean, 1 findings, 2 usage or input error.

It needs the Python that has webhook-contracts installed, and nothing else.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from webhook_contracts.config import find_root
from webhook_contracts.report.escaping import github_data, github_property, markdown_cell

TITLE = "webhook-contracts check"
USAGE_ERROR = 2


def main() -> int:
    env = os.environ
    folder = Path(env.get("WC_WORKING_DIRECTORY") or ".")
    if not folder.is_dir():
        return _cannot_run(f"working-directory {str(folder)!r} is not a folder of the checkout")
    try:
        args = shlex.split(env.get("WC_ARGS", ""))
    except ValueError as exc:  # unbalanced quotes
        return _cannot_run(f"args: {exc}")
    if any(arg == "--root" or arg.startswith("--root=") for arg in args):
        return _cannot_run("--root cannot go in `args`: set the `working-directory` input to the project folder")
    sarif = folder / (env.get("WC_SARIF") or "webhook-contracts.sarif")
    sarif.unlink(missing_ok=True)  # a file left from an earlier run must not pass for this run's report
    prefix = _repository_prefix(folder)
    base = _base_args()
    print(f"changes measured from: {base[1] if base else 'the merge base with main'}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        markdown = Path(scratch) / "report.md"
        command = [
            sys.executable,
            "-m",
            "webhook_contracts",
            "check",
            "--format",
            "github",
            "--fail-on",
            env.get("WC_FAIL_ON") or "error",
            "--report",
            f"sarif:{sarif.resolve()}",
            "--report",
            f"markdown:{markdown}",
            *base,
            *args,
        ]
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
        for line in done.stdout.splitlines():
            print(_from_repository_root(line, prefix))
        sys.stderr.write(done.stderr)
        if markdown.exists():
            _append(env.get("GITHUB_STEP_SUMMARY"), markdown.read_text("utf-8"))
    if done.returncode == USAGE_ERROR or not sarif.exists():
        message = (done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1]
        _cannot_run(message, log=False)
        print(f"no SARIF report was written (check exited {done.returncode}); the sarif-file output is not set")
    else:
        _rebase_sarif(sarif, prefix)
        output = _workspace_path(sarif)
        _append(env.get("GITHUB_OUTPUT"), f"sarif-file={output}\n")
        print(f"SARIF report: {output} (the sarif-file output)")
    return done.returncode


def _base_args() -> list[str]:
    base = os.environ.get("WC_BASE") or ""
    if not base and os.environ.get("GITHUB_BASE_REF"):
        base = f"origin/{os.environ['GITHUB_BASE_REF']}"
    return ["--base", base] if base else []


def _cannot_run(message: str, *, log: bool = True) -> int:
    """An error annotation and a summary section for a run that could not start (exit 2)."""
    if log:
        print(f"error: {message}", file=sys.stderr)
    print(f"::error title={github_property(TITLE)}::{github_data(message)}")
    _append(os.environ.get("GITHUB_STEP_SUMMARY"), f"## {TITLE} could not run\n\n{markdown_cell(message)}\n")
    return USAGE_ERROR


def _repository_prefix(folder: Path) -> str:
    """The project root's path from the repository root (`` when they are the same)."""
    root = find_root(folder)
    done = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=folder, capture_output=True, text=True, check=False
    )
    top = done.stdout.strip() if done.returncode == 0 else os.environ.get("GITHUB_WORKSPACE", "")
    try:
        rel = root.relative_to(Path(top).resolve()).as_posix() if top else "."
    except ValueError:
        return ""
    return "" if rel == "." else rel


def _from_repository_root(line: str, prefix: str) -> str:
    """An annotation line with its `file=` property read from the repository root."""
    if not prefix or not line.startswith("::"):
        return line
    return line.replace(" file=", f" file={github_property(prefix + '/')}", 1)


def _rebase_sarif(path: Path, prefix: str) -> None:
    """The SARIF report's file locations read from the repository root (as code scanning reads them)."""
    if not prefix:
        return
    log: dict[str, Any] = json.loads(path.read_text("utf-8"))
    for run in log.get("runs", []):
        for result in run.get("results", []):
            for location in result.get("locations", []):
                artifact = location.get("physicalLocation", {}).get("artifactLocation")
                if artifact and "uri" in artifact:
                    artifact["uri"] = f"{quote(prefix, safe='/')}/{artifact['uri']}"
    path.write_text(json.dumps(log, indent=2, sort_keys=True, ensure_ascii=True) + "\n", "utf-8")


def _workspace_path(path: Path) -> str:
    """*path* from the workspace (where the next step runs; default the working folder), else absolute."""
    workspace = Path(os.environ.get("GITHUB_WORKSPACE") or Path.cwd()).resolve()
    full = path.resolve()
    try:
        return full.relative_to(workspace).as_posix()
    except ValueError:
        return full.as_posix()


def _append(target: str | None, text: str) -> None:
    if target:
        with Path(target).open("a", encoding="utf-8") as stream:
            stream.write(text)


if __name__ == "__main__":
    sys.exit(main())
