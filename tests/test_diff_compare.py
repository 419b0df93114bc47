"""`diff` (contract against contract) and `compare` (payload against payload)."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, DOCS, SCHEMAS, Golden, Invoke, case_folders, read_json, write_json
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from webhook_contracts.contracts.inference import infer_schema
from webhook_contracts.contracts.registry import load_registry
from webhook_contracts.diff.contracts import (
    Contract,
    ContractReferenceError,
    Reference,
    diff_contracts,
    parse_reference,
    resolve_contract,
)
from webhook_contracts.diff.payloads import compare_payloads
from webhook_contracts.diff.schemas import diff_schemas
from webhook_contracts.errors import ExitCode, PayloadError
from webhook_contracts.providers.voucherify.pages import read_doc_page
from webhook_contracts.report import report_schema
from webhook_contracts.values.jsontypes import json_type
from webhook_contracts.values.pointer import to_field_path as pointer

EVENT = "customer.rewarded.loyalty_points"
R1 = f"schemas/v2024-01-01/{EVENT}/r1.json"


def compatible_only(schema: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(schema)
    out["$defs"]["Customer"]["properties"]["phone"] = {"type": "string"}
    out["required"].append("publication")
    return out


@pytest.fixture
def r1() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS / "v2024-01-01" / EVENT / "r1.json").read_text("utf-8"))
    return schema


# -- diff: the library --------------------------------------------------------------------


@pytest.mark.parametrize("schema_file", sorted(SCHEMAS.glob("v*/*/r*.json")), ids=lambda p: p.parent.name)
def test_a_contract_diffed_with_itself_is_empty(schema_file: Path) -> None:
    schema = json.loads(schema_file.read_text("utf-8"))
    assert diff_schemas(schema, schema) == []


json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
json_objects = st.recursive(
    st.dictionaries(st.text("abcdefgh_", min_size=1, max_size=6), json_scalars, max_size=4),
    lambda inner: st.dictionaries(
        st.text("abcdefgh_", min_size=1, max_size=6),
        json_scalars | inner | st.lists(inner, max_size=3),
        max_size=4,
    ),
    max_leaves=12,
)


@settings(max_examples=60)
@given(st.lists(json_objects, min_size=1, max_size=3))
def test_an_inferred_schema_diffed_with_itself_is_empty(samples: list[dict[str, Any]]) -> None:
    schema = infer_schema(samples)
    assert diff_schemas(schema, schema) == []


def merge_patch(target: Any, patch: Any) -> Any:
    """*target* with the JSON Merge Patch (RFC 7386) *patch* applied; *target* is left as it was."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def case_contracts(folder: Path) -> tuple[Contract, Contract]:
    """The two contracts of a schema-diff case: `old.json` or the reference `old` of `case.json`, and
    `new.json` or `new.patch.json` (a JSON Merge Patch of the old schema)."""
    case = read_json(folder / "case.json") if (folder / "case.json").exists() else {}
    registry = load_registry(SCHEMAS)
    old = resolve_contract(str(folder / "old.json") if "old" not in case else case["old"], registry)
    if (folder / "new.patch.json").exists():
        schema = merge_patch(old.schema, read_json(folder / "new.patch.json"))
        return old, replace(old, schema=schema, label="new.patch.json")
    return old, resolve_contract(str(folder / "new.json"), registry)


@pytest.mark.parametrize("folder", case_folders("schema-diff"))
def test_schema_diff_case(folder: Path) -> None:
    """`tests/data/cases/schema-diff/<case>/`: two schemas and each change with its classification."""
    old, new = case_contracts(folder)
    expected = read_json(folder / "expected.json")
    report = diff_contracts(old, new)
    got = [[f.path, f.kind, f.severity.label, f.extra["breaking"]] for f in report.findings]
    assert sorted(got) == sorted(expected["changes"])
    assert {k: report.summary[k] for k in ("breaking", "compatible")} == expected["summary"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (EVENT, Reference(EVENT)),
        (f"{EVENT}@v2024-01-01", Reference(EVENT, "v2024-01-01")),
        (f"{EVENT}@v2024-01-01/r3", Reference(EVENT, "v2024-01-01", 3)),
        ("old.json", None),
        ("some/dir/r1.json", None),
        ("./nonsense", None),
    ],
)
def test_reference_syntax(text: str, expected: Reference | None) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bad@v2024-01-01", "not an event name"),
        (f"{EVENT}@2024-01-01", "not an API version"),
        (f"{EVENT}@v2024-01-01/1", "not a revision rN"),
        (f"{EVENT}@v2024-01-01/r0", "not a revision rN"),
        ("@", "not an event name"),
    ],
)
def test_bad_references_are_named(text: str, message: str) -> None:
    with pytest.raises(ContractReferenceError, match=message):
        parse_reference(text)


