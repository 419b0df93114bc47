"""The provider seam: the table of providers, the config key, and the generic `openapi` provider end to end."""

from __future__ import annotations

import json
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import DATA, REPO, Invoke
from hypothesis import given
from hypothesis import strategies as st

from webhook_contracts.contracts.openapi import normalise_spec
from webhook_contracts.errors import ProviderSpecError, UsageError
from webhook_contracts.payloads.envelope import unwrap
from webhook_contracts.providers import PROVIDERS, get_provider, names
from webhook_contracts.providers.openapi import api_version_of

OPENAPI = get_provider("openapi")
CASE = DATA / "providers" / "openapi"
LOG = CASE / "logs" / "deliveries.ndjson"
DOCUMENT = CASE / "docs" / "acme" / "v1" / "webhooks.json"


@pytest.fixture
def acme(tmp_path: Path) -> Path:
    """A project of the `openapi` provider: its OpenAPI document and nothing else."""
    root = tmp_path / "acme"
    shutil.copytree(CASE / "docs", root / "docs")
    (root / "pyproject.toml").write_text('[tool.webhook-contracts]\nprovider = "openapi"\n', "utf-8")
    return root


def test_unknown_provider_names_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"unknown provider 'stripe' \(known: openapi, voucherify\)"):
        get_provider("stripe")


def test_unknown_provider_in_the_config_is_one_line_and_exit_2(acme: Path, cli: Invoke) -> None:
    (acme / "pyproject.toml").write_text('[tool.webhook-contracts]\nprovider = "stripe"\n', "utf-8")
    result = cli("check", root=acme)
    assert result.exit_code == 2
    assert result.stderr == "error: pyproject.toml: unknown provider 'stripe' (known: openapi, voucherify)\n"


def test_a_provider_is_pickled_by_name() -> None:
    """The parallel drift workers get the very provider the settings name."""
    for provider in PROVIDERS.values():
        assert pickle.loads(pickle.dumps(provider)) is provider


@given(
    st.sampled_from(sorted(PROVIDERS)).flatmap(lambda name: st.from_regex(PROVIDERS[name].event_name, fullmatch=True))
)
def test_every_providers_event_names_are_safe_registry_names(event: str) -> None:
    assert names.EVENT_NAME.fullmatch(event)


@given(
    st.sampled_from(sorted(PROVIDERS)).flatmap(lambda name: st.from_regex(PROVIDERS[name].api_version, fullmatch=True))
)
def test_every_providers_api_versions_are_safe_registry_names(version: str) -> None:
    assert names.API_VERSION.fullmatch(version)


def test_no_module_outside_the_providers_names_one() -> None:
    """The rest of the package asks the configured provider (the public API re-exports the page reader)."""
    package = REPO / "src" / "webhook_contracts"
    naming = [
        path.relative_to(package).as_posix()
        for path in sorted(package.rglob("*.py"))
        if "providers" not in path.relative_to(package).parts
        and path.name != "__init__.py"
        and any(name in path.read_text("utf-8").lower() for name in PROVIDERS if name != "openapi")
    ]
    assert naming == []


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.3.0", "v1"),
        ("2", "v2"),
        ("v3.0.1", "v3"),
        ("2.0.0-beta.1", "v2"),
        ("2024-01-01", "v2024-01-01"),
        ("latest", None),
        ("1.2.3.4", None),
        ("", None),
    ],
)
def test_openapi_api_version_is_the_major_version_or_the_date(version: str, expected: str | None) -> None:
    assert api_version_of(version) == expected


def test_openapi_envelope_names_the_event_in_type() -> None:
    payload = {"id": "evt_1", "type": "invoice.paid", "data": {"id": "in_1"}}
    found = unwrap(payload, "p.json", provider=OPENAPI)
    assert (found.data, found.event, found.kind) == ({"id": "in_1"}, "invoice.paid", "webhook")
    assert unwrap({"id": "in_1"}, "p.json", provider=OPENAPI).event is None
    with pytest.raises(Exception, match=r"p.json: envelope 'data' must be an object, not array"):
        unwrap({"type": "invoice.paid", "data": []}, "p.json", provider=OPENAPI)


def test_openapi_reads_the_event_name_from_the_envelope() -> None:
    document = json.loads(DOCUMENT.read_text("utf-8"))
    spec = normalise_spec(document, provider=OPENAPI, source="webhooks.json")
    assert spec.api_version == "v1"
    assert sorted(spec.events) == ["customer.deleted", "invoice.paid"]
    paid = spec.events["invoice.paid"]
    assert set(paid.schema["properties"]) == {"amount_due", "currency", "customer", "id", "paid_at", "status"}
    assert [sorted(example) for example in paid.examples] == [
        ["amount_due", "currency", "customer", "id", "paid_at", "status"]
    ]


