"""The one JSON Pointer module and the one list of JSON type names: the laws they keep."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from webhook_contracts.values.jsontypes import JSON_TYPES, SCHEMA_ORDER, in_schema_order, json_type
from webhook_contracts.values.pointer import (
    ANY_ITEM,
    append_pointer,
    escape_pointer,
    iter_pointer_nodes,
    parent_pointer,
    pointer_tokens,
    resolve_pointer,
    to_field_path,
    to_pointer,
    unescape_pointer,
)

keys = st.text(alphabet=st.sampled_from("ab~/01*"), max_size=6)
parts = st.lists(st.one_of(keys, st.integers(min_value=0, max_value=20)), max_size=6)


@given(keys)
def test_unescaping_undoes_escaping(key: str) -> None:
    assert unescape_pointer(escape_pointer(key)) == key
    assert "/" not in escape_pointer(key)


@given(parts)
def test_a_pointer_reads_back_as_its_tokens(path: list[str | int]) -> None:
    pointer = to_pointer(path)
    assert pointer_tokens(pointer) == [str(p) for p in path]
    built = ""
    for part in path:
        built = append_pointer(built, part)
    assert built == pointer
    if path:
        assert parent_pointer(pointer) == to_pointer(path[:-1])


@given(parts)
def test_a_field_path_is_the_pointer_with_every_index_made_any_item(path: list[str | int]) -> None:
    expected = [ANY_ITEM if isinstance(p, int) else p for p in path]
    assert to_field_path(path) == to_pointer(expected)


def test_rfc_6901_examples_resolve() -> None:
    document = {"foo": ["bar", "baz"], "": 0, "a/b": 1, "m~n": 8, 'k"l': 6}
    assert resolve_pointer(document, "") == document
    assert resolve_pointer(document, "/foo") == ["bar", "baz"]
    assert resolve_pointer(document, "/foo/0") == "bar"
    assert resolve_pointer(document, "/a~1b") == 1
    assert resolve_pointer(document, "/m~0n") == 8
    assert resolve_pointer(document, '/k"l') == 6
    assert resolve_pointer(document, "/foo/2", "none") == "none"
    assert resolve_pointer(document, "/missing/deeper", "none") == "none"


def test_the_nodes_on_the_way_stop_where_the_pointer_stops_resolving() -> None:
    document: dict[str, Any] = {"a": {"$id": "x", "b": [{"c": 1}]}}
    assert list(iter_pointer_nodes(document, "/a/b/0/c")) == [document["a"], document["a"]["b"], {"c": 1}, 1]
    assert list(iter_pointer_nodes(document, "/a/nope/c")) == [document["a"]]
    assert list(iter_pointer_nodes(document, "")) == []


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (True, "boolean"),
        (3, "integer"),
        (2.5, "number"),
        ("s", "string"),
        ([], "array"),
        ({}, "object"),
    ],
)
def test_every_json_value_has_one_of_the_type_names(value: Any, name: str) -> None:
    assert json_type(value) == name
    assert name in JSON_TYPES


def test_the_schema_order_is_an_ordering_of_the_one_list() -> None:
    assert sorted(SCHEMA_ORDER) == list(JSON_TYPES)


@given(st.sets(st.sampled_from((*JSON_TYPES, "not-a-type"))))
def test_types_in_schema_order_keep_the_json_names_in_that_order(types: set[str]) -> None:
    ordered = in_schema_order(types)
    assert set(ordered) == types & set(JSON_TYPES)
    assert ordered == sorted(ordered, key=SCHEMA_ORDER.index)
