"""The sample production log: the drift found equals its labels, counts included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Golden, Invoke
from drift_support import REPO, registry
from golden import SUFFIX

from webhook_contracts.drift.records import iter_records
from webhook_contracts.drift.scanner import scan_records
from webhook_contracts.findings import Report

SAMPLE = REPO / "tests" / "data" / "sample-log"
LABELS = json.loads((SAMPLE / "labels.json").read_text("utf-8"))


def _scan(name: str) -> Report:
    path = (SAMPLE / name).as_posix()
    return scan_records(iter_records([path], payload_field=LABELS["payload_field"]), registry())


@pytest.mark.parametrize("name", ["production.ndjson", "production.ndjson.gz"])
def test_drift_equals_labels(name: str) -> None:
    report = _scan(name)
    got = sorted((f.event, f.api_version, f.kind, f.path, f.expected, f.observed, f.count) for f in report.findings)
    want = sorted(
        (g["event"], g["api_version"], g["kind"], g["path"], g["expected"], g["observed"], g["count"])
        for g in LABELS["findings"]
    )
    assert got == want
    kinds = {g[2] for g in want}
    assert kinds >= {
        "new_field",
        "missing_field",
        "retyped_field",
        "format_changed",
        "prefix_changed",
        "new_constant",
        "new_open_key",
    }


@pytest.mark.parametrize("name", ["production.ndjson", "production.ndjson.gz"])
def test_summary_equals_labels(name: str) -> None:
    summary = _scan(name).summary
    assert summary["payloads"] == LABELS["payloads"]
    assert {e: info["payloads"] for e, info in summary["events"].items()} == LABELS["events"]
    assert [item["line"] for item in summary["unparseable"]["lines"]] == LABELS["unparseable_lines"]
    assert summary["unparseable"]["count"] == len(LABELS["unparseable_lines"])
    assert [item["line"] for item in summary["unknown"]["lines"]] == LABELS["unknown_lines"]
    assert all(info["best_revision"] == info["revision"] == 2 for info in summary["events"].values())


def test_share_and_first_last_seen() -> None:
    report = _scan("production.ndjson")
    for finding in report.findings:
        total = report.summary["events"][finding.event]["payloads"]
        assert finding.share == round(finding.count / total, 4)
        assert finding.first_seen is not None and finding.last_seen is not None
        assert (finding.first_seen.line or 0) <= (finding.last_seen.line or 0)
        assert finding.location == finding.first_seen
        assert 1 <= len(finding.extra["examples"]) <= 3
        assert "value" not in finding.extra


def test_generator_is_deterministic(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_sample_log", REPO / "tools" / "make_sample_log.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path)]) == 0
    for name in ("production.ndjson", "labels.json"):
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_golden_reports_in_every_format(fmt: str, cli: Invoke, golden: Golden, monkeypatch: pytest.MonkeyPatch) -> None:
    """The quick start's main job, pinned in every report format."""
    monkeypatch.chdir(REPO)
    result = cli(
        "drift", "--payload-field", "body", "--format", fmt, "tests/data/sample-log/production.ndjson", root=REPO
    )
    assert result.exit_code == 1, result.output
    golden(result.stdout, "drift/sample", fmt=fmt)


def test_the_seed_examples_give_no_finding(cli: Invoke, tmp_path: Path) -> None:
    from webhook_contracts import read_doc_page

    lines = []
    for page in sorted((REPO / "docs" / "voucherify" / "v2024-01-01").glob("*.txt")):
        doc = read_doc_page(page)
        lines += [json.dumps({"type": doc.event, "data": example}) for example in doc.examples]
        lines += [json.dumps(example) for example in doc.examples]
    log = tmp_path / "seeds.ndjson"
    log.write_text("\n".join(lines) + "\n", "utf-8")
    result = cli("drift", str(log), root=REPO)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("drift: no findings")
