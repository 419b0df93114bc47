"""One rule for `integer` and `number`, and every judge applies it alike.

The judges: `validate` (the jsonschema type checker, run through the CLI), the
drift walker (on the line as drift reads it), the drift fast path (the msgspec
gate) and the generated pydantic models in strict mode. Each row of the table
is a number token, spelled out in the payload's text (a parsed value would lose
the spelling: `900.0` and `9e2` are the same float), put at an integer field
and at a number field of a doc example and judged by all of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, Invoke
from drift_support import contract, envelope, example, set_pointer, shipped_gate
from pydantic import ValidationError
from voucherify_webhooks import model_for

from webhook_contracts.drift.records import line_records
from webhook_contracts.drift.walker import check_payload

EVENT = "customer.rewarded.loyalty_points"
INTEGER_FIELD = "/balance/total"  # "type": "integer", required
NUMBER_FIELD = "/campaign/voucher/code_config/length"  # "type": "number", required
_MARK = "__number_token__"

#: (token, is it an `integer` of the contracts, is it a `number`)
TOKENS: list[tuple[str, bool, bool]] = [
    ("0", True, True),
    # -0 has neither fraction nor exponent: the integer 0 for every reader.
    ("-0", True, True),
    ("900", True, True),
    # A fraction or an exponent makes a number, even a zero fraction (strict models refuse it as an int).
    ("900.0", False, True),
    ("9e2", False, True),
    ("1E2", False, True),
    ("1e-999", False, True),  # read as 0.0
    ("0.0", False, True),
    ("-0.0", False, True),
    ("1.5", False, True),
    # Beyond a double: no number (a float would hold infinity).
    ("1e400", False, False),
    ("-1e400", False, False),
    # An integer whatever its size; a number while a double holds it.
    (str(2**64 + 1), True, True),
    (str(-(2**63) - 1), True, True),
    (str(2**64 - 1), True, True),
    ("1" + "0" * 400, True, False),
]
_IDS = [t if len(t) < 30 else f"{len(t)}-digit integer" for t, _, _ in TOKENS]
_JUDGES = ("validate", "drift walker", "drift fast path", "model (strict)")


def _text(pointer: str, token: str) -> str:
    data = example(EVENT)
    set_pointer(data, pointer, _MARK)
    return json.dumps(data).replace(json.dumps(_MARK), token)


def _verdicts(cli: Invoke, tmp_path: Path, text: str) -> dict[str, bool]:
    """Whether each judge accepts the payload *text* as a clean payload of the event."""
    path = tmp_path / "payload.json"
    path.write_text(text, "utf-8")
    validated = cli("validate", str(path), "--event", EVENT, root=REPO)
    assert validated.exit_code in (0, 1), validated.output
    line = json.dumps(envelope(EVENT, {})).replace("{}", text).encode()
    (record,) = line_records("log", 1, line, None)
    assert record.ok, record.error
    try:
        model_for(EVENT).model_validate_json(text, strict=True)
    except ValidationError:
        model = False
    else:
        model = True
    return {
        "validate": validated.exit_code == 0,
        "drift walker": not check_payload(record.value["data"], contract(EVENT)),
        "drift fast path": shipped_gate().check(line) is not None,
        "model (strict)": model,
    }


@pytest.mark.parametrize(("token", "integer", "number"), TOKENS, ids=_IDS)
def test_every_judge_applies_the_integer_rule(
    cli: Invoke, tmp_path: Path, token: str, integer: bool, number: bool
) -> None:
    assert _verdicts(cli, tmp_path, _text(INTEGER_FIELD, token)) == dict.fromkeys(_JUDGES, integer)


@pytest.mark.parametrize(("token", "integer", "number"), TOKENS, ids=_IDS)
def test_every_judge_applies_the_number_rule(
    cli: Invoke, tmp_path: Path, token: str, integer: bool, number: bool
) -> None:
    assert _verdicts(cli, tmp_path, _text(NUMBER_FIELD, token)) == dict.fromkeys(_JUDGES, number)


def _retyped(pointer: str, token: str) -> list[tuple[str | None, str | None, str | None]]:
    line = _text(pointer, token).encode()
    (record,) = line_records("log", 1, line, None)
    data: dict[str, Any] = record.value
    return [(f.path, f.expected, f.observed) for f in check_payload(data, contract(EVENT))]


def test_drift_names_what_it_saw() -> None:
    """A big integer is an integer; a fraction is a number; 1e400 is named for what it is."""
    assert _retyped(INTEGER_FIELD, str(2**64 + 1)) == []
    assert _retyped(INTEGER_FIELD, "900.0") == [(INTEGER_FIELD, "integer", "number")]
    assert _retyped(INTEGER_FIELD, "1e400") == [(INTEGER_FIELD, "integer", "number beyond the double range")]
    assert _retyped(NUMBER_FIELD, "1" + "0" * 400) == [(NUMBER_FIELD, "number", "integer beyond the double range")]


def test_validate_says_where_and_what(cli: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "payload.json"
    path.write_text(_text(INTEGER_FIELD, "900.0"), "utf-8")
    result = cli("validate", str(path), "--event", EVENT, root=REPO)
    assert result.exit_code == 1
    assert f"schema.type {INTEGER_FIELD} expected integer, got number" in " ".join(result.output.split())
    path.write_text(_text(NUMBER_FIELD, "1e400"), "utf-8")
    result = cli("validate", str(path), "--event", EVENT, root=REPO)
    assert result.exit_code == 1
    assert f"schema.type {NUMBER_FIELD} expected number, got number beyond the double range" in " ".join(
        result.output.split()
    )


def test_an_integer_too_long_to_read_is_an_input_error(cli: Invoke, tmp_path: Path) -> None:
    """Past 4300 digits no reader here (nor pydantic) reads an integer: exit 2, naming the place."""
    path = tmp_path / "payload.json"
    path.write_text(_text(INTEGER_FIELD, "9" * 4301), "utf-8")
    result = cli("validate", str(path), "--event", EVENT, root=REPO)
    assert result.exit_code == 2
    assert "payload.json" in result.output
    assert "a number too long to read" in result.output
    assert "Traceback" not in result.output


def test_a_model_holds_a_big_integer_exactly() -> None:
    parsed: Any = model_for(EVENT).model_validate_json(_text(INTEGER_FIELD, str(2**64 + 1)), strict=True)
    assert parsed.balance.total == 2**64 + 1
