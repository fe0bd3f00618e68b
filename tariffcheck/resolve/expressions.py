"""Expressions to typed IR: the conditions, numbers and days a rule, period, derived day or fee is
written with.

Expressions resolves the expressions of one instance (one contract kind, one subject: the option a
declaration is `for`, or the contract): it binds each name to a field of the order, gives every
expression its type (.types) and turns it into the IR of model/ir.py; a call is handed to its
descriptor in .builtins. A mistake is recorded with the Resolver of .declarations and stops the
instance (Unresolved).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from ..model import ir
from ..model import tariff as M
from ..syntax import tree as S
from ..common.diagnostics import did_you_mean
from .builtins import BUILTINS
from .types import base, type_help, words

if TYPE_CHECKING:
    from .declarations import Resolver

# the conditions that say what kind of request the order is
ORDER_BOOLS = {"is_new": "new", "is_change": "change", "is_cancellation": "cancellation"}


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
        if base(t) != want:
            self.fail("E004", f"expected {words(want)}, found {words(t)}", e.span, f"this is {words(t)}",
                      help=type_help(want, t))
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
            if head in self.res.request_flags:
                return ir.Field("oflag", (head,)), "bool"
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
        if len(ref.parts) == 1 and not ref.quoted[0] and head in getattr(self.res, "derived_by_id", {}):
            return self.derived_day(head, ref), "date"
        if not (head == "it" and not ref.quoted[0]) and self.c.option(head) is None:
            names = ([m for m in self.c.dimensions] + list(self.c.quantities) + list(self.c.flags)
                     + list(self.c.dates) + option_names(self.c) + list(ir.ORDER_DATES) + list(ORDER_BOOLS)
                     + list(self.res.request_flags))
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
        f = M.lookup(o.flags, part)
        if f is not None and len(rest) == 1:
            return ir.Field("optflag", (o.id, f.id)), "bool"
        a = M.lookup(o.attributes, part)
        if a is not None:
            if len(rest) == 1:
                return ("flags", tuple(ir.Field("optattr", (o.id, a.id, v)) for v in a.values)), "flags"
            v = a.lookup(rest[1])
            if v is None or len(rest) > 2:
                self.fail("E002", f"`{rest[1]}` is not a value of `{a.id}`", ref.span, "unknown value",
                          help=did_you_mean(rest[1], list(a.values) + [x.label for x in a.values.values()]))
            return ir.Field("optattr", (o.id, a.id, v.id)), "bool"
        parts = ["count"] + list(o.quantities) + list(o.flags) + list(o.dates) + list(o.attributes)
        self.fail("E002", f"option `{o.id}` has no `{part}`", ref.span, "unknown part",
                  help=did_you_mean(part, parts) or f"`{o.id}` has: " + ", ".join(f"`{p}`" for p in parts))

    def derived_day(self, name: str, ref: S.Ref) -> ir.Node:
        """A derived day declared earlier, named in an expression: it stands for its own expression
        (of this subject, or of the contract), so an offset the text states once is written once."""
        d = self.res.derived_by_id[name]
        if d.scope != self.c.id:
            self.fail("E002", f"derived day `{name}` is a day of `{d.scope}`, not of `{self.c.id}`", ref.span,
                      "another contract's day", help=f"name a day derived `in {self.c.id}`")
        node = d.values.get(self.subject) if self.subject in d.values else d.values.get(None)
        if node is None:
            self.fail("E002", f"derived day `{name}` is not derived for `{self.subject}`", ref.span,
                      "no such day for this subject",
                      help=f"`{name}` is derived for: " + ", ".join(str(s) for s in d.subjects))
        return node

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
            self.fail("E004", f"`in {{...}}` needs a dimension such as the item, found {words(t)}",
                      e.operand.span, f"this is {words(t)}", help="write e.g. `item in {itam_l, itam_x}`")
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
                    self.fail("E004", f"cannot compare {words(lt)} with {words(rt)}", e.span)
                node = ir.EnumEq(ln, rn)
            else:
                (fn, ft), other = (left_enum, e.right) if left_enum else (right_enum, e.left)
                if not isinstance(other, S.RefExpr):
                    self.fail("E004", f"cannot compare {words(ft)} with this", other.span,
                              help=f"compare with a value of `{ft[5:]}`")
                node = ir.EnumIn(fn, frozenset([self.enum_value(ft[5:], other.ref)]))
            return ir.Not(node) if e.op == "!=" else node
        ln, lt = self.expr(e.left)
        rn, rt = self.expr(e.right)
        if lt != rt or lt in ("duration", "flags"):
            self.fail("E004", f"cannot compare {words(lt)} with {words(rt)}", e.span, "mismatched kinds",
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
            self.fail("E004", f"cannot apply `{e.op}` to {words(lt)} and {words(rt)}", e.span,
                      help="arithmetic is on numbers; a day may have days added (`d + 30 days`)")
        if e.op == "*" and not (isinstance(ln, ir.Const) or isinstance(rn, ir.Const)):
            self.fail("E009", "a product needs a number on one side", e.span, help="write e.g. `10 * tunnel.count`")
        if e.op == "%" and not (isinstance(rn, ir.Const) and rn.value > 0):
            self.fail("E009", "`%` needs a positive number on its right", e.span, help="write e.g. `x % 25`")
        return ir.Arith(e.op, ln, rn), "int"

    def call(self, e: S.Call) -> tuple[ir.Node, str]:
        builtin = BUILTINS.get(e.name)
        if builtin is None:
            self.fail("E010", f"`{e.name}` is not a function of the tariff language", e.span, "unknown function",
                      help=did_you_mean(e.name, BUILTINS) or "functions: " + ", ".join(BUILTINS))
        return builtin.apply(self, e)


def option_names(contract: M.ContractKind) -> list[str]:
    """The ids and official names of a contract's options, the candidates of a "did you mean"."""
    return [o.id for o in contract.options.values()] + [o.label for o in contract.options.values()]
