"""Expressions to typed IR: the conditions, numbers and days a rule, period, derived day or fee is
written with.

Expressions resolves the expressions of one instance (one contract kind, one subject: the option a
declaration is `for`, or the contract): it binds each name to a field of the order, gives every
expression its type ("bool", "int", "date", "duration", "enum:DIM" for a dimension, "flags" for an
option's attribute) and turns it into the IR of model/ir.py. A mistake is recorded with the
Resolver of .declarations and stops the instance (Unresolved).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from ..model import ir
from ..model import tariff as M
from ..syntax import tree as S
from ..common.diagnostics import did_you_mean

if TYPE_CHECKING:
    from .declarations import Resolver

ORDER_BOOLS = {"is_new": "new", "is_change": "change", "is_cancellation": "cancellation"}

BUILTINS = {
    "exactly_one": "exactly_one(a, b, ...): exactly one of the options or designations",
    "at_most_one": "at_most_one(a, b, ...): at most one of them",
    "any_of": "any_of(a, b, ...): at least one of them",
    "old": "old(x): x as it was before this request",
    "changed": "changed(x): this request changes x",
    "added": "added(option): this request adds the option",
    "removed": "removed(option): this request ends the option",
    "applied_together": "applied_together(a, b): a and b are applied for in the same request",
    "ends_with": "ends_with(x, y): when y ends, x ends the same day (x, y: an option or `contract`)",
    "holds": "holds(service) or holds(service, item in {...}): the customer holds that service",
    "later_of": "later_of(d1, d2): the later of two days",
    "earlier_of": "earlier_of(d1, d2): the earlier of two days",
    "first_of_month": "first_of_month(d): d is the 1st of a month",
    "end_of_month": "end_of_month(d): the last day of d's month",
    "first_of_next_month": "first_of_next_month(d): the 1st of the month after d's",
    "end_of_quarter": "end_of_quarter(d): the last day of d's calendar quarter (Mar 31, Jun 30, Sep 30, Dec 31)",
    "multiple_of": "multiple_of(x, n): x is a multiple of the number n",
    "abs": "abs(x): the size of x",
    "count": "count(option): how many of the option are ordered",
    "children": "children(KIND): how many contracts of kind KIND in the order have this contract as parent",
    "former_name": "former_name(x): the request names x (a dimension's value or an option) by a name "
                   "that a supplementary provision replaced",
}


class Unresolved(Exception):
    """An expression could not be resolved; its diagnostic is already recorded."""


class Expressions:
    """Resolves the expressions of one instance of a declaration (one contract kind, one subject)."""

    def __init__(self, res: Resolver, contract: M.ContractKind, subject: str | None):
        self.res = res
        self.c = contract
        self.subject = subject

    def fail(self, code, message, span, label=None, help=None):
        self.res.error(code, message, span, label, help)
        raise Unresolved

    # typed entry points
    def boolean(self, e: S.Expr) -> ir.Node:
        return self.typed(e, "bool")

    def typed(self, e: S.Expr, want: str) -> ir.Node:
        node, t = self.expr(e)
        if _base(t) != want:
            self.fail("E004", f"expected {_words(want)}, found {_words(t)}", e.span, f"this is {_words(t)}",
                      help=_type_help(want, t))
        return node

    # ---- the cases ----------------------------------------------------------------------
    def expr(self, e: S.Expr) -> tuple[ir.Node, str]:
        if isinstance(e, S.IntLit):
            return ir.Const(e.value, "int"), "int"
        if isinstance(e, S.BoolLit):
            return ir.Const(e.value, "bool"), "bool"
        if isinstance(e, S.DateLit):
            return ir.Const(date.fromisoformat(e.text).toordinal(), "date"), "date"
        if isinstance(e, S.DurationLit):
            return ir.Const((e.amount, e.unit), "duration"), "duration"
        if isinstance(e, S.RefExpr):
            return self.ref(e.ref)
        if isinstance(e, S.Not):
            return ir.Not(self.boolean(e.operand)), "bool"
        if isinstance(e, S.Neg):
            return ir.Neg(self.typed(e.operand, "int")), "int"
        if isinstance(e, S.BoolOp):
            ops = tuple(self.boolean(x) for x in e.operands)
            if e.op == "and":
                return ir.And(ops), "bool"
            if e.op == "or":
                return ir.Or(ops), "bool"
            return ir.Implies(ops[0], ops[1]), "bool"
        if isinstance(e, S.Member):
            return self.member(e), "bool"
        if isinstance(e, S.Compare):
            return self.compare(e), "bool"
        if isinstance(e, S.Arith):
            return self.arith(e)
        if isinstance(e, S.Call):
            return self.call(e)
        self.fail("E009", "this expression is not supported here", e.span)

    def option_ref(self, ref: S.Ref, allow_contract: bool = False) -> M.Option | None:
        head = ref.parts[0]
        if head == "it" and not ref.quoted[0]:
            if self.subject is None:
                self.fail("E002", "`it` means the option a rule is `for`, and this rule has none", ref.span,
                          "no subject", help="write `for OPTION require ...`, or name the option")
            return self.c.options[self.subject]
        if allow_contract and head == "contract" and not ref.quoted[0]:
            return None
        o = self.c.option(head)
        if o is None:
            self.fail("E002", f"option `{ref}` is not defined", ref.span, f"not an option of `{self.c.id}`",
                      help=did_you_mean(head, option_names(self.c)))
        return o

    def ref(self, ref: S.Ref) -> tuple[ir.Node, str]:
        head = ref.parts[0]
        rest = ref.parts[1:]
        if len(ref.parts) == 1 and not ref.quoted[0]:
            if head in ir.ORDER_DATES:
                return ir.Field("odate", (head,), type="date"), "date"
            if head in ORDER_BOOLS:
                return ir.Field("request", (ORDER_BOOLS[head],)), "bool"
            if head == "cancelled":
                return ir.Field("cancelled", ()), "bool"
            if head == "has_parent":
                if self.c.parent is None:
                    self.fail("E002", f"`has_parent` is about child contracts, and `{self.c.id}` has no parent",
                              ref.span, "no parent kind", help="declare `parent KIND` on the contract")
                return ir.Field("has_parent", ()), "bool"
        if not (head == "it" and not ref.quoted[0]):
            member = self.c.member(head)
            if member is not None:
                if rest:
                    self.fail("E002", f"`{ref}` has no part `{rest[0]}`", ref.span,
                              f"`{head}` is not an option", help="only options have parts (`tunnel.count`)")
                if isinstance(member, M.Dimension):
                    return ir.Field("dim", (member.id,), type="enum", dim=member.id), f"enum:{member.id}"
                if isinstance(member, M.Quantity):
                    return ir.Field("qty", (member.id,), type="int"), "int"
                if isinstance(member, M.Flag):
                    return ir.Field("flag", (member.id,)), "bool"
                return ir.Field("date", (member.id,), type="date"), "date"
        if not (head == "it" and not ref.quoted[0]) and self.c.option(head) is None:
            names = ([m for m in self.c.dimensions] + list(self.c.quantities) + list(self.c.flags)
                     + list(self.c.dates) + option_names(self.c) + list(ir.ORDER_DATES) + list(ORDER_BOOLS))
            self.fail("E002", f"`{ref}` is not defined", ref.span, "unknown name",
                      help=did_you_mean(head, names) or "names are declared in the contract block")
        o = self.option_ref(ref)
        if not rest:
            return ir.Field("opt", (o.id,)), "bool"
        part = rest[0]
        if part == "count":
            if len(rest) > 1:
                self.fail("E002", f"`{ref}` has too many parts", ref.span)
            return ir.Field("optcount", (o.id,), type="int"), "int"
        q = M.lookup(o.quantities, part)
        if q is not None and len(rest) == 1:
            return ir.Field("optqty", (o.id, q.id), type="int"), "int"
        d = M.lookup(o.dates, part)
        if d is not None and len(rest) == 1:
            return ir.Field("optdate", (o.id, d.id), type="date"), "date"
        a = M.lookup(o.attributes, part)
        if a is not None:
            if len(rest) == 1:
                return ("flags", tuple(ir.Field("optattr", (o.id, a.id, v)) for v in a.values)), "flags"
            v = a.lookup(rest[1])
            if v is None or len(rest) > 2:
                self.fail("E002", f"`{rest[1]}` is not a value of `{a.id}`", ref.span, "unknown value",
                          help=did_you_mean(rest[1], list(a.values) + [x.label for x in a.values.values()]))
            return ir.Field("optattr", (o.id, a.id, v.id)), "bool"
        parts = ["count"] + list(o.quantities) + list(o.dates) + list(o.attributes)
        self.fail("E002", f"option `{o.id}` has no `{part}`", ref.span, "unknown part",
                  help=did_you_mean(part, parts) or f"`{o.id}` has: " + ", ".join(f"`{p}`" for p in parts))

    def enum_value(self, dim_id: str, ref: S.Ref, service: M.Service | None = None) -> str:
        dim = (service.dimensions if service else self.c.dimensions)[dim_id]
        v = None
        if len(ref.parts) == 1:
            if service is not None:
                v, via = service.lookup_value(dim, ref.parts[0])
                where = f" in `{service.tariff}`"
            else:
                v, via = dim.lookup(ref.parts[0]), None
                if v is None:
                    via = M.find_rename(self.res.renames, "value", dim.id, ref.parts[0])
                    v = dim.values[via.target[-1]] if via is not None else None
                where = ""
            if via is not None:
                self.res.renamed(via, v.label, ref.span, where)
        if v is None:
            owner = f" of the linked tariff `{service.tariff}`" if service is not None and service.linked else ""
            self.fail("E004", f"`{ref}` is not a value of `{dim.id}`{owner}", ref.span, f"not a {dim.label}",
                      help=did_you_mean(ref.parts[-1], list(dim.values) + [x.label for x in dim.values.values()])
                      or f"the values of `{dim.id}` are: " + ", ".join(dim.values))
        return v.id

    def member(self, e: S.Member) -> ir.Node:
        node, t = self.expr(e.operand)
        if not t.startswith("enum:"):
            self.fail("E004", f"`in {{...}}` needs a dimension such as the item, found {_words(t)}",
                      e.operand.span, f"this is {_words(t)}", help="write e.g. `item in {itam_l, itam_x}`")
        values = frozenset(self.enum_value(t[5:], r) for r in e.values)
        return ir.EnumIn(node, values)

    def compare(self, e: S.Compare) -> ir.Node:
        # `item == itam_l`: a bare name on one side of an enum comparison is one of its values
        left_enum = self._maybe_enum(e.left)
        right_enum = self._maybe_enum(e.right)
        if left_enum or right_enum:
            if e.op not in ("==", "!="):
                self.fail("E004", f"`{e.op}` does not order the values of a dimension", e.span,
                          help="compare a dimension with `==`, `!=` or `in {...}`")
            if left_enum and right_enum:
                (ln, lt), (rn, rt) = left_enum, right_enum
                if lt != rt:
                    self.fail("E004", f"cannot compare {_words(lt)} with {_words(rt)}", e.span)
                node = ir.EnumEq(ln, rn)
            else:
                (fn, ft), other = (left_enum, e.right) if left_enum else (right_enum, e.left)
                if not isinstance(other, S.RefExpr):
                    self.fail("E004", f"cannot compare {_words(ft)} with this", other.span,
                              help=f"compare with a value of `{ft[5:]}`")
                node = ir.EnumIn(fn, frozenset([self.enum_value(ft[5:], other.ref)]))
            return ir.Not(node) if e.op == "!=" else node
        ln, lt = self.expr(e.left)
        rn, rt = self.expr(e.right)
        if lt != rt or lt in ("duration", "flags"):
            self.fail("E004", f"cannot compare {_words(lt)} with {_words(rt)}", e.span, "mismatched kinds",
                      help="both sides must be numbers, days, or conditions")
        if lt == "bool" and e.op not in ("==", "!="):
            self.fail("E004", f"`{e.op}` does not order conditions", e.span)
        return ir.Cmp(e.op, ln, rn)

    def _maybe_enum(self, e: S.Expr):
        if isinstance(e, S.RefExpr) and len(e.ref.parts) == 1:
            m = self.c.member(e.ref.parts[0])
            if isinstance(m, M.Dimension):
                return ir.Field("dim", (m.id,), type="enum", dim=m.id), f"enum:{m.id}"
        if isinstance(e, S.Call) and e.name == "old" and len(e.args) == 1:
            inner = self._maybe_enum(e.args[0])
            if inner:
                return ir.with_state(inner[0], "old"), inner[1]
        return None

    def arith(self, e: S.Arith) -> tuple[ir.Node, str]:
        ln, lt = self.expr(e.left)
        rn, rt = self.expr(e.right)
        if lt == "date" and rt == "duration" and e.op in ("+", "-"):
            amount, unit = rn.value
            if unit != "day":
                return ir.AddMonths(ln, amount * (12 if unit == "year" else 1) * (1 if e.op == "+" else -1)), "date"
            return ir.Arith(e.op, ln, ir.Const(amount, "int"), type="date"), "date"
        if lt == "date" and rt == "date" and e.op == "-":
            return ir.Arith("-", ln, rn, type="int"), "int"
        if lt != "int" or rt != "int":
            self.fail("E004", f"cannot apply `{e.op}` to {_words(lt)} and {_words(rt)}", e.span,
                      help="arithmetic is on numbers; a day may have days added (`d + 30 days`)")
        if e.op == "*" and not (isinstance(ln, ir.Const) or isinstance(rn, ir.Const)):
            self.fail("E009", "a product needs a number on one side", e.span, help="write e.g. `10 * tunnel.count`")
        if e.op == "%" and not (isinstance(rn, ir.Const) and rn.value > 0):
            self.fail("E009", "`%` needs a positive number on its right", e.span, help="write e.g. `x % 25`")
        return ir.Arith(e.op, ln, rn), "int"

    def flag_list(self, args, name, span) -> tuple[ir.Node, ...]:
        out = []
        for a in args:
            n, t = self.expr(a)
            if t == "flags":
                out.extend(n[1])
            elif t == "bool":
                out.append(n)
            else:
                self.fail("E010", f"`{name}` counts options and conditions, not {_words(t)}", a.span,
                          help=BUILTINS[name])
        if not out:
            self.fail("E010", f"`{name}` needs at least one argument", span, help=BUILTINS[name])
        return tuple(out)

    def call(self, e: S.Call) -> tuple[ir.Node, str]:
        name, args = e.name, e.args
        if name not in BUILTINS:
            self.fail("E010", f"`{name}` is not a function of the tariff language", e.span, "unknown function",
                      help=did_you_mean(name, BUILTINS) or "functions: " + ", ".join(BUILTINS))

        def arity(n):
            if len(args) != n:
                self.fail("E010", f"`{name}` takes {n} argument{'s' if n != 1 else ''}, found {len(args)}",
                          e.span, help=BUILTINS[name])

        def option_arg(a, allow_contract=False):
            if not isinstance(a, S.RefExpr) or len(a.ref.parts) != 1:
                self.fail("E010", f"`{name}` takes an option here", a.span, help=BUILTINS[name])
            return self.option_ref(a.ref, allow_contract)

        if name in ("exactly_one", "at_most_one", "any_of"):
            flags = self.flag_list(args, name, e.span)
            if name == "any_of":
                return ir.Or(flags), "bool"
            return ir.Cmp("==" if name == "exactly_one" else "<=", ir.CountTrue(flags), ir.Const(1, "int")), "bool"
        if name == "old":
            arity(1)
            node, t = self.expr(args[0])
            if t == "flags":
                self.fail("E010", "`old` takes one value", e.span, help=BUILTINS[name])
            return ir.with_state(node, "old"), t
        if name == "changed":
            arity(1)
            node, t = self.expr(args[0])
            if t == "flags" or not ir.fields_of(node):
                self.fail("E010", "`changed` takes a field of the order", e.span, help=BUILTINS[name])
            if t.startswith("enum:"):
                return ir.Not(ir.EnumEq(node, ir.with_state(node, "old"))), "bool"
            return ir.Cmp("!=", node, ir.with_state(node, "old")), "bool"
        if name in ("added", "removed"):
            arity(1)
            o = option_arg(args[0])
            new, old = ir.Field("opt", (o.id,)), ir.Field("opt", (o.id,), state="old")
            return (ir.And((new, ir.Not(old))) if name == "added" else ir.And((old, ir.Not(new)))), "bool"
        if name == "applied_together":
            arity(2)
            a, b = option_arg(args[0], True), option_arg(args[1], True)
            if a is None and b is None:
                self.fail("E010", "`applied_together` relates an option to an option or to `contract`", e.span,
                          help=BUILTINS[name])

            def present(x):  # the contract itself is present in the state a request leaves
                return ir.TRUE if x is None else ir.Field("opt", (x.id,))

            def added(x):  # the contract is "added" when it did not exist before: a new order
                if x is None:
                    return ir.Field("request", ("new",))
                return ir.And((ir.Field("opt", (x.id,)), ir.Not(ir.Field("opt", (x.id,), state="old"))))

            both = ir.And((present(a), present(b)))
            return ir.Implies(both, ir.Cmp("==", added(a), added(b))), "bool"
        if name == "ends_with":
            arity(2)
            x, y = option_arg(args[0], True), option_arg(args[1], True)

            def ended(o):
                cancelled = ir.Field("cancelled", ())
                if o is None:
                    return cancelled
                old = ir.Field("opt", (o.id,), state="old")
                return ir.And((old, ir.Or((ir.Not(ir.Field("opt", (o.id,))), cancelled))))

            def existed(o):
                return ir.TRUE if o is None else ir.Field("opt", (o.id,), state="old")

            # only what was there can end: an option never ordered does not break the cascade
            return ir.Implies(ir.And((ended(y), existed(x))), ended(x)), "bool"
        if name == "holds":
            if len(args) not in (1, 2):
                self.fail("E010", f"`holds` takes 1 or 2 arguments, found {len(args)}", e.span, help=BUILTINS[name])
            a = args[0]
            svc = None
            if isinstance(a, S.RefExpr) and len(a.ref.parts) == 1:
                svc = self.res.tree and M.lookup(self.res.services_by_id, a.ref.parts[0])
            if svc is None:
                self.fail("E002", f"service `{_show(a)}` is not declared", a.span, "unknown service",
                          help=did_you_mean(_show(a), list(self.res.services_by_id)
                                            + [s.label for s in self.res.services_by_id.values()])
                          or 'declare it: `service iij_id "IIJ ID サービス"`')
            if len(args) == 1:
                return ir.Field("holds", (svc.id,)), "bool"
            cond = args[1]
            if not isinstance(cond, S.Member) or not isinstance(cond.operand, S.RefExpr):
                self.fail("E010", "the second argument of `holds` is `DIMENSION in {...}`", cond.span,
                          help=BUILTINS[name])
            dim = M.lookup(svc.dimensions, cond.operand.ref.parts[0])
            if dim is None:
                self.fail("E002", f"service `{svc.id}` has no dimension `{cond.operand.ref}`", cond.operand.span,
                          help=did_you_mean(cond.operand.ref.parts[0], svc.dimensions))
            values = [self.enum_value(dim.id, r, svc) for r in cond.values]
            return ir.Or(tuple(ir.Field("holds_value", (svc.id, dim.id, v)) for v in values)), "bool"
        if name in ("later_of", "earlier_of"):
            arity(2)
            return ir.Extreme("max" if name == "later_of" else "min", self.typed(args[0], "date"),
                              self.typed(args[1], "date")), "date"
        if name in ir.DAY_FNS:
            arity(1)
            return ir.DayFn(name, self.typed(args[0], "date")), "date"
        if name == "first_of_month":
            arity(1)
            return ir.Cmp("==", ir.DayOfMonth(self.typed(args[0], "date")), ir.Const(1, "int")), "bool"
        if name == "multiple_of":
            arity(2)
            x = self.typed(args[0], "int")
            n = args[1]
            if not isinstance(n, S.IntLit) or n.value <= 0:
                self.fail("E010", "`multiple_of` needs a positive number second", n.span, help=BUILTINS[name])
            return ir.Cmp("==", ir.Arith("%", x, ir.Const(n.value, "int")), ir.Const(0, "int")), "bool"
        if name == "abs":
            arity(1)
            return ir.Abs(self.typed(args[0], "int")), "int"
        if name == "children":
            arity(1)
            a = args[0]
            kind = None
            if isinstance(a, S.RefExpr) and len(a.ref.parts) == 1:
                kind = M.lookup(self.res.contracts_by_id, a.ref.parts[0])
            if kind is None or kind.parent != self.c.id:
                kids = [k.id for k in self.res.contracts_by_id.values() if k.parent == self.c.id]
                self.fail("E002", f"`{_show(a)}` is not a kind of child contract of `{self.c.id}`", a.span,
                          "not a child kind", help=("children of `" + self.c.id + "`: " + ", ".join(kids)) if kids
                          else f"no contract declares `parent {self.c.id}`")
            return ir.Field("children", (kind.id,), type="int"), "int"
        if name == "former_name":
            arity(1)
            a = args[0]
            if isinstance(a, S.RefExpr) and len(a.ref.parts) == 1:
                m = self.c.member(a.ref.parts[0])
                if isinstance(m, M.Dimension):
                    return ir.Field("former", ("dim", m.id)), "bool"
                if a.ref.parts[0] == "it" or self.c.option(a.ref.parts[0]) is not None:
                    return ir.Field("former", ("opt", self.option_ref(a.ref).id)), "bool"
            self.fail("E010", "`former_name` takes a dimension (`item`) or an option", a.span, help=BUILTINS[name])
        # count
        arity(1)
        o = option_arg(args[0])
        return ir.Field("optcount", (o.id,), type="int"), "int"


def _show(e: S.Expr) -> str:
    return str(e.ref) if isinstance(e, S.RefExpr) else "this"


def _base(t: str) -> str:
    return "enum" if t.startswith("enum:") else t


def _words(t: str) -> str:
    if t.startswith("enum:"):
        return f"the dimension `{t[5:]}`"
    return {"bool": "a condition", "int": "a number", "date": "a day", "duration": "a length of time",
            "flags": "a set of designations", "enum": "a dimension"}.get(t, t)


def _type_help(want: str, found: str) -> str:
    if want == "bool" and found.startswith("enum:"):
        return f"compare it with a value: `{found[5:]} == VALUE` or `{found[5:]} in {{...}}`"
    if want == "bool" and found == "int":
        return "compare the number: e.g. `accounts >= 50`"
    return f"write {_words(want)} here"


def option_names(contract: M.ContractKind) -> list[str]:
    """The ids and official names of a contract's options, the candidates of a "did you mean"."""
    return [o.id for o in contract.options.values()] + [o.label for o in contract.options.values()]