# -- diff: the command ---------------------------------------------------------------------


def test_diff_of_a_revision_with_itself(cli: Invoke, project: Path) -> None:
    result = cli("diff", EVENT, f"{EVENT}@v2024-01-01/r2", root=project)
    assert result.exit_code == ExitCode.OK, result.output
    assert result.stdout.startswith("diff: no findings")


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_diff_golden(cli: Invoke, project: Path, fmt: str, golden: Golden) -> None:
    _, edited = case_contracts(CASES / "schema-diff" / "hand-edits")
    write_json(project / "edited.json", edited.schema, indent=2)
    result = cli("diff", f"{EVENT}@v2024-01-01/r1", str(project / "edited.json"), "--format", fmt, root=project)
    assert result.exit_code == ExitCode.FINDINGS
    golden(result.stdout, "diff_compare/diff", fmt=fmt)
    if fmt == "json":
        Draft202012Validator(report_schema()).validate(json.loads(result.stdout))


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [
        ("error", ExitCode.OK),
        ("warning", ExitCode.FINDINGS),
        ("info", ExitCode.FINDINGS),
        ("never", ExitCode.OK),
    ],
)
def test_diff_fail_on(cli: Invoke, project: Path, r1: dict[str, Any], fail_on: str, code: ExitCode) -> None:
    write_json(project / "compatible.json", compatible_only(r1), indent=2)
    result = cli(
        "diff",
        R1,
        str(project / "compatible.json"),
        "--fail-on",
        fail_on,
        "--format",
        "json",
        root=project,
    )
    assert result.exit_code == code
    assert json.loads(result.stdout)["summary"]["fail_on"] == fail_on


def test_diff_fail_on_from_config(cli: Invoke, project: Path, r1: dict[str, Any]) -> None:
    (project / "webhook-contracts.toml").write_text('fail-on = "warning"\n', "utf-8")
    write_json(project / "compatible.json", compatible_only(r1), indent=2)
    assert (
        cli("diff", f"{EVENT}@v2024-01-01/r1", str(project / "compatible.json"), root=project).exit_code
        == ExitCode.FINDINGS
    )
    result = cli(
        "diff", f"{EVENT}@v2024-01-01/r1", str(project / "compatible.json"), "--fail-on", "error", root=project
    )
    assert result.exit_code == ExitCode.OK


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no.such.event", EVENT], "no contract for no.such.event"),
        ([f"{EVENT}@v2024-01-01/r9", EVENT], "no revision 9"),
        ([f"{EVENT}@v24", EVENT], "not an API version"),
        (["missing.json", EVENT], "missing.json: no such schema file"),
        (["nonsense", EVENT], "not a contract reference"),
    ],
)
def test_diff_input_errors_exit_2(cli: Invoke, project: Path, args: list[str], message: str) -> None:
    result = cli("diff", *args, root=project)
    assert result.exit_code == ExitCode.ERROR
    assert message in result.stderr and not result.stdout


def test_diff_refuses_remote_refs(cli: Invoke, project: Path) -> None:
    write_json(project / "remote.json", {"properties": {"a": {"$ref": "https://example.com/s.json"}}}, indent=2)
    result = cli("diff", EVENT, str(project / "remote.json"), root=project)
    assert result.exit_code == ExitCode.ERROR and "only local refs" in result.stderr


def test_diff_unknown_format_is_a_usage_error(cli: Invoke, project: Path) -> None:
    assert cli("diff", EVENT, EVENT, "--format", "yaml", root=project).exit_code == ExitCode.ERROR


# -- compare ------------------------------------------------------------------------------


def doc_example() -> dict[str, Any]:
    page = read_doc_page(DOCS / "voucherify" / "v2024-01-01" / f"{EVENT}.txt")
    example: dict[str, Any] = page.examples[0]
    return example


