"""The syntax tree of a tariff file, as written: names are not yet resolved.

Every node carries the span of source text it came from, so that any later error,
violation or finding can point back at the line a product manager wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..common.span import Span


@dataclass(frozen=True)
class Cite:
    """A citation as written (`@第5条第2項`); dsl.citation parses its text."""

    text: str
    span: Span


@dataclass(frozen=True)
class Ref:
    """A dotted reference; each part is an ASCII id or a quoted official name."""

    parts: tuple[str, ...]
    quoted: tuple[bool, ...]
    span: Span

    def __str__(self) -> str:
        return ".".join(f'"{p}"' if q else p for p, q in zip(self.parts, self.quoted))


# ---- expressions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Expr:
    span: Span


@dataclass(frozen=True)
class IntLit(Expr):
    value: int


@dataclass(frozen=True)
class BoolLit(Expr):
    value: bool


@dataclass(frozen=True)
class DateLit(Expr):
    text: str


@dataclass(frozen=True)
class DurationLit(Expr):
    amount: int
    unit: str  # "day" | "month" | "year"


@dataclass(frozen=True)
class RefExpr(Expr):
    ref: Ref


@dataclass(frozen=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Not(Expr):
    operand: Expr


@dataclass(frozen=True)
class Neg(Expr):
    operand: Expr


@dataclass(frozen=True)
class BoolOp(Expr):
    op: str  # "and" | "or" | "implies"
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Arith(Expr):
    op: str  # "+" | "-" | "*" | "%"
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Compare(Expr):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Member(Expr):
    operand: Expr
    values: tuple[Ref, ...]


# ---- declarations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Spelling:
    """`also spelled "…" @clause…`: another spelling the text uses for the name before it."""

    text: str
    cites: tuple[Cite, ...]
    span: Span


@dataclass
class ValueDecl:
    name: str
    label: str
    cite: Cite | None
    note: str | None
    span: Span
    legacy: bool = False
    spellings: list[Spelling] = field(default_factory=list)


@dataclass
class DimensionDecl:
    name: str
    label: str
    cite: Cite | None
    note: str | None
    values: list[ValueDecl]
    span: Span
    optional: bool = False
    one_per_contract: Cite | None = None
    spellings: list[Spelling] = field(default_factory=list)


@dataclass
class QuantityDecl:
    name: str
    label: str
    cite: Cite | None
    default: int | None
    note: str | None
    span: Span
    spellings: list[Spelling] = field(default_factory=list)


@dataclass
class FlagDecl:
    name: str
    label: str
    cite: Cite | None
    note: str | None
    span: Span


@dataclass
class DateFieldDecl:
    name: str
    label: str
    cite: Cite | None
    note: str | None
    span: Span


@dataclass
class AttributeDecl:
    name: str
    label: str
    cite: Cite | None
    note: str | None
    values: list[ValueDecl]
    span: Span


@dataclass
class OptionDecl:
    name: str
    label: str
    cite: Cite | None
    counted: bool
    note: str | None
    quantities: list[QuantityDecl]
    attributes: list[AttributeDecl]
    dates: list[DateFieldDecl]
    span: Span
    flags: list[FlagDecl] = field(default_factory=list)
    undefined: bool = False  # the text names it but never defines it
    spellings: list[Spelling] = field(default_factory=list)


@dataclass
class UsageDecl:
    """What was used or happened in a month, which an order's `usage` gives and fees read."""

    name: str
    label: str
    cite: Cite | None
    each: bool  # one count per account (SmartKey's days of use), not one count
    note: str | None
    span: Span
    per_option: bool = False  # one count for each option of the contract (`per option`)


@dataclass(frozen=True)
class UsagePer:
    """`per usage NAME [or REF | over REF]`: an amount per the month's usage, else per REF when
    not given (`or`); or per the usage beyond REF (`over`), nothing when not given."""

    name: str
    span: Span
    fallback: Ref | None = None
    over: Ref | None = None


