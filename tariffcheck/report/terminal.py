"""What may reach a terminal: text from an order or a spec, with its control characters escaped.

Contract ids come from the customer's order and official names from a spec, and both end up in
reports. Printed raw, a newline in an id starts a line the report never wrote (`  ✓ valid`), an
ANSI escape clears the screen or recolours it, a bidi override reorders what is shown, and a
lone surrogate (legal in a JSON string, `"\\ud800"`) cannot be encoded at all, so printing it
would crash. Every text report therefore passes its lines through `safe_lines`, which writes
such characters as escapes (`\\n`, `\\x1b`, `\\u202e`, `\\ud800`) and leaves everything else, the
Japanese included, as it is. JSON output goes through `json_text`: `json.dumps` already escapes
C0 controls, and this escapes what it leaves raw.
"""

from __future__ import annotations

import dataclasses
import json
import re

from ..common.diagnostics import Diagnostic, render_all

# C0 and C1 controls and DEL; the marks and overrides that reorder text (Trojan Source); the
# line and paragraph separators; lone surrogates, which no UTF-8 stream can carry
_OTHERS = r"\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE = re.compile(rf"[\x00-\x1f{_OTHERS}]")
_UNSAFE_BUT_NEWLINE = re.compile(rf"[\x00-\x09\x0b-\x1f{_OTHERS}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def safe_text(text: str) -> str:
    """`text` as one line a terminal shows as it is: controls, newlines included, escaped."""
    return _UNSAFE.sub(_escape, text)


def safe_lines(lines: list[str]) -> str:
    """A report's lines joined by newlines, each made safe: no line can hold a break of its own."""
    return "\n".join(_UNSAFE.sub(_escape, line) for line in lines)


def safe_block(text: str) -> str:
    """Text whose newlines are the report's own (Markdown, rendered diagnostics): every other
    control escaped."""
    return _UNSAFE_BUT_NEWLINE.sub(_escape, text)


def _json_escape(match: re.Match) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(data: object, indent: int | None = 2, separators: tuple[str, str] | None = None) -> str:
    """`data` as JSON that keeps Japanese readable and carries no raw control character. What
    `json.dumps(ensure_ascii=False)` leaves raw can only stand inside a string, where `\\uXXXX`
    means the same character, so a reader gets back exactly the values (a lone surrogate too).
    The newlines left are the indentation's: json.dumps escapes every one inside a string."""
    return _UNSAFE_BUT_NEWLINE.sub(_json_escape, json.dumps(data, ensure_ascii=False, indent=indent,
                                                                separators=separators))


def safe_diagnostic(d: Diagnostic) -> Diagnostic:
    """A diagnostic whose one-line parts (message, field, label, help, notes) are safe_text."""
    def one(x: str | None) -> str | None:
        return None if x is None else safe_text(x)

    return dataclasses.replace(d, message=safe_text(d.message), field=one(d.field), label=one(d.label),
                               help=one(d.help), notes=[safe_text(n) for n in d.notes])


def render_safely(diagnostics: list[Diagnostic], sources: dict[str, str]) -> str:
    """common.diagnostics.render_all, for a terminal: the user's text in each diagnostic cannot
    break its line, and the quoted source line shows its controls as escapes."""
    return safe_block(render_all([safe_diagnostic(d) for d in diagnostics], sources))
