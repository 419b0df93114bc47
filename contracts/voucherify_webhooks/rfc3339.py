# Copied by webhook-contracts from webhook_contracts/values/rfc3339.py; do not edit.
"""The one rule for the `date` and `date-time` formats of the contracts.

Every judge of a timestamp uses it: `validate` and `check` (the jsonschema
format checker), the drift walker, the drift fast path (its regexes are these
patterns) and the generated pydantic models (this module is copied into the
models package, which depends on pydantic only).

`date-time` is RFC 3339 section 5.6 `date-time`, as JSON Schema defines the
format, narrowed to what a Python `datetime` (and so a model) holds exactly:

- a calendar date that exists (29 February in leap years only, no day 31 in
  30-day months), years 0001 to 9999 (`datetime` has no year 0);
- `T` or `t` between date and time (no space: RFC 3339 mentions one only as
  an application's choice, outside the `date-time` grammar);
- hours 00-23, minutes and seconds 00-59: no leap second (`:60`), which
  `datetime` cannot hold;
- a fraction of 1 to 6 digits (microseconds, `datetime`'s precision: longer
  fractions would be cut by the model, so they are refused rather than
  silently shortened);
- an offset: `Z`, `z` or `+HH:MM` / `-HH:MM` with hours 00-23 and minutes
  00-59 (`-00:00` included); never `+HHMM`, never none.

`date` is RFC 3339 `full-date` with the same calendar. Digits are ASCII only.
The patterns are exact (no second check follows a match), use no look-around,
and are matched whole (`fullmatch`).
"""

from __future__ import annotations

import re

_YEAR = r"(?:[0-9]{3}[1-9]|[0-9]{2}[1-9]0|[0-9][1-9]00|[1-9]000)"
# Divisible by 4 and not by 100, or by 400 (0000 is not a year here).
_LEAP_YEAR = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = (
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    r"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?"
_OFFSET = r"(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"

#: RFC 3339 `full-date` with a day that exists.
DATE_PATTERN = rf"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
#: RFC 3339 `date-time`, narrowed to what a `datetime` holds (see the module's docstring).
DATE_TIME_PATTERN = rf"{DATE_PATTERN}[Tt]{_TIME}{_OFFSET}"

_DATE = re.compile(DATE_PATTERN)
_DATE_TIME = re.compile(DATE_TIME_PATTERN)


def is_date(value: str) -> bool:
    """True when *value* is a `date` of the contracts (`2024-02-29`)."""
    return _DATE.fullmatch(value) is not None


def is_date_time(value: str) -> bool:
    """True when *value* is a `date-time` of the contracts (`2024-01-18T15:18:39.015Z`)."""
    return _DATE_TIME.fullmatch(value) is not None


__all__ = ["DATE_PATTERN", "DATE_TIME_PATTERN", "is_date", "is_date_time"]
