"""Real runs, read as CI reads them: SARIF as code scanning takes it, JUnit through a JUnit parser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Invoke
from consumers import assert_code_scanning_accepts, assert_github_renders_inert, junit_cases, outcome
from drift_support import REPO, envelope, example

SAMPLE = REPO / "tests" / "data" / "sample-log" / "production.ndjson"
LABELS = json.loads((SAMPLE.parent / "labels.json").read_text("utf-8"))
EVENT = "customer.rewarded.loyalty_points"


def _sarif(cli: Invoke, *args: str, root: Path, exit_code: int) -> list[dict[str, Any]]:
    result = cli(*args, "--format", "sarif", root=root)
    assert result.exit_code == exit_code, result.output
    return assert_code_scanning_accepts(json.loads(result.stdout))


def test_drift_sample_then_baselined(cli: Invoke, project: Path, tmp_path: Path) -> None:
    args = ("drift", "--payload-field", "body", str(SAMPLE))
    results = _sarif(cli, *args, root=project, exit_code=1)
    assert len(results) == len(LABELS["findings"]) and not any("suppressions" in r for r in results)
    failing = {outcome(case) for case in junit_cases(cli(*args, "--format", "junit", root=project).stdout)}
    assert "failed" in failing
    baseline = tmp_path / "baseline.json"
    assert cli(*args, "--write-baseline", str(baseline), root=project).exit_code == 0
    accepted = (*args, "--baseline", str(baseline))
    results = _sarif(cli, *accepted, root=project, exit_code=0)
    justification = f"accepted in the baseline {baseline.as_posix()}"
    assert all(
        r["suppressions"] == [{"kind": "external", "status": "accepted", "justification": justification}]
        for r in results
    )
    cases = junit_cases(cli(*accepted, "--format", "junit", root=project).stdout)
    assert {outcome(case) for case in cases} == {"skipped"} and len(cases) == len(results)
    lines = cli(*accepted, "--format", "github", root=project).stdout.splitlines()
    assert len(lines) == len(results) and all(line.startswith("::notice ") for line in lines)


def test_drift_that_checked_nothing_points_at_the_log(cli: Invoke, project: Path, tmp_path: Path) -> None:
    log = tmp_path / "empty.ndjson"
    log.write_text("not json\n", "utf-8")
    (result,) = _sarif(cli, "drift", str(log), root=project, exit_code=1)
    assert result["ruleId"] == "nothing_checked"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == log.as_posix()
    cases = junit_cases(cli("drift", str(log), "--format", "junit", root=project).stdout)
    assert [(case.classname, outcome(case)) for case in cases] == [("drift", "failed")]


def test_clean_drift_has_passing_cases(cli: Invoke, project: Path, tmp_path: Path) -> None:
    log = tmp_path / "clean.ndjson"
    log.write_text(json.dumps(envelope(EVENT, example(EVENT))) + "\n", "utf-8")
    result = cli("drift", str(log), "--format", "junit", root=project)
    assert result.exit_code == 0, result.output
    cases = junit_cases(result.stdout)
    assert [(case.classname, outcome(case)) for case in cases] == [(EVENT, "passed")]
    assert _sarif(cli, "drift", str(log), root=project, exit_code=0) == []


def test_clean_check_has_one_passing_case_per_check(cli: Invoke, project: Path) -> None:
    result = cli("check", "--format", "junit", root=project)
    assert result.exit_code == 0, result.output
    cases = {case.name: outcome(case) for case in junit_cases(result.stdout)}
    assert cases == {
        "changelog": "skipped",
        "drift": "skipped",
        "fixtures": "passed",
        "index": "passed",
        "models": "passed",
        "schemas": "passed",
    }


def test_check_failures_without_a_file_point_at_the_config(cli: Invoke, project: Path) -> None:
    (project / "webhook-contracts.toml").write_text("fail-on = 'error'\n", "utf-8")
    index = project / "schemas" / "index.json"
    original = index.read_bytes()
    index.write_text("{", "utf-8")
    args = ("check", "--skip", "models")
    results = _sarif(cli, *args, root=project, exit_code=1)
    where = {r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert where == {"index_mismatch": "schemas/index.json", "fixture_violation": "webhook-contracts.toml"}
    cases = {case.name: outcome(case) for case in junit_cases(cli(*args, "--format", "junit", root=project).stdout)}
    assert cases["index"] == cases["fixtures"] == "failed" and cases["models"] == "skipped"
    index.write_bytes(original)
    # The unreadable-lines warning of `check --logs` points at the first line that could not be read.
    logs = ("check", "--skip", "models", "--skip", "fixtures", "--logs", str(SAMPLE), "--payload-field", "body")
    results = _sarif(cli, *logs, root=project, exit_code=1)
    (warning,) = [r for r in results if r["ruleId"] == "drift"]
    first = LABELS["unparseable_lines"][0]
    assert warning["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": SAMPLE.as_posix()},
        "region": {"startLine": first},
    }


def test_diff_and_compare_give_valid_sarif(cli: Invoke, project: Path, tmp_path: Path) -> None:
    results = _sarif(cli, "diff", f"{EVENT}@v2024-01-01/r1", EVENT, "--fail-on", "never", root=project, exit_code=0)
    assert results
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(example(EVENT)), "utf-8")
    b.write_text(json.dumps({**example(EVENT), "new": 1}), "utf-8")
    (result,) = _sarif(cli, "compare", str(a), str(b), root=project, exit_code=0)
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == b.as_posix()


def test_drift_markdown_from_hostile_payloads_renders_inert(cli: Invoke, project: Path, tmp_path: Path) -> None:
    hostile = [
        "www.evil.test",
        "https://evil.test",
        "#123",
        "@octocat",
        "GH-1",
        "<script>x</script>",
        "a|b",
        "`",
        "x\ny",
        "[x](https://evil.test)",
        "![x](https://evil.test/i.png)",
        ":shipit:",
    ]
    data = example(EVENT) | dict.fromkeys(hostile, 1)
    log = tmp_path / "www.evil.test @octocat #1.ndjson"
    lines = [envelope(EVENT, data), {"type": "@octocat/#9 www.evil.test", "data": {}}]
    log.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    result = cli("drift", "--format", "markdown", "--fail-on", "warning", str(log), root=project)
    assert result.exit_code == 1, result.output
    header, *rows = assert_github_renders_inert(result.stdout)
    assert len(rows) == len(hostile) and all(len(row) == len(header) for row in rows)
    paths = {row[header.index("Path")].replace("\u200b", "") for row in rows}
    assert paths == {"/" + key.replace("~", "~0").replace("/", "~1").replace("\n", "\\x0a") for key in hostile}
    assert "unknown event: " in result.stdout
