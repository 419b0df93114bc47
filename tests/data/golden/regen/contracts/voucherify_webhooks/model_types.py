# Copied by webhook-contracts from webhook_contracts/values/model_types.py; do not edit.
"""The pydantic types of the contracts' `date` and `date-time` strings, and of their numbers.

The generated models type every such field with :data:`DateTime` or
:data:`Date`: the string must pass the rule of :mod:`.rfc3339` (the one
`validate` and `drift` apply), then it is read by the standard library
(Python 3.11's `fromisoformat` reads every string the rule accepts, exactly).
pydantic's own parser is looser (`+0100`, a space for `T`, ten fraction digits
cut to six), so a model accepts exactly the timestamps the contracts accept, in
strict mode too.

A `number` is typed with :data:`FiniteNumber`: a float that must be finite, so
`1e400` (which pydantic would hold as infinity) is refused, as `validate` and
`drift` refuse it. An `integer` keeps pydantic's `int`: in strict mode it takes
exactly the integers of the contracts (a token without fraction or exponent, of
any size), and refuses `900.0`, `9e2` and `1e-999`; lax mode converts those, as
it converts `"900"`, by pydantic's design.

This module is copied into the generated models package with
:mod:`.rfc3339`, which is all it needs besides pydantic.
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any

from pydantic import AllowInfNan, AwareDatetime, BeforeValidator

from .rfc3339 import is_date, is_date_time


def _date_time(value: Any) -> Any:
    if isinstance(value, str):
        if not is_date_time(value):
            raise ValueError(
                "not an RFC 3339 date-time: a real day, hours 00-23, minutes and seconds 00-59, "
                "at most 6 fraction digits, and an offset (Z or +HH:MM)"
            )
        return _dt.datetime.fromisoformat(value.upper())
    if not isinstance(value, _dt.datetime):
        raise ValueError("expected an RFC 3339 date-time string")
    return value


def _date(value: Any) -> Any:
    if isinstance(value, str):
        if not is_date(value):
            raise ValueError("not an RFC 3339 date: YYYY-MM-DD, a day that exists")
        return _dt.date.fromisoformat(value)
    if not isinstance(value, _dt.date) or isinstance(value, _dt.datetime):
        raise ValueError("expected an RFC 3339 date string")
    return value


#: A `date-time` of the contracts, held as an aware :class:`datetime.datetime`.
DateTime = Annotated[AwareDatetime, BeforeValidator(_date_time)]
#: A `date` of the contracts, held as a :class:`datetime.date`.
Date = Annotated[_dt.date, BeforeValidator(_date)]
#: A `number` of the contracts: finite as a double (an integer too, held as a float).
FiniteNumber = Annotated[float, AllowInfNan(False)]

__all__ = ["Date", "DateTime", "FiniteNumber"]
