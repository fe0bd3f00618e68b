"""Errors about a tariff file or an order, told the way a good compiler tells them.

A diagnostic has a stable code, a short lowercase message with the user's input in
backticks, the place (a source span with a caret, or a field of an order), and a `help:`
line. It never shows a Python type or a traceback.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field as dc_field

from .span import Span

# The stable codes. Tests assert them; docs/errors.md explains each.
CODES = {
    "E001": "the tariff file cannot be parsed",
    "E002": "a name is not defined",
    "E003": "a name is defined twice",
    "E004": "a value is of the wrong kind",
    "E005": "a rule has no citation",
    "E006": "a citation is malformed",
    "E007": "a rule lacks its Japanese or English message",
    "E008": "a name is ambiguous",
    "E009": "a construct is not supported in this place",
    "E010": "a function is called with the wrong arguments",
    "E011": "a date does not exist",
    "E012": "the tariff file cannot be read",
    "E013": "the parent links of contract kinds form a cycle",
    "E014": "a rename's former name is still a current name, or is renamed twice",
    "E015": "an expression is nested too deeply",
    "O001": "the order is not valid JSON",
    "O002": "a field of the order has the wrong kind of value",
    "O003": "the order names something the tariff does not define",
    "O004": "a count is negative",
    "O005": "a count is absurdly large",
    "O006": "a date does not exist",
    "O007": "a required field is missing",
    "O008": "the order has a field the format does not define",
    "O009": "the order is for another tariff",
    "O010": "contracts in the order do not fit together",
    "O011": "the order cannot be read",
    "O012": "the order gives a field twice",
    "T001": "no bundled tariff has that name",
    "T002": "a test file is malformed: not JSON, or not in the tests format",
    "T003": "a test file cannot be read (missing, or not UTF-8)",
    "P001": "the price book is malformed or names a price the tariff does not quote",
    "R001": "a report cannot be written to the file `-o` names",
    "W001": "a reference uses a name that a supplementary provision (附則) replaced",
    "W002": "a service links a tariff that could not be loaded",
    "C001": "the source text has no clause the citation names",
    "C002": "the source text a tariff names cannot be found",
    "A001": "the command line cannot be read (an argument missing or unknown)",
    "Q001": "an invalid order has no quote",
    "S000": "`tariff serve` lacks a package of the service extra",
    "S001": "a request to the service is larger than its limit",
    "S002": "an order sent to the service is nested deeper than its limit",
    "S003": "a parameter of a request to the service is malformed",
    "S004": "a check:batch request has more orders than the service's limit",
    "U001": "a UVL model is not UVL the official parser reads",
    "U002": "reading UVL needs the `uvlparser` package (the `uvl` extra)",
    "U003": "a UVL model has no features to import",
}


@dataclass
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    label: str | None = None
    help: str | None = None
    field: str | None = None  # for orders: the path of the field, e.g. contracts[0].item
    notes: list[str] = dc_field(default_factory=list)
    severity: str = "error"  # "error" | "warning"

    def to_json(self) -> dict:
        out: dict = {"code": self.code, "severity": self.severity, "message": self.message}
        if self.span is not None:
            out["file"] = self.span.file
            out["line"] = self.span.line
            out["column"] = self.span.column
        if self.field is not None:
            out["field"] = self.field
        if self.help:
            out["help"] = self.help
        if self.notes:
            out["notes"] = list(self.notes)
        return out


class DiagnosticError(Exception):
    """Raised with every diagnostic found, so a user sees them all at once."""

    def __init__(self, diagnostics: list[Diagnostic], sources: dict[str, str] | None = None):
        self.diagnostics = diagnostics
        self.sources = sources or {}
        super().__init__(render_all(diagnostics, self.sources))


def did_you_mean(word: str, candidates, n: int = 1) -> str | None:
    """The closest candidate, phrased for a help line, or None when nothing is close."""
    pool = list(dict.fromkeys(candidates))
    close = difflib.get_close_matches(word, pool, n=n, cutoff=0.6)
    if not close:
        return None
    return "did you mean " + " or ".join(f"`{c}`" for c in close) + "?"


def render(d: Diagnostic, sources: dict[str, str]) -> str:
    lines = [f"{d.severity}[{d.code}]: {d.message}"]
    if d.span is not None:
        lines.append(f"  --> {d.span.file}:{d.span.line}:{d.span.column}")
        text = sources.get(d.span.file)
        if text is not None:
            src_lines = text.split("\n")  # as the parsers count lines: a form feed or U+2028 is not a break
            if 1 <= d.span.line <= len(src_lines):
                src = src_lines[d.span.line - 1].rstrip("\r")
                gutter = str(d.span.line)
                pad = " " * len(gutter)
                width = 1
                if d.span.end_line == d.span.line and d.span.end_column > d.span.column:
                    width = d.span.end_column - d.span.column
                caret_pad = _display_width(src[: d.span.column - 1])
                caret_width = max(1, _display_width(src[d.span.column - 1 : d.span.column - 1 + width]))
                lines.append(f"{pad} |")
                lines.append(f"{gutter} | {src}")
                label = f" {d.label}" if d.label else ""
                lines.append(f"{pad} | {' ' * caret_pad}{'^' * caret_width}{label}")
    elif d.field is not None:
        lines.append(f"  --> order field `{d.field}`" if d.field else "  --> the order as a whole")
        if d.label:
            lines.append(f"   = {d.label}")
    for note in d.notes:
        lines.append(f"   = note: {note}")
    if d.help:
        lines.append(f"   = help: {d.help}")
    return "\n".join(lines)


def render_all(diagnostics: list[Diagnostic], sources: dict[str, str]) -> str:
    return "\n\n".join(render(d, sources) for d in diagnostics)


def _display_width(s: str) -> int:
    """Columns a terminal gives `s`: CJK characters take two, so carets line up."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)
