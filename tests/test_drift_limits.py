"""Drift past its limits fails closed: findings not grouped still count, and new tag values make one group.

Past 10,000 distinct groups, findings of new groups are counted by event, kind
and severity and reported as findings of their own (they set the exit code),
on the fast path and the reference walker alike, whatever the job count.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import REPO, Invoke
from drift_support import envelope, example, registry

from webhook_contracts.drift import parallel as engine
from webhook_contracts.drift.aggregate import MAX_GROUPS, MAX_VALUES
from webhook_contracts.drift.records import iter_records
from webhook_contracts.drift.scanner import scan_records
from webhook_contracts.report.jsonreport import report_dict

EVENT = "customer.voucher.loyalty_card.pending_points.added"


def _line(data: dict[str, Any]) -> bytes:
    return orjson.dumps(envelope(EVENT, data))


def many_groups_log(path: Path, groups: int = MAX_GROUPS) -> Path:
    """*groups* lines with a distinct new field each, then one payload missing a required field."""
    lines = []
    for i in range(groups):
        data = example(EVENT)
        data[f"extra_{i:05}"] = i
        lines.append(_line(data))
    broken = example(EVENT)
    del broken["pending_points"]["voucher_id"]
    lines.append(_line(broken))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return many_groups_log(tmp_path_factory.mktemp("many") / "many.ndjson")


def test_a_finding_past_the_group_limit_fails_the_run(cli: Invoke, log: Path, tmp_path: Path) -> None:
    text = tmp_path / "report.txt"
    result = cli("drift", str(log), "--format", "json", "--report", f"text:{text}", root=REPO)
    assert result.exit_code == 1, result.stdout[-2000:]
    doc = json.loads(result.stdout)
    assert doc["counts"]["error"] == 1
    ungrouped = [f for f in doc["findings"] if f["extra"].get("ungrouped")]
    assert [(f["kind"], f["severity"], f["count"], f["event"], f["path"]) for f in ungrouped] == [
        ("missing_field", "error", 1, EVENT, None),
    ]
    assert doc["summary"]["groups_dropped"] == 1
    assert doc["summary"]["ungrouped"] == {"missing_field": {"error": 1}}
    assert any("1 more were not grouped" in note for note in doc["notes"])
    shown = text.read_text("utf-8")
    assert "drift: 10001 findings (1 error, 10000 warning, 0 info)" in shown
    assert "error     missing_field  (other paths)" in shown
    assert "not grouped (past the limit on distinct findings): 1 missing_field (error)" in shown


def test_max_groups_is_configurable(cli: Invoke, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "webhook-contracts.toml").write_text("max-groups = 3\n", "utf-8")
    log = many_groups_log(tmp_path / "small.ndjson", groups=5)
    result = cli("drift", "--schemas", str(REPO / "schemas"), str(log), "--format", "json", root=project)
    assert result.exit_code == 1, result.stderr
    doc = json.loads(result.stdout)
    assert doc["summary"]["ungrouped"] == {"missing_field": {"error": 1}, "new_field": {"warning": 2}}
    assert len([f for f in doc["findings"] if not f["extra"].get("ungrouped")]) == 3


def test_jobs_past_max_groups_keep_counts_and_exit_code(cli: Invoke, tmp_path: Path) -> None:
    # Which findings are grouped past the limit may follow the ranges' cuts; occurrences and the exit code may not.
    (tmp_path / "webhook-contracts.toml").write_text("max-groups = 2\n", "utf-8")
    sample = REPO / "tests" / "data" / "sample-log" / "production.ndjson"
    runs = [
        cli(
            "drift",
            "--schemas",
            str(REPO / "schemas"),
            "--payload-field",
            "body",
            "-j",
            jobs,
            "--format",
            "json",
            str(sample),
            root=tmp_path,
        )
        for jobs in ("1", "2")
    ]
    docs = [json.loads(run.stdout) for run in runs]
    assert runs[0].exit_code == runs[1].exit_code == 1
    assert _totals(docs[0]) == _totals(docs[1])


def _totals(doc: dict[str, Any]) -> Counter[tuple[str, str]]:
    totals: Counter[tuple[str, str]] = Counter()
    for f in doc["findings"]:
        totals[(f["kind"], f["severity"])] += f["count"]
    return totals


def test_ungrouped_findings_are_never_baselined(cli: Invoke, log: Path, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    cli("drift", str(log), "--write-baseline", str(baseline), root=REPO)
    accepted = json.loads(baseline.read_text("utf-8"))["fingerprints"]
    assert len(accepted) == MAX_GROUPS
    result = cli("drift", str(log), "--baseline", str(baseline), root=REPO)
    assert result.exit_code == 1, result.stdout[-2000:]


@pytest.fixture(scope="module")
def reference(log: Path) -> dict[str, Any]:
    return report_dict(scan_records(iter_records([log.as_posix()]), registry()))


@pytest.mark.parametrize("jobs", [1, 3])
def test_fast_path_and_reference_agree_past_the_limit(
    log: Path,
    reference: dict[str, Any],
    jobs: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "MIN_SPLIT", 1)  # three workers: groups past the limit are met when merging
    assert report_dict(engine.scan_files([log.as_posix()], registry(), jobs=jobs)) == reference
    assert reference["counts"]["error"] == 1


TAGGED = "voucher.loyalty_card.pending_points.activated"


@pytest.fixture(scope="module")
def tag_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3,000 deliveries with a new `/voucher/object` tag: two frequent values, then 2,500 generated ones."""
    values = ["loyalty_card"] * 300 + ["Jane Doe <jane@example.com>"] * 200 + [f"gen_{i:06}" for i in range(2500)]
    lines = []
    for value in values:
        data = example(TAGGED)
        data["voucher"]["object"] = value
        lines.append(orjson.dumps(envelope(TAGGED, data)))
    path = tmp_path_factory.mktemp("tags") / "tags.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_generated_tag_values_make_one_group(cli: Invoke, tag_log: Path) -> None:
    result = cli("drift", str(tag_log), "--format", "json", root=REPO)
    doc = json.loads(result.stdout)
    tags = [f for f in doc["findings"] if f["kind"] == "new_constant"]
    assert [(f["path"], f["count"], f["observed"]) for f in tags] == [("/voucher/object", 3000, "another value")]
    assert tags[0]["extra"]["values"] == {
        "distinct": MAX_VALUES,
        "untracked": 1502,
        "most_frequent": {"loyalty_card": 300, "other": 200, "gen_000000": 1, "gen_000001": 1, "gen_000002": 1},
    }
    assert tags[0]["message"] == (
        "expected the tag voucher, got another value (1000+ distinct): loyalty_card (300), other (200), "
        "gen_000000 (1), gen_000001 (1), gen_000002 (1), ..."
    )
    assert "jane" not in result.stdout.lower()
    shown = json.loads(cli("drift", str(tag_log), "--format", "json", "--show-values", root=REPO).stdout)
    values = next(f for f in shown["findings"] if f["kind"] == "new_constant")["extra"]["values"]
    assert values["most_frequent"]['"Jane Doe <jane@example.com>"'] == 200


@pytest.mark.parametrize("jobs", [1, 3])
def test_tag_values_same_on_both_paths(tag_log: Path, jobs: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine, "MIN_SPLIT", 1)
    reference = report_dict(scan_records(iter_records([tag_log.as_posix()]), registry()))
    assert report_dict(engine.scan_files([tag_log.as_posix()], registry(), jobs=jobs)) == reference
