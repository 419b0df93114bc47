"""Output formats. Each renderer takes a result and a text stream, nothing else."""

from __future__ import annotations

from .pages import render_page_json, render_page_text
from .validation import VALIDATION_REPORTERS

__all__ = ["VALIDATION_REPORTERS", "render_page_json", "render_page_text"]
