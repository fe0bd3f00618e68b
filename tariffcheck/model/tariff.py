"""The resolved tariff: every name bound, every citation structured, every rule typed.

This is what tariffcheck.resolve makes from a syntax tree and what every later stage reads:
orders are decoded against it, the solver compiles it, reports quote it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from . import ir
from .citation import Citation
from ..common.names import name_key
from ..common.span import Span


@dataclass(frozen=True)
class Spelling:
    """Another spelling of an official name that the text itself uses (`also spelled` in a
    spec): an order may write it, and is told the official name; lint reports it as a defect
    of the text. `citations` are the clauses that use it."""

    text: str
    citations: tuple[Citation, ...]
    span: Span


@dataclass(frozen=True)
class Value:
    id: str
    label: str
    citation: Citation | None
    note: str | None
    span: Span
    legacy: bool = False  # withdrawn: existing contracts and holdings may have it, new orders may not
    spellings: tuple[Spelling, ...] = ()


@dataclass
class Dimension:
    id: str
    label: str
    citation: Citation | None
    note: str | None
    values: dict[str, Value]
    span: Span
    optional: bool = False
    # the clause that gives a contract one value of the dimension (`one_per_contract @…`)
    one_citation: Citation | None = None
    spellings: tuple[Spelling, ...] = ()

    def lookup(self, name: str) -> Value | None:
        return lookup(self.values, name)


@dataclass(frozen=True)
class Quantity:
    id: str
    label: str
    citation: Citation | None
    default: int | None
    note: str | None
    span: Span
    spellings: tuple[Spelling, ...] = ()


@dataclass(frozen=True)
class Flag:
    id: str
    label: str
    citation: Citation | None
    note: str | None
    span: Span


@dataclass(frozen=True)
class DateField:
    id: str
    label: str
    citation: Citation | None
    note: str | None
    span: Span


@dataclass
class Attribute:
    id: str
    label: str
    citation: Citation | None
    note: str | None
    values: dict[str, Value]
    span: Span

    def lookup(self, name: str) -> Value | None:
        return lookup(self.values, name)


@dataclass
class Option:
    id: str
    label: str
    citation: Citation | None
    counted: bool
    note: str | None
    quantities: dict[str, Quantity]
    attributes: dict[str, Attribute]
    dates: dict[str, DateField]
    span: Span
    flags: dict[str, Flag] = field(default_factory=dict)  # yes/no the order states of the option
    # the text names the option (at `citation`) but its list of options never defines it: a
    # defect of the text, kept so rules and fees can say what the text says of it (lint L015)
    undefined: bool = False
    spellings: tuple[Spelling, ...] = ()


@dataclass(frozen=True)
class UsageField:
    """A count of what was used or happened in a month (devices that connected, a VPN device
    lost), or with `each` one count per account (its days of use). An order gives it in the
    contract's `usage`; only fees read it: it is no term of the contract, so no rule may."""

    id: str
    label: str
    citation: Citation | None
    each: bool
    note: str | None
    span: Span
    per_option: bool = False  # one count for each option (`per option`), under the record's `options`


@dataclass
class ContractKind:
    id: str
    label: str
    citation: Citation | None
    parent: str | None
    note: str | None
    dimensions: dict[str, Dimension]
    quantities: dict[str, Quantity]
    flags: dict[str, Flag]
    dates: dict[str, DateField]
    options: dict[str, Option]
    span: Span
    child_kinds: list[str] = field(default_factory=list)  # kinds that name this one as `parent`
    usage: dict[str, UsageField] = field(default_factory=dict)  # what a month's usage record gives
    option_list: Citation | None = None  # the clause that lists the options (`option_list @…`)

    @property
    def has_choices(self) -> bool:
        return bool(self.dimensions or self.quantities or self.flags or self.options)

    def option(self, name: str) -> Option | None:
        return lookup(self.options, name)

    def member(self, name: str):
        """A dimension, quantity, flag or date field of the contract, by id or official name."""
        for table in (self.dimensions, self.quantities, self.flags, self.dates):
            found = lookup(table, name)
            if found is not None:
                return found
        return None


