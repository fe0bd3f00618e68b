"""An order, decoded and checked against its tariff: every name is an id, every date a day.

docs/orders.md describes the JSON that order-entry systems send; decode.py turns it into
these objects. Values here are already valid in kind and range, so the validators never
meet a string where a number belongs.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class OptionState:
    count: int = 1
    quantities: dict[str, int] = field(default_factory=dict)
    designations: set[tuple[str, str]] = field(default_factory=set)  # (attribute, value)
    dates: dict[str, int] = field(default_factory=dict)  # day numbers (date.toordinal)
    flags: dict[str, bool] = field(default_factory=dict)


@dataclass
class ContractState:
    dims: dict[str, str | None] = field(default_factory=dict)
    quantities: dict[str, int] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)
    dates: dict[str, int] = field(default_factory=dict)
    options: dict[str, OptionState] = field(default_factory=dict)

    def add_option(self, option: str) -> OptionState:
        """The option's state, ordered with no count yet if it was not ordered."""
        if option not in self.options:
            self.options[option] = OptionState(count=0)
        return self.options[option]


EMPTY = ContractState()


@dataclass(frozen=True)
class Breach:
    """The order breaking a clause by what it writes (model/order_rules.py): a name the tariff
    does not list, two values for a dimension, a count left out. The decoder records it and
    both evaluation paths report it as a violation of `rule`."""

    rule: str  # the id of the order rule (`listed_item`, `listed_options`, `one_item`, `required_accounts`)
    contract: int  # the contract's index in the order
    subject: str | None  # the option, for an option's quantity
    path: str  # where the order writes it (`contracts[0].options.foo`), as a FieldRef
    value: object  # what it writes there (None for what it leaves out)
    name: str  # `{name}` in the rule's message: the name written, or the values given
    # the field the breach leaves without a value of the order (a FieldRef; None for an
    # unknown option, which is simply not ordered): rules that read it are not judged
    unset: str | None = None


@dataclass
class ContractEntry:
    id: str
    kind: str  # contract kind id
    parent: str | None  # the id of another contract of the order; parent links never form a cycle
    new: ContractState  # the state the request leaves (for a cancellation: as it was)
    old: ContractState  # the state before (EMPTY for a new order)
    cancelled: bool
    index: int  # position in the order's `contracts`, for field paths
    # names the request's new part gave by a former name (附則): ("dim", d) or ("opt", o)
    former: set[tuple[str, str]] = field(default_factory=set)
    # contracts of the order whose parent this is, counted by kind
    children: dict[str, int] = field(default_factory=dict)
    # the contract's usage record (`usage`): the month it is of (its first day's number) and each
    # usage the spec declares that it gives, a count or one count per account. Only fees read it.
    usage_month: int | None = None
    usage: dict[str, int | list[int]] = field(default_factory=dict)
    # the usages declared `per option`, by option the record's `options` names: {option: {usage: count}}
    option_usage: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass
class Order:
    tariff: str | None
    request: str  # "new" | "change" | "cancellation"
    dates: dict[str, int]  # application_date, notice_arrived, requested_date (as given)
    holdings: set[str]
    holding_values: set[tuple[str, str, str]]
    contracts: list[ContractEntry]
    notes: list[str] = field(default_factory=list)
    # a partial order (decode_partial_order): the fields not decided yet, by path
    # (`contracts[1].options.tunnel`, `contracts[1].item`, `application_date`)
    open: set[str] = field(default_factory=set)
    flags: dict[str, bool] = field(default_factory=dict)  # the request flags it states (`request flag`)

    # the clauses the order breaks by what it writes (model/order_rules.py), in order
    breaches: list[Breach] = field(default_factory=list)
    # the fields (FieldRef paths) those breaches leave without a value of the order: each
    # breach's `unset`, and in a change request the same field of the new state when `changes`
    # do not give it. Rules that read one are not judged; explain leaves them open
    unset: set[str] = field(default_factory=set)
