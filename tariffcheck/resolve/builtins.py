"""The functions of the tariff language: one descriptor each, in the table BUILTINS.

A descriptor says everything about a function: its name, the help text every E010 about it
shows, how many arguments it takes, how each argument is resolved (a day, a number, an option,
...), the type of its result, and its lowering, a function from the resolved arguments to the
IR of model/ir.py. Expressions.call looks a call up here and applies the descriptor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..model import ir
from ..model import tariff as M
from ..syntax import tree as S
from ..common.diagnostics import did_you_mean
from .types import words

if TYPE_CHECKING:
    from .expressions import Expressions


@dataclass(frozen=True)
class Builtin:
    """One function of the language."""

    name: str
    help: str  # the `help:` line of every E010 about a call of the function
    # How each argument is resolved before the lowering sees it (a function with no upper arity
    # repeats its one kind for every argument):
    #   "int", "date"      an expression of that type: its IR node
    #   "any"              any expression: (IR node, type)
    #   "conditions"       a condition, or an option's attribute (each of its designations):
    #                      a tuple of IR nodes
    #   "option"           an option, by id, official name or `it`: the model's Option
    #   "option|contract"  the same, or `contract`: None
    #   "option|contract|dimension"  the same, or a dimension of the contract: the model's Dimension
    #   "syntax"           the argument as written (a syntax tree); the lowering binds it
    params: tuple[str, ...]
    lower: Callable[..., ir.Node]  # (expressions, the call, *resolved arguments) -> IR node
    returns: str | None  # the type of the result; None: the type of the (one) argument
    arity: tuple[int, int | None] | None = None  # (fewest, most); None: exactly one per param
    rule_kind: str = ""  # the word for a rule built on the function (M.Rule.kind, for reports)

    def __post_init__(self):
        if self.arity is None:
            object.__setattr__(self, "arity", (len(self.params), len(self.params)))
        assert len(self.params) == (1 if self.arity[1] is None else self.arity[1]), self.name

    def arity_error(self, found: int) -> str | None:
        """The message for a call with `found` arguments, or None when that is right."""
        low, high = self.arity
        if low <= found and (high is None or found <= high):
            return None
        if high is None:
            return f"`{self.name}` needs at least {'one argument' if low == 1 else f'{low} arguments'}"
        if low == high:
            return f"`{self.name}` takes {low} argument{'s' if low != 1 else ''}, found {found}"
        return f"`{self.name}` takes {low} {'or' if high == low + 1 else 'to'} {high} arguments, found {found}"

    def apply(self, ex: Expressions, call: S.Call) -> tuple[ir.Node, str]:
        """The call as a typed IR node; a wrong call is recorded and stops the instance."""
        problem = self.arity_error(len(call.args))
        if problem is not None:
            ex.fail("E010", problem, call.span, help=self.help)
        kinds = self.params * len(call.args) if self.arity[1] is None else self.params
        args = [_ARGUMENTS[kind](ex, self, a) for kind, a in zip(kinds, call.args)]
        return self.lower(ex, call, *args), self.returns or args[0][1]


# ---- resolving arguments --------------------------------------------------------------------

def _option(ex: Expressions, fn: Builtin, arg: S.Expr, allow_contract: bool = False) -> M.Option | None:
    if not isinstance(arg, S.RefExpr) or len(arg.ref.parts) != 1:
        ex.fail("E010", f"`{fn.name}` takes an option here", arg.span, help=fn.help)
    return ex.option_ref(arg.ref, allow_contract)


def _option_or_dimension(ex: Expressions, fn: Builtin, arg: S.Expr) -> M.Option | M.Dimension | None:
    if isinstance(arg, S.RefExpr) and len(arg.ref.parts) == 1 and ex.c.option(arg.ref.parts[0]) is None:
        dim = M.lookup(ex.c.dimensions, arg.ref.parts[0])
        if dim is not None:
            return dim
    return _option(ex, fn, arg, allow_contract=True)


def _conditions(ex: Expressions, fn: Builtin, arg: S.Expr) -> tuple[ir.Node, ...]:
    node, t = ex.expr(arg)
    if t == "flags":
        return node[1]
    if t == "bool":
        return (node,)
    ex.fail("E010", f"`{fn.name}` counts options and conditions, not {words(t)}", arg.span, help=fn.help)


_ARGUMENTS: dict[str, Callable[[Expressions, Builtin, S.Expr], object]] = {
    "int": lambda ex, fn, a: ex.typed(a, "int"),
    "date": lambda ex, fn, a: ex.typed(a, "date"),
    "any": lambda ex, fn, a: ex.expr(a),
    "conditions": _conditions,
    "option": lambda ex, fn, a: _option(ex, fn, a),
    "option|contract": lambda ex, fn, a: _option(ex, fn, a, allow_contract=True),
    "option|contract|dimension": _option_or_dimension,
    "syntax": lambda ex, fn, a: a,
}


def _misuse(ex: Expressions, call: S.Call, message: str, span: S.Span) -> None:
    """An E010 about a call whose arguments have the right kinds but do not fit together."""
    ex.fail("E010", message, span, help=BUILTINS[call.name].help)


def _show(e: S.Expr) -> str:
    return str(e.ref) if isinstance(e, S.RefExpr) else "this"


# ---- lowerings ------------------------------------------------------------------------------

def _all(groups: tuple[tuple[ir.Node, ...], ...]) -> tuple[ir.Node, ...]:
    return tuple(node for group in groups for node in group)


def _exactly_one(ex, call, *groups):
    return ir.Cmp("==", ir.CountTrue(_all(groups)), ir.Const(1, "int"))


def _at_most_one(ex, call, *groups):
    return ir.Cmp("<=", ir.CountTrue(_all(groups)), ir.Const(1, "int"))


def _any_of(ex, call, *groups):
    return ir.Or(_all(groups))


def _old(ex, call, value):
    node, t = value
    if t == "flags":
        _misuse(ex, call, "`old` takes one value", call.span)
    return ir.with_state(node, "old")


def _changed(ex, call, value):
    node, t = value
    if t == "flags" or not ir.fields_of(node):
        _misuse(ex, call, "`changed` takes a field of the order", call.span)
    if t.startswith("enum:"):
        return ir.Not(ir.EnumEq(node, ir.with_state(node, "old")))
    return ir.Cmp("!=", node, ir.with_state(node, "old"))


def _added(o: M.Option) -> ir.Node:
    return ir.And((ir.Field("opt", (o.id,)), ir.Not(ir.Field("opt", (o.id,), state="old"))))


def _removed(o: M.Option) -> ir.Node:
    return ir.And((ir.Field("opt", (o.id,), state="old"), ir.Not(ir.Field("opt", (o.id,)))))


def _applied_together(ex, call, a, b):
    if a is None and b is None:
        _misuse(ex, call, "`applied_together` relates an option to an option or to `contract`", call.span)

    def present(x):  # the contract itself is present in the state a request leaves
        return ir.TRUE if x is None else ir.Field("opt", (x.id,))

    def added(x):  # the contract is "added" when it did not exist before: a new order
        return ir.Field("request", ("new",)) if x is None else _added(x)

    return ir.Implies(ir.And((present(a), present(b))), ir.Cmp("==", added(a), added(b)))


def _ends_with(ex, call, x, y):
    def ended(o):
        cancelled = ir.Field("cancelled", ())
        if o is None:
            return cancelled
        if isinstance(o, M.Dimension):
            # the value the contract had ends: the contract ends, or the request unsets or replaces it
            old = ir.Field("dim", (o.id,), state="old", type="enum", dim=o.id)
            new = ir.Field("dim", (o.id,), type="enum", dim=o.id)
            had = ir.EnumIn(old, frozenset(o.values))
            return ir.And((had, ir.Or((cancelled, ir.Not(ir.EnumEq(new, old))))))
        old = ir.Field("opt", (o.id,), state="old")
        return ir.And((old, ir.Or((ir.Not(ir.Field("opt", (o.id,))), cancelled))))

    def existed(o):
        return ir.TRUE if o is None else ir.Field("opt", (o.id,), state="old")

    # only what was there can end: an option never ordered does not break the cascade
    return ir.Implies(ir.And((ended(y), existed(x))), ended(x))


def _holds(ex, call, service, condition=None):
    svc = None
    if isinstance(service, S.RefExpr) and len(service.ref.parts) == 1:
        svc = M.lookup(ex.res.services_by_id, service.ref.parts[0])
    if svc is None:
        declared = ex.res.services_by_id
        ex.fail("E002", f"service `{_show(service)}` is not declared", service.span, "unknown service",
                help=did_you_mean(_show(service), list(declared) + [s.label for s in declared.values()])
                or 'declare it: `service iij_id "IIJ ID サービス"`')
    if condition is None:
        return ir.Field("holds", (svc.id,))
    if not isinstance(condition, S.Member) or not isinstance(condition.operand, S.RefExpr):
        _misuse(ex, call, "the second argument of `holds` is `DIMENSION in {...}`", condition.span)
    dim_ref = condition.operand.ref
    dim = M.lookup(svc.dimensions, dim_ref.parts[0])
    if dim is None:
        ex.fail("E002", f"service `{svc.id}` has no dimension `{dim_ref}`", condition.operand.span,
                help=did_you_mean(dim_ref.parts[0], svc.dimensions))
    values = [ex.enum_value(dim.id, r, svc) for r in condition.values]
    return ir.Or(tuple(ir.Field("holds_value", (svc.id, dim.id, v)) for v in values))


def _multiple_of(ex, call, x, n):
    if not isinstance(n, S.IntLit) or n.value <= 0:
        _misuse(ex, call, "`multiple_of` needs a positive number second", n.span)
    return ir.Cmp("==", ir.Arith("%", x, ir.Const(n.value, "int")), ir.Const(0, "int"))


def _children(ex, call, arg):
    kind = None
    if isinstance(arg, S.RefExpr) and len(arg.ref.parts) == 1:
        kind = M.lookup(ex.res.contracts_by_id, arg.ref.parts[0])
    if kind is None or kind.parent != ex.c.id:
        kids = [k.id for k in ex.res.contracts_by_id.values() if k.parent == ex.c.id]
        ex.fail("E002", f"`{_show(arg)}` is not a kind of child contract of `{ex.c.id}`", arg.span,
                "not a child kind", help=("children of `" + ex.c.id + "`: " + ", ".join(kids)) if kids
                else f"no contract declares `parent {ex.c.id}`")
    return ir.Field("children", (kind.id,), type="int")


def _former_name(ex, call, arg):
    if isinstance(arg, S.RefExpr) and len(arg.ref.parts) == 1:
        member = ex.c.member(arg.ref.parts[0])
        if isinstance(member, M.Dimension):
            return ir.Field("former", ("dim", member.id))
        if arg.ref.parts[0] == "it" or ex.c.option(arg.ref.parts[0]) is not None:
            return ir.Field("former", ("opt", ex.option_ref(arg.ref).id))
    _misuse(ex, call, "`former_name` takes a dimension (`item`) or an option", arg.span)


def _or_else(ex, call, first, fallback):
    node, t = first
    if t not in ("date", "int"):
        _misuse(ex, call, f"`or_else` takes a day or a number, not {words(t)}", call.args[0].span)
    if not any(f.type == "date" for f in ir.fields_of(node)):
        ex.fail("E010", "the first argument of `or_else` reads no day, so it always has a value",
                call.args[0].span, help="put a day the order may leave out first: "
                                        "`or_else(requested_date, notice_arrived + 30 days)`")
    # the fallback is resolved here, once the first argument has given the type it must have
    return ir.OrElse(node, ex.typed(fallback, t), type=t)


def _given(ex, call, day):
    # a rule that reads a missing day is not checked; `given(d)` is the one condition that is
    # about the day being there, so it is always checked (ir.defined of a Given is TRUE)
    days = list(dict.fromkeys(f for f in ir.fields_of(day) if f.type == "date"))
    if not days:
        ex.fail("E010", "the argument of `given` reads no day, so it is always given", call.args[0].span,
                help="name a day the order may leave out: `given(requested_date)`")
    return ir.Given(days[0]) if len(days) == 1 else ir.And(tuple(ir.Given(f) for f in days))


def _day_fn(fn: str):
    return lambda ex, call, day: ir.DayFn(fn, day)


# ---- the table ------------------------------------------------------------------------------

_TABLE = [
    Builtin("exactly_one", "exactly_one(a, b, ...): exactly one of the options or designations",
            ("conditions",), _exactly_one, "bool", arity=(1, None), rule_kind="exactly-one"),
    Builtin("at_most_one", "at_most_one(a, b, ...): at most one of them",
            ("conditions",), _at_most_one, "bool", arity=(1, None), rule_kind="excludes"),
    Builtin("any_of", "any_of(a, b, ...): at least one of them",
            ("conditions",), _any_of, "bool", arity=(1, None), rule_kind="requires"),
    Builtin("old", "old(x): x as it was before this request",
            ("any",), _old, None),
    Builtin("changed", "changed(x): this request changes x",
            ("any",), _changed, "bool", rule_kind="change"),
    Builtin("added", "added(option): this request adds the option",
            ("option",), lambda ex, call, o: _added(o), "bool"),
    Builtin("removed", "removed(option): this request ends the option",
            ("option",), lambda ex, call, o: _removed(o), "bool"),
    Builtin("applied_together", "applied_together(a, b): a and b are applied for in the same request",
            ("option|contract", "option|contract"), _applied_together, "bool", rule_kind="applied-together"),
    Builtin("ends_with", "ends_with(x, y): when y ends, x ends the same day (x: an option or `contract`; "
                         "y: an option, `contract`, or a dimension, which ends when its value is unset or replaced)",
            ("option|contract", "option|contract|dimension"), _ends_with, "bool", rule_kind="cascade"),
    Builtin("holds", "holds(service) or holds(service, item in {...}): the customer holds that service",
            ("syntax", "syntax"), _holds, "bool", arity=(1, 2), rule_kind="holding"),
    Builtin("later_of", "later_of(d1, d2): the later of two days",
            ("date", "date"), lambda ex, call, a, b: ir.Extreme("max", a, b), "date"),
    Builtin("earlier_of", "earlier_of(d1, d2): the earlier of two days",
            ("date", "date"), lambda ex, call, a, b: ir.Extreme("min", a, b), "date"),
    Builtin("or_else", "or_else(x, fallback): x when the order gives the days it reads, else fallback "
                       "(a day or a number)",
            ("any", "syntax"), _or_else, None),
    Builtin("given", "given(d): the order gives the day d (every day d reads); checked even when it does not",
            ("date",), _given, "bool", rule_kind="given"),
    Builtin("first_of_month", "first_of_month(d): d is the 1st of a month",
            ("date",), lambda ex, call, d: ir.Cmp("==", ir.DayOfMonth(d), ir.Const(1, "int")), "bool",
            rule_kind="calendar-month"),
    Builtin("end_of_month", "end_of_month(d): the last day of d's month",
            ("date",), _day_fn("end_of_month"), "date"),
    Builtin("first_of_next_month", "first_of_next_month(d): the 1st of the month after d's",
            ("date",), _day_fn("first_of_next_month"), "date"),
    Builtin("end_of_quarter",
            "end_of_quarter(d): the last day of d's calendar quarter (Mar 31, Jun 30, Sep 30, Dec 31)",
            ("date",), _day_fn("end_of_quarter"), "date"),
    Builtin("multiple_of", "multiple_of(x, n): x is a multiple of the number n",
            ("int", "syntax"), _multiple_of, "bool", rule_kind="step"),
    Builtin("abs", "abs(x): the size of x",
            ("int",), lambda ex, call, x: ir.Abs(x), "int"),
    Builtin("count", "count(option): how many of the option are ordered",
            ("option",), lambda ex, call, o: ir.Field("optcount", (o.id,), type="int"), "int"),
    Builtin("children", "children(KIND): how many contracts of kind KIND in the order have this contract as parent",
            ("syntax",), _children, "int"),
    Builtin("former_name", "former_name(x): the request names x (a dimension's value or an option) by a name "
                           "that a supplementary provision replaced",
            ("syntax",), _former_name, "bool"),
]

BUILTINS: dict[str, Builtin] = {b.name: b for b in _TABLE}

# every calendar function of the IR can be called
assert all(fn in BUILTINS for fn in ir.DAY_FNS)
