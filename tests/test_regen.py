"""`regen`: deterministic, idempotent, revisioned, atomic; `regen --check` for CI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, Golden, Invoke, snapshot
from golden import GOLDEN

from webhook_contracts import RegistryError, fsio
from webhook_contracts.config import load_settings
from webhook_contracts.contracts.regen import plan_regen, regen
from webhook_contracts.contracts.registry import load_registry

ACTIVATED = "docs/voucherify/v2024-01-01/voucher.loyalty_card.pending_points.activated.txt"


def test_committed_tree_is_fresh(cli: Invoke) -> None:
    result = cli("regen", "--check", root=REPO)
    assert result.exit_code == 0, result.output
    assert "up to date" in result.stdout


def test_second_run_changes_nothing(project: Path, cli: Invoke) -> None:
    before = snapshot(project)
    result = cli("regen", root=project)
    assert result.exit_code == 0, result.output
    assert "nothing to do" in result.stdout
    assert snapshot(project) == before


def test_fresh_regen_matches_golden_files(tmp_path: Path, cli: Invoke, golden: Golden, update_goldens: bool) -> None:
    """Schemas and models generated from the doc pages alone, byte for byte."""
    root = tmp_path / "fresh"
    folder = root / "docs" / "voucherify" / "v2024-01-01"
    folder.mkdir(parents=True)
    for page in sorted((REPO / "docs" / "voucherify" / "v2024-01-01").glob("*.txt")):
        shutil.copy2(page, folder / page.name)
    first = cli("regen", root=root)
    assert first.exit_code == 0, first.output
    produced = snapshot(root)
    assert cli("regen", root=root).stdout.strip() == "nothing to do: everything is up to date"
    for rel in sorted(produced):
        if rel.startswith(("schemas/", "contracts/", "CHANGELOG.md")):
            golden((root / rel).read_bytes(), f"regen/{rel}")
    if not update_goldens:
        tree = GOLDEN / "regen"
        golden_files = {p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file()}
        assert golden_files == {r for r in produced if r.startswith(("schemas/", "contracts/", "CHANGELOG.md"))}


def test_fresh_regen_from_both_sources_matches_the_committed_contracts(tmp_path: Path, cli: Invoke) -> None:
    """Doc pages and the provider's OpenAPI, built from nothing: the committed latest revisions, byte for byte
    (a fresh tree numbers every contract r1; the committed one has older revisions of the seeded events)."""
    root = tmp_path / "fresh"
    (root / "docs").mkdir(parents=True)
    shutil.copytree(REPO / "docs" / "voucherify", root / "docs" / "voucherify")
    assert cli("regen", root=root).exit_code == 0
    fresh = load_registry(root / "schemas")
    committed = load_registry(REPO / "schemas")
    assert set(fresh.events()) == set(committed.events())
    for event in fresh.events():
        mine = json.loads((root / "schemas" / fresh.latest(event).path).read_text("utf-8"))
        theirs = json.loads((REPO / "schemas" / committed.latest(event).path).read_text("utf-8"))
        mine["x-webhook-contracts"]["revision"] = theirs["x-webhook-contracts"]["revision"]
        assert mine == theirs, event
    package = Path("contracts/voucherify_webhooks/v2024_01_01")
    for module in sorted((REPO / package).glob("*.py")):
        if module.name != "__init__.py":
            assert (root / package / module.name).read_bytes() == module.read_bytes(), module.name


def edit_activated_page(project: Path) -> None:
    page = project / ACTIVATED
    text = page.read_text("utf-8")
    assert '    "reason": null,' in text
    text = text.replace('    "reason": null,', '    "reason": 42,', 1)  # retyped: null -> integer
    text = text.replace('{\n  "customer": {', '{\n  "channel": "API",\n  "customer": {', 1)  # new field
    page.write_text(text, "utf-8")


def test_docs_change_adds_a_revision_models_and_changelog(project: Path, cli: Invoke) -> None:
    r2 = project / "schemas/v2024-01-01/voucher.loyalty_card.pending_points.activated/r2.json"
    r2_before = r2.read_bytes()
    edit_activated_page(project)

    stale = cli("regen", "--check", root=project)
    assert stale.exit_code == 1
    assert "schemas/v2024-01-01/voucher.loyalty_card.pending_points.activated/r3.json" in stale.stdout
    assert "contracts/voucherify_webhooks/v2024_01_01/__init__.py" in stale.stdout

    result = cli("regen", root=project)
    assert result.exit_code == 0, result.output
    assert "voucher.loyalty_card.pending_points.activated v2024-01-01: revision 3 (breaking)" in result.stdout
    assert r2.read_bytes() == r2_before, "published revisions are never rewritten"
    r3 = json.loads(r2.with_name("r3.json").read_text("utf-8"))
    assert r3["x-webhook-contracts"]["revision"] == 3
    assert r3["properties"]["channel"]["type"] == "string"
    # Only the edited event moved, and the events that share the definition the edit widened.
    sharing = set(r3["x-webhook-contracts"]["definitions"]["VoucherTransaction"])
    assert "voucher.loyalty_card.transaction.created" in sharing
    index = json.loads((project / "schemas/index.json").read_text("utf-8"))["api_versions"]["v2024-01-01"]
    before = {
        "customer.rewarded.loyalty_points": 2,
        "customer.voucher.loyalty_card.pending_points.added": 2,
        "voucher.loyalty_card.pending_points.activated": 2,
    }
    expected = {e: before.get(e, 1) + (e in sharing) for e in index}
    assert {e: v["latest"] for e, v in index.items()} == expected
    models = (project / "contracts/voucherify_webhooks/v2024_01_01/__init__.py").read_text("utf-8")
    assert '"voucher.loyalty_card.pending_points.activated": 3,' in models
    module = project / "contracts/voucherify_webhooks/v2024_01_01/voucher_loyalty_card_pending_points_activated.py"
    assert "channel: str" in module.read_text("utf-8")
    changelog = (project / "CHANGELOG.md").read_text("utf-8")
    entry = next(line for line in changelog.splitlines() if "revision 3" in line)
    assert "`voucher.loyalty_card.pending_points.activated`" in entry
    assert "**breaking**" in entry
    assert "retyped `/transaction/reason`: string|null → string|integer|null" in entry
    assert "added `/channel` (string, optional)" in entry
    assert changelog.index("### Changed") > changelog.index("### Added")
    # And now it is fresh again, and stays so.
    assert cli("regen", "--check", root=project).exit_code == 0
    assert cli("regen", root=project).stdout.strip() == "nothing to do: everything is up to date"


@pytest.mark.parametrize("failing_file", [0, 3, -1])
def test_failure_between_files_leaves_the_tree_intact(project: Path, failing_file: int) -> None:
    edit_activated_page(project)
    before = snapshot(project)
    targets = sorted(plan_regen(load_settings(project)).stale)
    seen: list[str] = []

    def fault(path: str) -> None:
        seen.append(path)
        if path == targets[failing_file]:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        regen(load_settings(project), fault=fault)
    assert snapshot(project) == before
    assert not fsio.pending(project)


def test_killed_run_is_rolled_back_by_the_next(project: Path, cli: Invoke) -> None:
    edit_activated_page(project)
    before = snapshot(project)
    script = (
        "import os, sys\n"
        "from webhook_contracts.config import load_settings\n"
        "from webhook_contracts.contracts.regen import regen\n"
        "calls = []\n"
        "def fault(path):\n"
        "    calls.append(path)\n"
        "    if len(calls) == 4:\n"
        "        os._exit(9)\n"
        f"regen(load_settings(__import__('pathlib').Path({str(project)!r})), fault=fault)\n"
    )
    killed = subprocess.run([sys.executable, "-c", script], check=False)
    assert killed.returncode == 9
    assert snapshot(project) != before, "the kill left a half-written tree behind"
    check = cli("regen", "--check", root=project)
    assert check.exit_code == 2 and "interrupted regen" in check.stderr
    assert fsio.recover(project)
    assert snapshot(project) == before


def test_two_runs_at_once_do_not_interleave(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fsio, "_LOCK_TIMEOUT_S", 0.2)
    with fsio.locked(project), pytest.raises(RegistryError, match="another webhook-contracts run holds the lock"):
        regen(load_settings(project))


def test_pages_naming_the_same_event_twice(project: Path, cli: Invoke) -> None:
    page = project / ACTIVATED
    (page.parent / "copy.txt").write_bytes(page.read_bytes())
    result = cli("regen", "--check", root=project)
    assert result.exit_code == 2
    assert "documents voucher.loyalty_card.pending_points.activated again" in result.stderr
    assert "Traceback" not in result.output
    assert page.exists()


def test_generated_bytes_do_not_depend_on_the_working_folder(
    project: Path, cli: Invoke, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The model generator reads formatter settings from the nearest pyproject.toml."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "pyproject.toml").write_text("[tool.ruff]\nline-length = 60\n", "utf-8")
    monkeypatch.chdir(elsewhere)
    result = cli("regen", "--check", root=project)
    assert result.exit_code == 0, result.output
