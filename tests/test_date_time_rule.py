"""One rule for `date-time` and `date`, and every judge applies it alike.

The judges: `validate` (the jsonschema format checker, run through the CLI),
the drift walker, the drift fast path (the msgspec gate) and the generated
pydantic models (strict and lax). Each row of the table is put into a doc
example at a field of that format and judged by all of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import REPO, Invoke
from drift_support import contract, envelope, example, set_pointer, shipped_gate
from pydantic import ValidationError
from voucherify_webhooks import model_for

from webhook_contracts.drift.walker import check_payload
from webhook_contracts.values.rfc3339 import is_date, is_date_time

_FRACTION = "123456789012"
#: (value, is it a `date-time` of the contracts)
DATE_TIMES: list[tuple[str, bool]] = [
    ("2024-01-18T15:18:39Z", True),
    ("2024-01-18T00:00:00Z", True),
    ("2024-01-18T23:59:59Z", True),
    # Hours, minutes, seconds out of range; leap seconds are refused (a datetime cannot hold them).
    ("2024-01-18T24:00:00Z", False),
    ("2024-01-18T99:99:99Z", False),
    ("2024-01-18T15:60:39Z", False),
    ("2024-01-18T15:18:61Z", False),
    ("2016-12-31T23:59:60Z", False),
    ("2024-01-18T15:18:60Z", False),
    # Offsets.
    ("2024-01-18T15:18:39z", True),
    ("2024-01-18T15:18:39+01:00", True),
    ("2024-01-18T15:18:39-00:00", True),
    ("2024-01-18T15:18:39+23:59", True),
    ("2024-01-18T15:18:39-05:30", True),
    ("2024-01-18T15:18:39+99:99", False),
    ("2024-01-18T15:18:39+24:00", False),
    ("2024-01-18T15:18:39+01:60", False),
    ("2024-01-18T15:18:39+0100", False),
    ("2024-01-18T15:18:39+01", False),
    ("2024-01-18T15:18:39", False),
    ("2024-01-18T15:18:39.577", False),
    # Separators: RFC 3339's `T` in either case; a space is outside its date-time grammar.
    ("2024-01-18t15:18:39Z", True),
    ("2024-01-18 15:18:39Z", False),
    ("2024-01-18_15:18:39Z", False),
    # Fractions of 1 to 12 digits: up to microseconds, what a datetime (and a model) holds.
    *((f"2024-01-18T15:18:39.{_FRACTION[:n]}Z", n <= 6) for n in range(1, 13)),
    ("2024-01-18T15:18:39.Z", False),
    ("2024-01-18T15:18:39,577Z", False),
    # Calendar: 29 February in leap years only, no day 31 in 30-day months.
    ("2024-02-29T12:00:00Z", True),
    ("2000-02-29T12:00:00Z", True),
    ("2023-02-29T12:00:00Z", False),
    ("1900-02-29T12:00:00Z", False),
    ("2024-02-30T12:00:00Z", False),
    ("2024-04-31T12:00:00Z", False),
    ("2024-06-31T12:00:00Z", False),
    ("2024-09-31T12:00:00Z", False),
    ("2024-11-31T12:00:00Z", False),
    ("2024-12-31T12:00:00Z", True),
    ("2024-04-30T12:00:00Z", True),
    ("2024-13-01T12:00:00Z", False),
    ("2024-00-10T12:00:00Z", False),
    ("2024-01-00T12:00:00Z", False),
    ("0000-01-01T00:00:00Z", False),
    ("0001-01-01T00:00:00Z", True),
    ("9999-12-31T23:59:59Z", True),
    # Shapes: ASCII digits only, two digits each, nothing around.
    ("2024-01-18T15:18:3\u0669Z", False),
    ("2024-1-18T15:18:39Z", False),
    ("2024-01-18T5:18:39Z", False),
    (" 2024-01-18T15:18:39Z", False),
    ("2024-01-18T15:18:39Z\n", False),
    ("2024-01-18", False),
    ("", False),
]
#: (value, is it a `date` of the contracts)
DATES: list[tuple[str, bool]] = [
    ("2025-01-16", True),
    ("2024-02-29", True),
    ("2000-02-29", True),
    ("2023-02-29", False),
    ("2100-02-29", False),
    ("2024-04-31", False),
    ("2024-13-01", False),
    ("0000-01-01", False),
    ("2024-1-01", False),
    ("20240101", False),
    ("2024-01-18T00:00:00Z", False),
    ("2024-01-1\u0669", False),
]
#: (event, JSON Pointer of a field of that format in its first doc example)
DATE_TIME_FIELDS = [
    ("customer.rewarded.loyalty_points", "/event/created_at"),  # a string
    ("customer.rewarded.loyalty_points", "/order/updated_at"),  # a string or null
]
DATE_FIELD = ("voucher.loyalty_card.pending_points.activated", "/pending_points/activates_at")
_JUDGES = ("validate", "drift walker", "drift fast path", "model (strict)", "model (lax)")


def _verdicts(cli: Invoke, tmp_path: Path, event: str, data: dict[str, Any]) -> dict[str, bool]:
    """Whether each judge accepts *data* as a clean payload of *event*."""
    path = tmp_path / "payload.json"
    path.write_text(json.dumps(data), "utf-8")
    validated = cli("validate", str(path), "--event", event, root=REPO)
    assert validated.exit_code in (0, 1), validated.output
    text = json.dumps(data)
    model = model_for(event)
    model_verdicts = {}
    for mode in ("strict", "lax"):
        try:
            model.model_validate_json(text, strict=mode == "strict")
        except ValidationError:
            model_verdicts[f"model ({mode})"] = False
        else:
            model_verdicts[f"model ({mode})"] = True
    return {
        "validate": validated.exit_code == 0,
        "drift walker": not check_payload(data, contract(event)),
        "drift fast path": shipped_gate().check(orjson.dumps(envelope(event, data))) is not None,
        **model_verdicts,
    }


@pytest.mark.parametrize(("event", "pointer"), DATE_TIME_FIELDS)
@pytest.mark.parametrize(("value", "valid"), DATE_TIMES)
def test_every_judge_applies_the_date_time_rule(
    cli: Invoke, tmp_path: Path, event: str, pointer: str, value: str, valid: bool
) -> None:
    data = example(event)
    set_pointer(data, pointer, value)
    assert is_date_time(value) is valid
    assert _verdicts(cli, tmp_path, event, data) == dict.fromkeys(_JUDGES, valid)


@pytest.mark.parametrize(("value", "valid"), DATES)
def test_every_judge_applies_the_date_rule(cli: Invoke, tmp_path: Path, value: str, valid: bool) -> None:
    event, pointer = DATE_FIELD
    data = example(event)
    set_pointer(data, pointer, value)
    assert is_date(value) is valid
    assert _verdicts(cli, tmp_path, event, data) == dict.fromkeys(_JUDGES, valid)


def test_a_model_holds_the_value_exactly() -> None:
    """What the rule accepts, a model holds without losing a digit (microseconds, the offset)."""
    data = example("customer.rewarded.loyalty_points")
    set_pointer(data, "/event/created_at", "2024-02-29t23:59:59.123456-05:30")
    parsed = model_for("customer.rewarded.loyalty_points").model_validate_json(json.dumps(data), strict=True)
    held = parsed.event.created_at
    assert held.isoformat() == "2024-02-29T23:59:59.123456-05:30"