@dataclass
class Service:
    """Another service a customer may hold (IIJ ID サービス), perhaps a bundled tariff.

    A service linked to a bundled tariff (`tariff secure_endpoint`) takes its dimensions and
    its renames from that tariff, so references to it are checked against its real names.
    """

    id: str
    label: str
    tariff: str | None
    note: str | None
    dimensions: dict[str, Dimension]
    span: Span
    renames: list["Rename"] = field(default_factory=list)  # the linked tariff's renames of its values
    linked: str | None = None  # "title (as of DATE)" of the linked tariff, when it was loaded

    def lookup_value(self, dim: Dimension, name: str) -> tuple[Value | None, "Rename | None"]:
        """A value of one of the service's dimensions by id or name, or through a rename."""
        v = dim.lookup(name)
        if v is not None:
            return v, None
        r = find_rename(self.renames, "value", dim.id, name)
        return (dim.values[r.target[-1]], r) if r is not None else (None, None)


@dataclass
class Rule:
    id: str
    citation: Citation
    also: list[Citation]
    scope: str  # contract kind id
    kind: str  # requires, excludes, exactly-one, equal, cap, minimum, step, ... (for reports)
    subjects: list[str | None]  # option ids; [None] when the rule is about the contract
    # per subject: the guard (`when` and the subject's presence) and the requirement
    guards: dict[str | None, ir.Node]
    bodies: dict[str | None, ir.Node]
    messages: dict[str, str]  # "ja" / "en"
    span: Span
    source_text: str = ""
    # `{name}` in a message: the derived day it shows, per (name, subject)
    placeholders: dict[tuple[str, str | None], ir.Node] = field(default_factory=dict)

    def condition(self, subject: str | None) -> ir.Node:
        """The whole instance as one formula: guard implies requirement."""
        return ir.Implies(self.guards[subject], self.bodies[subject])


@dataclass(frozen=True)
class Version:
    day: date
    title: str | None
    citation: Citation | None
    span: Span


@dataclass(frozen=True)
class Rename:
    old: str
    kind: str  # "value" (of a dimension) | "option" | "contract" (a contract kind)
    target: tuple[str, ...]  # (contract, dim, value), (contract, option) or (contract,)
    day: date
    citation: Citation | None
    span: Span


@dataclass
class Period:
    """A period counted from a day (a minimum usage period, a contract term), per subject."""

    id: str
    label: str
    citation: Citation | None
    scope: str
    subjects: list[str | None]
    amount: int
    unit: str
    starts: dict[str | None, ir.Node]
    renews: bool
    whens: dict[str | None, ir.Node | None]
    note: str | None
    span: Span
    # `renews unless notice N UNIT before`: (N, UNIT) — the term renews at each expiry unless the
    # notice of a request that ends it arrives by that long before; None: nothing stops a renewal
    notice: tuple[int, str] | None = None


@dataclass
class Derived:
    """A day the tariff defines (when a cancellation takes effect), per subject."""

    id: str
    label: str
    citation: Citation | None
    scope: str
    subjects: list[str | None]
    values: dict[str | None, ir.Node]
    whens: dict[str | None, ir.Node | None]
    note: str | None
    span: Span
    takes_effect: bool = False  # the day the request itself takes effect (`tariff check` reports it)
    spellings: tuple[Spelling, ...] = ()


@dataclass
class FeeLine:
    """One amount of a fee: fixed yen (perhaps per unit), a price quoted separately (from a price
    book), a formula in yen, or the months of a period remaining after a day times a monthly fee
    (an early-termination charge)."""

    when: ir.Node | None
    kind: str  # yen | quoted | formula | remaining
    yen: int | None
    per: ir.Node | None
    note: str | None
    span: Span
    formula: ir.Node | None = None
    price_key: str | None = None  # quoted: the key in the price book (the fee's id by default)
    remaining: tuple[str, str, str] | None = None  # (period id, derived day id, monthly fee id)
    # remaining: the clause the text names the period by (`remaining PERIOD @CLAUSE after …`), which
    # lint holds to the periods the tariff declares (L017)
    period_cite: Citation | None = None
    usage: str | None = None  # `per usage NAME`: the amount is per that usage (`per` is then its fallback)
    usage_over: bool = False  # `per usage NAME over REF`: per the usage beyond `per`