def mutated(example: dict[str, Any]) -> dict[str, Any]:
    """A capture as a drifting producer might send it, inside a delivery envelope."""
    data = copy.deepcopy(example)
    del data["customer"]["source_id"]  # removed
    data["customer"]["phone"] = "+48 600 000 000"  # added
    data["customer"]["name"] = "Jill Webhook"  # value
    data["balance"]["points"] = float(data["balance"]["points"])  # integer -> number
    data["loyalty_tier"] = {"id": "ltr_1", "name": "Gold"}  # null -> object: retyped
    data["voucher"]["extra"] = {"nested": {"deep": 1}}  # added subtree: only its root
    return {
        "id": "evt_1",
        "project_id": "proj_1",
        "created_at": "2024-01-18T15:19:26Z",
        "type": EVENT,
        "data": data,
        "source": "API",
        "event": {},
    }


def test_compare_finds_each_kind() -> None:
    example = doc_example()
    report = compare_payloads(example, mutated(example), source_a="a.json", source_b="b.json")
    got = {(f.path, f.kind, f.expected, f.observed) for f in report.findings}
    assert got == {
        ("/customer/source_id", "removed", "string", None),
        ("/customer/phone", "added", None, "string"),
        ("/customer/name", "value", None, None),
        ("/balance/points", "retyped", "integer", "number"),
        ("/loyalty_tier", "retyped", "null", "object"),
        ("/voucher/extra", "added", None, "object"),
    }
    assert all(f.event == EVENT for f in report.findings)
    assert "Jill" not in repr(report)


def test_compare_shows_values_only_when_asked() -> None:
    example = doc_example()
    report = compare_payloads(example, mutated(example), show_values=True)
    value = next(f for f in report.findings if f.kind == "value")
    assert value.observed == '"Jill Webhook"' and "Jill Webhook" in value.message


def test_compare_counts_array_items_under_star() -> None:
    a = {"items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 2}], "all": {"x": 1}}
    b = {"items": [{"sku": "a", "qty": "1"}, {"sku": "b", "qty": "2"}], "all": {"y": 1}}
    report = compare_payloads(a, b)
    got = {(f.path, f.kind, f.count) for f in report.findings}
    # Without threshold_to_diff_deeper=0, deepdiff would report /all as one changed value.
    assert got == {("/items/*/qty", "retyped", 2), ("/all/x", "removed", 1), ("/all/y", "added", 1)}


def test_compare_identical_is_empty() -> None:
    example = doc_example()
    assert compare_payloads(example, copy.deepcopy(example)).findings == ()


# Keys deepdiff once skipped (`__`-prefixed: its `ignore_private_variables`) or that look like its own paths.
odd_keys = st.sampled_from(
    ["__b", "__new", "__", "__class__", "_", "root", "root['a']", "[0]", "a/b", "~1", "'", '"', ""]
)
payload_keys = st.text(max_size=6) | odd_keys
payload_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5)
)
payload_values = st.recursive(
    payload_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(payload_keys, inner, max_size=4),
    max_leaves=12,
)
payload_objects = st.dictionaries(payload_keys, payload_values, max_size=5)


