"""String formats and identifier prefixes, shared by inference and validation.

Inference decides a `format` from these predicates and validation checks the
same predicates, so a schema inferred from a sample always accepts it.
jsonschema's own date-time checker needs an optional package and is silently
skipped without it; defining the checks here keeps them explicit and offline.
`date` and `date-time` follow the one rule of :mod:`.rfc3339`, which the drift
fast path and the generated models use too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # jsonschema costs tens of milliseconds to import; only validation needs it
    from jsonschema import FormatChecker

from .rfc3339 import is_date, is_date_time

_EMAIL = re.compile(r"[^@\s\"<>]+@[^@\s\"<>]+\.[A-Za-z0-9-]{2,}")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s]+")

#: An identifier prefix: lower-case letters ending in `_` or `-`.
_PREFIX = re.compile(r"[a-z]{1,8}[_-]")
_PREFIX_PATTERN = re.compile(r"\^([a-z]{1,8}[_-])")
_ID_BODY = re.compile(r"[0-9A-Za-z]+")
# A key that is a generated identifier ("r_0e2905d4e6985a04b5"), not a field name.
_GENERATED_KEY = re.compile(r"[a-z]{1,8}[_-][0-9A-Za-z]{10,}")

FORMATS: tuple[str, ...] = ("date", "date-time", "email", "uri")


_PREDICATES: dict[str, Callable[[str], bool]] = {
    "date": is_date,
    "date-time": is_date_time,
    "email": lambda v: bool(_EMAIL.fullmatch(v)),
    "uri": lambda v: bool(_URI.fullmatch(v)),
}


def has_format(value: str, name: str) -> bool:
    """True when *value* satisfies the format *name* (one of :data:`FORMATS`)."""
    return _PREDICATES[name](value)


def formats_of(value: str) -> frozenset[str]:
    """Every format in :data:`FORMATS` that *value* satisfies."""
    return frozenset(name for name, check in _PREDICATES.items() if check(value))


def id_prefix_of(value: str, prefixes: Iterable[str]) -> str | None:
    """The first of *prefixes* (a provider's, longest first) *value* carries, if the rest looks like an id."""
    for prefix in prefixes:
        if value.startswith(prefix) and _ID_BODY.fullmatch(value[len(prefix) :]):
            return prefix
    return None


def prefix_pattern(prefix: str) -> str:
    """The `pattern` that pins an identifier prefix.

    Prefixes are lower-case letters ending in `_` or `-`, none of them special
    in any regex dialect, so they are not escaped (`^v\\-` is an error in
    ECMA-262 unicode mode, which JSON Schema tools may use).
    """
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(f"not an identifier prefix: {prefix!r}")
    return "^" + prefix


@functools.cache
def prefix_from_pattern(pattern: str) -> str | None:
    """Inverse of :func:`prefix_pattern`: the prefix a pattern this toolkit writes pins (else None)."""
    match = _PREFIX_PATTERN.fullmatch(pattern)
    return match.group(1) if match else None


def is_generated_key(key: str) -> bool:
    """True for object keys that are generated ids (`r_0e2905d4e6985a04b5`)."""
    return bool(_GENERATED_KEY.fullmatch(key)) and any(c.isdigit() for c in key)


def common_key_prefix(keys: Iterable[str]) -> str | None:
    """The identifier prefix all generated keys share ("r_"), if any."""
    prefixes = {key.split("_", 1)[0] + "_" if "_" in key else key.split("-", 1)[0] + "-" for key in keys}
    return prefixes.pop() if len(prefixes) == 1 else None


def _string_check(predicate: Callable[[str], bool]) -> Callable[[object], bool]:
    def check(instance: object) -> bool:
        return not isinstance(instance, str) or predicate(instance)

    return check


def format_checker() -> FormatChecker:
    """A jsonschema FormatChecker that asserts exactly the formats inference emits."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())
    for name, predicate in _PREDICATES.items():
        checker.checks(name)(_string_check(predicate))
    return checker
