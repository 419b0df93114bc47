"""Findings as data: what every checking command reports, in one shape.

`validate`, `drift`, `diff`, `compare` and `check` each produce a :class:`Report` of
:class:`Finding` objects; the renderers in :mod:`webhook_contracts.report`
turn any report into text, JSON, Markdown, JUnit, SARIF or GitHub annotations.
A finding carries paths, types and counts; payload values only when the user
asked for them.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ExitCode


class Severity(enum.IntEnum):
    """How much a finding matters to a consumer of the payloads."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, name: str) -> Severity:
        return cls[name.upper()]


@dataclass(frozen=True)
class FindingKind:
    """What a finding kind means: declared once, read by config, `--fail-on` and every report format."""

    name: str
    severity: Severity
    title: str
    #: What the finding means (one or two sentences).
    description: str
    #: What to do about it.
    remedy: str
    #: The commands that report it.
    commands: tuple[str, ...]


_DRIFT = ("drift", "check")
_DIFF = ("diff",)
_CHECK = ("check",)
_VALIDATE = ("validate",)

#: Every kind of finding the commands report, by name.
KINDS: dict[str, FindingKind] = {
    kind.name: kind
    for kind in (
        # Drift: a captured payload departs from its contract (`drift`, `check --logs`).
        FindingKind(
            "missing_field",
            Severity.ERROR,
            "Required field missing",
            "A field the contract requires is absent from delivered payloads.",
            "Make the consumer tolerate the absence, or report it to the provider; if the provider "
            "changed the event, update the doc page and run `webhook-contracts regen`.",
            _DRIFT,
        ),
        FindingKind(
            "retyped_field",
            Severity.ERROR,
            "Field has another type",
            "A field arrives with another JSON type than the contract's (a string for an integer, "
            "a number for an integer, an array for an object, `null` where none is allowed, a value "
            "where the docs only showed `null`).",
            "Check what the consumer does with the field; update the contract if the provider changed it on purpose.",
            _DRIFT,
        ),
        FindingKind(
            "format_changed",
            Severity.ERROR,
            "String in another format",
            "A string field arrives in another format than the contract's (a date-time became a date).",
            "Check the consumer's parsing of the field; update the contract if the change is meant.",
            _DRIFT,
        ),
        FindingKind(
            "new_constant",
            Severity.ERROR,
            "New object tag",
            'An object tag (`"object": ...`) arrives with a value the contract does not have: one '
            "finding per path, with the number of distinct values and the five most frequent (a value is "
            "shown when shaped like a tag, else `other`).",
            "Find out what the new kind of object is and whether the consumer can handle it.",
            _DRIFT,
        ),
        FindingKind(
            "new_enum_value",
            Severity.ERROR,
            "Value outside the documented enum",
            "A field holds a value outside the enum the provider documents (the value is shown when it "
            "looks like vocabulary, `REFUNDED`; else `other`).",
            "Handle the new value in the consumer; report undocumented values to the provider.",
            _DRIFT,
        ),
        FindingKind(
            "prefix_changed",
            Severity.WARNING,
            "Identifier with another prefix",
            "An identifier arrives with another prefix than the contract's (`lopp_` became `lpp_`).",
            "Check code that parses or routes on identifier prefixes.",
            _DRIFT,
        ),
        FindingKind(
            "new_field",
            Severity.WARNING,
            "Field not in the contract",
            "Payloads carry a field the contract does not have (for a new object, its root only).",
            "Add the field to the doc page and run `webhook-contracts regen`, or accept it in the baseline.",
            _DRIFT,
        ),
        FindingKind(
            "new_open_key",
            Severity.INFO,
            "New key in an open object",
            "A new key appears where the contract allows any key (metadata, maps).",
            "Nothing to do unless the consumer relies on the set of keys.",
            _DRIFT,
        ),
        FindingKind(
            "new_keys_not_listed",
            Severity.WARNING,
            "More new keys than are listed",
            "An object of a payload has more new keys than `max-new-keys`: the first are listed as "
            "findings of their own, the rest are counted (`unlisted`), so one payload cannot flood "
            "the report.",
            "Look at the listed keys; if the object is a map keyed by data, the contract should describe it as one.",
            _DRIFT,
        ),
        FindingKind(
            "missing_documented_field",
            Severity.INFO,
            "Documented field absent",
            "A field every example shows, though the provider does not promise it, is absent.",
            "Make sure the consumer treats the field as optional.",
            _DRIFT,
        ),
        FindingKind(
            "nothing_checked",
            Severity.ERROR,
            "Nothing was checked",
            "The run checked no payload against a contract (an empty log, only unreadable lines or "
            "unknown events): a gate never goes green on traffic it could not check.",
            "Check the log files, `--payload-field` and `--event` given to the run.",
            _DRIFT,
        ),
        FindingKind(
            "unchecked_traffic",
            Severity.ERROR,
            "Too much traffic could not be checked",
            "More than `max-unchecked-share` (default 0.5) of the records were unparseable or of unknown events.",
            "Look at the unparseable and unknown lines the summary lists; raise `max-unchecked-share` "
            "only if that traffic is expected.",
            _DRIFT,
        ),
        # The pre-merge gate (`check`).
        FindingKind(
            "invalid_schema",
            Severity.ERROR,
            "Invalid schema file",
            "A schema file is not JSON or not valid against its metaschema.",
            "Schemas are generated: restore the file from git or run `webhook-contracts regen`.",
            _CHECK,
        ),
        FindingKind(
            "unresolved_ref",
            Severity.ERROR,
            "Unresolved `$ref`",
            "A schema has a `$ref` that is not local or does not resolve (nothing is ever fetched).",
            "Restore the file from git or run `webhook-contracts regen`.",
            _CHECK,
        ),
        FindingKind(
            "index_mismatch",
            Severity.ERROR,
            "Index and files disagree",
            "The schema index and the files on disk disagree (a missing, unlisted or changed file).",
            "Restore a changed published revision from git (`git checkout -- FILE`): a new revision "
            "comes from changed doc pages or OpenAPI and `webhook-contracts regen`.",
            _CHECK,
        ),
        FindingKind(
            "stale",
            Severity.ERROR,
            "Generated file is stale",
            "A generated file (schema, index, model, CHANGELOG entry) differs from what `regen` "
            "would write, or cannot be regenerated.",
            "Run `webhook-contracts regen` and commit the result.",
            _CHECK,
        ),
        FindingKind(
            "generator_missing",
            Severity.ERROR,
            "Model generator not installed",
            "The models cannot be checked: the model generator (the `codegen` extra) is not installed, "
            "or another version of it is.",
            "`pip install 'webhook-contracts[codegen]'`, or leave the check out with `--skip models`.",
            _CHECK,
        ),
        FindingKind(
            "model_import",
            Severity.ERROR,
            "Generated models do not import",
            "The generated pydantic models fail to import.",
            "Run `webhook-contracts regen`; if the error stays, report it.",
            _CHECK,
        ),
        FindingKind(
            "fixture_violation",
            Severity.ERROR,
            "Example or fixture does not conform",
            "A doc example, an official example of the provider's OpenAPI document or a configured "
            "payload fixture does not conform to its contract.",
            "Fix the fixture, or the doc page and run `webhook-contracts regen`.",
            _CHECK,
        ),
        FindingKind(
            "published_revision_edited",
            Severity.ERROR,
            "Published revision edited",
            "A published contract revision was deleted or edited since the base revision.",
            "Restore it from the base (`git checkout BASE -- FILE`); a change is published as a new "
            "revision by `webhook-contracts regen` from changed doc pages or OpenAPI.",
            _CHECK,
        ),
        FindingKind(
            "changelog_unchecked",
            Severity.WARNING,
            "Changelog check could not run",
            "The base revision is not in the clone, or the clone is shallow, so contract changes could "
            "not be compared with the CHANGELOG.",
            "Fetch the history (`fetch-depth: 0` with actions/checkout, or `git fetch --unshallow`).",
            _CHECK,
        ),
        FindingKind(
            "changelog",
            Severity.ERROR,
            "Contract change without a CHANGELOG entry",
            "A contract changed since the base revision but the CHANGELOG has no new entry for it.",
            "Add an entry naming the event and revision (`webhook-contracts regen` writes one).",
            _CHECK,
        ),
        FindingKind(
            "drift",
            Severity.WARNING,
            "Log lines could not be read",
            "Some lines of the captured logs given to `check --logs` could not be read.",
            "Run `webhook-contracts drift` on the logs to list the lines and why.",
            _CHECK,
        ),
        # Contract against contract (`diff`) and payload against payload (`compare`).
        FindingKind(
            "added",
            Severity.WARNING,
            "Field added",
            "A field exists only in the newer contract (`diff`) or only in payload B (`compare`).",
            "Compatible for a tolerant consumer; use the field where it helps.",
            ("diff", "compare"),
        ),
        FindingKind(
            "removed",
            Severity.ERROR,
            "Field removed",
            "A field exists only in the older contract (`diff`; breaking when it was required) or "
            "only in payload A (`compare`).",
            "Make sure the consumer no longer needs the field.",
            ("diff", "compare"),
        ),
        FindingKind(
            "retyped",
            Severity.ERROR,
            "Type changed",
            "A field has another JSON type (breaking when the new contract allows a type the old did not).",
            "Check what the consumer does with the field.",
            ("diff", "compare"),
        ),
        FindingKind(
            "value",
            Severity.INFO,
            "Value differs",
            "The two payloads hold different values at this path (shown only with `--show-values`).",
            "Nothing to do unless the value matters to the consumer.",
            ("compare",),
        ),
        FindingKind(
            "nullable",
            Severity.ERROR,
            "Nullability changed",
            "A field became nullable (breaking) or is no longer nullable (compatible).",
            "Make the consumer handle `null` where the new contract allows it.",
            _DIFF,
        ),
        FindingKind(
            "required",
            Severity.ERROR,
            "Required changed",
            "A field became optional (breaking) or required (compatible).",
            "Make the consumer tolerate the absence of a field that became optional.",
            _DIFF,
        ),
        FindingKind(
            "documented",
            Severity.WARNING,
            "Presence in examples changed",
            "A field is now, or is no longer, in every example; the provider promises neither.",
            "Treat the field as optional.",
            _DIFF,
        ),
        FindingKind(
            "enum",
            Severity.ERROR,
            "Allowed values changed",
            "The values a field may hold changed (breaking when new values are allowed).",
            "Handle the new values in the consumer.",
            _DIFF,
        ),
        FindingKind(
            "format",
            Severity.ERROR,
            "Format changed",
            "The string format of a field changed (breaking when it was loosened or dropped).",
            "Check the consumer's parsing of the field.",
            _DIFF,
        ),
        FindingKind(
            "pattern",
            Severity.ERROR,
            "Pattern changed",
            "The pattern of a string field changed (breaking when it was loosened or dropped).",
            "Check code that relies on the shape of the string.",
            _DIFF,
        ),
        FindingKind(
            "const",
            Severity.ERROR,
            "Constant changed",
            "The constant value of a field changed (breaking when it was loosened or dropped).",
            "Check code that routes on the field's value.",
            _DIFF,
        ),
        FindingKind(
            "annotation",
            Severity.INFO,
            "Documentation changed",
            "Only titles or descriptions changed.",
            "Nothing to do.",
            _DIFF,
        ),
        # A payload against its contract (`validate`): the kind is the JSON Schema keyword it breaks.
        FindingKind(
            "schema.type",
            Severity.ERROR,
            "Value of another type",
            "A field holds another JSON type than its contract allows (a string for an integer, a "
            "number for an integer, `null` where none is allowed).",
            "Fix the payload, or, if the provider sends it so, update the doc page and run `webhook-contracts regen`.",
            _VALIDATE,
        ),
        FindingKind(
            "schema.required",
            Severity.ERROR,
            "Required field missing",
            "A field the contract requires is absent: one finding per missing field, at the field's path.",
            "Add the field to the payload, or report its absence to the provider.",
            _VALIDATE,
        ),
        FindingKind(
            "schema.enum",
            Severity.ERROR,
            "Value outside the documented enum",
            "A field holds a value outside the values its contract lists (shown only with `--show-values`).",
            "Handle the new value in the consumer; report undocumented values to the provider.",
            _VALIDATE,
        ),
        FindingKind(
            "schema.const",
            Severity.ERROR,
            "Constant differs",
            "A field the contract fixes to one value (an object tag) holds another.",
            "Check which kind of object the payload carries.",
            _VALIDATE,
        ),
        FindingKind(
            "schema.pattern",
            Severity.ERROR,
            "String does not match the pattern",
            "A string breaks its contract's pattern (an identifier with another prefix).",
            "Check code that parses or routes on the shape of the string.",
            _VALIDATE,
        ),
        FindingKind(
            "schema.format",
            Severity.ERROR,
            "String in another format",
            "A string is not a valid value of its contract's format (a date-time, an e-mail address).",
            "Check the consumer's parsing of the field.",
            _VALIDATE,
        ),
        FindingKind(
            "schema.additionalProperties",
            Severity.ERROR,
            "Field not allowed",
            "An object the contract closes holds a field the contract does not list: one finding per field.",
            "Remove the field, or add it to the doc page and run `webhook-contracts regen`.",
            _VALIDATE,
        ),
        FindingKind(
            "schema.propertyNames",
            Severity.ERROR,
            "Key of a map does not match",
            "A key of an object keyed by data breaks the pattern the contract sets for its keys (the key "
            "is shown only with `--show-values`).",
            "Check where the key comes from.",
            _VALIDATE,
        ),
        FindingKind(
            "schema.anyOf",
            Severity.ERROR,
            "Matches none of the allowed shapes",
            "A value matches none of the alternatives its contract allows.",
            "Compare the value with each alternative of the contract.",
            _VALIDATE,
        ),
        FindingKind(
            "schema.other",
            Severity.ERROR,
            "Breaks another keyword",
            "A payload breaks a JSON Schema keyword the generated contracts do not use (in a schema "
            "given with `--schemas`); the message names the keyword.",
            "Compare the payload with that keyword of the schema.",
            _VALIDATE,
        ),
        FindingKind(
            "unknown_event",
            Severity.ERROR,
            "No contract for the payload",
            "The payload's event (given with `--event` or named by its envelope) has no contract in the "
            "API version, or its shape matches no contract well enough (`detect-threshold`).",
            "Name the event with `--event`, or pick the API version with `--api-version`.",
            _VALIDATE,
        ),
        FindingKind(
            "errors_not_listed",
            Severity.WARNING,
            "More errors than are listed",
            "Validation of a payload stopped at `max-errors-per-payload` (default 100) errors: it has "
            "more than its findings list.",
            "Fix the listed errors first; raise `max-errors-per-payload` to see more.",
            _VALIDATE,
        ),
    )
}

