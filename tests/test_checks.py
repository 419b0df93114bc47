"""`check`: in a throwaway git repository, each check fails for its reason and passes once mended."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import Invoke

from webhook_contracts.check.gate import CheckOptions, run_checks
from webhook_contracts.config import load_settings
from webhook_contracts.errors import ConfigError
from webhook_contracts.findings import Report

EVENT = "voucher.loyalty_card.pending_points.activated"
R1 = f"schemas/v2024-01-01/{EVENT}/r1.json"
MODULE = "contracts/voucherify_webhooks/v2024_01_01/voucher_loyalty_card_pending_points_activated.py"


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout


@pytest.fixture
def repo(project: Path) -> Path:
    (project / "webhook-contracts.toml").write_text('fixtures = ["fixtures/*.json"]\n', "utf-8")
    (project / "fixtures").mkdir()
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "contracts")
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


def test_clean_repository_passes(repo: Path) -> None:
    report = check(repo)
    assert failing(report) == {}
    assert report.summary["checks"] == {
        **dict.fromkeys(("schemas", "index", "models", "fixtures", "changelog"), "passed"),
        "drift": "skipped: no --logs given",
    }


def test_stale_model(repo: Path) -> None:
    module = repo / MODULE
    original = module.read_text("utf-8")
    module.write_text(original + "\n# edited by hand\n", "utf-8")
    problems = failing(check(repo))
    assert list(problems) == ["models"]
    assert f"{MODULE} is stale; run `webhook-contracts regen`" in problems["models"][0]
    module.write_text(original, "utf-8")
    assert failing(check(repo)) == {}


def test_model_that_does_not_import(repo: Path) -> None:
    extra = repo / "contracts/voucherify_webhooks/broken.py"
    extra.write_text("raise ImportError('hand-written and broken')\n", "utf-8")
    problems = failing(check(repo))
    assert "the generated models do not import" in problems["models"][0]
    extra.unlink()
    assert failing(check(repo)) == {}


def test_invalid_schema(repo: Path) -> None:
    path = repo / R1
    original = path.read_bytes()
    schema = json.loads(original)
    schema["properties"]["customer"] = {"$ref": "#/$defs/Nobody"}
    schema["properties"]["order"]["type"] = "dictionary"
    path.write_text(json.dumps(schema), "utf-8")
    problems = failing(check(repo))
    assert any("not a valid JSON Schema" in m for m in problems["schemas"])
    assert any("differs from the hash the index records" in m for m in problems["index"])
    path.write_bytes(original)
    assert failing(check(repo)) == {}


def test_remote_ref_is_refused_not_fetched(repo: Path) -> None:
    path = repo / R1
    original = path.read_bytes()
    schema = json.loads(original)
    schema["properties"]["customer"] = {"$ref": "https://example.invalid/customer.json"}
    path.write_text(json.dumps(schema), "utf-8")
    problems = failing(check(repo))
    assert any("leaves the schema; only local refs" in m for m in problems["schemas"])
    path.write_bytes(original)


def test_fixture_drift(repo: Path) -> None:
    page = next((repo / "docs").rglob(f"{EVENT}.txt"))
    from webhook_contracts import read_doc_page

    example = read_doc_page(page).examples[0]
    example["balance"]["points"] = "23"
    fixture = repo / "fixtures" / "activated.json"
    fixture.write_text(json.dumps({"type": EVENT, "data": example}), "utf-8")
    problems = failing(check(repo))
    assert list(problems) == ["fixtures"]
    assert "fixtures/activated.json: /balance/points: expected integer, got string" in problems["fixtures"][0]
    example["balance"]["points"] = 23
    fixture.write_text(json.dumps({"type": EVENT, "data": example}), "utf-8")
    assert failing(check(repo)) == {}


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


def test_regen_refuses_every_edited_revision_and_writes_nothing(repo: Path, cli: Invoke) -> None:
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


def test_a_base_missing_from_the_clone_is_a_warning_not_a_silent_skip(repo: Path, cli: Invoke) -> None:
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


def test_check_cli_reports_every_failure_at_once(repo: Path, cli: Invoke, tmp_path: Path) -> None:
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


def test_check_with_logs_runs_drift(repo: Path, cli: Invoke) -> None:
    sample = Path(__file__).parent / "data" / "sample-log" / "production.ndjson.gz"
    result = cli("check", "--logs", str(sample), "--payload-field", "body", "--format", "json", root=repo)
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["summary"]["checks"]["drift"] == "failed"
    assert {f["kind"] for f in document["findings"]} >= {"missing_field", "retyped_field", "new_field"}
    clean = cli("check", "--logs", str(sample), "--payload-field", "body", "--fail-on", "never", root=repo)
    assert clean.exit_code == 0


def test_check_bad_report_target_is_a_usage_error(repo: Path, cli: Invoke) -> None:
    result = cli("check", "--report", "pdf:out.pdf", root=repo)
    assert result.exit_code == 2
    assert "expected FORMAT:PATH" in result.stderr


BROKEN_REVISIONS = {
    "invalid JSON": (b'{"type": "object",', "not valid JSON: Expecting property name"),
    "an array": (b"[1, 2, 3]", "a schema must be a JSON object"),
    "5,000-deep nesting": (b'{"a":' * 5000 + b"1" + b"}" * 5000, "not valid JSON: nested too deeply"),
    "not UTF-8": (b'{"description": "caf\xe9"}', "not valid JSON: 'utf-8' codec can't decode byte 0xe9"),
}


@pytest.mark.parametrize("broken", sorted(BROKEN_REVISIONS))
def test_a_broken_edit_of_a_published_revision_is_a_finding_and_the_check_goes_on(
    repo: Path, cli: Invoke, broken: str
) -> None:
    data, reason = BROKEN_REVISIONS[broken]
    (repo / R1).write_bytes(data)
    result = cli("check", "--skip", "models", "--skip", "fixtures", "--format", "json", root=repo)
    assert result.exit_code == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["summary"]["checks"] == {
        "schemas": "failed", "index": "failed", "models": "skipped", "fixtures": "skipped",
        "changelog": "failed", "drift": "skipped: no --logs given",
    }
    [edited] = [f for f in document["findings"] if f["kind"] == "published_revision_edited"]
    assert edited["location"]["file"] == R1
    assert "cannot compare the edited revision with" in edited["message"]
    assert R1 in edited["message"] and reason in edited["message"]
    # the rest of the check went on: the index check names the edited file too
    assert any(f["kind"] == "index_mismatch" and f["location"]["file"] == R1 for f in document["findings"])


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
