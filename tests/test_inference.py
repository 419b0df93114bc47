"""Inference: the laws it must always keep, and what it writes for Voucherify payloads."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from webhook_contracts.contracts.inference import infer_schema
from webhook_contracts.payloads.validate import iter_findings, make_validator

KEYS = st.sampled_from(
    ["id", "object", "metadata", "created_at", "name", "items", "r_0e2905d4e6985a04b5", "a/b~c", "x"]
) | st.text(max_size=6)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(
        [
            "cust_abc123",
            "v-0e2905d4",
            "2024-01-18T15:18:39.015000Z",
            "2025-01-29",
            "a@b.io",
            "https://example.com/x",
            "customer",
            "campaign",
            "",
        ]
    )
    | st.text(max_size=8)
)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(JSON, min_size=1, max_size=6))
def test_inferred_schema_accepts_every_sample(samples: list[Any]) -> None:
    validator = make_validator(infer_schema(samples))
    for sample in samples:
        assert list(iter_findings(validator, sample)) == [], sample


@settings(max_examples=200, deadline=None)
@given(st.lists(JSON, min_size=1, max_size=6), st.randoms(use_true_random=False))
def test_inference_does_not_depend_on_sample_order(samples: list[Any], rnd: Any) -> None:
    shuffled = list(samples)
    rnd.shuffle(shuffled)
    assert json.dumps(infer_schema(shuffled), sort_keys=True) == json.dumps(infer_schema(samples), sort_keys=True)


def test_integer_kept_apart_from_number() -> None:
    assert infer_schema([1, 2])["type"] == "integer"
    assert infer_schema([1, 2.5])["type"] == "number"
    assert infer_schema([True])["type"] == "boolean"


def test_null_seen_means_nullable_and_only_null_stays_null() -> None:
    schema = infer_schema([{"a": "x", "b": None}, {"a": None, "b": None}])
    assert schema["properties"]["a"]["type"] == ["string", "null"]
    assert schema["properties"]["b"] == {"type": "null"}


def test_required_is_present_in_every_sample() -> None:
    schema = infer_schema([{"a": 1, "b": 1}, {"a": 2}])
    assert schema["required"] == ["a"]


def test_formats_with_milli_and_microseconds() -> None:
    schema = infer_schema(
        [
            {"t": "2024-01-18T15:18:39.015000Z", "d": "2025-01-29", "e": "jack@example.com", "u": "https://x.io/a"},
            {"t": "2024-01-18T15:19:20.731Z", "d": "2026-01-31", "e": "a@b.co", "u": "http://y.io"},
        ]
    )
    props = schema["properties"]
    assert (props["t"]["format"], props["d"]["format"]) == ("date-time", "date")
    assert (props["e"]["format"], props["u"]["format"]) == ("email", "uri")
    # Mixed shapes get no format rather than a wrong one.
    assert "format" not in infer_schema(["2025-01-29", "2024-01-18T15:19:20.731Z"])


def test_identifier_prefixes_become_patterns() -> None:
    schema = infer_schema([{"id": "cust_IdgAFZxYwwHctOk9pPuMu308", "group_id": "v-0e2905d4bb0dcc9e62"}])
    assert schema["properties"]["id"]["pattern"] == "^cust_"
    assert schema["properties"]["group_id"]["pattern"] == "^v-"
    assert "pattern" not in infer_schema(["cust_1", "camp_2"])


def test_object_tag_is_a_constant() -> None:
    schema = infer_schema([{"object": "customer"}, {"object": "customer"}])
    assert schema["properties"]["object"] == {"type": "string", "const": "customer"}


def test_generated_id_keys_make_a_map_and_metadata_stays_open() -> None:
    sample = {
        "redemptions": {"r_0e2905d4e6985a04b5": {"date": "2024-01-18T15:19:20.731Z"}},
        "metadata": {"region": "EMEA", "card": ["Other"]},
    }
    props = infer_schema([sample])["properties"]
    assert props["redemptions"]["propertyNames"] == {"pattern": "^r_"}
    assert props["redemptions"]["additionalProperties"]["required"] == ["date"]
    assert "properties" not in props["redemptions"]
    assert props["metadata"] == {"type": "object"}
