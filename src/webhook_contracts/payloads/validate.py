"""Validate payloads against their contracts with jsonschema.

A payload is the bare event data (as the doc pages show it) or one of the
provider's delivery envelopes around it. The event comes from the caller,
the envelope, or the shape of the data (best-matching contract, with a
confidence).

Messages name paths, keywords and types, never the payload's values (they
carry customer names and emails) unless the caller asks for them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry as RefRegistry
from referencing.exceptions import NoSuchResource, Unresolvable

from ..contracts.registry import Registry, Revision
from ..contracts.schemaguard import bounded_validator, check_metaschema
from ..errors import PayloadError, SchemaFileError
from ..providers import Provider
from ..values import jsonnumbers
from ..values.formats import format_checker
from ..values.jsontypes import json_type
from ..values.pointer import escape_pointer, to_pointer
from ..values.strictjson import parse_strict
from .detect import Detection, detect_event
from .envelope import unwrap

_FORMAT_CHECKER = format_checker()


#: Errors of one payload collected by default before validation stops (`max-errors-per-payload`).
MAX_ERRORS = 100
#: Concrete paths kept per group of errors.
MAX_EXAMPLES = 3


@dataclass(frozen=True)
class Violation:
    """One way a payload breaks its contract, at one path (array items as `*`), however often."""

    path: str
    keyword: str
    message: str
    value: str | None = None
    #: How many errors of the payload this is (one per array item).
    count: int = 1
    #: The first few concrete paths (`/order/items/3`), when :attr:`path` has a `*`.
    examples: tuple[str, ...] = ()

    def occurrences(self) -> str:
        """` (1000 times, at /items/0, /items/1, /items/2, ...)`, ` (at /items/3)`, or ''."""
        listed = ", ".join(self.examples) + (", ..." if self.count > len(self.examples) else "")
        if self.count > 1:
            return f" ({self.count} times, at {listed})" if self.examples else f" ({self.count} times)"
        return f" (at {listed})" if self.examples else ""


@dataclass(frozen=True)
class ValidationResult:
    """The outcome of validating one payload."""

    source: str
    where: str | None
    detection: Detection
    revision: Revision | None
    violations: tuple[Violation, ...] = field(default=())
    #: The limit validation stopped at (`max-errors-per-payload`), when the payload has more errors.
    stopped_at: int | None = None

    @property
    def valid(self) -> bool:
        return self.revision is not None and not self.violations

    @property
    def error_count(self) -> int:
        """Errors found (at least this many when :attr:`stopped_at` is set)."""
        return sum(v.count for v in self.violations)


def _refuse(uri: str) -> Any:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # attrs-generated __init__


def make_validator(
    schema: dict[str, Any], source: str = "<schema>", *, checked: bool = False, max_errors: int = MAX_ERRORS,
) -> Draft202012Validator:
    """A validator that checks formats, matches patterns in linear time and never retrieves anything.

    The schema is checked against the metaschema first, unless *checked* says it
    already was (a registry's strict load does it). An `anyOf`/`oneOf` keeps no
    more errors per branch than :func:`collect_violations` needs to see that
    *max_errors* was passed.
    """
    if not checked:
        check_metaschema(schema, source)
    validator: Draft202012Validator = bounded_validator(max_errors + 1)(
        schema, format_checker=_FORMAT_CHECKER, registry=RefRegistry(retrieve=_refuse)  # type: ignore[call-arg]  # attrs
    )
    return validator


def iter_violations(validator: Draft202012Validator, data: Any, *, show_values: bool = False) -> Iterator[Violation]:
    """Every error of *data*, one per path (array items as `*`), sorted by path."""
    yield from collect_violations(validator, data, show_values=show_values, max_errors=None)[0]


@dataclass
class _Group:
    violation: Violation
    count: int
    examples: list[str]


def collect_violations(
    validator: Draft202012Validator, data: Any, *, show_values: bool = False, max_errors: int | None = MAX_ERRORS,
) -> tuple[tuple[Violation, ...], int | None]:
    """The errors of *data* grouped by path (array items as `*`), and the limit it stopped at, if any.

    Errors are read one at a time; after *max_errors* of them (None: no limit)
    reading stops, so a payload with a million wrong items costs what a hundred do.
    """
    groups: dict[tuple[str, str, str], _Group] = {}
    seen = 0
    for error in validator.iter_errors(data):
        for parts, violation in _explain(error, show_values):
            if max_errors is not None and seen >= max_errors:
                return _sorted(groups), max_errors
            seen += 1
            concrete = to_pointer(parts)
            key = (violation.path, violation.keyword, violation.message)
            group = groups.get(key)
            if group is None:
                groups[key] = _Group(violation, 1, [concrete])
                continue
            group.count += 1
            if len(group.examples) < MAX_EXAMPLES:
                group.examples.append(concrete)
    return _sorted(groups), None


def _sorted(groups: dict[tuple[str, str, str], _Group]) -> tuple[Violation, ...]:
    out = [
        dataclasses.replace(g.violation, count=g.count, examples=tuple(g.examples) if "*" in g.violation.path else ())
        for g in groups.values()
    ]
    return tuple(sorted(out, key=lambda v: (v.path.split("/"), v.keyword, v.message)))


def _explain(error: ValidationError, show_values: bool) -> Iterator[tuple[list[Any], Violation]]:
    """The violations an error stands for, each with its concrete path."""
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
    path = "".join("/*" if isinstance(p, int) else f"/{escape_pointer(str(p))}" for p in parts)
    value = json.dumps(error.instance)[:200] if show_values else None
    yield parts, Violation(path, keyword, _message(error), value)


def _message(error: ValidationError) -> str:
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    if keyword == "type":
        kinds = tuple(expected) if isinstance(expected, list) else (expected,)
        return f"expected {' or '.join(kinds)}, got {jsonnumbers.misfit(instance, kinds) or json_type(instance)}"
    if keyword == "required":
        names = expected if isinstance(expected, list) else []
        missing = [k for k in names if isinstance(instance, dict) and k not in instance]
        return f"missing required field {', '.join(repr(k) for k in missing)}"
    if keyword == "pattern":
        return f"does not match the pattern {expected}"
    if keyword == "format":
        return f"not a valid {expected}"
    if keyword == "enum":
        values = [v for v in expected if v is not None] if isinstance(expected, list) else []
        return f"not one of the {len(values)} documented values"
    if keyword == "const":
        return f"expected the constant {json.dumps(expected)}"
    if keyword == "propertyNames":
        return "a key does not match the expected pattern"
    return f"fails '{keyword}'"


class ContractValidator:
    """Validates payloads against the contracts of a registry, caching validators."""

    def __init__(
        self, registry: Registry, *, api_version: str | None = None, threshold: float = 0.6,
        max_errors: int = MAX_ERRORS, provider: Provider | None = None,
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
        self, value: Any, *, source: str, where: str | None = None, event: str | None = None,
        revision: int | None = None, show_values: bool = False,
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
            violations, stopped_at = collect_violations(
                self.validator(rev), unwrapped.data, show_values=show_values, max_errors=self.max_errors
            )
        except Unresolvable as exc:
            ref = getattr(exc, "ref", "?")
            raise SchemaFileError(self.registry.root / rev.path, f"$ref {ref!r} does not resolve") from exc
        except RecursionError as exc:
            raise PayloadError(source, "nested too deeply to validate against the contract", where=where) from exc
        return ValidationResult(source, where, detection, rev, violations, stopped_at)


def parse_json(data: bytes, source: str) -> Any:
    """Parse one JSON payload strictly; errors name the file and the line and column.

    A UTF-8 byte-order mark is skipped. Duplicate keys, NaN/Infinity, invalid
    UTF-8 and nesting deeper than 1024 levels are input errors (see
    :mod:`~webhook_contracts.strictjson`).
    """
    return parse_strict(data, source)