#: Drift kinds and their default severity (users may override them in config).
DRIFT_SEVERITY: dict[str, Severity] = {name: kind.severity for name, kind in KINDS.items() if "drift" in kind.commands}
#: A file every project has, named when a finding has no place of its own.
REPOSITORY_CONFIG = "pyproject.toml"


#: `extra` key of a finding that counts findings not described one by one (past a limit on
#: groups or differences): it has no path, and a baseline never accepts it.
UNGROUPED = "ungrouped"


#: `extra` key of a finding for the value it saw when that is not part of what groups it (a new
#: object tag): drift counts the distinct values of a group and lists the most frequent.
OBSERVED_VALUE = "observed_value"


@dataclass(frozen=True, order=True)
class Location:
    """Where something was seen: a file, a line, and the payload's own timestamp."""

    file: str
    line: int | None = None
    created_at: str | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True)
class Finding:
    """One (possibly aggregated) thing a command found."""

    kind: str
    severity: Severity
    message: str
    event: str | None = None
    api_version: str | None = None
    revision: int | None = None
    path: str | None = None
    expected: str | None = None
    observed: str | None = None
    location: Location | None = None
    count: int = 1
    first_seen: Location | None = None
    last_seen: Location | None = None
    share: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, ...]:
        """What makes two findings the same finding (used to group and to baseline)."""
        return (
            self.kind,
            self.event or "",
            self.api_version or "",
            self.path or "",
            self.expected or "",
            self.observed or "",
        )

    @property
    def fingerprint(self) -> str:
        """A stable id of :attr:`key`, for baselines and SARIF."""
        # hashlib (OpenSSL) is imported here: a drift run without findings in a fingerprinting format
        # never needs it, and it costs 3-5 ms of the start. surrogatepass: a schema read with the json
        # module may hold lone surrogates.
        import hashlib

        return hashlib.sha256("\x1f".join(self.key).encode("utf-8", "surrogatepass")).hexdigest()[:16]

    def sort_key(self) -> tuple[Any, ...]:
        return (-self.severity, self.event or "", self.api_version or "", self.path or "", self.kind, self.key)