@dataclass
class ContractDecl:
    name: str
    label: str
    cite: Cite | None
    parent: tuple[str, Span] | None
    note: str | None
    dimensions: list[DimensionDecl] = field(default_factory=list)
    quantities: list[QuantityDecl] = field(default_factory=list)
    flags: list[FlagDecl] = field(default_factory=list)
    dates: list[DateFieldDecl] = field(default_factory=list)
    options: list[OptionDecl] = field(default_factory=list)
    option_dates: list[DateFieldDecl] = field(default_factory=list)
    span: Span | None = None
    usage: list[UsageDecl] = field(default_factory=list)
    option_list: Cite | None = None  # `option_list @…`: the clause that lists the options


@dataclass
class ServiceDecl:
    name: str
    label: str
    tariff: tuple[str, Span] | None
    note: str | None
    dimensions: list[DimensionDecl]
    span: Span


@dataclass
class VersionDecl:
    day: str
    title: str | None
    cite: Cite | None
    span: Span


@dataclass
class RenameDecl:
    old: str
    new: Ref
    day: str
    cite: Cite | None
    span: Span
    old_span: Span | None = None  # the former name's string


@dataclass
class Message:
    lang: str
    text: str
    span: Span


@dataclass
class RuleDecl:
    name: str
    cite: Cite | None
    also: list[Cite]
    scope: tuple[str, Span] | None
    when: Expr | None
    subjects: list[Ref]
    verb: str  # "require" | "forbid"
    body: Expr
    messages: list[Message]
    span: Span


@dataclass
class PeriodDecl:
    name: str
    label: str
    cite: Cite | None
    scope: tuple[str, Span] | None
    subjects: list[Ref]
    length: DurationLit
    start: Expr
    renews: bool
    when: Expr | None
    note: str | None
    span: Span
    notice: DurationLit | None = None  # `renews unless notice N before`: the notice's lead time


@dataclass
class DeriveDecl:
    name: str
    label: str
    cite: Cite | None
    scope: tuple[str, Span] | None
    subjects: list[Ref]
    value: Expr
    when: Expr | None
    note: str | None
    span: Span
    takes_effect: bool = False  # a day on which the request itself takes effect
    spellings: list[Spelling] = field(default_factory=list)


@dataclass
class FeeLine:
    when: Expr | None
    kind: str  # "yen" | "quoted" | "formula" | "remaining"
    yen: int | None
    per: Ref | None
    formula: Expr | None
    note: str | None
    span: Span
    price_key: str | None = None  # quoted: the price book's key (default: the fee's id)
    # remaining: (period id, derived day id, monthly fee id): the months of the period left after
    # the day, times the monthly fee
    remaining: tuple[str, str, str] | None = None
    period_cite: Cite | None = None  # remaining: the clause the text names the period by


@dataclass
class FeeDecl:
    kind: str
    name: str
    label: str
    cite: Cite | None
    scope: tuple[str, Span] | None
    lines: list[FeeLine]
    span: Span
    subjects: list[Ref] = field(default_factory=list)
    whole_months: Cite | None = None  # the clause that bills a part month whole


@dataclass
class DueDecl:
    """When a kind of fee falls due (第11条 "…の支払義務は…時点で…発生する")."""

    kind: str  # initial | monthly | one_off | early_termination
    event: str  # the text's words for the moment
    cite: Cite | None
    scope: tuple[str, Span] | None
    start: tuple[str, Span] | None  # the date field that is that day, if the moment is one
    note: str | None
    span: Span


@dataclass
class TariffFile:
    name: str
    title: str
    source: str | None
    as_of: tuple[str, Span] | None
    contracts: list[ContractDecl]
    services: list[ServiceDecl]
    rules: list[RuleDecl]
    versions: list[VersionDecl]
    renames: list[RenameDecl]
    periods: list[PeriodDecl]
    derives: list[DeriveDecl]
    fees: list[FeeDecl]
    path: str
    text: str
    span: Span
    request_flags: list[FlagDecl] = field(default_factory=list)
    dues: list[DueDecl] = field(default_factory=list)
    title_spellings: list[Spelling] = field(default_factory=list)


def parse_iso_date(text: str) -> date | None:
    """The date an ISO `YYYY-MM-DD` text names, or None when no such day exists."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
