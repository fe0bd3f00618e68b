"""The solver's variables of an order: one slot per contract, and the order's own variables.

A slot holds a contract's fields in its new and its old state, its structure (does it name a
parent, how many children of each kind it has) and the request's wording (is it cancelled,
which names were written by their former name). Which variables a field has, and what holds
of them in every order, each kind of field says itself (model/fields.py): this module only
declares them, in a fixed order, and hands out a field's variable (`Slot.term`).
"""

from __future__ import annotations

import z3

from ..model import fields as F
from ..model import ir
from ..model import tariff as M
from ..model.limits import MAX_DAY, MIN_DAY


class Z3Terms:
    """model.fields.Terms over one Z3 context.

    Boolean constants and connectives of Boolean terms go to Z3's C API directly: z3py's own
    cast and sort-check each argument (and look up the Boolean sort) on every call, which cost
    more than the term. The terms are the ones z3py would make, in the same order; anything
    else (a Python bool among the arguments, say) goes through z3py."""

    def __init__(self, ctx: z3.Context):
        self.ctx = ctx
        self._bool_sort = z3.BoolSort(ctx)

    def int(self, name: str) -> z3.ArithRef:
        return z3.Int(name, self.ctx)

    def bool(self, name: str) -> z3.BoolRef:
        ctx = self.ctx
        return z3.BoolRef(z3.Z3_mk_const(ctx.ref(), z3.to_symbol(name, ctx), self._bool_sort.ast), ctx)

    def false(self) -> z3.BoolRef:
        return z3.BoolVal(False, self.ctx)

    @staticmethod
    def And(*args) -> z3.BoolRef:
        terms = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
        if not terms or not all(isinstance(t, z3.BoolRef) for t in terms):
            return z3.And(*args)
        ctx = terms[0].ctx
        return z3.BoolRef(z3.Z3_mk_and(ctx.ref(), len(terms), (z3.Ast * len(terms))(*[t.as_ast() for t in terms])),
                          ctx)

    @staticmethod
    def Not(a) -> z3.BoolRef:
        if not isinstance(a, z3.BoolRef):
            return z3.Not(a)
        return z3.BoolRef(z3.Z3_mk_not(a.ctx.ref(), a.as_ast()), a.ctx)

    @staticmethod
    def Implies(a, b) -> z3.BoolRef:
        if not (isinstance(a, z3.BoolRef) and isinstance(b, z3.BoolRef)):
            return z3.Implies(a, b)
        return z3.BoolRef(z3.Z3_mk_implies(a.ctx.ref(), a.as_ast(), b.as_ast()), a.ctx)


def _declare(z: Z3Terms, kind: F.FieldKind, name: str):
    return z.int(name) if kind.sort == "int" else z.bool(name)


class OrderVars:
    """The order's own fields: the kind of request, its dates, the services the customer holds."""

    def __init__(self, tariff: M.Tariff, ctx: z3.Context):
        self.ctx = ctx
        self.z = Z3Terms(ctx)
        self.request = z3.Int("request", ctx)
        self.dates = {n: (z3.Int(f"order.{n}", ctx), z3.Bool(f"order.{n}.known", ctx)) for n in ir.ORDER_DATES}
        self.holds = {s: z3.Bool(f"holds.{s}", ctx) for s in tariff.services}
        self.flags = {f: z3.Bool(f"order.flag.{f}", ctx) for f in tariff.request_flags}
        self.holds_value = {(s.id, d.id, v): z3.Bool(f"holds.{s.id}.{d.id}.{v}", ctx)
                            for s in tariff.services.values() for d in s.dimensions.values() for v in d.values}

    def axioms(self) -> list[z3.BoolRef]:
        out = [self.request >= 0, self.request <= len(F.REQUESTS) - 1]
        for day, known in self.dates.values():
            out.append(z3.Implies(known, z3.And(day >= MIN_DAY, day <= MAX_DAY)))
        for (s, _, _), b in self.holds_value.items():
            out.append(z3.Implies(b, self.holds[s]))
        return out

    def term(self, f: ir.Field) -> z3.ExprRef:
        if f.kind == "odate":
            return self.dates[f.path[0]][0]
        if f.kind == "request":
            return self.request == F.Request.number(f.path[0])
        if f.kind == "holds":
            return self.holds[f.path[0]]
        if f.kind == "oflag":
            return self.flags[f.path[0]]
        return self.holds_value[tuple(f.path)]