@dataclass(frozen=True)
class Report:
    """The findings of one command, with a command-specific summary."""

    command: str
    findings: tuple[Finding, ...]
    summary: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def sorted(self) -> Report:
        return Report(self.command, tuple(sorted(self.findings, key=Finding.sort_key)), self.summary, self.notes)

    def worst(self) -> Severity | None:
        return max((f.severity for f in self.findings), default=None)

    def counts(self) -> dict[str, int]:
        out = {s.label: 0 for s in sorted(Severity, reverse=True)}
        for finding in self.findings:
            out[finding.severity.label] += 1
        return out


def locate(report: Report, file: str) -> Report:
    """*report* with each finding that has no place of its own pointed at *file* (a config file, say)."""
    findings = tuple(
        f if f.location is not None or f.first_seen is not None else dataclasses.replace(f, location=Location(file))
        for f in report.findings
    )
    return dataclasses.replace(report, findings=findings)


def exit_code(report: Report, fail_on: str) -> ExitCode:
    """0 when nothing is at or above *fail_on* (error|warning|info|never), else 1."""
    if fail_on == "never":
        return ExitCode.OK
    threshold = Severity.parse(fail_on)
    return ExitCode.FINDINGS if any(f.severity >= threshold for f in report.findings) else ExitCode.OK
