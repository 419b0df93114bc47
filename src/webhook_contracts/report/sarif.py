"""SARIF 2.1.0 for code scanning: one rule per kind, one result per finding.

Rules are read from :data:`~webhook_contracts.findings.KINDS` (title, description,
help). Every result has a physical location, as GitHub code scanning requires:
the finding's file and line, else the repository's config file. Its logical
location is the event and the JSON Pointer of the field
(`customer.rewarded.loyalty_points#/customer/email`). `partialFingerprints`
carries :attr:`Finding.fingerprint`, so a finding keeps its identity across
runs. Baselined findings carry an external, accepted suppression, which code
scanning honours. No timestamps, no invocation details: the same report gives
the same bytes.
"""

from __future__ import annotations

import json
from typing import Any, TextIO
from urllib.parse import quote

from ..findings import KINDS, REPOSITORY_CONFIG, Finding, Report, Severity
from .common import baseline_justification, baselined, location_dict, plain, where

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: The project's home page (`[project.urls] Homepage` in pyproject.toml).
INFORMATION_URI = "https://github.com/webhook-contracts/webhook-contracts"
FINGERPRINT_KEY = "webhookContracts/v1"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule(kind: str, findings: list[Finding]) -> dict[str, Any]:
    words = kind.replace("_", " ").replace(".", " ")
    known = KINDS.get(kind)
    default = known.severity if known else max(f.severity for f in findings)
    title = known.title if known else words.capitalize() or kind
    description = known.description if known else title
    remedy = known.remedy if known else ""
    return {
        "id": kind,
        "name": "".join(part.capitalize() for part in words.split()) or kind,
        "shortDescription": {"text": title},
        "fullDescription": {"text": description},
        "help": {
            "text": f"{description} {remedy}".strip(),
            "markdown": f"**{title}**\n\n{description}" + (f"\n\n{remedy}" if remedy else ""),
        },
        "defaultConfiguration": {"level": _LEVEL[default]},
    }


def _uri(file: str) -> str:
    return quote(file.replace("\\", "/"), safe="/:@", errors="backslashreplace")


def _locations(finding: Finding) -> list[dict[str, Any]]:
    place = where(finding)
    file = place.file if place is not None and place.file else REPOSITORY_CONFIG
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(file)}}
    if place is not None and place.file and place.line is not None and place.line >= 1:
        physical["region"] = {"startLine": place.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.event is not None or finding.path is not None:
        pointer = finding.path or ""
        name = f"{finding.event}#{pointer}" if finding.event else f"#{pointer}"
        location["logicalLocations"] = [{"name": pointer or "/", "fullyQualifiedName": name, "kind": "member"}]
    return [location]


def _result(finding: Finding, rule_index: int, justification: str) -> dict[str, Any]:
    props: dict[str, Any] = {
        "severity": finding.severity.label,
        "count": finding.count,
        **{
            k: v
            for k, v in (
                ("event", finding.event),
                ("api_version", finding.api_version),
                ("revision", finding.revision),
                ("path", finding.path),
                ("expected", finding.expected),
                ("observed", finding.observed),
                ("share", finding.share),
                ("first_seen", location_dict(finding.first_seen)),
                ("last_seen", location_dict(finding.last_seen)),
            )
            if v is not None
        },
    }
    if finding.extra:
        props["extra"] = plain(dict(finding.extra))
    result: dict[str, Any] = {
        "ruleId": finding.kind,
        "ruleIndex": rule_index,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "locations": _locations(finding),
        "properties": props,
    }
    if baselined(finding):
        result["baselineState"] = "unchanged"
        result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": justification}]
    return result


def sarif_log(report: Report) -> dict[str, Any]:
    from .. import __version__

    findings = report.sorted().findings
    kinds = sorted({f.kind for f in findings})
    rules = [_rule(kind, [f for f in findings if f.kind == kind]) for kind in kinds]
    index = {kind: i for i, kind in enumerate(kinds)}
    justification = baseline_justification(report)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "webhook-contracts",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"webhook-contracts/{report.command}/"},
                "results": [_result(f, index[f.kind], justification) for f in findings],
                "properties": {
                    "command": report.command,
                    "summary": plain(dict(report.summary)),
                    "notes": list(report.notes),
                },
            }
        ],
    }


def render_sarif(report: Report, stream: TextIO) -> None:
    json.dump(sarif_log(report), stream, indent=2, sort_keys=True, ensure_ascii=True)
    stream.write("\n")
