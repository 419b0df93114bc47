"""Report renderers: golden files per format, hostile strings neutralised, laws for any report."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import DATA, Golden
from consumers import assert_code_scanning_accepts, assert_github_renders_inert, junit_cases, outcome
from golden import SUFFIX
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from webhook_contracts.findings import KINDS, Finding, Location, Report, Severity
from webhook_contracts.report import REPORTERS, report_schema, with_fail_on
from webhook_contracts.report.escaping import (
    github_data,
    github_property,
    markdown_cell,
    visible,
    xml_text,
)

EVENT = "customer.rewarded.loyalty_points"
#: A field name a hostile producer might send: workflow command, pre-encoded LF, a real LF,
#: a terminal colour, markup and a NUL byte.
HOSTILE = "/x::error::pwn%0A\nline\x1b[31mred<b>&amp;\x00"


def drift_report() -> Report:
    first, last = (
        Location("logs/2024-05-01.jsonl", 3, "2024-05-01T10:00:00Z"),
        Location("logs/2024-05-02.jsonl", 9),
    )
    findings = (
        Finding(
            "missing_field",
            Severity.ERROR,
            "/customer/email missing in 12 of 30 payloads",
            EVENT,
            "v2024-01-01",
            1,
            "/customer/email",
            "string",
            "missing",
            count=12,
            share=0.4,
            first_seen=first,
            last_seen=last,
        ),
        Finding(
            "retyped_field",
            Severity.ERROR,
            "/balance/points is a number",
            EVENT,
            "v2024-01-01",
            1,
            "/balance/points",
            "integer",
            "number",
            count=1,
            share=1 / 30,
            first_seen=last,
            last_seen=last,
        ),
        Finding(
            "new_field",
            Severity.WARNING,
            f"new field {HOSTILE}",
            EVENT,
            "v2024-01-01",
            1,
            HOSTILE,
            None,
            "string",
            count=2,
            share=2 / 30,
            first_seen=first,
            last_seen=last,
            extra={"baselined": True},
        ),
        Finding(
            "prefix_changed",
            Severity.WARNING,
            "id prefix changed",
            "voucher.loyalty_card.pending_points.activated",
            "v2024-01-01",
            1,
            "/voucher/id",
            "^v_",
            "^vc_",
            location=Location("payloads/one.json"),
        ),
        Finding(
            "new_open_key",
            Severity.INFO,
            "new key in metadata",
            EVENT,
            "v2024-01-01",
            1,
            "/customer/metadata/region",
            None,
            "string",
            count=30,
            share=1.0,
            first_seen=first,
            last_seen=last,
        ),
    )
    summary = {"payloads": 30, "skipped_lines": 2, "events": {EVENT: 29, "unknown": 1}}
    return with_fail_on(Report("drift", findings, summary, ("1 payload of an unknown event", HOSTILE)), "error")


def check_report() -> Report:
    """A `check` run: one check failed without a file of its own, one passed, one was skipped."""
    findings = (
        Finding(
            "drift", Severity.WARNING, "3 line(s) of the logs could not be read (see `drift`)", extra={"check": "drift"}
        ),
        Finding("stale", Severity.ERROR, "cannot regenerate: schemas/index.json is locked", extra={"check": "models"}),
    )
    checks = {"drift": "failed", "models": "failed", "schemas": "passed", "changelog": "skipped: no git base"}
    return with_fail_on(Report("check", findings, {"checks": checks}), "error")


def coverage_report() -> Report:
    """A drift run that checked nothing: the finding is about the run, not a field."""
    finding = Finding("nothing_checked", Severity.ERROR, "no payload was checked against a contract")
    return Report("drift", (finding,), {"payloads": 0, "events": {}})


def validate_report() -> Report:
    """A `validate` run on the bundled contracts: an invalid payload, a valid one, one of a hostile event."""
    from conftest import DOCS, REPO

    from webhook_contracts.contracts.registry import load_registry
    from webhook_contracts.payloads.results import validation_report
    from webhook_contracts.payloads.validate import ContractValidator
    from webhook_contracts.providers.voucherify.pages import read_doc_page

    example = read_doc_page(DOCS / "voucherify" / "v2024-01-01" / f"{EVENT}.txt").examples[0]
    bad = json.loads(json.dumps(example))
    bad["balance"]["points"] = "900"
    for name in ("object", "related_object", "total"):
        del bad["balance"][name]
    validator = ContractValidator(load_registry(REPO / "schemas"))
    return validation_report(
        [
            validator.validate(bad, source="payloads/bad.json"),
            validator.validate(example, source="payloads/good.json"),
            validator.validate({"id": "evt_1", "type": HOSTILE, "data": {}}, source="payloads/hostile.json"),
        ]
    )


CASES = {
    "check": check_report(),
    "drift": drift_report(),
    "empty": Report("diff", (), {"old": "a.json", "new": "b.json"}),
    "validate": validate_report(),
}


def render(fmt: str, report: Report) -> str:
    stream = io.StringIO()
    REPORTERS[fmt](report, stream)
    return stream.getvalue()


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, fmt: str, golden: Golden) -> None:
    golden(render(fmt, CASES[case]), f"reports/{case}/report", fmt=fmt)


def test_every_format_has_a_golden_suffix() -> None:
    assert set(SUFFIX) == set(REPORTERS)


def test_one_registry_of_report_formats() -> None:
    import webhook_contracts.report as report

    assert not hasattr(report, "VALIDATION_REPORTERS")
    assert callable(report.render_page_json) and callable(report.render_page_text)


# -- hostile strings -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "markdown", "github", "junit"])
def test_no_control_characters_reach_line_based_formats(fmt: str) -> None:
    out = render(fmt, drift_report())
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)
    assert "x1b" in out


def test_text_keeps_every_row_on_one_line() -> None:
    out = render("text", drift_report())
    rows = [line for line in out.splitlines() if line.lstrip().startswith(("error ", "warning ", "info "))]
    assert len(rows) == 5


def test_json_keeps_the_value_exactly() -> None:
    doc = json.loads(render("json", drift_report()))
    assert HOSTILE in [f["path"] for f in doc["findings"]]
    assert render("json", drift_report()).isascii()


def test_markdown_cells_are_inert() -> None:
    out = render("markdown", drift_report())
    assert "<b>" not in out and "&lt;b&gt;&amp;amp;" in out
    rows = [line for line in out.splitlines() if line.startswith("|")]
    widths = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
    assert len(widths) == 1
    assert markdown_cell("ping @octocat") == "ping @&#8203;octocat"
    assert markdown_cell("[x](http://e) *b* `c`") == "\\[x\\](http:/&#8203;/e) \\*b\\* \\`c\\`"


#: Text GitHub would turn into a link, mention, image, HTML or another table column.
GITHUB_HOSTILE = [
    "www.evil.test",
    "https://evil.test",
    "//evil.test",
    "#123",
    "owner/repo#7",
    "@octocat",
    "GH-1",
    "a@b.test",
    "<script>alert(1)</script>",
    "<img src=x>",
    "|",
    "a|b",
    "`code`",
    "``",
    "line\nbreak",
    "[x](y)",
    "![x](y)",
    "[x]: https://evil.test",
    ":shipit:",
    "&#35;1",
    "*b* _i_ ~~s~~",
    "\\|",
]


def _everywhere(value: str) -> Report:
    """A report with *value* in every piece of untrusted text the Markdown report shows."""
    place = Location(f"logs/{value}.jsonl", 3, value)
    finding = Finding(
        "new_field",
        Severity.WARNING,
        f"new field {value}",
        value,
        value,
        1,
        f"/{value}",
        value,
        value,
        count=2,
        share=0.5,
        first_seen=place,
        last_seen=Location(value, 9),
    )
    return Report("drift", (finding,), {value: value, "events": {value: {"payloads": 1}}}, notes=(value,))


@pytest.mark.parametrize("value", GITHUB_HOSTILE)
def test_markdown_renders_inert_on_github(value: str) -> None:
    for report in (_everywhere(value), Report("diff", _everywhere(value).findings, {value: value})):
        rows = assert_github_renders_inert(render("markdown", report))
        header, row = rows
        assert len(row) == len(header), row
        cells = dict(zip(header, (cell.replace("\u200b", "") for cell in row), strict=True))
        assert cells["Path"] == f"/{visible(value)}"  # shown as it is, only the triggers broken
        assert cells["Message"] == f"new field {visible(value)}"


def test_github_lines_cannot_inject_commands() -> None:
    lines = render("github", drift_report()).splitlines()
    assert len(lines) == len(drift_report().findings)
    for line in lines:
        match = re.fullmatch(r"::(error|warning|notice) ([^:]*)::(.*)", line)
        assert match, line
        for prop in match.group(2).split(","):
            assert re.fullmatch(r"(file|line|title)=[^,:]*", prop), prop
    hostile = next(line for line in lines if "new_field" in line)
    title = "title=customer.rewarded.loyalty_points new_field "
    assert title + "/x%3A%3Aerror%3A%3Apwn%250A%0Aline\\x1b[31m" in hostile
    assert github_data("50%\r\n") == "50%25%0D%0A"
    assert github_property("a:b,c") == "a%3Ab%2Cc"


def test_junit_is_xml_and_fails_by_threshold() -> None:
    report = drift_report()
    root = ET.fromstring(render("junit", report))
    assert root.get("tests") == "5" and root.get("failures") == "2" and root.get("skipped") == "1"
    names = [case.get("name") for case in root.iter("testcase")]
    assert any("\\x00" in (name or "") for name in names)
    warning = with_fail_on(report, "warning")
    assert ET.fromstring(render("junit", warning)).get("failures") == "3"
    never = with_fail_on(report, "never")
    assert ET.fromstring(render("junit", never)).get("failures") == "0"
    bare = Report("drift", report.findings)
    assert ET.fromstring(render("junit", bare)).get("failures") == "3"


def test_junit_as_a_junit_parser_reads_it() -> None:
    cases = {(case.classname, case.name): outcome(case) for case in junit_cases(render("junit", drift_report()))}
    assert cases[(EVENT, "/customer/email [missing_field]")] == "failed"
    assert cases[(EVENT, "/customer/metadata/region [new_open_key]")] == "passed"
    baselined = [name for (_, name), result in cases.items() if result == "skipped"]
    assert baselined == [f"{xml_text(HOSTILE)} [new_field]"]
    # A clean run still has a passing case, so CI test views do not read it as "no results".
    assert [outcome(case) for case in junit_cases(render("junit", CASES["empty"]))] == ["passed"]


def test_junit_check_has_one_case_per_check() -> None:
    cases = junit_cases(render("junit", check_report()))
    assert [(case.classname, case.name, outcome(case)) for case in cases] == [
        ("check", "changelog", "skipped"),
        ("check", "drift", "passed"),  # a warning, below --fail-on error
        ("check", "models", "failed"),
        ("check", "schemas", "passed"),
    ]


def test_junit_drift_has_a_passing_case_per_clean_event() -> None:
    summary = {"events": {EVENT: {"api_version": "v2024-01-01", "payloads": 4, "revision": 2}}}
    xml = render("junit", Report("drift", (), summary))
    cases = junit_cases(xml)
    assert [(case.classname, case.name, outcome(case)) for case in cases] == [
        (EVENT, "payloads conform to r2", "passed")
    ]
    assert ET.fromstring(xml)[0].get("name") == f"{EVENT} @ v2024-01-01"


def test_github_baselined_is_a_notice() -> None:
    lines = render("github", drift_report()).splitlines()
    baselined = [line for line in lines if "[baselined]" in line]
    assert len(baselined) == 1 and baselined[0].startswith("::notice ")
    assert sum(line.startswith("::error ") for line in lines) == 2


@pytest.mark.parametrize(
    "report",
    [drift_report(), check_report(), coverage_report(), CASES["empty"]],
    ids=["drift", "check", "nothing_checked", "empty"],
)
def test_sarif_is_valid_and_code_scanning_takes_it(report: Report) -> None:
    results = assert_code_scanning_accepts(json.loads(render("sarif", report)))
    assert len(results) == len(report.findings)


def test_sarif_results_without_a_file_point_at_the_config() -> None:
    for report in (check_report(), coverage_report()):
        for result in assert_code_scanning_accepts(json.loads(render("sarif", report))):
            assert result["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "pyproject.toml"}}


def test_sarif_results_and_rules() -> None:
    log = json.loads(render("sarif", drift_report()))
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == sorted({f.kind for f in drift_report().findings})
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        assert re.fullmatch(r"[0-9a-f]{16}", result["partialFingerprints"]["webhookContracts/v1"])
    missing = next(r for r in run["results"] if r["ruleId"] == "missing_field")
    assert missing["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "logs/2024-05-01.jsonl"},
        "region": {"startLine": 3},
    }
    assert missing["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == f"{EVENT}#/customer/email"


def test_sarif_baselined_findings_are_suppressed() -> None:
    run = json.loads(render("sarif", drift_report()))["runs"][0]
    suppressed = [r for r in run["results"] if r.get("suppressions")]
    assert [r["ruleId"] for r in suppressed] == ["new_field"]
    assert suppressed[0]["suppressions"] == [
        {"kind": "external", "status": "accepted", "justification": "accepted in the baseline"}
    ]
    named = Report("drift", drift_report().findings, {"baseline_file": "drift-baseline.json"})
    run = json.loads(render("sarif", named))["runs"][0]
    justification = next(r for r in run["results"] if r.get("suppressions"))["suppressions"][0]["justification"]
    assert justification == "accepted in the baseline drift-baseline.json"


def test_sarif_driver_and_rules_describe_the_kinds() -> None:
    import tomllib

    import webhook_contracts
    from webhook_contracts.report.sarif import INFORMATION_URI

    driver = json.loads(render("sarif", drift_report()))["runs"][0]["tool"]["driver"]
    assert driver["version"] == webhook_contracts.__version__
    pyproject = tomllib.loads((DATA.parent.parent / "pyproject.toml").read_text("utf-8"))
    assert driver["informationUri"] == INFORMATION_URI == pyproject["project"]["urls"]["Homepage"]
    levels = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    for rule in driver["rules"]:
        kind = KINDS[rule["id"]]
        assert rule["shortDescription"]["text"] == kind.title
        assert rule["fullDescription"]["text"] == kind.description
        assert kind.remedy in rule["help"]["text"] and kind.remedy in rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] == levels[kind.severity]


def test_escaping_helpers() -> None:
    assert visible("a\x1b[0m\u202eb\ud800") == "a\\x1b[0m\\u202eb\\ud800"
    assert visible("a\nb", keep="\n") == "a\nb"
    assert xml_text("a\x00\nb\tc", multiline=True) == "a\\x00\nb\tc"


# -- laws ------------------------------------------------------------------------------------

any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=30)
locations = st.builds(Location, any_text, st.none() | st.integers(0, 10**6), st.none() | any_text)
findings = st.builds(
    Finding,
    kind=any_text,
    severity=st.sampled_from(list(Severity)),
    message=any_text,
    event=st.none() | any_text,
    api_version=st.none() | any_text,
    revision=st.none() | st.integers(1, 1000),
    path=st.none() | any_text,
    expected=st.none() | any_text,
    observed=st.none() | any_text,
    location=st.none() | locations,
    count=st.integers(0, 10**6),
    first_seen=st.none() | locations,
    last_seen=st.none() | locations,
    share=st.none() | st.floats(0, 1),
    extra=st.dictionaries(any_text, st.booleans() | st.integers() | any_text, max_size=3),
)
reports = st.builds(
    Report,
    command=any_text,
    findings=st.lists(findings, max_size=6).map(tuple),
    summary=st.dictionaries(any_text, st.integers() | any_text | st.none(), max_size=3),
    notes=st.lists(any_text, max_size=3).map(tuple),
)
VALIDATOR = Draft202012Validator(report_schema())


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(reports, st.sampled_from(["error", "warning", "info", "never", None]))
def test_every_format_holds_for_any_report(report: Report, fail_on: str | None) -> None:
    if fail_on is not None:
        report = with_fail_on(report, fail_on)
    doc = json.loads(render("json", report))
    VALIDATOR.validate(doc)
    assert sorted(f["fingerprint"] for f in doc["findings"]) == sorted(f.fingerprint for f in report.findings)
    root = ET.fromstring(render("junit", report))
    cases = junit_cases(render("junit", report))
    assert root.get("tests") == str(len(cases)) and cases
    if report.command != "check":
        assert len(cases) >= len(report.findings)
    assert not any(outcome(case) == "failed" for case in cases if "baselined: yes" in (case.system_out or ""))
    log = json.loads(render("sarif", report))
    assert len(assert_code_scanning_accepts(log)) == len(report.findings)
    assert len(render("github", report).splitlines()) == len(report.findings)
    text = render("text", report) + render("markdown", report)
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]", text)


def test_schema_file_is_in_the_package() -> None:
    import webhook_contracts.report as package

    assert (Path(package.__file__).parent / "report.schema.json").is_file()
    Draft202012Validator.check_schema(report_schema())
