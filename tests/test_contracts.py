"""The committed contracts: every seed example conforms, through jsonschema and the models."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from conftest import DOCS, SCHEMAS
from pydantic import ValidationError
from voucherify_webhooks import model_for
from voucherify_webhooks.v2024_01_01 import EVENT_MODELS, REVISIONS

from webhook_contracts import build_contracts, load_registry, read_doc_page
from webhook_contracts.payloads.validate import ContractValidator

PAGES = sorted((DOCS / "voucherify" / "v2024-01-01").glob("*.txt"))
SEEDS = [(page.event, example) for page in map(read_doc_page, PAGES) for example in page.examples]


@pytest.fixture(scope="module")
def validator() -> ContractValidator:
    return ContractValidator(load_registry(SCHEMAS))


@pytest.mark.parametrize(("event", "example"), SEEDS, ids=[s[0] for s in SEEDS])
def test_seed_validates_with_jsonschema(validator: ContractValidator, event: str, example: dict[str, Any]) -> None:
    result = validator.validate(example, source=event, event=event)
    assert result.valid, result.findings


@pytest.mark.parametrize(("event", "example"), SEEDS, ids=[s[0] for s in SEEDS])
def test_seed_parses_with_the_model_in_strict_mode(event: str, example: dict[str, Any]) -> None:
    model = model_for(event)
    parsed = model.model_validate_json(json.dumps(example), strict=True)
    assert type(parsed).__name__ == model.__name__


@pytest.mark.parametrize(("event", "example"), SEEDS, ids=[s[0] for s in SEEDS])
def test_strict_mode_sees_a_retyped_integer(event: str, example: dict[str, Any]) -> None:
    retyped = copy.deepcopy(example)
    retyped["voucher"]["loyalty_card"]["points"] = str(retyped["voucher"]["loyalty_card"]["points"])
    with pytest.raises(ValidationError, match=r"loyalty_card\.points"):
        model_for(event).model_validate_json(json.dumps(retyped), strict=True)


def test_models_name_their_revisions() -> None:
    registry = load_registry(SCHEMAS)
    assert set(EVENT_MODELS) == set(registry.events("v2024-01-01"))
    for event, revision in REVISIONS.items():
        assert registry.latest(event, "v2024-01-01").revision == revision


def test_recurring_objects_are_shared_definitions() -> None:
    """The shipped contracts: a shared definition is one and the same in every event that holds it."""
    registry = load_registry(SCHEMAS)
    schemas = {e: registry.load(registry.latest(e)) for e in registry.events()}
    seen: dict[str, str] = {}
    for schema in schemas.values():
        for name, definition in schema.get("$defs", {}).items():
            text = json.dumps(definition, sort_keys=True)
            assert seen.setdefault(name, text) == text, name
    for event in ("customer.rewarded.loyalty_points", "customer.voucher.loyalty_card.pending_points.added"):
        customer = schemas[event]["properties"]["customer"]
        assert {"$ref": "#/$defs/SimpleCustomer"} in customer.get("anyOf", [customer])
    uses = schemas["customer.rewarded.loyalty_points"]["x-webhook-contracts"]["definitions"]["SimpleCustomer"]
    assert "voucher.loyalty_card.pending_points.activated" in uses


def test_doc_pages_alone_share_recurring_objects() -> None:
    """An API version without an OpenAPI document: definitions inferred from the pages, merged across events."""
    schemas = build_contracts([read_doc_page(p) for p in PAGES]).schemas
    for schema in schemas.values():
        assert schema["properties"]["customer"] == {
            "$ref": "#/$defs/Customer",
            **{k: v for k, v in schema["properties"]["customer"].items() if k != "$ref"},
        }
    # One merged definition, identical in every event that uses it.
    campaigns = {json.dumps(s["$defs"]["Campaign"], sort_keys=True) for s in schemas.values()}
    assert len(campaigns) == 1
    # The 2024 example lacks fields the 2025 ones have: optional in the merged definition.
    campaign = schemas["customer.rewarded.loyalty_points"]["$defs"]["Campaign"]
    assert "category" in campaign["properties"] and "category" not in campaign["required"]
    # Nested objects that carry every required field reference the definition too.
    pending = schemas["voucher.loyalty_card.pending_points.activated"]["$defs"]["PendingPoints"]
    assert pending["properties"]["details"]["properties"]["event"] == {"$ref": "#/$defs/Event"}


def test_disagreements_between_events_are_reported() -> None:
    built = build_contracts([read_doc_page(p) for p in PAGES])
    notes = {(d.definition, d.path): d.detail for d in built.disagreements}
    assert notes[("Campaign", "/category")].startswith("only in customer.voucher")
    assert "not in customer.rewarded.loyalty_points" in notes[("Voucher", "/loyalty_card/pending_points")]
    assert notes[("Voucher", "/category_id")].startswith("types differ")
    # Free-form metadata is nobody's disagreement.
    assert not any(path.startswith("/metadata/") for _, path in notes)


def test_documented_fields_shape_the_contract() -> None:
    schema = build_contracts([read_doc_page(p) for p in PAGES]).schemas["customer.rewarded.loyalty_points"]
    props = schema["properties"]
    assert props["loyalty_tier"]["type"] == ["object", "null"]
    assert "publication" in props and "publication" not in schema["required"]
    assert props["publication"]["type"] == "object"
    assert props["customer"]["title"] == "Simple Customer"
    meta = schema["x-webhook-contracts"]
    assert meta["source"]["page"].endswith("docs/voucherify/v2024-01-01/customer.rewarded.loyalty_points.txt")
    assert meta["source"]["last_modified"] == "2025-11-25"
    assert len(meta["source"]["sha256"]) == 64
    order = schema["$defs"]["Order"]["properties"]
    assert order["redemptions"]["propertyNames"] == {"pattern": "^r_"}
    assert order["metadata"] == {"type": "object"}


def test_shipped_contracts_name_both_sources() -> None:
    registry = load_registry(SCHEMAS)
    meta = registry.load(registry.latest("customer.rewarded.loyalty_points"))["x-webhook-contracts"]
    assert meta["source"]["page"] == "docs/voucherify/v2024-01-01/customer.rewarded.loyalty_points.txt"
    assert meta["source"]["last_modified"] == "2025-11-25"
    assert meta["source"]["openapi"] == "docs/voucherify/v2024-01-01/OpenAPIWebhooks.json"
    assert len(meta["source"]["openapi_sha256"]) == 64
    tier = registry.load(registry.latest("customer.loyalty.tier.joined"))["x-webhook-contracts"]
    assert tier["source"]["page"] is None and tier["source"]["openapi"] is not None


# The top level of a contract (shape detection) is read without building the objects below it.

_TOP_LEVELS = [
    b'{"properties": {"a": {"type": "number", "maximum": 1e400}, "b": {}}, "required": ["a", 7, null]}',
    b'{"properties": {"a": {"enum": [123456789012345678901234567890]}}, "x-documented": ["a"]}',
    b'{"properties": {"a": {"default": NaN}}, "required": ["a"]}',  # json's extension: msgspec refuses it
    b'\xef\xbb\xbf{"properties": {"a": {}}}',  # a byte order mark: json reads it
    b'{"properties": [1, 2], "required": "a", "additionalProperties": true}',
    b'{"properties": null, "additionalProperties": {"type": "string"}}',
    b'{"properties": {"a": {}}, "properties": {"b": {}}, "required": ["b"]}',  # the last duplicate counts
    b'{"type": "object", "properties": {"a": {"description": "\\ud800"}}}',
    b"{}",
]
_NOT_OBJECTS = [b"[1, 2]", b'{"properties": {', b'{"a": 1,}', b"\xff\xfe", b""]


def _both_readers(monkeypatch: pytest.MonkeyPatch, path: Any) -> tuple[Any, Any]:
    """What `Registry.top_level` reads of *path*, and what it reads when every file is parsed whole by json."""
    from webhook_contracts.contracts import registry

    def outcome() -> Any:
        try:
            return registry._top_level.__wrapped__(path, 0, 1 << 24)
        except Exception as exc:  # the same error, named the same way
            return type(exc).__name__, str(exc)

    fast = outcome()
    with monkeypatch.context() as patch:

        class Refuses:
            def decode(self, raw: bytes) -> Any:
                raise msgspec.DecodeError("parse it whole")

        patch.setattr(registry, "_KEYS", Refuses())
        return fast, outcome()


@pytest.mark.parametrize("data", _TOP_LEVELS + _NOT_OBJECTS)
def test_the_top_level_is_read_as_a_full_parse_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes
) -> None:
    path = tmp_path / "schema.json"
    path.write_bytes(data)
    fast, whole = _both_readers(monkeypatch, path)
    assert fast == whole
    assert isinstance(fast, dict) == (data in _TOP_LEVELS)


def test_every_shipped_contracts_top_level_reads_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = load_registry(SCHEMAS)
    for revision in registry.revisions:
        fast, whole = _both_readers(monkeypatch, registry.root / revision.path)
        assert fast == whole and fast["properties"], revision.path
