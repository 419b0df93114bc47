"""Reading the provider's OpenAPI webhooks document for its intent, and reconciling it with the doc pages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, Invoke

from webhook_contracts.contracts.openapi import normalise_spec, read_provider_spec
from webhook_contracts.contracts.registry import load_registry
from webhook_contracts.errors import ProviderSpecError
from webhook_contracts.payloads.validate import ContractValidator
from webhook_contracts.providers import get_provider
from webhook_contracts.providers.voucherify.names import event_name

VOUCHERIFY = get_provider("voucherify")
SPEC = REPO / "docs/voucherify/v2024-01-01/OpenAPIWebhooks.json"
SEEDED = (
    "customer.rewarded.loyalty_points",
    "customer.voucher.loyalty_card.pending_points.added",
    "voucher.loyalty_card.pending_points.activated",
)


def _document(schemas: dict[str, Any], data: str = "Data") -> dict[str, Any]:
    media = {"schema": {"$ref": f"#/components/schemas/{data}"}}
    return {
        "openapi": "3.1.0",
        "info": {"version": "2024-01-01"},
        "webhooks": {"EVENTS.THING.LOYALTY.DONE": {"post": {"requestBody": {"content": {"application/json": media}}}}},
        "components": {"schemas": schemas},
    }


def _read(schemas: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]], list[str]]:
    spec = normalise_spec(_document(schemas), provider=VOUCHERIFY, source="spec.json")
    event = spec.events["thing.loyalty.done"]
    return event.schema, spec.definitions, [str(n) for n in spec.notes]


def test_event_names_from_webhook_keys() -> None:
    assert event_name("EVENTS.CUSTOMER.REWARDED.LOYALTY_POINTS") == "customer.rewarded.loyalty_points"
    assert event_name("EVENTS") is None


def test_nullable_beside_a_ref_and_on_a_scalar() -> None:
    root, defs, _ = _read(
        {
            "Data": {
                "type": "object",
                "properties": {
                    "customer": {"nullable": True, "$ref": "#/components/schemas/Customer"},
                    "holder": {"nullable": True, "allOf": [{"$ref": "#/components/schemas/Customer"}]},
                    "email": {"type": "string", "nullable": True, "enum": ["a", "b"]},
                },
            },
            "Customer": {"type": "object", "properties": {"id": {"type": "string"}}},
        }
    )
    nullable_ref = {"anyOf": [{"$ref": "#/$defs/Customer"}, {"type": "null"}]}
    assert root["properties"]["customer"] == nullable_ref
    assert root["properties"]["holder"] == nullable_ref
    assert root["properties"]["email"] == {"type": ["string", "null"], "enum": ["a", "b", None]}
    assert defs["Customer"]["properties"] == {"id": {"type": "string"}}


def test_all_of_members_that_each_close_are_read_as_one_object() -> None:
    root, _, notes = _read(
        {
            "Data": {
                "allOf": [
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"a": {"type": "string"}},
                        "required": ["a"],
                    },
                    {"type": "object", "additionalProperties": False, "properties": {"b": {"type": "integer"}}},
                ]
            },
        }
    )
    assert set(root["properties"]) == {"a", "b"}
    assert root["required"] == ["a"]
    assert any("only null satisfies it" in note for note in notes)


def test_overlapping_one_of_branches_are_united() -> None:
    root, _, _ = _read(
        {
            "Data": {
                "type": "object",
                "properties": {
                    "discount": {
                        "oneOf": [
                            {
                                "type": "object",
                                "properties": {
                                    "type": {"type": "string", "enum": ["AMOUNT"]},
                                    "amount_off": {"type": "number"},
                                },
                                "required": ["type", "amount_off"],
                            },
                            {
                                "type": "object",
                                "properties": {
                                    "type": {"type": "string", "enum": ["PERCENT"]},
                                    "amount_off": {"type": "number"},
                                    "percent_off": {"type": "number"},
                                },
                                "required": ["type"],
                            },
                        ]
                    }
                },
            },
        }
    )
    discount = root["properties"]["discount"]
    assert discount["required"] == ["type"]
    assert discount["properties"]["type"]["enum"] == ["AMOUNT", "PERCENT"]
    assert set(discount["properties"]) == {"type", "amount_off", "percent_off"}


def test_ref_cycles_become_recursive_definitions() -> None:
    root, defs, _ = _read(
        {
            "Data": {"type": "object", "properties": {"node": {"$ref": "#/components/schemas/Node"}}},
            "Node": {
                "type": "object",
                "properties": {"child": {"$ref": "#/components/schemas/Node", "nullable": True}},
            },
        }
    )
    assert root["properties"]["node"] == {"$ref": "#/$defs/Node"}
    assert defs["Node"]["properties"]["child"] == {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}


@pytest.mark.parametrize(
    ("schemas", "where", "message"),
    [
        ({"Data": {"$ref": "https://example.com/x.json"}}, "/components/schemas/Data/$ref", "nothing is ever fetched"),
        ({"Data": {"$ref": "#/components/schemas/Nope"}}, "/components/schemas/Data/$ref", "does not resolve"),
        (
            {"Data": {"allOf": [{"$ref": "#/components/schemas/Data"}, {"type": "object"}]}},
            "/components/schemas/Data/allOf",
            "contains the component",
        ),
        ({"Data": {"type": 5}}, "/components/schemas/Data/type", "must be a string"),
        ({"Data": []}, "/components/schemas/Data", "must be an object"),
    ],
)
def test_errors_name_the_file_and_the_pointer(schemas: dict[str, Any], where: str, message: str) -> None:
    with pytest.raises(ProviderSpecError) as caught:
        normalise_spec(_document(schemas), provider=VOUCHERIFY, source="spec.json")
    text = str(caught.value)
    assert text.startswith(f"spec.json:{where}"), text
    assert message in text


def test_not_an_openapi_document() -> None:
    with pytest.raises(ProviderSpecError, match="not an OpenAPI 3 document"):
        normalise_spec({"swagger": "2.0"}, provider=VOUCHERIFY, source="spec.json")


def test_the_shipped_document_has_the_26_loyalty_events() -> None:
    spec = read_provider_spec(SPEC, provider=VOUCHERIFY)
    assert len(spec.events) == 26
    assert set(SEEDED) <= set(spec.events)
    assert spec.api_version == "v2024-01-01"


def test_every_official_example_validates_against_its_contract() -> None:
    spec = read_provider_spec(SPEC, provider=VOUCHERIFY)
    validator = ContractValidator(load_registry(REPO / "schemas"), api_version="v2024-01-01")
    checked = 0
    for name, event in spec.events.items():
        for example in event.examples:
            result = validator.validate(example, source=name, event=name)
            assert result.revision is not None, name
            assert result.violations == (), (name, result.violations)
            checked += 1
    assert checked >= 26


def test_seed_pages_reconcile_without_losing_their_evidence() -> None:
    schema = json.loads((REPO / "schemas/v2024-01-01/customer.rewarded.loyalty_points/r2.json").read_text("utf-8"))
    defs = schema["$defs"]
    # Only shown as null on the page: the type comes from the OpenAPI, plus null.
    assert defs["SimpleCustomer"]["properties"]["email"]["type"] == ["string", "null"]
    # Every example has it, the OpenAPI does not promise it: documented, not required.
    assert "name" in defs["SimpleCustomer"].get("x-documented", [])
    assert "name" not in defs["SimpleCustomer"].get("required", [])
    # Enums from the OpenAPI.
    assert defs["VoucherBalance"]["properties"]["type"]["enum"] == ["loyalty_card", "gift_voucher"]
    provenance = schema["x-webhook-contracts"]["provenance"]["SimpleCustomer"]
    assert provenance["/email"] == "openapi+page+openapi-example"


def test_a_new_optional_property_on_a_shared_schema_is_a_new_revision(project: Path, cli: Invoke) -> None:
    path = project / "docs/voucherify/v2024-01-01/OpenAPIWebhooks.json"
    document = json.loads(path.read_text("utf-8"))
    balance = document["components"]["schemas"]["VoucherBalance"]
    balance["properties"]["expires_soon"] = {"type": "boolean", "description": "New in the docs."}
    path.write_text(json.dumps(document, indent=2), "utf-8")
    assert cli("regen", "--check", root=project).exit_code == 1
    result = cli("regen", root=project)
    assert result.exit_code == 0, result.output
    assert "customer.rewarded.loyalty_points v2024-01-01: revision 3 (compatible)" in result.stdout
    r3 = json.loads((project / "schemas/v2024-01-01/customer.rewarded.loyalty_points/r3.json").read_text("utf-8"))
    assert r3["$defs"]["VoucherBalance"]["properties"]["expires_soon"] == {
        "description": "New in the docs.",
        "type": "boolean",
    }
    changelog = (project / "CHANGELOG.md").read_text("utf-8")
    entry = next(
        line for line in changelog.splitlines() if "`customer.rewarded.loyalty_points`" in line and "revision 3" in line
    )
    assert "added `/balance/expires_soon` (boolean, optional)" in entry
    assert "**breaking**" not in entry
    module = project / "contracts/voucherify_webhooks/v2024_01_01/shared.py"
    assert "expires_soon" in module.read_text("utf-8")
    assert cli("regen", "--check", root=project).exit_code == 0


def test_version_folder_must_match_info_version(project: Path, cli: Invoke) -> None:
    target = project / "docs/voucherify/v2025-01-01"
    target.mkdir()
    shutil.copy2(project / "docs/voucherify/v2024-01-01/OpenAPIWebhooks.json", target / "OpenAPIWebhooks.json")
    result = cli("regen", "--check", root=project)
    assert result.exit_code == 2
    assert "info.version says v2024-01-01, the folder says v2025-01-01" in result.stderr


def test_a_recursive_nullable_reference_in_3_1_spelling() -> None:
    _, defs, notes = _read(
        {
            "Data": {"type": "object", "properties": {"customer": {"$ref": "#/components/schemas/Customer"}}},
            "Customer": {
                "type": "object",
                "properties": {
                    "referrer": {"anyOf": [{"$ref": "#/components/schemas/Customer"}, {"type": "null"}]},
                    "either": {"oneOf": [{"$ref": "#/components/schemas/Customer"}, {"type": "string"}]},
                },
            },
        }
    )
    properties = defs["Customer"]["properties"]
    assert properties["referrer"] == {"anyOf": [{"$ref": "#/$defs/Customer"}, {"type": "null"}]}
    assert properties["either"] == {}
    assert any("refers back to Customer" in note for note in notes)
