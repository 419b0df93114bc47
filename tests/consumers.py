"""Reports as their consumers read them: SARIF as code scanning does, JUnit through a JUnit parser."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from conftest import DATA
from jsonschema import Draft4Validator
from junitparser import JUnitXml, TestCase

# The official SARIF 2.1.0 schema (oasis-tcs/sarif-spec, sarif-2.1/schema/sarif-schema-2.1.0.json);
# see tests/data/sarif/README.md for the commit it was copied from.
SARIF_SCHEMA = DATA / "sarif" / "sarif-schema-2.1.0.json"


@cache
def _sarif_validator() -> Draft4Validator:
    schema = json.loads(SARIF_SCHEMA.read_text("utf-8"))
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def assert_code_scanning_accepts(log: dict[str, Any]) -> list[dict[str, Any]]:
    """Fail unless *log* is valid SARIF 2.1.0 that GitHub code scanning takes; return its results.

    GitHub refuses an upload when a result has no location with a physical
    location and an artifact URI ("expected at least one location").
    """
    errors = sorted(_sarif_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])
    results = [result for run in log["runs"] for result in run["results"]]
    for result in results:
        assert isinstance(result["message"]["text"], str) and isinstance(result["ruleId"], str)
        physical = [loc["physicalLocation"] for loc in result.get("locations", []) if "physicalLocation" in loc]
        assert physical and all(p["artifactLocation"]["uri"] for p in physical), result
        for place in physical:
            assert place.get("region", {}).get("startLine", 1) >= 1
    return results


def junit_cases(xml: str) -> list[TestCase]:
    """Every test case of a JUnit document, as junitparser reads it."""
    document = JUnitXml.fromstring(xml)
    return [case for suite in document for case in suite]


def outcome(case: TestCase) -> str:
    if case.is_skipped:
        return "skipped"
    return "passed" if case.is_passed else "failed"
