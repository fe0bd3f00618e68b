"""The concrete validator: rules compiled once to Python closures, then run on each order.

This is the fast path order entry calls on every order. It reads the same typed
expressions as the Z3 encoding (encode.py) and must agree with it on every order; the
differential tests check that.

A rule instance that reads a date the order does not give is not checked (it holds): a
date rule speaks only of the days an order states. Both paths follow this.
"""

from __future__ import annotations

import operator
from datetime import date
from typing import Callable

from ..dsl import ir
from ..dsl import model as M
from ..orders.order import ContractEntry, Order
from .verdict import INVALID, VALID, InstanceKey, Verdict, Violation, involved_fields

Fn = Callable[[Order, ContractEntry], object]

_CMP = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
        ">=": operator.ge}


class CompiledRule:
    __slots__ = ("rule", "subject", "check", "dates", "node")

    def __init__(self, rule: M.Rule, subject: str | None):
        self.rule = rule
        self.subject = subject
        self.node = rule.condition(subject)
        self.check = _compile(self.node)
        self.dates = [_compile(f) for f in ir.fields_of(self.node) if f.type == "date"]


class ConcreteValidator:
    """Validate decoded orders against one tariff."""

    def __init__(self, tariff: M.Tariff):
        self.tariff = tariff
        self.by_kind: dict[str, list[CompiledRule]] = {k: [] for k in tariff.contracts}
        for rule in tariff.rules:
            for subject in rule.subjects:
                self.by_kind[rule.scope].append(CompiledRule(rule, subject))

    def broken(self, order: Order) -> list[tuple[CompiledRule, ContractEntry]]:
        out = []
        for entry in order.contracts:
            for c in self.by_kind[entry.kind]:
                if c.dates and any(d(order, entry) is None for d in c.dates):
                    continue
                if not c.check(order, entry):
                    out.append((c, entry))
        return out

    def validate(self, order: Order) -> Verdict:
        broken = self.broken(order)
        if not broken:
            return Verdict(VALID)
        return Verdict(INVALID, [
            Violation(InstanceKey(c.rule.id, e.index, c.subject), c.rule, e.id, involved_fields(c.node, order, e))
            for c, e in broken])


def _field(f: ir.Field) -> Fn:
    k, p = f.kind, f.path
    if k == "odate":
        name = p[0]
        return lambda o, e: o.dates.get(name)
    if k == "request":
        want = p[0]
        return lambda o, e: o.request == want
    if k == "holds":
        svc = p[0]
        return lambda o, e: svc in o.holdings
    if k == "holds_value":
        key = tuple(p)
        return lambda o, e: key in o.holding_values
    if k == "cancelled":
        if f.state == "old":
            return lambda o, e: False
        return lambda o, e: e.cancelled
    new = f.state == "new"
    a = p[0]
    if k == "dim":
        return (lambda o, e: e.new.dims.get(a)) if new else (lambda o, e: e.old.dims.get(a))
    if k == "qty":
        return (lambda o, e: e.new.quantities.get(a, 0)) if new else (lambda o, e: e.old.quantities.get(a, 0))
    if k == "flag":
        return (lambda o, e: e.new.flags.get(a, False)) if new else (lambda o, e: e.old.flags.get(a, False))
    if k == "date":
        return (lambda o, e: e.new.dates.get(a)) if new else (lambda o, e: e.old.dates.get(a))
    if k == "opt":
        return (lambda o, e: a in e.new.options) if new else (lambda o, e: a in e.old.options)

    def opt(o, e):
        return (e.new if new else e.old).options.get(a)

    if k == "optcount":
        return lambda o, e: (x.count if (x := opt(o, e)) is not None else 0)
    b = p[1]
    if k == "optqty":
        return lambda o, e: (x.quantities.get(b, 0) if (x := opt(o, e)) is not None else 0)
    if k == "optattr":
        key = (p[1], p[2])
        return lambda o, e: ((x := opt(o, e)) is not None and key in x.designations)
    if k == "optdate":
        return lambda o, e: (x.dates.get(b) if (x := opt(o, e)) is not None else None)
    raise ValueError(f"unknown field kind {k}")


def _compile(n: ir.Node) -> Fn:
    if isinstance(n, ir.Field):
        return _field(n)
    if isinstance(n, ir.Const):
        v = n.value
        return lambda o, e: v
    if isinstance(n, ir.EnumIn):
        get = _field(n.field)
        values = n.values
        return lambda o, e: get(o, e) in values
    if isinstance(n, ir.EnumEq):
        left, right = _field(n.left), _field(n.right)
        return lambda o, e: left(o, e) == right(o, e)
    if isinstance(n, ir.Not):
        x = _compile(n.operand)
        return lambda o, e: not x(o, e)
    if isinstance(n, ir.And):
        xs = tuple(_compile(x) for x in n.operands)
        return lambda o, e: all(x(o, e) for x in xs)
    if isinstance(n, ir.Or):
        xs = tuple(_compile(x) for x in n.operands)
        return lambda o, e: any(x(o, e) for x in xs)
    if isinstance(n, ir.Implies):
        a, b = _compile(n.left), _compile(n.right)
        return lambda o, e: (not a(o, e)) or b(o, e)
    if isinstance(n, ir.Cmp):
        a, b, op = _compile(n.left), _compile(n.right), _CMP[n.op]
        return lambda o, e: op(a(o, e), b(o, e))
    if isinstance(n, ir.Arith):
        a, b = _compile(n.left), _compile(n.right)
        if n.op == "+":
            return lambda o, e: a(o, e) + b(o, e)
        if n.op == "-":
            return lambda o, e: a(o, e) - b(o, e)
        if n.op == "*":
            return lambda o, e: a(o, e) * b(o, e)
        return lambda o, e: a(o, e) % b(o, e)  # Python's % and Z3's mod agree for a positive divisor
    if isinstance(n, ir.Neg):
        x = _compile(n.operand)
        return lambda o, e: -x(o, e)
    if isinstance(n, ir.Abs):
        x = _compile(n.operand)
        return lambda o, e: abs(x(o, e))
    if isinstance(n, ir.CountTrue):
        xs = tuple(_compile(x) for x in n.operands)
        return lambda o, e: sum(1 for x in xs if x(o, e))
    if isinstance(n, ir.Extreme):
        a, b = _compile(n.left), _compile(n.right)
        pick = max if n.op == "max" else min
        return lambda o, e: pick(a(o, e), b(o, e))
    if isinstance(n, ir.DayOfMonth):
        x = _compile(n.operand)
        return lambda o, e: date.fromordinal(x(o, e)).day
    raise ValueError(f"the concrete validator cannot evaluate {type(n).__name__}")
