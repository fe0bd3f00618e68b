"""Typed IR to Z3 terms: what a rule (or any question an analysis asks as IR) means over the
variables of a contract's slot and of the order.

Days are integers (`date.toordinal`); month arithmetic is smt/calendar_terms.py's, whose
divisions are by constants, so every term stays in linear integer arithmetic and month
boundaries are exact in the solver.
"""

from __future__ import annotations

import z3

from ..model import ir
from . import calendar_terms
from .slots import OrderVars, Slot

_CMP = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
_DAY_FNS = {"end_of_month": calendar_terms.end_of_month, "first_of_next_month": calendar_terms.first_of_next_month,
            "end_of_quarter": calendar_terms.end_of_quarter}


def field_term(f: ir.Field, slot: Slot | None, order_vars: OrderVars) -> z3.ExprRef:
    """The variable (or term) a field reads: of the order, or of the contract in `slot`."""
    if f.order_level:
        return order_vars.term(f)
    return slot.term(f)


def known_term(f: ir.Field, slot: Slot | None, order_vars: OrderVars) -> z3.BoolRef:
    """Does the order state the day a date field reads?"""
    if f.kind == "odate":
        return order_vars.dates[f.path[0]][1]
    return slot.known[(f.kind, f.path, f.state)]


def compile_term(n: ir.Node, slot: Slot | None, order_vars: OrderVars, ctx: z3.Context) -> z3.ExprRef:
    """The Z3 term of an IR expression, read in `slot` (and the order)."""
    return _Terms(slot, order_vars, ctx).term(n)


class _Terms:
    # a class, not a recursive closure: a closure that refers to itself is a reference cycle, and
    # the terms it holds would be released by the cycle collector in whatever thread runs it
    def __init__(self, slot: Slot | None, order_vars: OrderVars, ctx: z3.Context):
        self.slot, self.order_vars, self.ctx = slot, order_vars, ctx

    def term(self, n: ir.Node) -> z3.ExprRef:
        slot, order_vars, ctx, term = self.slot, self.order_vars, self.ctx, self.term
        if isinstance(n, ir.Field):
            return field_term(n, slot, order_vars)
        if isinstance(n, ir.Given):
            return known_term(n.field, slot, order_vars)
        if isinstance(n, ir.OrElse):
            given = ir.defined(n.first)
            if given == ir.TRUE:
                return term(n.first)
            return z3.If(term(given), term(n.first), term(n.fallback))
        if isinstance(n, ir.Const):
            if n.type == "bool":
                return z3.BoolVal(n.value, ctx)
            return z3.IntVal(n.value, ctx)
        if isinstance(n, ir.EnumIn):
            v = field_term(n.field, slot, order_vars)
            return z3.Or([v == slot.value_index(n.field.dim, x) for x in sorted(n.values)] + [z3.BoolVal(False, ctx)])
        if isinstance(n, ir.EnumEq):
            return field_term(n.left, slot, order_vars) == field_term(n.right, slot, order_vars)
        if isinstance(n, ir.Not):
            return z3.Not(term(n.operand))
        if isinstance(n, ir.And):
            return z3.And([term(x) for x in n.operands] + [z3.BoolVal(True, ctx)])
        if isinstance(n, ir.Or):
            return z3.Or([term(x) for x in n.operands] + [z3.BoolVal(False, ctx)])
        if isinstance(n, ir.Implies):
            return z3.Implies(term(n.left), term(n.right))
        if isinstance(n, ir.Cmp):
            return _CMP[n.op](term(n.left), term(n.right))
        if isinstance(n, ir.Arith):
            a, b = term(n.left), term(n.right)
            if n.op == "+":
                return a + b
            if n.op == "-":
                return a - b
            if n.op == "*":
                return a * b
            return a % b
        if isinstance(n, ir.Neg):
            return -term(n.operand)
        if isinstance(n, ir.Abs):
            x = term(n.operand)
            return z3.If(x >= 0, x, -x)
        if isinstance(n, ir.CountTrue):
            return z3.Sum([z3.If(term(x), z3.IntVal(1, ctx), z3.IntVal(0, ctx)) for x in n.operands]
                          + [z3.IntVal(0, ctx)])
        if isinstance(n, ir.Extreme):
            a, b = term(n.left), term(n.right)
            return z3.If(a >= b, a, b) if n.op == "max" else z3.If(a <= b, a, b)
        if isinstance(n, ir.DayOfMonth):
            return calendar_terms.day_of_month(term(n.operand))
        if isinstance(n, ir.AddMonths):
            return calendar_terms.add_months(term(n.operand), n.months)
        if isinstance(n, ir.DayFn):
            return _DAY_FNS[n.fn](term(n.operand))
        raise ValueError(f"the Z3 encoding cannot express {type(n).__name__}")