def _objects(value: Any, path: list[Any]) -> list[tuple[list[Any], dict[str, Any]]]:
    """Every object in *value* with the keys (and list indices) leading to it."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    found = [(path, value)] if isinstance(value, dict) else []
    for key, child in children:
        found.extend(_objects(child, [*path, key]))
    return found


def _at(value: Any, path: list[Any]) -> Any:
    for key in path:
        value = value[key]
    return value


@st.composite
def one_edit(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], tuple[str, str, str | None, str | None]]:
    """A payload, a copy with one key added, removed or retyped somewhere, and the finding that edit makes."""
    before = draw(payload_objects)
    path, node = draw(st.sampled_from(_objects(before, [])))
    after = copy.deepcopy(before)
    target = _at(after, path)
    kind = draw(st.sampled_from(["added", "removed", "retyped"] if node else ["added"]))
    if kind == "added":
        key = draw(payload_keys.filter(lambda k: k not in node))
        target[key] = value = draw(payload_values)
        return before, after, ("added", pointer([*path, key]), None, json_type(value))
    key = draw(st.sampled_from(sorted(node)))
    old = node[key]
    if kind == "removed":
        del target[key]
        return before, after, ("removed", pointer([*path, key]), json_type(old), None)
    target[key] = new = draw(payload_values.filter(lambda v: json_type(v) != json_type(old)))
    return before, after, ("retyped", pointer([*path, key]), json_type(old), json_type(new))


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {"type": EVENT, "data": data}


@given(payload_objects)
def test_a_payload_compared_with_itself_has_no_findings(data: dict[str, Any]) -> None:
    assert compare_payloads(_envelope(data), _envelope(copy.deepcopy(data))).findings == ()


@given(one_edit())
def test_compare_reports_every_added_removed_or_retyped_key_at_its_path(
    edit: tuple[dict[str, Any], dict[str, Any], tuple[str, str, str | None, str | None]],
) -> None:
    before, after, expected = edit
    report = compare_payloads(_envelope(before), _envelope(after))
    assert expected in {(f.kind, f.path, f.expected, f.observed) for f in report.findings}
    assert all(f.kind != "value" for f in report.findings)


def test_compare_sees_keys_that_start_with_two_underscores() -> None:
    report = compare_payloads({"__b": 2}, {"__b": "x", "__new": 5})
    got = {(f.kind, f.path) for f in report.findings}
    assert got == {("retyped", "/__b"), ("added", "/__new")}


def test_pointer_escapes_keys() -> None:
    assert pointer(["a/b", "c~d", 0, "e"]) == "/a~1b/c~0d/*/e"


def test_compare_refuses_non_objects() -> None:
    with pytest.raises(PayloadError, match="must be a JSON object"):
        compare_payloads([1], {})


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_compare_golden(cli: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, golden: Golden) -> None:
    monkeypatch.chdir(tmp_path)
    example = doc_example()
    write_json(tmp_path / "documented.json", example, indent=2)
    write_json(tmp_path / "captured.json", mutated(example), indent=2)
    result = cli("compare", "documented.json", "captured.json", "--format", fmt, root=tmp_path)
    assert result.exit_code == ExitCode.FINDINGS
    golden(result.stdout, "diff_compare/compare", fmt=fmt)
    if fmt == "json":
        Draft202012Validator(report_schema()).validate(json.loads(result.stdout))


def test_compare_exit_codes(cli: Invoke, tmp_path: Path) -> None:
    example = doc_example()
    a = write_json(tmp_path / "a.json", example, indent=2)
    assert cli("compare", str(a), str(a), root=tmp_path).exit_code == ExitCode.OK
    b = write_json(tmp_path / "b.json", {**example, "new": 1}, indent=2)
    assert cli("compare", str(a), str(b), root=tmp_path).exit_code == ExitCode.OK  # a warning
    assert cli("compare", str(a), str(b), "--fail-on", "warning", root=tmp_path).exit_code == ExitCode.FINDINGS
    bad = tmp_path / "bad.json"
    bad.write_text("{", "utf-8")
    result = cli("compare", str(a), str(bad), root=tmp_path)
    assert result.exit_code == ExitCode.ERROR and "bad.json" in result.stderr
    assert cli("compare", str(a), str(tmp_path / "none.json"), root=tmp_path).exit_code == ExitCode.ERROR
    assert cli("compare", "-", "-", root=tmp_path, input="{}").exit_code == ExitCode.ERROR


def test_compare_reads_stdin(cli: Invoke, tmp_path: Path) -> None:
    a = write_json(tmp_path / "a.json", {"x": 1}, indent=2)
    result = cli("compare", str(a), "-", "--format", "json", root=tmp_path, input='{"x": "1"}')
    assert result.exit_code == ExitCode.FINDINGS
    assert json.loads(result.stdout)["findings"][0]["location"]["file"] == "<stdin>"


@pytest.mark.parametrize("command", ["diff", "compare"])
def test_commands_have_help_and_every_format(cli: Invoke, command: str) -> None:
    from webhook_contracts.report import REPORTERS

    result = cli(command, "--help")
    assert result.exit_code == ExitCode.OK
    assert "--fail-on [error|warning|info|never]" in result.stdout
    assert all(name in result.stdout for name in REPORTERS)
