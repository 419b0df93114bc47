"""Helpers shared by the drift tests: contracts, the fast path, doc examples, JSON Pointer edits."""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

from webhook_contracts.contracts.registry import Registry, load_registry
from webhook_contracts.drift.fastpath import DriftGate
from webhook_contracts.drift.scanner import DriftScanner
from webhook_contracts.drift.walker import CompiledContract, compile_contract
from webhook_contracts.providers.voucherify.pages import read_doc_page

REPO = Path(__file__).resolve().parent.parent
API_VERSION = "v2024-01-01"
PAGES = REPO / "docs" / "voucherify" / API_VERSION


@cache
def registry() -> Registry:
    return load_registry(REPO / "schemas")


@cache
def shipped_gate() -> DriftGate:
    """The drift fast path of the shipped contracts (compiled once: 26 contracts take about a second)."""
    return DriftScanner(registry()).gate()


@cache
def contract(event: str) -> CompiledContract:
    rev = registry().latest(event, API_VERSION)
    return compile_contract(registry().load(rev), event=event, api_version=API_VERSION, revision=rev.revision)


@cache
def _examples(event: str) -> tuple[dict[str, Any], ...]:
    return read_doc_page(PAGES / f"{event}.txt").examples


def example(event: str, index: int = 0) -> dict[str, Any]:
    return copy.deepcopy(_examples(event)[index])


def all_examples() -> list[tuple[str, dict[str, Any]]]:
    return [(page.stem, ex) for page in sorted(PAGES.glob("*.txt")) for ex in _examples(page.stem)]


def _parts(pointer: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]


def _parent(doc: Any, pointer: str) -> tuple[Any, str | int]:
    *head, last = _parts(pointer)
    node = doc
    for part in head:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node, int(last) if isinstance(node, list) else last


def positions(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value in *value* (keys and list indices), *value*'s own first."""
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(positions(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.extend(positions(item, (*path, index)))
    return out


def set_pointer(doc: Any, pointer: str, value: Any) -> None:
    node, key = _parent(doc, pointer)
    node[key] = value


def delete_pointer(doc: Any, pointer: str) -> None:
    node, key = _parent(doc, pointer)
    del node[key]


def envelope(event: str, data: dict[str, Any], created_at: str = "2024-04-01T10:00:00.000Z") -> dict[str, Any]:
    return {
        "id": "evt_1",
        "project_id": "proj_1",
        "created_at": created_at,
        "type": event,
        "data": data,
        "source": {"channel": "API"},
        "event": {"id": "evcus_1"},
    }
