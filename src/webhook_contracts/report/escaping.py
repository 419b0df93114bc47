"""Make strings from payloads and contracts safe for the place they are printed.

Field names, event names and messages come from doc pages and captured
payloads, so a report must not let them steer a terminal, a CI runner or an
XML parser. Every renderer passes each string through one of these helpers:

- :func:`visible` writes control characters (C0, DEL, C1), line and paragraph
  separators, bidirectional overrides, lone surrogates and the XML
  non-characters as ``\\xNN`` / ``\\uNNNN``, so no escape sequence reaches a
  terminal and a value always stays on one line;
- :func:`github_data` and :func:`github_property` follow the escaping rules of
  GitHub's workflow commands (``%``, CR, LF; and ``:``, ``,`` in properties);
- :func:`xml_text` keeps only characters legal in XML 1.0;
- :func:`markdown_cell` keeps a value inert inside a GitHub-flavoured table cell:
  no link, autolink, mention, issue reference, image or HTML.

A stream whose encoding lacks a character (`PYTHONIOENCODING=ascii`, a Latin-1
locale) is written with the error handler :data:`SPELL_OR_ESCAPE`: the tool's
own symbols get their ASCII spelling (`->` for the arrow), anything else becomes
a JSON-style ``\\uNNNN`` escape, so a JSON document stays valid.
"""

from __future__ import annotations

import codecs
import re

_UNSAFE = re.compile(
    "["
    "\x00-\x1f\x7f-\x9f"  # C0, DEL, C1 (ESC, CSI and friends)
    "\u2028\u2029"  # line and paragraph separators
    "\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidirectional marks and overrides
    "\ud800-\udfff"  # lone surrogates (JSON allows them, UTF-8 does not)
    "\ufffe\uffff"  # not characters, illegal in XML
    "]"
)


def _code(match: re.Match[str]) -> str:
    point = ord(match.group())
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def visible(value: object, *, keep: str = "") -> str:
    """*value* as text with every unsafe character written as an escape, except those in *keep*."""
    text = str(value)
    if keep:
        return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else _code(m), text)
    return _UNSAFE.sub(_code, text)


def github_data(value: object) -> str:
    """The message part of a workflow command (`::error ...::<data>`)."""
    text = visible(value, keep="\r\n")
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(value: object) -> str:
    """A property value of a workflow command (`file=`, `line=`, `title=`)."""
    return github_data(value).replace(":", "%3A").replace(",", "%2C")


def xml_text(value: object, *, multiline: bool = False) -> str:
    """Text legal in XML 1.0 (markup characters are left to the serializer)."""
    return visible(value, keep="\n\t" if multiline else "")


_MARKDOWN = {
    **{ch: "\\" + ch for ch in "\\`*_[]|~"},
    "<": "&lt;",
    ">": "&gt;",
    "&": "&amp;",
}
#: What GitHub turns into a link, a mention or an image. Its autolinks and references are found in the
#: text after the Markdown is parsed, where a backslash escape or an entity is already undone, so each
#: trigger is broken by a zero-width space (`&#8203;`) that stays in the text.
_MARKDOWN_SPECIAL = re.compile(
    r"[\\`*_\[\]|~<>&]"  # emphasis, code, links and images, table cells, strikethrough, HTML, entities
    r"|@(?=\w)"  # @mentions (and e-mail autolinks)
    r"|#(?=\d)"  # issue references: #123, owner/repo#123
    r"|gh-(?=\d)"  # issue references: GH-123
    r"|www(?=\.)"  # www. autolinks
    r"|/(?=/)"  # https://, ftp:// and //host autolinks
    r"|:(?=[\w+-]*[^\W\d_][\w+-]*:)",  # :emoji: shortcodes (some render as images)
    re.IGNORECASE,
)


def _markdown_escape(match: re.Match[str]) -> str:
    text = match.group()
    return _MARKDOWN.get(text, text + "&#8203;")


def markdown_cell(value: object) -> str:
    """Inert Markdown for a table cell or a list item on GitHub: no emphasis, links, autolinks,
    mentions, issue references, images or HTML; one line."""
    return _MARKDOWN_SPECIAL.sub(_markdown_escape, visible(value))


#: ASCII spellings of the symbols the reports use.
ASCII_SPELLINGS = {
    "\u2192": "->",  # an arrow: expected -> observed
    "\u2026": "...",  # an ellipsis: a shortened cell
    "\u2013": "-",  # an en dash: a range of lines
    "\u2014": "--",
    "\u00b7": "|",  # a middle dot: type | JSON type
    "\u2022": "*",
}
#: Name of the codec error handler that writes :data:`ASCII_SPELLINGS`, else escapes.
SPELL_OR_ESCAPE = "webhook-contracts-spell"


def _json_escape(char: str) -> str:
    point = ord(char)
    if point < 0x10000:
        return f"\\u{point:04x}"
    point -= 0x10000  # beyond the BMP: a surrogate pair, as JSON writes it
    return f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}"


def spell_or_escape(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: what a stream cannot encode, as its ASCII spelling or a ``\\uNNNN`` escape."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(ASCII_SPELLINGS.get(char) or _json_escape(char) for char in text), error.end


codecs.register_error(SPELL_OR_ESCAPE, spell_or_escape)
