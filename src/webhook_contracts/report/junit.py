"""JUnit XML: one test suite per event and API version, one test case per finding.

A finding at or above the report's `fail_on` threshold (see
:mod:`.common`; errors and warnings when the report carries none) is a
`<failure>`; the others are passing test cases whose details sit in
`<system-out>`, so CI test views list every finding without failing on
information. Text goes through :func:`~.escaping.xml_text`, so the document is
valid XML 1.0 whatever the field names hold.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TextIO

from ..findings import Finding, Report
from .common import (
    baselined,
    change,
    failing_threshold,
    fails,
    group_title,
    iter_groups,
    path_label,
    seen,
    where,
)
from .escaping import xml_text


def _details(finding: Finding) -> str:
    lines = [finding.message, f"severity: {finding.severity.label}", f"kind: {finding.kind}"]
    if finding.path is not None:
        lines.append(f"path: {finding.path or '/'}")
    if change(finding):
        lines.append(f"change: {change(finding)}")
    if finding.count != 1 or finding.share is not None:
        lines.append(
            f"count: {finding.count}"
            + (f" ({finding.share:.1%})" if finding.share is not None else "")
        )
    place = where(finding)
    if finding.location is not None and place is not None:
        lines.append(f"at: {place}")
    if seen(finding):
        lines.append(f"seen: {seen(finding)}")
    if baselined(finding):
        lines.append("baselined: yes")
    lines.append(f"fingerprint: {finding.fingerprint}")
    return "\n".join(lines) + "\n"


def _testcase(parent: ET.Element, classname: str, finding: Finding, failing: bool) -> None:
    case = ET.SubElement(
        parent,
        "testcase",
        name=xml_text(f"{path_label(finding)} [{finding.kind}]"),
        classname=xml_text(classname),
    )
    place = where(finding)
    if place is not None:
        case.set("file", xml_text(place.file))
        if place.line is not None:
            case.set("line", str(place.line))
    details = xml_text(_details(finding), multiline=True)
    if failing:
        failure = ET.SubElement(
            case, "failure", message=xml_text(finding.message), type=xml_text(finding.kind)
        )
        failure.text = details
    else:
        ET.SubElement(case, "system-out").text = details


def render_junit(report: Report, stream: TextIO) -> None:
    threshold = failing_threshold(report)
    name = f"webhook-contracts {report.command}"
    root = ET.Element("testsuites", name=xml_text(name))
    total = failures = 0
    for (event, api_version), findings in iter_groups(report):
        failing = [fails(f, threshold) for f in findings]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=xml_text(group_title(event, api_version)),
            tests=str(len(findings)),
            failures=str(sum(failing)),
            errors="0",
            skipped="0",
        )
        for finding, fail in zip(findings, failing, strict=True):
            _testcase(suite, event or report.command, finding, fail)
        total += len(findings)
        failures += sum(failing)
    if total == 0:
        ET.SubElement(
            root, "testsuite", name=xml_text(name), tests="0", failures="0", errors="0", skipped="0"
        )
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ET.indent(root)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(root, encoding="unicode"))
    stream.write("\n")