class Slot:
    """The variables of one contract of an order, in its new and its old state.

    A slot's variables are named after its index (`c3.new.accounts`); a kind's template slot
    (index -1, `template.KIND.new.accounts`) is where the encoder builds a kind's terms once,
    to copy them into each slot of that kind (`copy_terms`)."""

    def __init__(self, kind: M.ContractKind, index: int, ctx: z3.Context):
        self.kind = kind
        self.index = index
        self.ctx = ctx
        z = self.z = Z3Terms(ctx)
        c = self.name = f"c{index}" if index >= 0 else f"template.{kind.id}"
        self.cancelled = z3.Bool(f"{c}.cancelled", ctx)
        self.vars: dict[tuple, z3.ExprRef] = {}  # (kind id, path, state) -> variable
        self.known: dict[tuple, z3.BoolRef] = {}  # the same key -> "the order states this day"
        # where each field goes as a fact, and which rows are which (facts.py `_rows`), on first use
        self.fact_rows: list[tuple] | None = None
        self.fact_plan: dict | None = None
        self.absent_values: dict[tuple, list] = {}  # (state, role, option) -> an absent option's facts (facts.py)
        self.copied_from: tuple | None = None  # (template, its variables and this slot's as arrays): copy_terms
        self._fields: list | None = None
        # the order's structure (one value for both states) and the request's wording
        self.has_parent = z3.Bool(f"{c}.has_parent", ctx)
        children = F.KINDS["children"]
        self.children = {p[0]: _declare(z, children, f"{c}.children.{p[0]}") for p in children.paths(kind)}
        former = F.KINDS["former"]
        self.former = {p: z3.Bool(f"{c}.{former.var_name(p)}", ctx) for p in former.paths(kind)}
        for state in F.STATES:
            for fk, path in self.fields():
                name = f"{c}.{state}.{fk.var_name(path)}"
                key = (fk.id, path, state)
                self.vars[key] = _declare(z, fk, name)
                if fk.dated:
                    self.known[key] = z3.Bool(name + ".known", ctx)

    def fields(self) -> list[tuple[F.FieldKind, tuple]]:
        """Each field of a contract's state, in the order they are declared: the contract's own,
        then each option's."""
        if self._fields is None:  # the same every time: built once (a readback asks per model)
            out = [(fk, p) for fk in F.STATE_KINDS for p in fk.paths(self.kind)]
            for o in self.kind.options.values():
                out += [(fk, p) for fk in F.OPTION_KINDS for p in fk.paths(self.kind, o)]
            self._fields = out
        return list(self._fields)

    def variables(self) -> list[z3.ExprRef]:
        """Every variable of the slot, in the order they are declared (the same order in every
        slot of a kind, which is what lets `copy_terms` pair them)."""
        return ([self.cancelled, self.has_parent] + list(self.children.values()) + list(self.former.values())
                + list(self.vars.values()) + list(self.known.values()))

    # ---- the face: a field's variable -----------------------------------------------------------
    def var(self, kind: F.FieldKind | str, path: tuple, state: str = "new") -> z3.ExprRef:
        """The variable of a field of the contract's state."""
        return self.vars[(kind if isinstance(kind, str) else kind.id, tuple(path), state)]

    def known_of(self, kind: F.FieldKind | str, path: tuple, state: str = "new") -> z3.BoolRef:
        return self.known[(kind if isinstance(kind, str) else kind.id, tuple(path), state)]

    def term(self, f: ir.Field) -> z3.ExprRef:
        """What a (contract-level) IR field reads, in this slot."""
        k = f.kind
        if k == "cancelled":
            return self.cancelled if f.state == "new" else z3.BoolVal(False, self.ctx)
        if k == "has_parent":
            return self.has_parent
        if k == "children":
            return self.children[f.path[0]]
        if k == "former":
            return self.former[tuple(f.path)] if f.state == "new" else z3.BoolVal(False, self.ctx)
        return self.vars[(k, f.path, f.state)]

    def dimension(self, dim: str, state: str = "new") -> z3.ArithRef:
        """A dimension's variable: the index of its value, -1 when it is not set."""
        return self.vars[("dim", (dim,), state)]

    def option(self, option: str, state: str = "new") -> z3.BoolRef:
        """Is the option ordered?"""
        return self.vars[("opt", (option,), state)]

    def value_index(self, dim: str, value: str | None) -> int:
        if value is None:
            return -1
        return list(self.kind.dimensions[dim].values).index(value)

    def required_set(self, state: str = "new") -> list[z3.BoolRef]:
        """Every dimension that is not optional has a value: what every complete contract has
        that the axioms leave free."""
        return [self.dimension(d.id, state) >= 0 for d in self.kind.dimensions.values() if not d.optional]

    def as_it_was(self) -> list[z3.BoolRef]:
        """A contract a cancellation ends is as it was: its new state equals its old one."""
        out = [x == self.vars[(what, path, "old")] for (what, path, state), x in self.vars.items() if state == "new"]
        out += [k == self.known[(what, path, "old")] for (what, path, state), k in self.known.items()
                if state == "new"]
        return out

    def axioms(self) -> list[z3.BoolRef]:
        children = F.KINDS["children"]
        out = [a for n in self.children.values() for a in children.axioms(self.z, n, self, (), "new")]
        fields = self.fields()
        for state in F.STATES:
            for fk, path in fields:
                out += fk.axioms(self.z, self.vars[(fk.id, path, state)], self, path, state)
            for key, known in self.known.items():
                if key[2] == state:
                    day = self.vars[key]
                    out.append(z3.Implies(known, z3.And(day >= MIN_DAY, day <= MAX_DAY)))
        return out


