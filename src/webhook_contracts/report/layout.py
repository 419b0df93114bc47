"""Fitting text to a terminal: widths, shortened cells, wrapped lines, line ranges, colour.

Every helper counts characters, takes the text already made safe by
:func:`~.escaping.visible`, and returns no line longer than it was asked for,
except one holding a single word (a path) that is longer.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

#: Width of a report that goes to a file or a pipe.
DEFAULT_WIDTH = 100
#: Narrower than this, nothing fits anyway: lay out as if this wide.
MIN_WIDTH = 40
ELLIPSIS = "…"
RANGE = "\u2013"  # an en dash, between the first and last line of a run

#: SGR colour codes of the severities (red, yellow, cyan).
_COLOURS = {"error": "31", "warning": "33", "info": "36"}


@dataclass(frozen=True)
class TextLayout:
    """How a text report is laid out: its width, colour, and how much it lists."""

    width: int = DEFAULT_WIDTH
    color: bool = False
    verbose: bool = False
    quiet: bool = False

    def severity(self, label: str, padded: str) -> str:
        """*padded* (the label, padded to its column) in the severity's colour."""
        code = _COLOURS.get(label)
        return f"\x1b[{code}m{padded}\x1b[0m" if self.color and code else padded

    def bold(self, text: str) -> str:
        return f"\x1b[1m{text}\x1b[0m" if self.color else text

    @property
    def columns(self) -> int:
        return max(self.width, MIN_WIDTH)


def shorten(text: str, width: int) -> str:
    """*text* cut to *width* characters, ending with an ellipsis when cut."""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + ELLIPSIS if width > 0 else ""


def shorten_middle(text: str, width: int) -> str:
    """*text* cut to *width* characters in its middle (`/order/…/discount_rate`): both ends stay."""
    if len(text) <= width:
        return text
    if width < 5:
        return shorten(text, width)
    tail = (width - 1) // 2
    return text[: width - 1 - tail] + ELLIPSIS + text[len(text) - tail :]


def wrap(text: str, width: int, indent: str = "", hanging: str = "    ") -> list[str]:
    """*text* in lines of at most *width* characters: the first after *indent* (a bullet, say), the rest
    under it after *hanging*.

    A word longer than a line (a file path) is never split, so it can be copied: it overflows.
    """
    return textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=" " * len(indent) + hanging,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def line_ranges(lines: Sequence[int], shown: int = 4) -> str:
    """`6, 21, 35-37, 50, … (+38 more)` (with an en dash): the first *shown* runs of lines, then how many are left."""
    runs: list[tuple[int, int]] = []
    for line in sorted(set(lines)):
        if runs and line == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], line)
        else:
            runs.append((line, line))
    text = ", ".join(str(a) if a == b else f"{a}{RANGE}{b}" for a, b in runs[:shown])
    rest = sum(b - a + 1 for a, b in runs[shown:])
    return text + (f", … (+{rest} more)" if rest else "")
