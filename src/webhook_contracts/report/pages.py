"""What `extract` shows of a doc page."""

from __future__ import annotations

import json
from typing import Any, TextIO

from ..contracts.docpage import DocPage


def page_summary(page: DocPage, *, examples: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "source": page.source,
        "event": page.event,
        "api_version": page.api_version,
        "last_modified": page.last_modified,
        "sha256": page.sha256,
        "description": page.description,
        "examples": len(page.examples),
        "duplicate_examples": page.duplicate_examples,
        "example_top_level_keys": [list(example) for example in page.examples],
        "fields": [
            {"name": f.name, "type_name": f.type_name, "json_types": list(f.json_types), "description": f.description}
            for f in page.fields
        ],
        "warnings": list(page.warnings),
    }
    if examples:
        out["example_payloads"] = list(page.examples)
    return out


def render_page_json(page: DocPage, stream: TextIO, *, examples: bool = False) -> None:
    json.dump(page_summary(page, examples=examples), stream, indent=2, sort_keys=True, ensure_ascii=False)
    stream.write("\n")


def render_page_text(page: DocPage, stream: TextIO, *, examples: bool = False) -> None:
    w = stream.write
    w(f"page           {page.source}\n")
    w(f"event          {page.event}\n")
    w(f"api version    {page.api_version}\n")
    w(f"last modified  {page.last_modified or '(not stated)'}\n")
    w(f"sha256         {page.sha256}\n")
    dupes = f" ({page.duplicate_examples} duplicate dropped)" if page.duplicate_examples else ""
    w(f"examples       {len(page.examples)}{dupes}\n")
    for i, example in enumerate(page.examples, 1):
        w(f"  example {i}: {len(example)} top-level fields: {', '.join(example)}\n")
    w(f"fields         {len(page.fields) or '(no field list)'}\n")
    width = max((len(f.name) for f in page.fields), default=0)
    for f in page.fields:
        kind = f"{f.type_name} · {'|'.join(f.json_types)}" if f.type_name else "-"
        in_example = "" if any(f.name in e for e in page.examples) else "  [not in the example]"
        w(f"  {f.name:<{width}}  {kind:<34}  {f.description or ''}{in_example}\n")
    for warning in page.warnings:
        w(f"warning: {warning}\n")
    if examples:
        for example in page.examples:
            w(json.dumps(example, indent=2, ensure_ascii=False) + "\n")