def copy_terms(terms: list[z3.BoolRef], template: Slot, slot: Slot, also=()) -> list[z3.BoolRef]:
    """Formulas built over a template slot's variables, rewritten over another slot of its kind.

    Building a term through Z3's Python API costs tens of microseconds a node, and a kind's
    axioms and rules are thousands of nodes: built once over the template and copied here, a
    slot costs its variables and one substitution. The substitution goes straight to Z3's C
    API: z3py's `substitute` and `And` check every pair's sorts in Python on each call, which
    cost more than the copy (the pairs are a kind's variables in declaration order, alike by
    construction). `also` pairs further constants of the template with the slot's (its rules'
    literals)."""
    if not terms:
        return []
    ctx = slot.ctx
    if also:
        src = template.variables() + [a for a, _ in also]
        dst = slot.variables() + [b for _, b in also]
        n = len(src)
        old = (z3.Ast * n)(*[x.as_ast() for x in src])
        new = (z3.Ast * n)(*[x.as_ast() for x in dst])
    else:
        n, old, new = _pairs(template, slot)
    args = (z3.Ast * len(terms))(*[t.as_ast() for t in terms])
    # one conjunction carries them all through one call; Z3 builds `and` with the arguments given
    bundle = z3.BoolRef(z3.Z3_mk_and(ctx.ref(), len(terms), args), ctx)
    copied = z3.BoolRef(z3.Z3_substitute(ctx.ref(), bundle.as_ast(), n, old, new), ctx)
    if len(terms) == 1:
        return [copied.arg(0)] if z3.is_and(copied) and copied.num_args() == 1 else [copied]
    if z3.Z3_get_app_num_args(ctx.ref(), copied.as_ast()) != len(terms):
        raise AssertionError("copying a template's terms changed their number")
    return [z3.BoolRef(z3.Z3_get_app_arg(ctx.ref(), copied.as_ast(), i), ctx) for i in range(len(terms))]


def _pairs(template: Slot, slot: Slot) -> tuple:
    """The arrays of the template's variables and the slot's, for Z3_substitute: the same on
    every copy (an order's new facts are copied one by one as they come), so made once per slot.
    The slots' variables keep the arrays' terms alive."""
    got = slot.copied_from
    if got is None or got[0] is not template:
        src, dst = template.variables(), slot.variables()
        got = slot.copied_from = (template, len(src), (z3.Ast * len(src))(*[x.as_ast() for x in src]),
                                  (z3.Ast * len(dst))(*[x.as_ast() for x in dst]))
    return got[1:]
