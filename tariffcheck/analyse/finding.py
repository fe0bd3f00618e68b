"""One thing lint noticed about a tariff: what, where (clause and source span), how serious,
and why, with the rules to blame and, where there is one, an order that shows it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..common.span import Span

SEVERITIES = ("error", "warning", "info")

# The stable codes. Tests assert them; docs/lint.md explains each.
CODES = {
    "L000": "the tariff does not load (parse or resolution errors)",
    "L001": "the tariff is contradictory: no order is valid",
    "L002": "an option can never be sold: no valid order has it",
    "L003": "a value of a dimension can never be chosen in a valid order",
    "L004": "an option is in every valid order (forced)",
    "L005": "a false-optional option: optional in general, but in every valid new order of one item",
    "L006": "a rule is implied by other rules (redundant)",
    "L007": "a rule can never be broken or never applies (vacuous)",
    "L008": "a quantity or count can never take values the tariff seems to allow",
    "L009": "two rules about the same option disagree",
    "L010": "a name is defined but no rule, period, day or fee uses it",
    "L011": "two official names look like misspellings of each other",
    "L012": "a reference uses a name that a supplementary provision (附則) replaced, or a value it withdrew",
    "L013": "a reference to another tariff could not be checked",
    "L014": "an analysis was cut short by the solver's time limit",
    "L015": "a rule, fee or day refers to an option the text names but never defines",
    "L016": "an item or option has no fee, and nothing says it is free",
    "L017": "a fee is for the period of a clause that sets no period",
    "L018": "a citation names a clause the source text does not have",
}


@dataclass
class Finding:
    code: str
    severity: str  # error | warning | info
    message: str  # one line, English; names in backticks
    span: Span | None = None
    clause: str | None = None  # the citation, as the text writes it (第8条第2項)
    explanation: str = ""  # why this is so, in a sentence or two
    message_ja: str | None = None
    subject: str | None = None  # the name the finding is about (an option id, a rule id)
    rules: list[str] = field(default_factory=list)  # the rules to blame, by id
    witness: dict | None = None  # an order (JSON form) that shows it, when one does
    explanation_ja: str | None = None  # the explanation in Japanese (`--lang ja`); None: as `explanation`

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")
        if self.code not in CODES:
            raise ValueError(f"unknown lint code {self.code!r}")

    def to_json(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "message_ja": self.message_ja,
            "clause": self.clause,
            "span": None if self.span is None else {
                "file": self.span.file, "line": self.span.line, "column": self.span.column,
                "end_line": self.span.end_line, "end_column": self.span.end_column},
            "explanation": self.explanation,
            "explanation_ja": self.explanation_ja,
            "subject": self.subject,
            "rules": list(self.rules),
            "witness": self.witness,
        }


def sort_key(f: Finding) -> tuple:
    """Errors first, then by place in the file."""
    return (SEVERITIES.index(f.severity), f.span.file if f.span else "", f.span.line if f.span else 0, f.code)
