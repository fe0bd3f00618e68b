"""Resolved, typed expressions: what a rule means, independent of how it is evaluated.

Both evaluation paths read this one form: `evaluate.concrete` turns it into generated Python functions,
`smt.terms` into Z3 terms. A field names one value of an order (a contract's item, an
option's account count, the day the notice arrived), in its new or its old state.

Types: "bool", "int", "date" (a day number, `date.toordinal()`), "enum" (a dimension's
value id, or None when the dimension is not set), "duration".
"""

from __future__ import annotations

from dataclasses import dataclass

from .fields import KINDS

# A field's `kind` names one of the kinds of order field in model/fields.py, which says what
# path each carries and what every layer needs of it.
ORDER_DATES = ("application_date", "notice_arrived", "requested_date")


@dataclass(frozen=True)
class Node:
    pass


@dataclass(frozen=True)
class Field(Node):
    kind: str
    path: tuple[str, ...]
    state: str = "new"  # "new" | "old"
    type: str = "bool"
    dim: str | None = None  # for enum fields: the dimension id

    @property
    def order_level(self) -> bool:
        return KINDS[self.kind].where == "order"


@dataclass(frozen=True)
class Const(Node):
    value: object
    type: str


@dataclass(frozen=True)
class EnumIn(Node):
    field: Field
    values: frozenset[str]
    type: str = "bool"


@dataclass(frozen=True)
class EnumEq(Node):
    """Two enum fields of the same dimension are equal (both unset counts as equal)."""

    left: Field
    right: Field
    type: str = "bool"


@dataclass(frozen=True)
class Not(Node):
    operand: Node
    type: str = "bool"


@dataclass(frozen=True)
class And(Node):
    operands: tuple[Node, ...]
    type: str = "bool"


@dataclass(frozen=True)
class Or(Node):
    operands: tuple[Node, ...]
    type: str = "bool"


@dataclass(frozen=True)
class Implies(Node):
    left: Node
    right: Node
    type: str = "bool"


@dataclass(frozen=True)
class Cmp(Node):
    op: str  # == != < <= > >=
    left: Node
    right: Node
    type: str = "bool"


@dataclass(frozen=True)
class Arith(Node):
    op: str  # + - * %   (% and * take a constant on one side)
    left: Node
    right: Node
    type: str = "int"


@dataclass(frozen=True)
class Neg(Node):
    operand: Node
    type: str = "int"


@dataclass(frozen=True)
class Abs(Node):
    operand: Node
    type: str = "int"


@dataclass(frozen=True)
class CountTrue(Node):
    operands: tuple[Node, ...]
    type: str = "int"


@dataclass(frozen=True)
class Extreme(Node):
    """later_of / earlier_of of two dates."""

    op: str  # "max" | "min"
    left: Node
    right: Node
    type: str = "date"


@dataclass(frozen=True)
class OrElse(Node):
    """`or_else(x, fallback)`: x when the order gives every day x reads, else the fallback (a
    cancellation form that names no day: 「…又は…指定した日のいずれか遅い日」 has one day only)."""

    first: Node
    fallback: Node
    type: str = "date"


@dataclass(frozen=True)
class Given(Node):
    """The order gives the day a date field reads. Not written in the language: `defined` builds
    it, so that both evaluation paths ask the one question of when an expression has a value."""

    field: Field
    type: str = "bool"


@dataclass(frozen=True)
class DayOfMonth(Node):
    operand: Node
    type: str = "int"


@dataclass(frozen=True)
class DayFn(Node):
    """A calendar function of a day: end_of_month, first_of_next_month, end_of_quarter."""

    fn: str
    operand: Node
    type: str = "date"


DAY_FNS = ("end_of_month", "first_of_next_month", "end_of_quarter")


@dataclass(frozen=True)
class AddMonths(Node):
    """A day plus calendar months, clamped to the month's last day (dates.periods.add_months)."""

    operand: Node
    months: int
    type: str = "date"


TRUE = Const(True, "bool")


def fields_of(node: Node) -> list[Field]:
    """Every field an expression reads, in order of first appearance, without repeats."""
    out: dict[Field, None] = {}

    def walk(n: Node) -> None:
        if isinstance(n, Field):
            out[n] = None
        elif isinstance(n, (EnumIn, Given)):
            out[n.field] = None
        elif isinstance(n, EnumEq):
            out[n.left] = None
            out[n.right] = None
        elif isinstance(n, (Not, Neg, Abs, DayOfMonth, AddMonths, DayFn)):
            walk(n.operand)
        elif isinstance(n, (And, Or, CountTrue)):
            for x in n.operands:
                walk(x)
        elif isinstance(n, (Implies, Cmp, Arith, Extreme)):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, OrElse):
            walk(n.first)
            walk(n.fallback)

    walk(node)
    return list(out)


def with_state(node: Node, state: str) -> Node:
    """The same expression read in another state (`old(x)`)."""
    import dataclasses

    if isinstance(node, Field):
        if KINDS[node.kind].where in ("order", "structure"):  # the same in both states
            return node
        return dataclasses.replace(node, state=state)
    if isinstance(node, (EnumIn, Given)):
        return dataclasses.replace(node, field=with_state(node.field, state))
    if isinstance(node, EnumEq):
        return dataclasses.replace(node, left=with_state(node.left, state), right=with_state(node.right, state))
    if isinstance(node, (Not, Neg, Abs, DayOfMonth, AddMonths, DayFn)):
        return dataclasses.replace(node, operand=with_state(node.operand, state))
    if isinstance(node, (And, Or, CountTrue)):
        return dataclasses.replace(node, operands=tuple(with_state(x, state) for x in node.operands))
    if isinstance(node, (Implies, Cmp, Arith, Extreme)):
        return dataclasses.replace(node, left=with_state(node.left, state), right=with_state(node.right, state))
    if isinstance(node, OrElse):
        return dataclasses.replace(node, first=with_state(node.first, state), fallback=with_state(node.fallback, state))
    return node


def defined(node: Node) -> Node:
    """When an expression has a value, as a condition: the order gives every day it reads, except
    inside `or_else(x, fallback)`, which has one when x or the fallback has. TRUE for an expression
    that reads no day. A rule instance is checked, and a derived day computed, only when this holds
    (both evaluation paths compile this one condition)."""
    if isinstance(node, Field):
        return Given(node) if node.type == "date" else TRUE
    if isinstance(node, OrElse):
        return _any_of(defined(node.first), defined(node.fallback))
    if isinstance(node, (Not, Neg, Abs, DayOfMonth, AddMonths, DayFn)):
        return defined(node.operand)
    if isinstance(node, (And, Or, CountTrue)):
        return _all_of([defined(x) for x in node.operands])
    if isinstance(node, (Implies, Cmp, Arith, Extreme)):
        return _all_of([defined(node.left), defined(node.right)])
    return TRUE  # constants, dimensions (EnumIn, EnumEq), Given itself


def _all_of(parts: list[Node]) -> Node:
    flat: dict[Node, None] = {}
    for p in parts:
        for x in (p.operands if isinstance(p, And) else (p,)):
            if x != TRUE:
                flat[x] = None
    if not flat:
        return TRUE
    return next(iter(flat)) if len(flat) == 1 else And(tuple(flat))


def _any_of(a: Node, b: Node) -> Node:
    if a == TRUE or b == TRUE:
        return TRUE
    return a if a == b else Or((a, b))
