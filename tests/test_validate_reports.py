"""`validate` reports findings like every checking command: keyword kinds, every format, --fail-on, --report.

Real runs of the command on the doc pages' examples and the bundled contracts;
SARIF is checked as code scanning takes it, JUnit read by a JUnit parser,
Markdown rendered as GitHub renders it.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import DOCS, REPO, Invoke
from consumers import assert_code_scanning_accepts, assert_github_renders_inert, junit_cases, outcome
from jsonschema import Draft202012Validator

from webhook_contracts import read_doc_page
from webhook_contracts.check.gate import CheckOptions, run_checks
from webhook_contracts.config import load_settings
from webhook_contracts.contracts.registry import load_registry
from webhook_contracts.findings import KINDS
from webhook_contracts.payloads.results import result_findings, validation_report
from webhook_contracts.payloads.validate import ContractValidator, collect_findings, make_validator
from webhook_contracts.report import REPORTERS, report_schema

EVENT = "customer.rewarded.loyalty_points"
PAGE = DOCS / "voucherify" / "v2024-01-01" / f"{EVENT}.txt"
REWARDED: dict[str, Any] = read_doc_page(PAGE).examples[0]
#: Terminal escapes (a window title, a colour), a workflow command after a line break, Markdown and HTML.
HOSTILE = "evil\x1b]0;pwned\x07\x1b[31m\n::error::injected <b>@team</b> [x](https://e.invalid) #1"


def write(tmp_path: Path, name: str, value: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(value), "utf-8")
    return str(path)


def flat(text: str) -> str:
    return " ".join(text.split())


def required_fields() -> list[str]:
    """The fields the contract requires of `balance` (a VoucherBalance)."""
    registry = load_registry(REPO / "schemas")
    schema = registry.load(registry.latest(EVENT, registry.latest_api_version()))
    return list(schema["$defs"]["VoucherBalance"]["required"])


def invalid(tmp_path: Path) -> str:
    """The example with a wrong type and the three fields `balance` requires missing: four errors."""
    bad = copy.deepcopy(REWARDED)
    bad["balance"]["points"] = "900"
    for name in required_fields():
        del bad["balance"][name]
    return write(tmp_path, "bad.json", bad)


# -- keywords as kinds ---------------------------------------------------------------------------


def test_each_missing_required_field_is_one_finding(cli: Invoke, tmp_path: Path) -> None:
    """Three fields missing: three findings, each naming its own field once (not three times three)."""
    missing = required_fields()
    assert len(missing) == 3
    result = cli("validate", invalid(tmp_path), "--event", EVENT, "--format", "json", root=REPO)
    assert result.exit_code == 1, result.output
    found = [f for f in json.loads(result.stdout)["findings"] if f["kind"] == "schema.required"]
    assert sorted((f["path"], f["count"], f["message"]) for f in found) == sorted(
        (f"/balance/{name}", 1, "missing required field") for name in missing
    )
    text = cli("validate", invalid(tmp_path), "--event", EVENT, root=REPO).stdout
    for name in missing:
        assert flat(text).count(f"schema.required /balance/{name} ") == 1, text
    assert text.count("missing required field") == 3


def test_missing_required_fields_under_arrays_are_counted_per_field() -> None:
    validator = make_validator(
        {
            "type": "object",
            "properties": {"items": {"type": "array", "items": {"type": "object", "required": ["id", "sku"]}}},
        }
    )
    findings, stopped = collect_findings(validator, {"items": [{}, {"id": 1}, {}]})
    assert stopped is None
    assert [(f.kind, f.path, f.count, f.extra["examples"]) for f in findings] == [
        ("schema.required", "/items/*/id", 2, ("/items/0/id", "/items/2/id")),
        ("schema.required", "/items/*/sku", 3, ("/items/0/sku", "/items/1/sku", "/items/2/sku")),
    ]


def test_each_field_a_closed_object_refuses_is_one_finding_without_its_value() -> None:
    schema = {"type": "object", "properties": {"a": {}}, "additionalProperties": False}
    data = {"a": 1, "email": "jack@example.com", "phone": "+1 555"}
    findings, _ = collect_findings(make_validator(schema), data)
    assert [(f.kind, f.path, f.message) for f in findings] == [
        ("schema.additionalProperties", "/email", "field not in the contract"),
        ("schema.additionalProperties", "/phone", "field not in the contract"),
    ]
    assert "jack@example.com" not in repr(findings)
    shown, _ = collect_findings(make_validator(schema), data, show_values=True)
    assert shown[0].message == 'field not in the contract (value: "jack@example.com")'


def test_map_keys_other_keywords_and_nullable_objects() -> None:
    schema = {
        "type": "object",
        "properties": {
            "metadata": {"type": "object", "propertyNames": {"pattern": "^[a-z_]+$"}},
            "points": {"type": "integer", "minimum": 0},
            "order": {"anyOf": [{"type": "object", "required": ["id"]}, {"type": "null"}]},
            "amount": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        },
    }
    data = {"metadata": {"Jack Webhook": 1}, "points": -5, "order": {}, "amount": None}
    findings, _ = collect_findings(make_validator(schema), data)
    got = [(f.kind, f.path, f.message, f.extra["keyword"]) for f in findings]
    assert got == [
        ("schema.anyOf", "/amount", "matches none of the allowed shapes", "anyOf"),
        ("schema.propertyNames", "/metadata", "a key does not match the pattern ^[a-z_]+$", "propertyNames"),
        ("schema.required", "/order/id", "missing required field", "required"),
        ("schema.other", "/points", "fails 'minimum'", "minimum"),
    ]
    assert all(f.severity == KINDS[f.kind].severity for f in findings)
    assert "Jack" not in repr(findings)


# -- one report, every format ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_validate_in_every_format(cli: Invoke, tmp_path: Path, fmt: str) -> None:
    files = (invalid(tmp_path), write(tmp_path, "good.json", REWARDED))
    result = cli("validate", *files, "--format", fmt, root=REPO)
    assert result.exit_code == 1, result.output
    out = result.stdout
    kinds = {"schema.type", "schema.required"}
    if fmt == "json":
        doc = json.loads(out)
        Draft202012Validator(report_schema()).validate(doc)
        assert {f["kind"] for f in doc["findings"]} == kinds
        assert [p["status"] for p in doc["summary"]["payloads"]] == ["invalid", "valid"]
    elif fmt == "sarif":
        results = assert_code_scanning_accepts(json.loads(out))
        assert {r["ruleId"] for r in results} == kinds and len(results) == 4
        rules = json.loads(out)["runs"][0]["tool"]["driver"]["rules"]
        assert {r["id"]: r["shortDescription"]["text"] for r in rules} == {k: KINDS[k].title for k in kinds}
        uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
        assert uris == {Path(files[0]).as_posix()}
    elif fmt == "junit":
        cases = junit_cases(out)
        assert sorted(outcome(case) for case in cases) == ["failed"] * 4 + ["passed"]
        [passing] = [case for case in cases if outcome(case) == "passed"]
        assert passing.name == f"{files[1]} conforms to r2" and passing.classname == EVENT
    elif fmt == "markdown":
        rows = assert_github_renders_inert(out)
        assert out.startswith("### webhook-contracts validate: 4 findings (4 error, 0 warning, 0 info)\n")
        assert len(rows) == 5  # the header and one row per finding
        assert "1 of 2 payload(s) valid" in out
    elif fmt == "github":
        lines = out.splitlines()
        assert len(lines) == 4 and all(line.startswith("::error file=") for line in lines)
    else:
        assert out.startswith("validate: 4 findings (4 error, 0 warning, 0 info)\n")
        assert "1 of 2 payload(s) valid" in out


def test_fail_on_decides_the_exit_code(cli: Invoke, tmp_path: Path) -> None:
    bad = invalid(tmp_path)
    assert cli("validate", bad, root=REPO).exit_code == 1
    never = cli("validate", bad, "--fail-on", "never", root=REPO)
    assert never.exit_code == 0 and "schema.required" in never.stdout
    (tmp_path / "webhook-contracts.toml").write_text('fail-on = "never"\n', "utf-8")
    assert cli("validate", "--schemas", str(REPO / "schemas"), bad, root=tmp_path).exit_code == 0
    unknown = write(tmp_path, "x.json", {"type": "no.such.event", "data": {}})
    assert cli("validate", unknown, root=REPO).exit_code == 1
    assert cli("validate", unknown, "--fail-on", "never", root=REPO).exit_code == 0


def test_errors_not_listed_is_a_warning(cli: Invoke, tmp_path: Path) -> None:
    """Past max-errors-per-payload the payload is already invalid; the warning says the list is cut short."""
    (tmp_path / "webhook-contracts.toml").write_text("max-errors-per-payload = 2\n", "utf-8")
    bad = invalid(tmp_path)
    result = cli("validate", "--schemas", str(REPO / "schemas"), bad, "--format", "json", root=tmp_path)
    doc = json.loads(result.stdout)
    assert doc["counts"] == {"error": 2, "warning": 1, "info": 0}
    assert doc["summary"]["payloads"][0]["stopped_at_max_errors"] == 2


def test_report_writes_a_file_in_another_format(cli: Invoke, tmp_path: Path) -> None:
    sarif, junit = tmp_path / "out" / "validate.sarif", tmp_path / "validate.xml"
    sarif.parent.mkdir()
    result = cli(
        "validate", invalid(tmp_path), "--report", f"sarif:{sarif}", "--report", f"junit:{junit}", "-q", root=REPO
    )
    assert result.exit_code == 1
    assert result.stdout == "validate: 4 findings (4 error, 0 warning, 0 info)\n"
    assert len(assert_code_scanning_accepts(json.loads(sarif.read_text("utf-8")))) == 4
    assert len(junit_cases(junit.read_text("utf-8"))) == 4
    refused = cli("validate", invalid(tmp_path), "--report", "pdf:x.pdf", root=REPO)
    assert refused.exit_code == 2 and "expected FORMAT:PATH" in refused.stderr


# -- hostile strings ---------------------------------------------------------------------------


@pytest.fixture
def hostile(tmp_path: Path) -> str:
    """A payload whose envelope names an event with terminal escapes, a workflow command and Markdown."""
    return write(tmp_path, "hostile.json", {"id": "evt_1", "type": HOSTILE, "data": {"x": 1}})


def test_text_escapes_the_envelope_type(cli: Invoke, hostile: str) -> None:
    result = cli("validate", hostile, root=REPO)
    assert result.exit_code == 1
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", result.stdout)
    assert "evil\\x1b]0;pwned\\x07\\x1b[31m\\x0a::error::injected" in result.stdout
    assert "unknown_event" in result.stdout


def test_markdown_renders_the_envelope_type_inert(cli: Invoke, hostile: str) -> None:
    out = cli("validate", hostile, "--format", "markdown", root=REPO).stdout
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)
    assert_github_renders_inert(out)
    assert "<b>" not in out


def test_github_annotations_cannot_be_injected_by_the_envelope_type(cli: Invoke, hostile: str) -> None:
    out = cli("validate", hostile, "--format", "github", root=REPO).stdout
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("::error file=")
    assert "\x1b" not in out and "::error::injected" not in out


# -- check's fixtures: the same conversion -----------------------------------------------------


def test_check_fixtures_use_the_findings_of_validate(project: Path, tmp_path: Path) -> None:
    (project / "webhook-contracts.toml").write_text('fixtures = ["fixtures/*.json"]\n', "utf-8")
    (project / "fixtures").mkdir()
    bad = invalid(project / "fixtures")
    report = run_checks(load_settings(project), CheckOptions(skip=frozenset({"changelog", "models", "index"})))
    found = sorted((f for f in report.findings if f.kind == "fixture_violation"), key=lambda f: f.path or "")
    validator = ContractValidator(load_registry(project / "schemas"))
    expected = sorted(
        result_findings(validator.validate(json.loads(Path(bad).read_text("utf-8")), source=bad)),
        key=lambda f: f.path or "",
    )
    assert [(f.path, f.count, f.extra["validate"]) for f in found] == [(f.path, f.count, f.kind) for f in expected]
    assert all(
        f.message.startswith("fixtures/bad.json: ") and f.message.endswith("`webhook-contracts regen`)") for f in found
    )
    assert validation_report([]).summary == {"payloads": [], "valid": 0, "total": 0}


def test_a_validate_kind_in_the_severity_table_is_named_whole(cli: Invoke, tmp_path: Path) -> None:
    """TOML reads `schema.required = ...` as a nested table; config names the kind as written, and refuses it."""
    (tmp_path / "webhook-contracts.toml").write_text('[severity]\nschema.required = "warning"\n', "utf-8")
    result = cli("validate", "--schemas", str(REPO / "schemas"), invalid(tmp_path), root=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: webhook-contracts.toml: severity: 'schema.required' is reported by `validate`, "
        "whose severities cannot be changed"
    )
