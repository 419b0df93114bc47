"""What a contract needs from one provider doc page (each provider with doc pages has its reader)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON_TYPES = ("array", "boolean", "integer", "null", "number", "object", "string")


@dataclass(frozen=True)
class DocField:
    """One documented top-level field of the event data."""

    name: str
    description: str | None = None
    type_name: str | None = None
    json_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocPage:
    """Everything a contract needs from one saved doc page."""

    source: str
    event: str
    api_version: str
    examples: tuple[dict[str, Any], ...]
    fields: tuple[DocField, ...]
    description: str | None
    last_modified: str | None
    sha256: str
    duplicate_examples: int = 0
    warnings: tuple[str, ...] = field(default=())

    def field_map(self) -> dict[str, DocField]:
        return {f.name: f for f in self.fields}