@dataclass
class Fee:
    kind: str
    id: str
    label: str
    citation: Citation | None
    scope: str
    lines: list[FeeLine]  # the contract's own fee (no subjects)
    span: Span
    subjects: list[str | None] = field(default_factory=lambda: [None])
    by_subject: dict[str | None, list[FeeLine]] = field(default_factory=dict)  # one list per subject
    whole_months: Citation | None = None  # the clause that bills a part month as a whole month


@dataclass
class Due:
    """When a kind of fee falls due, as the text words it, and the date field that is that day
    when the moment is a day an order gives (`billing_start`; an option's own for its fees)."""

    kind: str
    event: str
    citation: Citation | None
    scope: str
    start: str | None
    note: str | None
    span: Span


@dataclass
class Tariff:
    id: str
    title: str
    source: str | None
    as_of: date | None
    contracts: dict[str, ContractKind]
    services: dict[str, Service]
    rules: list[Rule]
    versions: list[Version]
    renames: list[Rename]
    periods: list[Period]
    derived: list[Derived]
    fees: list[Fee]
    path: str
    text: str
    content_hash: str
    notes: list[tuple[str, Span]] = field(default_factory=list)
    # what resolution noticed but did not reject (a reference through a rename, W001);
    # `tariff lint` reports these
    warnings: list = field(default_factory=list)
    # yes/no the request states about itself (`request flag`), by id
    request_flags: dict[str, Flag] = field(default_factory=dict)
    dues: list[Due] = field(default_factory=list)  # when each kind of fee falls due
    title_spellings: tuple[Spelling, ...] = ()
    # the clauses an order breaks by what it writes, not by what it chooses: a name the tariff
    # does not list, two values where a contract has one, a count it leaves out
    # (model/order_rules.py; the decoder finds them, both evaluation paths report them)
    order_rules: dict[str, "Rule"] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return self.as_of.isoformat() if self.as_of else "undated"

    def contract(self, name: str) -> ContractKind | None:
        return lookup(self.contracts, name)

    def primary_contract(self) -> ContractKind:
        """The contract kind an order's contracts are of when they do not say."""
        with_choices = [c for c in self.contracts.values() if c.has_choices]
        return with_choices[0] if with_choices else next(iter(self.contracts.values()))

    def service(self, name: str) -> Service | None:
        return lookup(self.services, name)

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def find_rename(renames: list[Rename], kind: str, owner: str, name: str) -> Rename | None:
    """The rename whose former name is `name`, of a value of dimension `owner` (kind "value")
    or of an option of contract kind `owner` (kind "option")."""
    key = name_key(name)
    for r in renames:
        if r.kind != kind or name_key(r.old) != key:
            continue
        if (kind == "value" and r.target[1] == owner) or (kind == "option" and r.target[0] == owner):
            return r
    return None


def lookup_spelling(table: dict, name: str):
    """(entry, spelling) when `name` is another spelling the text uses for an entry of `table`
    (`also spelled`), else None. Only orders are read this way: a spec writes official names."""
    key = name_key(name)
    for obj in table.values():
        for sp in getattr(obj, "spellings", ()):
            if name_key(sp.text) == key:
                return obj, sp
    return None


def lookup(table: dict, name: str):
    """The entry of `table` (ids to declarations that have a `label`) that `name` means, or None.

    `name` is an id, or an official name compared with spacing and width differences ignored
    (common.names.name_key), so `IT資産管理` finds the value labelled `IT 資産管理`. The id is
    tried first. Resolution binds the names a spec writes with it, order decoding the names an
    order writes.
    """
    if name in table:
        return table[name]
    key = name_key(name)
    for obj in table.values():
        if name_key(obj.label) == key:
            return obj
    return None
