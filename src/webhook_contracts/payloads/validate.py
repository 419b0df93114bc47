"""Validate payloads against their contracts with jsonschema.

A payload is the bare event data (as the doc pages show it) or one of the
provider's delivery envelopes around it. The event comes from the caller,
the envelope, or the shape of the data (best-matching contract, with a
confidence).

Each error becomes a :class:`~webhook_contracts.findings.Finding` whose kind is
the violated keyword (`schema.required`, `schema.type`, ...). Messages name
paths, keywords and types, never the payload's values (they carry customer
names and emails) unless the caller asks for them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry as RefRegistry
from referencing.exceptions import NoSuchResource, Unresolvable

from ..contracts.registry import Registry, Revision
from ..contracts.schemaguard import bounded_validator, check_metaschema
from ..errors import PayloadError, SchemaFileError
from ..findings import KINDS, Finding, Location
from ..providers import Provider
from ..values import jsonnumbers
from ..values.formats import format_checker
from ..values.jsontypes import json_type
from ..values.pointer import to_field_path, to_pointer
from ..values.strictjson import parse_strict
from . import MAX_ERRORS
from .detect import Detection, detect_event
from .envelope import unwrap

_FORMAT_CHECKER = format_checker()

#: Concrete paths kept per group of errors.
MAX_EXAMPLES = 3


#: The finding kind of each JSON Schema keyword the contracts use; any other keyword is `schema.other`.
KEYWORD_KINDS = {
    keyword: f"schema.{keyword}"
    for keyword in (
        "type",
        "required",
        "enum",
        "const",
        "pattern",
        "format",
        "additionalProperties",
        "propertyNames",
        "anyOf",
    )
}
OTHER_KEYWORD = "schema.other"


def keyword_kind(keyword: str) -> str:
    """The finding kind of an error of *keyword*: `schema.<keyword>`, else `schema.other`."""
    return KEYWORD_KINDS.get(keyword, OTHER_KEYWORD)


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of validating one payload: how its contract was found and the findings against it.

    :attr:`findings` are the payload's errors, grouped by path (array items as `*`),
    one kind per violated keyword (:data:`KEYWORD_KINDS`); :func:`~.results.result_findings`
    adds what the result itself says (an unknown event, errors not listed).
    """

    source: str
    where: str | None
    detection: Detection
    revision: Revision | None
    findings: tuple[Finding, ...] = field(default=())
    #: The limit validation stopped at (`max-errors-per-payload`), when the payload has more errors.
    stopped_at: int | None = None

    @property
    def valid(self) -> bool:
        return self.revision is not None and not self.findings

    @property
    def error_count(self) -> int:
        """Errors found (at least this many when :attr:`stopped_at` is set)."""
        return sum(f.count for f in self.findings)


def _refuse(uri: str) -> Any:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # attrs-generated __init__


def make_validator(
    schema: dict[str, Any],
    source: str = "<schema>",
    *,
    checked: bool = False,
    max_errors: int = MAX_ERRORS,
) -> Draft202012Validator:
    """A validator that checks formats, matches patterns in linear time and never retrieves anything.

    The schema is checked against the metaschema first, unless *checked* says it
    already was (a registry's strict load does it). An `anyOf`/`oneOf` keeps no
    more errors per branch than :func:`collect_findings` needs to see that
    *max_errors* was passed.
    """
    if not checked:
        check_metaschema(schema, source)
    validator: Draft202012Validator = bounded_validator(max_errors + 1)(
        schema,
        format_checker=_FORMAT_CHECKER,
        registry=RefRegistry(retrieve=_refuse),  # type: ignore[call-arg]  # attrs
    )
    return validator


def iter_findings(validator: Draft202012Validator, data: Any, *, show_values: bool = False) -> Iterator[Finding]:
    """Every error of *data*, one finding per path and message (array items as `*`), sorted by path."""
    yield from collect_findings(validator, data, show_values=show_values, max_errors=None)[0]


@dataclass(frozen=True)
class _Error:
    """One error of a payload at one grouped path (array items as `*`)."""

    path: str
    keyword: str
    message: str
    value: str | None = None


@dataclass
class _Group:
    error: _Error
    count: int
    examples: list[str]


