"""Reading saved doc pages: the real seed pages and a folder of awkward cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import DOCS, case_folders

from webhook_contracts import DocPageError, read_doc_page

PAGES = DOCS / "voucherify" / "v2024-01-01"


def test_rewarded_page_field_list_with_types() -> None:
    page = read_doc_page(PAGES / "customer.rewarded.loyalty_points.txt")
    assert page.event == "customer.rewarded.loyalty_points"
    assert page.api_version == "v2024-01-01"
    assert page.last_modified == "2025-11-25"
    assert len(page.examples) == 1
    fields = page.field_map()
    assert fields["customer"].type_name == "Simple Customer"
    assert fields["customer"].json_types == ("object",)
    assert fields["balance"].description == ("Contains information on how the balance was affected by the transaction.")
    # Documented but absent from the example; null in the example but documented as object.
    assert "publication" in fields and "publication" not in page.examples[0]
    assert page.examples[0]["loyalty_tier"] is None and fields["loyalty_tier"].json_types == ("object",)


def test_added_page_glued_duplicate_and_bare_descriptions() -> None:
    page = read_doc_page(PAGES / "customer.voucher.loyalty_card.pending_points.added.txt")
    assert page.event == "customer.voucher.loyalty_card.pending_points.added"
    assert (len(page.examples), page.duplicate_examples) == (1, 1)
    assert page.last_modified == "2026-01-27"
    # Descriptions only, paired with the example's top-level keys in order.
    assert [f.name for f in page.fields] == list(page.examples[0])
    assert page.field_map()["pending_points"].description == "Contains details about the pending point entry."
    assert page.description is not None and page.description.startswith("The EVENTS.CUSTOMER.VOUCHER")


def test_activated_page_spelled_event_and_version_mention() -> None:
    page = read_doc_page(PAGES / "voucher.loyalty_card.pending_points.activated.txt")
    assert page.event == "voucher.loyalty_card.pending_points.activated"
    assert page.api_version == "v2024-01-01"
    assert page.last_modified is None
    assert page.fields == ()
    assert len(page.sha256) == 64


def test_content_hash_is_of_the_bytes(tmp_path: Path) -> None:
    source = PAGES / "customer.rewarded.loyalty_points.txt"
    copy = tmp_path / "v2024-01-01" / "page.txt"
    copy.parent.mkdir()
    copy.write_bytes(source.read_bytes() + b"\n")
    assert read_doc_page(copy).sha256 != read_doc_page(source).sha256


@pytest.mark.parametrize("case", case_folders("docpage"))
def test_docpage_case(case: Path, tmp_path: Path) -> None:
    expected = json.loads((case / "expected.json").read_text("utf-8"))
    page_path = tmp_path / "v2024-01-01" / "page.txt"
    page_path.parent.mkdir()
    page_path.write_bytes((case / "page.txt").read_bytes())
    if "error" in expected:
        with pytest.raises(DocPageError) as info:
            read_doc_page(page_path)
        message = str(info.value)
        assert str(page_path) in message, "the error names the file"
        assert expected["error"] in message
        if "where" in expected:
            assert info.value.where == expected["where"]
        return
    page = read_doc_page(page_path)
    assert page.event == expected["event"]
    assert len(page.examples) == expected["examples"]
    assert page.duplicate_examples == expected["duplicate_examples"]
    assert page.last_modified == expected["last_modified"]
    assert [[f.name, f.type_name, f.description] for f in page.fields] == expected["fields"]


def test_api_version_needed(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text('EVENTS.A.B\n{"a": 1}\n', "utf-8")
    with pytest.raises(DocPageError, match="API version unknown"):
        read_doc_page(page)
    assert read_doc_page(page, api_version="v2024-01-01").event == "a.b"


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(DocPageError, match="cannot read"):
        read_doc_page(tmp_path / "v2024-01-01" / "absent.txt")
