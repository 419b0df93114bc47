"""GitHub Actions workflow commands: one annotation line per finding.

`::error file=F,line=L,title=T::message` (`warning` and `notice` for the
lower severities). A baselined finding is accepted, never a failure: it is a
`notice` whatever its severity. Values are escaped as GitHub's own toolkit escapes them
(`%`, CR and LF everywhere; `:` and `,` in properties) and control characters
are written as visible escapes, so a crafted field name can neither end the
line nor start a command of its own.
"""

from __future__ import annotations

from typing import TextIO

from ..findings import Finding, Report, Severity
from .common import baselined, path_label, where
from .escaping import github_data, github_property

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def annotation(finding: Finding) -> str:
    props = []
    place = where(finding)
    if place is not None:
        props.append(f"file={github_property(place.file)}")
        if place.line is not None and place.line >= 1:
            props.append(f"line={place.line}")
    title = f"{finding.kind} {path_label(finding)}"
    if finding.event:
        title = f"{finding.event} {title}"
    props.append(f"title={github_property(title)}")
    message = finding.message
    if finding.count != 1:
        message += f" ({finding.count}x)"
    if baselined(finding):
        message += " [baselined]"
    command = "notice" if baselined(finding) else _COMMAND[finding.severity]
    return f"::{command} {','.join(props)}::{github_data(message)}\n"


def render_github(report: Report, stream: TextIO) -> None:
    for finding in report.sorted().findings:
        stream.write(annotation(finding))
