"""`check`: in a throwaway git repository, each check fails for its reason and passes once mended."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import Invoke, case_folders, commit_all, git, read_json
from drift_support import set_pointer

from webhook_contracts.check.gate import CheckOptions, run_checks
from webhook_contracts.config import load_settings
from webhook_contracts.errors import ConfigError
from webhook_contracts.findings import Report

EVENT = "voucher.loyalty_card.pending_points.activated"
R1 = f"schemas/v2024-01-01/{EVENT}/r1.json"
MODULE = "contracts/voucherify_webhooks/v2024_01_01/voucher_loyalty_card_pending_points_activated.py"


@pytest.fixture
def repo(project: Path) -> Path:
    (project / "webhook-contracts.toml").write_text('fixtures = ["fixtures/*.json"]\n', "utf-8")
    (project / "fixtures").mkdir()
    commit_all(project)
    git(project, "checkout", "-qb", "change")
    return project


def check(root: Path) -> Report:
    return run_checks(load_settings(root), CheckOptions())


def failing(report: Report) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in report.findings:
        if f.severity.label != "info":
            out.setdefault(f.extra["check"], []).append(f.message)
    return out


def _lay_case_over(folder: Path, case: dict[str, Any], root: Path) -> None:
    """The edits of a check case: `files/` laid over the project, text appended (`append`), JSON values set
    at JSON Pointers (`set`)."""
    if (folder / "files").is_dir():
        shutil.copytree(folder / "files", root, dirs_exist_ok=True)
    for rel, text in case.get("append", {}).items():
        with (root / rel).open("a", encoding="utf-8") as out:
            out.write(text)
    for rel, values in case.get("set", {}).items():
        document = read_json(root / rel)
        for pointer, value in values.items():
            set_pointer(document, pointer, value)
        (root / rel).write_text(json.dumps(document), "utf-8")


def _failing(document: dict[str, Any]) -> dict[str, list[str]]:
    """The messages of the errors and warnings of a JSON report, by check."""
    out: dict[str, list[str]] = {}
    for f in document["findings"]:
        if f["severity"] != "info":
            out.setdefault(f["extra"]["check"], []).append(f["message"])
    return out


def _matches(finding: dict[str, Any], want: dict[str, Any]) -> bool:
    location = finding["location"] or {}
    return (
        want.get("check", finding["extra"]["check"]) == finding["extra"]["check"]
        and want.get("kind", finding["kind"]) == finding["kind"]
        and want.get("file", location.get("file")) == location.get("file")
        and all(fragment in finding["message"] for fragment in want.get("message", []))
    )


@pytest.mark.parametrize("folder", case_folders("check"))
def test_check_case(folder: Path, repo: Path, cli: Invoke) -> None:
    """`tests/data/cases/check/<case>/`: edits of the committed project (`case.json`, `files/`) and what
    `check` finds (`expected.json`): exit code, each check's state, which checks fail, findings that must be
    there (by check, kind, file and message fragments; `count`: exactly so many), and whether the check passes
    again once the edits are undone."""
    case, expected = read_json(folder / "case.json"), read_json(folder / "expected.json")
    _lay_case_over(folder, case, repo)
    args = ["check", *case.get("args", []), "--format", "json"]
    result = cli(*args, root=repo)
    assert result.exit_code == expected["exit_code"], result.stdout + result.stderr
    document = json.loads(result.stdout)
    if "checks" in expected:
        assert document["summary"]["checks"] == expected["checks"]
    if "failing" in expected:
        assert sorted(_failing(document)) == sorted(expected["failing"]), _failing(document)
    for want in expected.get("findings", []):
        found = [f for f in document["findings"] if _matches(f, want)]
        if "count" in want:
            assert len(found) == want["count"], (want, document["findings"])
        else:
            assert found, (want, document["findings"])
    if expected.get("restored_is_clean"):
        git(repo, "stash", "push", "--include-untracked", "-q")
        again = json.loads(cli(*args, root=repo).stdout)
        assert _failing(again) == {}


def test_missing_changelog_entry_then_regen_mends_it(repo: Path) -> None:
    page = next((repo / "docs").rglob(f"{EVENT}.txt"))
    page.write_text(page.read_text("utf-8").replace('{\n  "customer": {', '{\n  "channel": "API",\n  "customer": {', 1))
    from webhook_contracts.contracts.regen import regen

    regen(load_settings(repo))
    changelog = repo / "CHANGELOG.md"
    with_entry = changelog.read_text("utf-8")
    entry = next(line for line in with_entry.splitlines() if "revision 3" in line)
    changelog.write_text(with_entry.replace(entry, ""), "utf-8")
    problems = failing(check(repo))
    assert "changelog" in problems
    assert f"has no new entry for `{EVENT}` revision 3" in problems["changelog"][0]
    changelog.write_text(with_entry, "utf-8")
    assert failing(check(repo)) == {}


def test_breaking_edit_of_a_published_revision(repo: Path) -> None:
    path = repo / R1
    schema = json.loads(path.read_bytes())
    schema["properties"]["balance"] = {"type": "string"}
    path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", "utf-8")
    report = check(repo)
    problems = failing(report)
    assert any("edited in a breaking way" in m and "/balance" in m for m in problems["changelog"])
    # One instruction for the state, from every check that sees it: restore the file; never "run regen".
    assert set(problems) == {"index", "changelog"}
    assert all("restore it from git" in m and "is stale" not in m for ms in problems.values() for m in ms)
    skipped = "skipped: a published revision differs from the index (see the index check)"
    assert report.summary["checks"]["models"] == skipped
    assert "regen" in " ".join(problems["index"])  # ...and how a deliberate new revision is made
    git(repo, "checkout", "--", R1)
    assert failing(check(repo)) == {}


def test_committed_edit_of_a_published_revision_names_the_base(repo: Path) -> None:
    path = repo / R1
    path.write_bytes(path.read_bytes() + b"\n")
    git(repo, "commit", "-qam", "edit a published revision")
    base = git(repo, "rev-parse", "main").strip()[:12]
    problems = failing(check(repo))
    assert problems["changelog"] == [
        f"{R1}: published revision edited since {base}; restore it from git (`git checkout {base} -- {R1}`): "
        "published revisions are never edited, a new revision comes from changed doc pages or OpenAPI document "
        "and `webhook-contracts regen`"
    ]
    git(repo, "checkout", base, "--", R1)
    assert failing(check(repo)) == {}


def test_regen_refuses_every_edited_revision_and_writes_nothing(repo: Path, cli) -> None:
    other = f"schemas/v2024-01-01/{EVENT}/r2.json"
    for rel in (R1, other):
        (repo / rel).write_bytes((repo / rel).read_bytes() + b" ")
    for args in (("regen",), ("regen", "--check")):
        result = cli(*args, root=repo)
        assert result.exit_code == 2
        lines = result.stderr.splitlines()
        assert [line.split(": published revision")[0] for line in lines] == [f"error: {R1}", f"error: {other}"]
        assert all(f"(`git checkout -- {rel}`)" in line for line, rel in zip(lines, (R1, other), strict=True))
        assert git(repo, "status", "--porcelain", "--untracked-files=no") == f" M {R1}\n M {other}\n"
    git(repo, "checkout", "--", ".")
    assert cli("regen", root=repo).stdout.strip() == "nothing to do: everything is up to date"


def test_without_a_git_base_the_changelog_check_is_skipped(project: Path) -> None:
    report = check(project)
    assert report.summary["checks"]["changelog"] == "skipped: no git base to compare with (pass --base REF)"
    assert failing(report) == {}


def test_a_base_missing_from_the_clone_is_a_warning_not_a_silent_skip(repo: Path, cli) -> None:
    result = cli("check", "--base", "origin/main", "--skip", "models", "--format", "json", root=repo)
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["summary"]["checks"]["changelog"] == "failed"
    [finding] = [f for f in document["findings"] if f["kind"] == "changelog_unchecked"]
    assert finding["severity"] == "warning"
    assert "the changelog check could not run: the base 'origin/main' is not in this clone" in finding["message"]
    assert "`fetch-depth: 0`" in finding["message"]
    strict = cli("check", "--base", "origin/main", "--skip", "models", "--fail-on", "warning", root=repo)
    assert strict.exit_code == 1


def test_a_shallow_clone_says_the_changelog_was_not_checked(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", repo.as_uri(), str(clone))
    report = run_checks(load_settings(clone), CheckOptions(skip=frozenset({"models", "fixtures"})))
    [finding] = report.findings
    assert (finding.kind, finding.severity.label) == ("changelog_unchecked", "warning")
    assert "this clone is shallow" in finding.message


def test_copy_keeps_repo_untouched(repo: Path) -> None:
    assert shutil.which("git")
    assert git(repo, "status", "--porcelain") == ""


def test_check_cli_reports_every_failure_at_once(repo: Path, cli, tmp_path: Path) -> None:
    (repo / MODULE).write_text("# edited by hand\n", "utf-8")
    schema = json.loads((repo / R1).read_bytes())
    schema["properties"]["order"]["type"] = "dictionary"
    (repo / R1).with_name("r9.json").write_text(json.dumps(schema), "utf-8")  # not published: regen still plans
    sarif = tmp_path / "check.sarif"
    result = cli("check", "--format", "github", "--report", f"sarif:{sarif}", root=repo)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("::error") and "is stale" in line for line in lines)
    assert any(line.startswith("::error") and "not a valid JSON Schema" in line for line in lines)
    assert json.loads(sarif.read_text("utf-8"))["version"] == "2.1.0"


def test_check_with_logs_runs_drift(repo: Path, cli) -> None:
    sample = Path(__file__).parent / "data" / "sample-log" / "production.ndjson.gz"
    result = cli("check", "--logs", str(sample), "--payload-field", "body", "--format", "json", root=repo)
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["summary"]["checks"]["drift"] == "failed"
    assert {f["kind"] for f in document["findings"]} >= {"missing_field", "retyped_field", "new_field"}
    clean = cli("check", "--logs", str(sample), "--payload-field", "body", "--fail-on", "never", root=repo)
    assert clean.exit_code == 0


def test_check_bad_report_target_is_a_usage_error(repo: Path, cli) -> None:
    result = cli("check", "--report", "pdf:out.pdf", root=repo)
    assert result.exit_code == 2
    assert "expected FORMAT:PATH" in result.stderr


def test_a_broken_base_revision_is_named_with_its_commit(repo: Path) -> None:
    (repo / R1).write_bytes(b"[]")
    git(repo, "commit", "-qam", "broken base")
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "checkout", "-q", "HEAD~1", "--", R1)
    report = run_checks(load_settings(repo), CheckOptions(base=base, skip=frozenset({"models", "fixtures"})))
    [edited] = [f for f in report.findings if f.kind == "published_revision_edited"]
    assert f"{R1} at {base[:12]}: a schema must be a JSON object" in edited.message


def test_a_changelog_linked_out_of_the_project_is_refused(repo: Path) -> None:
    changelog = repo / "CHANGELOG.md"
    changelog.unlink()
    changelog.symlink_to("/dev/zero")
    with pytest.raises(ConfigError, match=r"changelog = 'CHANGELOG\.md' leads outside the project"):
        load_settings(repo)


def test_a_changelog_that_is_not_a_file_is_a_finding_not_a_hang(repo: Path) -> None:
    changelog = repo / "CHANGELOG.md"
    changelog.unlink()
    os.mkfifo(changelog)
    report = run_checks(load_settings(repo), CheckOptions(skip=frozenset({"models", "fixtures"})))
    [finding] = [f for f in report.findings if f.kind == "changelog"]
    assert finding.location is not None and finding.location.file == "CHANGELOG.md"
    assert "CHANGELOG.md: not a regular file" in finding.message