def collect_findings(
    validator: Draft202012Validator,
    data: Any,
    *,
    show_values: bool = False,
    max_errors: int | None = MAX_ERRORS,
) -> tuple[tuple[Finding, ...], int | None]:
    """The errors of *data* as findings grouped by path (array items as `*`), and the limit it stopped at, if any.

    Errors are read one at a time; after *max_errors* of them (None: no limit)
    reading stops, so a payload with a million wrong items costs what a hundred do.
    The findings name no event or place: :meth:`ContractValidator.validate` adds them.
    """
    groups: dict[tuple[str, str, str], _Group] = {}
    seen = 0
    for error in validator.iter_errors(data):
        for parts, found in _explain(error, show_values):
            if max_errors is not None and seen >= max_errors:
                return _sorted(groups), max_errors
            seen += 1
            concrete = to_pointer(parts)
            key = (found.path, found.keyword, found.message)
            group = groups.get(key)
            if group is None:
                groups[key] = _Group(found, 1, [concrete])
                continue
            group.count += 1
            if len(group.examples) < MAX_EXAMPLES:
                group.examples.append(concrete)
    return _sorted(groups), None


def _occurrences(count: int, examples: list[str]) -> str:
    """` (at /items/0, /items/1, /items/2, ...)`, ` (at /items/3)`, or '' (the finding's count says how many)."""
    if not examples:
        return ""
    return f" (at {', '.join(examples)}{', ...' if count > len(examples) else ''})"


def _finding(group: _Group) -> Finding:
    error = group.error
    kind = keyword_kind(error.keyword)
    examples = group.examples if "*" in error.path else []
    value = f" (value: {error.value})" if error.value is not None else ""
    extra: dict[str, Any] = {"keyword": error.keyword}
    if examples:
        extra["examples"] = tuple(examples)
    if error.value is not None:
        extra["value"] = error.value
    return Finding(
        kind=kind,
        severity=KINDS[kind].severity,
        message=error.message + _occurrences(group.count, examples) + value,
        path=error.path or "/",
        count=group.count,
        extra=extra,
    )


def _sorted(groups: dict[tuple[str, str, str], _Group]) -> tuple[Finding, ...]:
    ordered = sorted(groups.values(), key=lambda g: (g.error.path.split("/"), g.error.keyword, g.error.message))
    return tuple(_finding(g) for g in ordered)


def _explain(error: ValidationError, show_values: bool) -> Iterator[tuple[list[Any], _Error]]:
    """The errors one jsonschema error stands for, each with its concrete path."""
    keyword = str(error.validator)
    if keyword == "anyOf" and error.context:
        # `anyOf: [{$ref}, {type: null}]` is how a nullable shared object is written:
        # the useful errors are those of the non-null branch.
        branch = [e for e in error.context if e.relative_schema_path and e.relative_schema_path[0] == 0]
        if error.instance is not None and branch:
            for sub in branch:
                yield from _explain(sub, show_values)
            return
    parts = list(error.absolute_path)
    if keyword == "required":
        yield from _missing(error, parts)
        return
    if (
        keyword == "additionalProperties"
        and isinstance(error.instance, dict)
        and isinstance(error.schema, dict)
        and "patternProperties" not in error.schema
    ):
        yield from _unexpected(error.instance, error.schema, parts, show_values)
        return
    if list(error.absolute_schema_path)[-2:-1] == ["propertyNames"]:
        # A key breaking `propertyNames` is reported at its object (the key may be data, as a map's keys are).
        keyword = "propertyNames"
    value = json.dumps(error.instance)[:200] if show_values else None
    yield parts, _Error(to_field_path(parts), keyword, _message(error, keyword), value)


def _missing(error: ValidationError, parts: list[Any]) -> Iterator[tuple[list[Any], _Error]]:
    """One error per missing field, at the field's own path (jsonschema reports each field once)."""
    names = error.validator_value if isinstance(error.validator_value, list) else []
    missing = [k for k in names if isinstance(k, str) and isinstance(error.instance, dict) and k not in error.instance]
    named = [k for k in missing if error.message == f"{k!r} is a required property"]
    for name in named or missing:  # (each error then stands for every missing field)
        yield [*parts, name], _Error(to_field_path([*parts, name]), "required", "missing required field")