BODY = "/webhooks/invoicePaid/post/requestBody/content/application~1json/schema"


@pytest.mark.parametrize(
    ("change", "message", "where"),
    [
        (lambda hook: hook["properties"].pop("type"), "the request body is not an envelope", BODY),
        (
            lambda hook: hook["properties"].update(type={"type": "string"}),
            "must name the event",
            f"{BODY}/properties/type",
        ),
        (
            lambda hook: hook["properties"].update(type={"const": "../x"}),
            "'../x' is not an event name",
            f"{BODY}/properties/type",
        ),
        (lambda hook: hook.update({"$ref": f"#{BODY}"}), "a chain of more than 64 `\\$ref`s", BODY),
    ],
)
def test_openapi_envelope_that_names_no_event_is_an_error(
    change: Callable[[dict[str, Any]], object], message: str, where: str
) -> None:
    document = json.loads(DOCUMENT.read_text("utf-8"))
    change(document["webhooks"]["invoicePaid"]["post"]["requestBody"]["content"]["application/json"]["schema"])
    with pytest.raises(ProviderSpecError, match=message) as caught:
        normalise_spec(document, provider=OPENAPI, source="webhooks.json")
    assert caught.value.where == where


def test_openapi_version_that_names_no_api_version_is_an_error(acme: Path, cli: Invoke) -> None:
    path = acme / "docs" / "acme" / "v1" / "webhooks.json"
    document = json.loads(path.read_text("utf-8"))
    document["info"]["version"] = "latest"
    path.write_text(json.dumps(document), "utf-8")
    result = cli("regen", root=acme)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: docs/acme/v1/webhooks.json:/info/version: info.version 'latest' names no API version of the "
        "openapi provider (vYYYY-MM-DD or v<major>)\n"
    )


def test_openapi_project_end_to_end(acme: Path, cli: Invoke) -> None:
    """regen from the OpenAPI document alone, then drift, validate and check on the fresh project."""
    first = cli("regen", root=acme)
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[:2] == [
        "customer.deleted v1: revision 1 (new contract)",
        "invoice.paid v1: revision 1 (new contract)",
    ]
    paid = json.loads((acme / "schemas" / "v1" / "invoice.paid" / "r1.json").read_text("utf-8"))
    assert paid["required"] == ["amount_due", "currency", "customer", "id", "status"]
    assert paid["properties"]["customer"] == {"$ref": "#/$defs/Customer"}
    assert paid["x-webhook-contracts"]["source"]["openapi"] == "docs/acme/v1/webhooks.json"
    models = acme / "contracts" / "webhooks" / "v1"
    assert sorted(p.name for p in models.glob("*.py")) == [
        "__init__.py",
        "customer_deleted.py",
        "invoice_paid.py",
        "shared.py",
    ]
    assert cli("regen", "--check", root=acme).exit_code == 0

    drift = cli("drift", str(LOG), "--format", "json", root=acme)
    assert drift.exit_code == 1, drift.output
    report = json.loads(drift.stdout)
    found = {(f["event"], f["kind"], f["path"], f["expected"], f["observed"]) for f in report["findings"]}
    assert ("invoice.paid", "retyped_field", "/amount_due", "integer", "string") in found
    assert ("invoice.paid", "new_field", "/tax_rate", "absent", "number") in found
    assert {f["kind"] for f in report["findings"]} == {"retyped_field", "new_field", "missing_documented_field"}
    assert "in_102" not in drift.stdout and "cu_9" not in drift.stdout  # no payload values unless asked

    valid = cli("validate", str(CASE / "invoice-paid.json"), root=acme)
    assert valid.exit_code == 0, valid.output
    # The summary line wraps at the terminal's width: compare it with its whitespace collapsed.
    assert "invoice.paid (v1 r1, from the envelope type): valid" in " ".join(valid.stdout.split())
    invalid = cli("validate", str(CASE / "invoice-bad.json"), "--format", "json", root=acme)
    assert invalid.exit_code == 1
    violations = {(f["kind"], f["path"], f["message"]) for f in json.loads(invalid.stdout)["findings"]}
    assert violations == {
        ("schema.type", "/amount_due", "expected integer, got number"),
        ("schema.enum", "/status", "not one of the 4 documented values"),
    }

    check = cli("check", root=acme)
    assert check.exit_code == 0, check.output
    assert check.stdout.startswith("check: no findings")


def test_openapi_provider_has_no_doc_pages(acme: Path, cli: Invoke) -> None:
    page = REPO / "docs" / "voucherify" / "v2024-01-01" / "customer.rewarded.loyalty_points.txt"
    result = cli("extract", str(page), root=acme)
    assert result.exit_code == 2
    assert result.stderr.endswith(
        "the openapi provider has no doc pages (its contracts come from its OpenAPI document alone)\n"
    )
