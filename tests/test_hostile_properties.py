"""Laws for hostile input: whatever the bytes or the JSON, only the toolkit's own errors escape,
and the same input always gives the same findings.

The doc-page reader, the strict payload parser, the log reader, the inferrer,
the validator and the drift engine are fed arbitrary bytes and arbitrary JSON
values (envelope-shaped ones included, so the interesting branches are hit).
"""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

from conftest import SCHEMAS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webhook_contracts.contracts.inference import infer_schema
from webhook_contracts.contracts.registry import load_registry
from webhook_contracts.drift.records import iter_records
from webhook_contracts.drift.scanner import DriftOptions, DriftScanner
from webhook_contracts.errors import WebhookContractsError
from webhook_contracts.payloads.validate import ContractValidator
from webhook_contracts.providers.voucherify.pages import parse_doc_page
from webhook_contracts.report import REPORTERS
from webhook_contracts.values.strictjson import parse_strict

REGISTRY = load_registry(SCHEMAS)
EVENTS = REGISTRY.events()
KEYS = st.sampled_from(
    [
        "type",
        "data",
        "id",
        "project_id",
        "created_at",
        "customer",
        "balance",
        "points",
        "object",
        "metadata",
        "order",
        "items",
        "holder",
        "voucher",
    ]
) | st.text(max_size=12)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["cust_1a2B3c4D5e", "2024-05-01T10:00:00.000Z", "2024-05-01", "a@b.example", *EVENTS])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=40,
)
ENVELOPES = st.builds(
    lambda event, data, extra: {"type": event, "data": data, **extra},
    st.sampled_from(EVENTS) | SCALARS,
    JSON,
    st.dictionaries(KEYS, JSON, max_size=3),
)
VALUES = JSON | ENVELOPES
SLOW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _scan(lines: list[bytes]) -> str:
    scanner = DriftScanner(REGISTRY, DriftOptions())
    scanner.feed(iter_records(["-"], stdin=io.BytesIO(b"\n".join(lines))))
    out = io.StringIO()
    REPORTERS["json"](scanner.report(), out)
    return out.getvalue()


@SLOW
@given(st.binary(max_size=2000))
def test_doc_page_reader_on_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(WebhookContractsError):
        parse_doc_page(data, source="page.txt", api_version="v2024-01-01")


@SLOW
@given(
    st.lists(
        st.one_of(st.text(max_size=40), JSON.map(json.dumps), JSON.map(lambda v: json.dumps(v, indent=2))), max_size=6
    )
)
def test_doc_page_reader_on_pages_of_json(parts: list[str]) -> None:
    page = "Example: customer.rewarded.loyalty_points\n" + "\n".join(parts)
    for encoding in ("utf-8", "utf-16"):
        try:
            first = parse_doc_page(page.encode(encoding, "surrogatepass"), source="p.txt", api_version="v2024-01-01")
        except WebhookContractsError:
            continue
        again = parse_doc_page(page.encode(encoding, "surrogatepass"), source="p.txt", api_version="v2024-01-01")
        assert first == again


@SLOW
@given(st.binary(max_size=500) | VALUES.map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass")))
def test_strict_parser_on_arbitrary_bytes(data: bytes) -> None:
    with contextlib.suppress(WebhookContractsError):
        parse_strict(data, "in.json")


@SLOW
@given(st.lists(VALUES, min_size=1, max_size=4))
def test_inferrer_on_arbitrary_json(samples: list[Any]) -> None:
    try:
        first = infer_schema(samples)
    except WebhookContractsError:
        return
    assert infer_schema(samples) == first


@SLOW
@given(VALUES)
def test_validator_on_arbitrary_json(value: Any) -> None:
    validator = ContractValidator(REGISTRY)
    try:
        first = validator.validate(value, source="in.json")
    except WebhookContractsError:
        return
    assert validator.validate(value, source="in.json") == first


@SLOW
@given(
    st.lists(VALUES.map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass")) | st.binary(max_size=200), max_size=8)
)
def test_drift_engine_on_arbitrary_lines_is_deterministic(lines: list[bytes]) -> None:
    first = _scan(lines)
    assert _scan(lines) == first
    summary = json.loads(first)["summary"]
    assert summary["records"] == summary["payloads"] + summary["unparseable"]["count"]


SCHEMA_KEYWORDS = st.sampled_from(
    [
        "type",
        "properties",
        "required",
        "items",
        "enum",
        "const",
        "minimum",
        "maxLength",
        "$ref",
        "$defs",
        "additionalProperties",
        "anyOf",
        "format",
        "$schema",
        "$id",
        "pattern",
        "title",
    ]
)
#: Mostly well-formed schemas with a wrong or odd keyword here and there.
SCHEMAS_ISH: st.SearchStrategy[Any] = st.recursive(
    st.booleans() | st.builds(dict),
    lambda inner: st.one_of(
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(["object", "string", "integer", "null", "nope"])
                | st.lists(st.sampled_from(["string", "null", "array"]), max_size=3)
            }
        ),
        st.fixed_dictionaries({"properties": st.dictionaries(KEYS, inner, max_size=3)}),
        st.fixed_dictionaries({"items": inner}),
        st.fixed_dictionaries({"anyOf": st.lists(inner, max_size=3)}),
        st.fixed_dictionaries({"$defs": st.dictionaries(KEYS, inner, max_size=2)}),
        st.fixed_dictionaries({"required": st.lists(KEYS, max_size=3) | SCALARS}),
        st.fixed_dictionaries({"pattern": st.text(max_size=6) | SCALARS}),
        st.fixed_dictionaries({"$ref": st.sampled_from(["#", "#/$defs/a", "other.json", "#x"]) | SCALARS}),
        st.dictionaries(SCHEMA_KEYWORDS, SCALARS | inner, max_size=3),
    ).flatmap(
        lambda base: st.builds(
            lambda extra: {**base, **extra}, st.dictionaries(SCHEMA_KEYWORDS | KEYS, SCALARS, max_size=1)
        )
    ),
    max_leaves=12,
)


@SLOW
@given(SCHEMAS_ISH)
def test_the_fast_metaschema_check_never_accepts_what_jsonschema_refuses(schema: Any) -> None:
    """jsonschema-rs's yes is trusted (see schemaguard._surely_valid): jsonschema must agree, except on
    `pattern`s that are not regular expressions, which the safety check refuses on its own."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    from webhook_contracts.contracts.schemaguard import _surely_valid

    if not _surely_valid(schema):
        return
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        assert exc.validator == "format" and exc.validator_value == "regex", exc.message
