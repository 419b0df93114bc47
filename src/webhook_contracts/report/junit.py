"""JUnit XML: test suites and test cases that CI test views and Jenkins read.

`check` is one suite with one case per check: a check with a finding at or
above the report's `fail_on` threshold (see :mod:`.common`; errors and
warnings when the report carries none) fails, a skipped check is skipped.
Other commands get one suite per event and API version with one case per
finding; `drift` adds one passing case for each event it checked without a
finding, `validate` one for each valid payload, and a run without any case gets one passing case, so a clean run is
never "no results". Findings below the threshold pass with their details in
`<system-out>`; baselined findings are `<skipped>`, never failures. Suites and
cases are sorted by name. Text goes through :func:`~.escaping.xml_text`, so
the document is valid XML 1.0 whatever the field names hold.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import TextIO

from ..findings import Finding, Report, Severity
from .common import (
    baseline_justification,
    baselined,
    change,
    failing_threshold,
    fails,
    group_title,
    iter_groups,
    path_label,
    payload_line,
    seen,
    validated_payloads,
    where,
)
from .escaping import xml_text

#: (suite name, cases); a case is an unattached `<testcase>` element.
Suite = tuple[str, list[ET.Element]]


def _details(finding: Finding) -> str:
    lines = [finding.message, f"severity: {finding.severity.label}", f"kind: {finding.kind}"]
    if finding.path is not None:
        lines.append(f"path: {finding.path or '/'}")
    if change(finding):
        lines.append(f"change: {change(finding)}")
    if finding.count != 1 or finding.share is not None:
        lines.append(f"count: {finding.count}" + (f" ({finding.share:.1%})" if finding.share is not None else ""))
    place = where(finding)
    if finding.location is not None and place is not None:
        lines.append(f"at: {place}")
    if seen(finding):
        lines.append(f"seen: {seen(finding)}")
    if baselined(finding):
        lines.append("baselined: yes")
    lines.append(f"fingerprint: {finding.fingerprint}")
    return "\n".join(lines) + "\n"


def _case(name: str, classname: str) -> ET.Element:
    return ET.Element("testcase", name=xml_text(name), classname=xml_text(classname))


def _finding_case(finding: Finding, classname: str, threshold: Severity | None, accepted: str) -> ET.Element:
    case = _case(f"{path_label(finding)} [{finding.kind}]", classname)
    place = where(finding)
    if place is not None:
        case.set("file", xml_text(place.file))
        if place.line is not None:
            case.set("line", str(place.line))
    details = xml_text(_details(finding), multiline=True)
    if baselined(finding):
        ET.SubElement(case, "skipped", message=xml_text(accepted))
        ET.SubElement(case, "system-out").text = details
    elif fails(finding, threshold):
        failure = ET.SubElement(case, "failure", message=xml_text(finding.message), type=xml_text(finding.kind))
        failure.text = details
    else:
        ET.SubElement(case, "system-out").text = details
    return case


def _iter_check_suites(report: Report, threshold: Severity | None) -> Iterator[Suite]:
    """One case per check: failing, skipped or passing, the findings' details inside."""
    statuses = report.summary.get("checks")
    statuses = statuses if isinstance(statuses, dict) else {}
    found: dict[str, list[Finding]] = {str(name): [] for name in statuses}
    for finding in report.sorted().findings:
        found.setdefault(str(finding.extra.get("check") or report.command), []).append(finding)
    cases = []
    for name, findings in sorted(found.items()):
        case = _case(name, report.command)
        status = str(statuses.get(name, ""))
        failing = [f for f in findings if fails(f, threshold) and not baselined(f)]
        if status.startswith("skipped"):
            reason = status.partition(": ")[2] or "skipped"
            ET.SubElement(case, "skipped", message=xml_text(reason))
        elif failing:
            failure = ET.SubElement(
                case, "failure", message=xml_text(f"{len(failing)} finding(s)"), type=xml_text(name)
            )
            failure.text = xml_text("\n".join(_details(f) for f in failing), multiline=True)
        rest = [f for f in findings if f not in failing]
        if rest:
            ET.SubElement(case, "system-out").text = xml_text("\n".join(_details(f) for f in rest), multiline=True)
        cases.append(case)
    yield report.command, cases


def _iter_finding_suites(report: Report, threshold: Severity | None) -> Iterator[Suite]:
    """One suite per event and API version, one case per finding, and the passing cases of clean work."""
    accepted = baseline_justification(report)
    clean = _clean_cases(report)
    seen_events = set()
    for (event, api_version), findings in iter_groups(report):
        seen_events.add(event)
        classname = event or report.command
        cases = [_finding_case(f, classname, threshold, accepted) for f in findings]
        # `drift` says an event is clean only when it has no finding at all.
        cases += clean.pop((event, api_version), []) if report.command == "validate" else []
        yield group_title(event, api_version) if event else report.command, cases
    for (event, api_version), cases in sorted(clean.items()):
        if report.command == "drift" and event in seen_events:
            continue
        yield group_title(event, api_version), cases


def _clean_cases(report: Report) -> dict[tuple[str, str], list[ET.Element]]:
    """Passing cases by (event, API version): `drift`, one per event checked; `validate`, one per valid payload."""
    out: dict[tuple[str, str], list[ET.Element]] = {}
    events = report.summary.get("events") if report.command == "drift" else None
    for event, info in sorted(events.items()) if isinstance(events, dict) else ():
        if not isinstance(info, dict):
            continue
        case = _case(f"payloads conform to r{info.get('revision')}", event)
        ET.SubElement(case, "system-out").text = xml_text(
            f"{info.get('payloads', 0)} payload(s) checked against r{info.get('revision')}, no drift\n",
            multiline=True,
        )
        out.setdefault((event, str(info.get("api_version") or "")), []).append(case)
    for payload in validated_payloads(report.summary) if report.command == "validate" else ():
        if payload.get("status") != "valid":
            continue
        event, source = str(payload.get("event") or ""), str(payload.get("source"))
        case = _case(f"{source} conforms to r{payload.get('revision')}", event)
        case.set("file", xml_text(source))
        ET.SubElement(case, "system-out").text = xml_text(payload_line(payload) + "\n", multiline=True)
        out.setdefault((event, str(payload.get("api_version") or "")), []).append(case)
    return out


def _counts(cases: list[ET.Element]) -> dict[str, str]:
    return {
        "tests": str(len(cases)),
        "failures": str(sum(case.find("failure") is not None for case in cases)),
        "errors": "0",
        "skipped": str(sum(case.find("skipped") is not None for case in cases)),
    }


def render_junit(report: Report, stream: TextIO) -> None:
    threshold = failing_threshold(report)
    iter_suites = _iter_check_suites if report.command == "check" else _iter_finding_suites
    suites = [(name, cases) for name, cases in iter_suites(report, threshold) if cases]
    if not suites:
        clean = _case(f"{report.command}: no findings", report.command)
        suites = [(report.command, [clean])]
    root = ET.Element("testsuites", name=xml_text(f"webhook-contracts {report.command}"))
    every: list[ET.Element] = []
    for name, cases in sorted(suites, key=lambda suite: suite[0]):
        cases = sorted(cases, key=lambda case: case.get("name") or "")
        suite = ET.SubElement(root, "testsuite", {"name": xml_text(name), **_counts(cases)})
        suite.extend(cases)
        every.extend(cases)
    for key, value in _counts(every).items():
        root.set(key, value)
    ET.indent(root)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(root, encoding="unicode"))
    stream.write("\n")
