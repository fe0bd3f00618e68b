"""The Z3 encoding: each contract of an order becomes a slot of variables, each rule instance
one term with its own tracked literal, each value the customer chose one fact.

Explanations, repairs and analyses all start from this: an unsat core over the tracked
literals maps straight back to rules (and so to clauses and spans), and one over the facts
to the customer's choices.

Days are integers (`date.toordinal`); the day of the month is computed from the day number
with the civil-calendar arithmetic of H. Hinnant (divisions by constants, so linear), which
keeps month boundaries exact in the solver.
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from ..model import ir
from ..model import tariff as M
from ..model.limits import MAX_CONTRACTS, MAX_COUNT, MAX_DAY, MIN_DAY, REQUESTS
from ..orders.order import ContractEntry, Order
from . import calendar_terms
from .context import new_context

@dataclass(frozen=True)
class Instance:
    rule: M.Rule
    subject: str | None
    slot: int
    literal: z3.BoolRef  # tracks "this rule instance holds"
    term: z3.BoolRef  # what holding means


@dataclass(frozen=True)
class Fact:
    """One value of the order, as a constraint: the unit explanations and repairs work in.

    `role` says whether the customer chose it ("choice") or it is given by the request itself
    ("given": the kind of request, which contracts it ends, a contract as it is now). `kind`
    names what it fixes (dim, qty, flag, date, option, optqty, optattr, optdate, holding,
    odate, parent, children, former); `choice` is the order field it belongs to (an option's
    designations of one attribute are one field). A fact about part of an option holds only
    while the option is present (`under`). `number` and `value` are the field's number
    (a count, a quantity, a day) and its value in the order, for distances."""

    path: str
    term: z3.BoolRef
    literal: z3.BoolRef
    role: str = "choice"
    kind: str = ""
    choice: str = ""
    under: z3.BoolRef | None = None
    number: z3.ArithRef | None = None
    value: int | None = None
    slot: int | None = None
    field: ir.Field | None = None  # the field it fixes, to show its value (None: designations)
    vars: tuple = ()  # the variables it fixes, to pin them to another value


class OrderVars:
    def __init__(self, tariff: M.Tariff, ctx: z3.Context):
        self.ctx = ctx
        self.request = z3.Int("request", ctx)
        self.dates = {n: (z3.Int(f"order.{n}", ctx), z3.Bool(f"order.{n}.known", ctx)) for n in ir.ORDER_DATES}
        self.holds = {s: z3.Bool(f"holds.{s}", ctx) for s in tariff.services}
        self.holds_value = {(s.id, d.id, v): z3.Bool(f"holds.{s.id}.{d.id}.{v}", ctx)
                            for s in tariff.services.values() for d in s.dimensions.values() for v in d.values}

    def axioms(self) -> list[z3.BoolRef]:
        out = [self.request >= 0, self.request <= 2]
        for day, known in self.dates.values():
            out.append(z3.Implies(known, z3.And(day >= MIN_DAY, day <= MAX_DAY)))
        for (s, _, _), b in self.holds_value.items():
            out.append(z3.Implies(b, self.holds[s]))
        return out


class Slot:
    """The variables of one contract of an order, in its new and its old state."""

    def __init__(self, kind: M.ContractKind, index: int, ctx: z3.Context):
        self.kind = kind
        self.index = index
        self.ctx = ctx
        self.cancelled = z3.Bool(f"c{index}.cancelled", ctx)
        self.vars: dict[tuple, z3.ExprRef] = {}
        self.known: dict[tuple, z3.BoolRef] = {}
        # the order's structure (one value for both states) and the request's wording
        self.has_parent = z3.Bool(f"c{index}.has_parent", ctx)
        self.children = {k: z3.Int(f"c{index}.children.{k}", ctx) for k in kind.child_kinds}
        self.former = {("dim", d): z3.Bool(f"c{index}.former.{d}", ctx) for d in kind.dimensions}
        self.former.update({("opt", o): z3.Bool(f"c{index}.former.options.{o}", ctx) for o in kind.options})
        for state in ("new", "old"):
            pre = f"c{index}.{state}"
            for d in kind.dimensions:
                self.vars[("dim", (d,), state)] = z3.Int(f"{pre}.{d}", ctx)
            for q in kind.quantities:
                self.vars[("qty", (q,), state)] = z3.Int(f"{pre}.{q}", ctx)
            for f in kind.flags:
                self.vars[("flag", (f,), state)] = z3.Bool(f"{pre}.{f}", ctx)
            for d in kind.dates:
                self._date(("date", (d,), state), f"{pre}.{d}")
            for o in kind.options.values():
                op = f"{pre}.options.{o.id}"
                self.vars[("opt", (o.id,), state)] = z3.Bool(op, ctx)
                self.vars[("optcount", (o.id,), state)] = z3.Int(f"{op}.count", ctx)
                for q in o.quantities:
                    self.vars[("optqty", (o.id, q), state)] = z3.Int(f"{op}.{q}", ctx)
                for a in o.attributes.values():
                    for v in a.values:
                        self.vars[("optattr", (o.id, a.id, v), state)] = z3.Bool(f"{op}.{a.id}.{v}", ctx)
                for d in o.dates:
                    self._date(("optdate", (o.id, d), state), f"{op}.{d}")

    def _date(self, key, name):
        self.vars[key] = z3.Int(name, self.ctx)
        self.known[key] = z3.Bool(name + ".known", self.ctx)

    def value_index(self, dim: str, value: str | None) -> int:
        if value is None:
            return -1
        return list(self.kind.dimensions[dim].values).index(value)

    def axioms(self) -> list[z3.BoolRef]:
        out = [z3.And(n >= 0, n <= MAX_CONTRACTS) for n in self.children.values()]
        for state in ("new", "old"):
            for d in self.kind.dimensions.values():
                v = self.vars[("dim", (d.id,), state)]
                out.append(z3.And(v >= -1, v < len(d.values)))
            for q in self.kind.quantities:
                v = self.vars[("qty", (q,), state)]
                out.append(z3.And(v >= 0, v <= MAX_COUNT))
            for o in self.kind.options.values():
                present = self.vars[("opt", (o.id,), state)]
                count = self.vars[("optcount", (o.id,), state)]
                out.append(present == (count >= 1))
                out.append(z3.And(count >= 0, count <= (MAX_COUNT if o.counted else 1)))
                for q in o.quantities:
                    v = self.vars[("optqty", (o.id, q), state)]
                    out.append(z3.And(v >= 0, v <= MAX_COUNT, z3.Implies(z3.Not(present), v == 0)))
                for a in o.attributes.values():
                    for val in a.values:
                        out.append(z3.Implies(self.vars[("optattr", (o.id, a.id, val), state)], present))
                for d in o.dates:
                    out.append(z3.Implies(self.known[("optdate", (o.id, d), state)], present))
            for key, known in self.known.items():
                if key[2] == state:
                    day = self.vars[key]
                    out.append(z3.Implies(known, z3.And(day >= MIN_DAY, day <= MAX_DAY)))
        return out


class Encoder:
    """Compiles a tariff's rules over slots; one per tariff, reused for every order."""

    def __init__(self, tariff: M.Tariff, ctx: z3.Context | None = None):
        self.tariff = tariff
        self.ctx = ctx or new_context()
        self.order_vars = OrderVars(tariff, self.ctx)
        self._slots: dict[tuple[str, int], Slot] = {}
        self._instances: dict[tuple[str, int], list[Instance]] = {}
        self._memo: dict[tuple, object] = {}

    def slot(self, kind: str, index: int) -> Slot:
        key = (kind, index)
        if key not in self._slots:
            self._slots[key] = Slot(self.tariff.contracts[kind], index, self.ctx)
        return self._slots[key]

    def instances(self, kind: str, index: int) -> list[Instance]:
        key = (kind, index)
        if key not in self._instances:
            slot = self.slot(kind, index)
            out = []
            for rule in self.tariff.rules:
                if rule.scope != kind:
                    continue
                for subject in rule.subjects:
                    node = rule.condition(subject)
                    term = self.term(node, slot)
                    known = [self.known(f, slot) for f in ir.fields_of(node) if f.type == "date"]
                    if known:
                        term = z3.Implies(z3.And(known + [z3.BoolVal(True, self.ctx)]), term)
                    name = f"rule:{rule.id}:c{index}" + (f":{subject}" if subject else "")
                    out.append(Instance(rule, subject, index, z3.Bool(name, self.ctx), term))
            self._instances[key] = out
        return self._instances[key]

    # ---- facts: the order's values as constraints -------------------------------------------
    # A fact is a pure function of its contract's kind, its path, its role and the value the
    # order gives it, so each is built once: orders repeat values, and building Z3 terms in
    # Python is most of what opening an order costs. Bounded, for a long-running service.
    MEMO_SIZE = 100_000

    def memo(self, key: tuple, build):
        """`build()`, once per key: for terms that are pure functions of the key (facts, and
        what explain and repair derive from a choice's facts)."""
        x = self._memo.get(key)
        if x is None:
            if len(self._memo) >= self.MEMO_SIZE:
                self._memo.clear()
            x = self._memo[key] = build()
        return x

    def facts(self, order: Order) -> list[Fact]:
        ov = self.order_vars
        out: list[Fact] = []

        def add(path, value, term, role="choice", kind="", choice=None, number=None, field=None, vars=()):
            # `value` is what the term depends on; `term` builds it
            def build():
                return Fact(path, term(), z3.Bool(f"fact:{path}", self.ctx), role, kind, choice or path,
                            None, number, value if number is not None else None, None, field, vars)
            out.append(self.memo((None, path, role, value), build))

        request = REQUESTS.index(order.request)
        add("request", request, lambda: ov.request == request, "given", "request", vars=(ov.request,))
        for name, (day, known) in ov.dates.items():
            fld = ir.Field("odate", (name,), type="date")
            given = order.dates.get(name)
            add(name, given, lambda: z3.Not(known) if given is None else z3.And(known, day == given),
                kind="odate", number=day, field=fld, vars=(day, known))
        for s, b in ov.holds.items():
            held = s in order.holdings
            add(f"holdings.{s}", held, lambda: b if held else z3.Not(b), kind="holding",
                field=ir.Field("holds", (s,)), vars=(b,))
        for key, b in ov.holds_value.items():
            held = key in order.holding_values
            add(f"holdings.{'.'.join(key)}", held, lambda: b if held else z3.Not(b), kind="holding",
                choice=f"holdings.{key[0]}", vars=(b,))  # one choice: the service held, and how
        for entry in order.contracts:
            out.extend(self.entry_facts(entry))
        return out

    def entry_facts(self, entry: ContractEntry) -> list[Fact]:
        slot = self.slot(entry.kind, entry.index)
        kind = slot.kind
        out: list[Fact] = []
        base = f"contracts[{entry.index}]"

        def add(path, value, term, role="choice", kind="", choice=None, under=None, number=None,
                field=None, vars=()):
            # `value` is what the term depends on (the order's value); `term` builds it
            def build():
                return Fact(path, term(), z3.Bool(f"fact:{path}", self.ctx), role, kind, choice or path,
                            under, number, value if number is not None else None, entry.index, field, vars)
            out.append(self.memo((entry.kind, path, role, value), build))

        def pick(b, yes):
            return lambda: b if yes else z3.Not(b)

        add(f"{base}.cancelled", entry.cancelled, pick(slot.cancelled, entry.cancelled), "given", "cancelled",
            vars=(slot.cancelled,))
        has_parent = entry.parent is not None
        add(f"{base}.parent", has_parent, pick(slot.has_parent, has_parent),
            kind="parent", field=ir.Field("has_parent", ()), vars=(slot.has_parent,))
        for k, n in slot.children.items():
            count = entry.children.get(k, 0)
            add(f"{base}.children.{k}", count, lambda: n == count, kind="children", number=n,
                field=ir.Field("children", (k,), type="int"), vars=(n,))
        for (what, name), b in slot.former.items():
            path = f"{base}.{name}" if what == "dim" else f"{base}.options.{name}"
            former = (what, name) in entry.former
            add(f"{path}.former_name", former, pick(b, former), kind="former",
                field=ir.Field("former", (what, name)), vars=(b,))
        for state, st in (("new", entry.new), ("old", entry.old)):
            pre = base if state == "new" else base + ".current"
            # a contract as it is now, and one that the request ends, are given, not chosen
            role = "given" if state == "old" or entry.cancelled else "choice"
            v = slot.vars

            def fld(k, p, t="int"):
                return ir.Field(k, p, state, t)

            for d in kind.dimensions:
                x, i = v[("dim", (d,), state)], slot.value_index(d, st.dims.get(d))
                add(f"{pre}.{d}", i, lambda: x == i, role, "dim", field=fld("dim", (d,), "enum"), vars=(x,))
            for q in kind.quantities:
                x, n = v[("qty", (q,), state)], st.quantities.get(q, 0)
                add(f"{pre}.{q}", n, lambda: x == n, role, "qty", number=x, field=fld("qty", (q,)), vars=(x,))
            for f in kind.flags:
                b, on = v[("flag", (f,), state)], st.flags.get(f, False)
                add(f"{pre}.{f}", on, pick(b, on), role, "flag", field=fld("flag", (f,), "bool"), vars=(b,))
            for d in kind.dates:
                key = ("date", (d,), state)
                day = st.dates.get(d)
                add(f"{pre}.{d}", day, lambda: self._day_fact(slot, key, day), role, "date", number=v[key],
                    field=fld("date", (d,), "date"), vars=(v[key], slot.known[key]))
            for o in kind.options.values():
                opath = f"{pre}.options.{o.id}"
                ost = st.options.get(o.id)
                count = v[("optcount", (o.id,), state)]
                present = v[("opt", (o.id,), state)]
                ofield = fld("optcount", (o.id,))
                if ost is None:
                    add(opath, 0, lambda: z3.And(z3.Not(present), count == 0), role, "option", number=count,
                        field=ofield, vars=(count, present))
                    continue
                n = ost.count
                add(opath, n, lambda: z3.And(present, count == n), role, "option", number=count, field=ofield,
                    vars=(count, present))
                for q in o.quantities:
                    x, n = v[("optqty", (o.id, q), state)], ost.quantities.get(q, 0)
                    add(f"{opath}.{q}", n, lambda: x == n, role, "optqty", under=present, number=x,
                        field=fld("optqty", (o.id, q)), vars=(x,))
                for a in o.attributes.values():
                    for val in a.values:
                        b, on = v[("optattr", (o.id, a.id, val), state)], (a.id, val) in ost.designations
                        add(f"{opath}.{a.id}.{val}", on, pick(b, on), role, "optattr", choice=f"{opath}.{a.id}",
                            under=present, vars=(b,))
                for d in o.dates:
                    key = ("optdate", (o.id, d), state)
                    day = ost.dates.get(d)
                    add(f"{opath}.{d}", day, lambda: self._day_fact(slot, key, day), role, "optdate",
                        under=present, number=v[key], field=fld("optdate", (o.id, d), "date"),
                        vars=(v[key], slot.known[key]))
        return out

    def _day_fact(self, slot: Slot, key, day: int | None) -> z3.BoolRef:
        if day is None:
            return z3.Not(slot.known[key])
        return z3.And(slot.known[key], slot.vars[key] == day)

    # ---- terms ------------------------------------------------------------------------------
    def var(self, f: ir.Field, slot: Slot) -> z3.ExprRef:
        ov = self.order_vars
        if f.kind == "odate":
            return ov.dates[f.path[0]][0]
        if f.kind == "request":
            return ov.request == REQUESTS.index(f.path[0])
        if f.kind == "holds":
            return ov.holds[f.path[0]]
        if f.kind == "holds_value":
            return ov.holds_value[tuple(f.path)]
        if f.kind == "cancelled":
            return slot.cancelled if f.state == "new" else z3.BoolVal(False, self.ctx)
        if f.kind == "has_parent":
            return slot.has_parent
        if f.kind == "children":
            return slot.children[f.path[0]]
        if f.kind == "former":
            return slot.former[tuple(f.path)] if f.state == "new" else z3.BoolVal(False, self.ctx)
        return slot.vars[(f.kind, f.path, f.state)]

    def known(self, f: ir.Field, slot: Slot) -> z3.BoolRef:
        if f.kind == "odate":
            return self.order_vars.dates[f.path[0]][1]
        return slot.known[(f.kind, f.path, f.state)]

    def term(self, n: ir.Node, slot: Slot) -> z3.ExprRef:
        ctx = self.ctx
        if isinstance(n, ir.Field):
            return self.var(n, slot)
        if isinstance(n, ir.Const):
            if n.type == "bool":
                return z3.BoolVal(n.value, ctx)
            return z3.IntVal(n.value, ctx)
        if isinstance(n, ir.EnumIn):
            v = self.var(n.field, slot)
            return z3.Or([v == slot.value_index(n.field.dim, x) for x in sorted(n.values)]
                         + [z3.BoolVal(False, ctx)])
        if isinstance(n, ir.EnumEq):
            return self.var(n.left, slot) == self.var(n.right, slot)
        if isinstance(n, ir.Not):
            return z3.Not(self.term(n.operand, slot))
        if isinstance(n, ir.And):
            return z3.And([self.term(x, slot) for x in n.operands] + [z3.BoolVal(True, ctx)])
        if isinstance(n, ir.Or):
            return z3.Or([self.term(x, slot) for x in n.operands] + [z3.BoolVal(False, ctx)])
        if isinstance(n, ir.Implies):
            return z3.Implies(self.term(n.left, slot), self.term(n.right, slot))
        if isinstance(n, ir.Cmp):
            a, b = self.term(n.left, slot), self.term(n.right, slot)
            return {"==": lambda: a == b, "!=": lambda: a != b, "<": lambda: a < b, "<=": lambda: a <= b,
                    ">": lambda: a > b, ">=": lambda: a >= b}[n.op]()
        if isinstance(n, ir.Arith):
            a, b = self.term(n.left, slot), self.term(n.right, slot)
            if n.op == "+":
                return a + b
            if n.op == "-":
                return a - b
            if n.op == "*":
                return a * b
            return a % b
        if isinstance(n, ir.Neg):
            return -self.term(n.operand, slot)
        if isinstance(n, ir.Abs):
            x = self.term(n.operand, slot)
            return z3.If(x >= 0, x, -x)
        if isinstance(n, ir.CountTrue):
            return z3.Sum([z3.If(self.term(x, slot), z3.IntVal(1, ctx), z3.IntVal(0, ctx)) for x in n.operands]
                          + [z3.IntVal(0, ctx)])
        if isinstance(n, ir.Extreme):
            a, b = self.term(n.left, slot), self.term(n.right, slot)
            return z3.If(a >= b, a, b) if n.op == "max" else z3.If(a <= b, a, b)
        if isinstance(n, ir.DayOfMonth):
            return day_of_month(self.term(n.operand, slot))
        if isinstance(n, ir.AddMonths):
            return calendar_terms.add_months(self.term(n.operand, slot), n.months)
        if isinstance(n, ir.DayFn):
            x = self.term(n.operand, slot)
            if n.fn == "end_of_month":
                return calendar_terms.end_of_month(x)
            if n.fn == "first_of_next_month":
                return calendar_terms.first_of_next_month(x)
            return end_of_quarter(x)
        raise ValueError(f"the Z3 encoding cannot express {type(n).__name__}")


def end_of_quarter(day: z3.ArithRef) -> z3.ArithRef:
    """The last day of the calendar quarter of a day number."""
    year, month, _ = calendar_terms.civil_from_days(day)
    last_month = (month - 1) / 3 * 3 + 3
    return calendar_terms.days_from_civil(year, last_month, calendar_terms.days_in_month(year, last_month))


def day_of_month(day: z3.ArithRef) -> z3.ArithRef:
    """The day of the month of a day number (date.toordinal), for days from 0000-03-01 on."""
    z = day + 305  # days since 0000-03-01, the start of Hinnant's era arithmetic
    era = z / 146097
    doe = z - era * 146097
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    mp = (5 * doy + 2) / 153
    return doy - (153 * mp + 2) / 5 + 1