def _unexpected(
    instance: dict[str, Any],
    schema: Mapping[str, Any],
    parts: list[Any],
    show_values: bool,
) -> Iterator[tuple[list[Any], _Error]]:
    """One error per field a closed object does not allow, at the field's own path."""
    listed = schema.get("properties", {})
    for key in instance:
        if key in listed:
            continue
        value = json.dumps(instance[key])[:200] if show_values else None
        where = [*parts, key]
        yield where, _Error(to_field_path(where), "additionalProperties", "field not in the contract", value)


def _message(error: ValidationError, keyword: str) -> str:
    expected, instance = error.validator_value, error.instance
    if keyword == "type":
        kinds = tuple(expected) if isinstance(expected, list) else (expected,)
        return f"expected {' or '.join(kinds)}, got {jsonnumbers.misfit(instance, kinds) or json_type(instance)}"
    if keyword == "propertyNames":
        return (
            f"a key does not match the pattern {expected}"
            if error.validator == "pattern"
            else ("a key does not match the expected pattern")
        )
    if keyword == "pattern":
        return f"does not match the pattern {expected}"
    if keyword == "format":
        return f"not a valid {expected}"
    if keyword == "enum":
        values = [v for v in expected if v is not None] if isinstance(expected, list) else []
        return f"not one of the {len(values)} documented values"
    if keyword == "const":
        return f"expected the constant {json.dumps(expected)}"
    if keyword == "anyOf":
        return "matches none of the allowed shapes"
    return f"fails '{keyword}'"


class ContractValidator:
    """Validates payloads against the contracts of a registry, caching validators."""

    def __init__(
        self,
        registry: Registry,
        *,
        api_version: str | None = None,
        threshold: float = 0.6,
        max_errors: int = MAX_ERRORS,
        provider: Provider | None = None,
    ) -> None:
        self.registry = registry
        #: Whose envelopes payloads come in (default: the default provider's).
        self.provider = provider
        self.api_version = api_version
        self.threshold = threshold
        #: Errors collected per payload before validation stops (`max-errors-per-payload`).
        self.max_errors = max_errors
        self._validators: dict[Revision, Draft202012Validator] = {}

    def contracts(self, api_version: str) -> dict[str, dict[str, Any]]:
        return {e: self.registry.load(self.registry.latest(e, api_version)) for e in self.registry.events(api_version)}

    def validator(self, revision: Revision) -> Draft202012Validator:
        if revision not in self._validators:
            self._validators[revision] = make_validator(
                self.registry.load(revision), revision.path, checked=True, max_errors=self.max_errors
            )
        return self._validators[revision]

    def validate(
        self,
        value: Any,
        *,
        source: str,
        where: str | None = None,
        event: str | None = None,
        revision: int | None = None,
        show_values: bool = False,
    ) -> ValidationResult:
        unwrapped = unwrap(value, source, where, provider=self.provider)
        version = self.api_version or self.registry.latest_api_version()
        if event is not None:
            detection = Detection(event, "given")
        elif unwrapped.event is not None:
            detection = Detection(unwrapped.event, "distribution" if unwrapped.kind == "distribution" else "envelope")
        else:
            detection = detect_event(unwrapped.data, self.contracts(version), self.threshold)
        if detection.event is None or detection.event not in self.registry.events(version):
            return ValidationResult(source, where, detection, None)
        rev = (
            self.registry.find(detection.event, version, revision)
            if revision is not None
            else self.registry.latest(detection.event, version)
        )
        try:
            findings, stopped_at = collect_findings(
                self.validator(rev), unwrapped.data, show_values=show_values, max_errors=self.max_errors
            )
        except Unresolvable as exc:
            ref = getattr(exc, "ref", "?")
            raise SchemaFileError(self.registry.root / rev.path, f"$ref {ref!r} does not resolve") from exc
        except RecursionError as exc:
            raise PayloadError(source, "nested too deeply to validate against the contract", where=where) from exc
        place = Location(source)
        findings = tuple(
            dataclasses.replace(f, event=rev.event, api_version=rev.api_version, revision=rev.revision, location=place)
            for f in findings
        )
        return ValidationResult(source, where, detection, rev, findings, stopped_at)


def parse_json(data: bytes, source: str) -> Any:
    """Parse one JSON payload strictly; errors name the file and the line and column.

    A UTF-8 byte-order mark is skipped. Duplicate keys, NaN/Infinity, invalid
    UTF-8 and nesting deeper than 1024 levels are input errors (see
    :mod:`~webhook_contracts.strictjson`).
    """
    return parse_strict(data, source)
