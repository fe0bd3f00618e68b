"""The concrete validator: rules compiled once to Python code, then run on each order.

This is the fast path order entry calls on every order. It reads the same typed
expressions as the Z3 encoding (encode.py) and must agree with it on every order; the
differential tests check that.

Each contract kind's rule instances are compiled into ONE generated function, which reads
the entry's state into locals once and evaluates every instance inline, with Python's own
short-circuit `and`/`or` in place of nested closures. Instances whose premise needs an option
(`for tunnel require …`) sit under one test of that option, and are not evaluated for a contract
without it (they hold); the broken instances are reported in the instances' order. Evaluation order and values are those
of Python's own operators read left to right: `and`/`or` stop at the first deciding operand, `count_true` and
comparisons evaluate every operand, left to right. `ConcreteValidator.source` holds the
generated code of each kind (it also shows in tracebacks).

A rule instance that reads a date the order does not give is not checked (it holds): a
date rule speaks only of the days an order states. `or_else(x, fallback)` is the one exception:
it has a value when x or the fallback has (`ir.defined` is the condition). Both paths follow this.
"""

from __future__ import annotations

import linecache
from datetime import date
from typing import Callable

from ..dates import periods
from ..model import ir
from ..model.fields import kind_of
from ..model import tariff as M
from ..orders.order import ContractEntry, Order
from .breaches import with_breaches
from .verdict import INVALID, VALID, InstanceKey, Verdict, Violation, involved_fields

# fn(order, entry, out): appends (CompiledRule, entry) to `out` for each broken instance
KindFn = Callable[[Order, ContractEntry, list], None]

_CMP_OPS = {"==", "!=", "<", "<=", ">", ">="}
_ARITH_OPS = {"+", "-", "*", "%"}  # Python's % and Z3's mod agree for a positive divisor


class CompiledRule:
    __slots__ = ("rule", "subject", "node", "defined", "fields")

    def __init__(self, rule: M.Rule, subject: str | None):
        self.rule = rule
        self.subject = subject
        self.node = rule.condition(subject)
        self.defined = ir.defined(self.node)  # the instance is checked only when this holds
        self.fields = ir.fields_of(self.node)  # what a violation of it shows, walked out once


class ConcreteValidator:
    """Validate decoded orders against one tariff."""

    def __init__(self, tariff: M.Tariff):
        self.tariff = tariff
        self.by_kind: dict[str, list[CompiledRule]] = {k: [] for k in tariff.contracts}
        for rule in tariff.rules:
            for subject in rule.subjects:
                self.by_kind[rule.scope].append(CompiledRule(rule, subject))
        self.source: dict[str, str] = {}
        # None for a kind no rule speaks of: nothing to run for its contracts
        self._fns: dict[str, KindFn | None] = {}
        # the same for the contracts of a new order (most orders), evaluated knowing that the
        # contract is not cancelled and had no options (see `_compile_kind`)
        self._fns_new: dict[str, KindFn | None] = {}
        for kind, compiled in self.by_kind.items():
            if compiled:
                self.source[kind], self._fns[kind], self._fns_new[kind] = _compile_kind(tariff.id, kind, compiled)
            else:
                self._fns[kind] = self._fns_new[kind] = None

    def broken(self, order: Order) -> list[tuple[CompiledRule, ContractEntry]]:
        out: list[tuple[CompiledRule, ContractEntry]] = []
        fns = self._fns_new if order.request == "new" else self._fns
        for entry in order.contracts:
            fn = fns[entry.kind]
            if fn is not None:
                fn(order, entry, out)
        return out

    def validate(self, order: Order) -> Verdict:
        broken = self.broken(order)
        verdict = Verdict(INVALID, [
            Violation(InstanceKey(c.rule.id, e.index, c.subject), c.rule, e.id, involved_fields(c.node, order, e, c.fields),
                      placeholder_values(c.rule, c.subject, order, e))
            for c, e in broken]) if broken else Verdict(VALID)
        return with_breaches(self.tariff, order, verdict)


# ---- code generation ----------------------------------------------------------------------------
# Locals of a generated function: what each reads of the order and the entry. Only those an
# expression uses are bound, in this order, before the first instance is evaluated.
_LOCALS = {
    "o_dates": "o.dates", "o_request": "o.request", "o_holdings": "o.holdings", "o_flags": "o.flags",
    "o_holding_values": "o.holding_values", "e_cancelled": "e.cancelled",
    "e_parent": "e.parent", "e_children": "e.children", "e_former": "e.former",
    "n_dims": "e.new.dims", "n_qty": "e.new.quantities", "n_flags": "e.new.flags", "n_dates": "e.new.dates",
    "n_opts": "e.new.options",
    "p_dims": "e.old.dims", "p_qty": "e.old.quantities", "p_flags": "e.old.flags", "p_dates": "e.old.dates",
    "p_opts": "e.old.options",
}


class _Gen:
    """Turns typed expressions into Python expression source over the locals above."""

    def __init__(self):
        self.used: set[str] = set()
        self.consts: dict[str, object] = {}

    def local(self, name: str) -> str:
        self.used.add(name)
        return name

    def const(self, value) -> str:
        if value is None or type(value) in (bool, int, str) or (
                type(value) is tuple and all(type(x) is str for x in value)):
            return repr(value)
        name = f"_k{len(self.consts)}"
        self.consts[name] = value
        return name

    def field(self, f: ir.Field) -> str:
        """Source reading a field: each kind of field says how (model/fields.py)."""
        return kind_of(f).source(f, self)

    def truth(self, n: ir.Node) -> str:
        """Source whose truth value is that of the node (its value may be any operand's)."""
        if isinstance(n, ir.And):
            return "(" + " and ".join(self.truth(x) for x in n.operands) + ")" if n.operands else "True"
        if isinstance(n, ir.Or):
            return "(" + " or ".join(self.truth(x) for x in n.operands) + ")" if n.operands else "False"
        if isinstance(n, ir.Implies):
            return f"((not {self.truth(n.left)}) or {self.truth(n.right)})"
        return self.value(n)

    def value(self, n: ir.Node) -> str:
        """Source whose value is the node's value."""
        if isinstance(n, ir.Field):
            return self.field(n)
        if isinstance(n, ir.Given):
            return f"({self.field(n.field)} is not None)"
        if isinstance(n, ir.OrElse):
            given = ir.defined(n.first)
            if given == ir.TRUE:
                return self.value(n.first)
            return f"({self.value(n.first)} if {self.truth(given)} else {self.value(n.fallback)})"
        if isinstance(n, ir.Const):
            return self.const(n.value)
        if isinstance(n, ir.EnumIn):
            values = n.values
            if values and all(type(x) is str for x in values):  # `x in {...}` compiles to a frozenset constant
                return f"({self.field(n.field)} in {{{', '.join(map(repr, sorted(values)))}}})"
            return f"({self.field(n.field)} in {self.const(values)})"
        if isinstance(n, ir.EnumEq):
            return f"({self.field(n.left)} == {self.field(n.right)})"
        if isinstance(n, ir.Not):
            return f"(not {self.truth(n.operand)})"
        if isinstance(n, (ir.And, ir.Or)):  # all() / any(): a bool
            return f"(True if {self.truth(n)} else False)"
        if isinstance(n, ir.Implies):  # `(not a) or b`: True, or b's value
            return f"((not {self.truth(n.left)}) or {self.value(n.right)})"
        if isinstance(n, ir.Cmp):
            if n.op not in _CMP_OPS:
                raise ValueError(f"unknown comparison {n.op}")
            return f"({self.value(n.left)} {n.op} {self.value(n.right)})"
        if isinstance(n, ir.Arith):
            if n.op not in _ARITH_OPS:
                raise ValueError(f"unknown operator {n.op}")
            return f"({self.value(n.left)} {n.op} {self.value(n.right)})"
        if isinstance(n, ir.Neg):
            return f"(-{self.value(n.operand)})"
        if isinstance(n, ir.Abs):
            return f"abs({self.value(n.operand)})"
        if isinstance(n, ir.CountTrue):
            if not n.operands:
                return "0"
            return "(" + " + ".join(f"(1 if {self.truth(x)} else 0)" for x in n.operands) + ")"
        if isinstance(n, ir.Extreme):
            return f"{'max' if n.op == 'max' else 'min'}({self.value(n.left)}, {self.value(n.right)})"
        if isinstance(n, ir.DayOfMonth):
            return f"_fromordinal({self.value(n.operand)}).day"
        if isinstance(n, ir.AddMonths):
            return f"_add_months({self.value(n.operand)}, {n.months})"
        if isinstance(n, ir.DayFn):
            return f"_day_fns[{n.fn!r}]({self.value(n.operand)})"
        raise ValueError(f"the concrete validator cannot evaluate {type(n).__name__}")


ValueFn = Callable[[Order, ContractEntry], object]


def compile_value(node: ir.Node, label: str = "value") -> tuple[str, ValueFn]:
    """One expression as a function of (order, entry): its value, or None when it reads a date
    the order does not give (`ir.defined`). The derived days and fees are computed with these."""
    g = _Gen()
    expr = g.value(node)
    defined = ir.defined(node)
    body = [f"    if not {g.truth(defined)}:", "        return None"] if defined != ir.TRUE else []
    pre = [f"    {name} = {src}" for name, src in _LOCALS.items() if name in g.used]
    src = "\n".join(["def value(o, e):", *pre, *body, f"    return {expr}"]) + "\n"
    filename = f"<tariffcheck.concrete {label}>"
    namespace: dict[str, object] = {"_fromordinal": date.fromordinal, "_add_months": _add_months,
                                    "_day_fns": _day_fns, **g.consts}
    exec(compile(src, filename, "exec"), namespace)
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    return src, namespace["value"]


# shared by every thread, without a lock: two threads may compile the same node at once, and
# then either's function (they are equal) is kept
_value_fns: dict[ir.Node, ValueFn] = {}


def placeholder_values(rule: M.Rule, subject: str | None, order: Order, entry: ContractEntry) -> dict[str, str]:
    """The days a broken rule's message shows (`{earliest}`), computed for this contract.
    Both validators call this, so their messages agree."""
    out = {}
    for (name, subj), node in rule.placeholders.items():
        if subj != subject:
            continue
        fn = _value_fns.get(node)
        if fn is None:
            fn = _value_fns[node] = compile_value(node, f"{rule.id}:{name}")[1]
        value = fn(order, entry)
        if value is None:
            out[name] = "(a date the order does not give)"
        else:
            out[name] = date.fromordinal(value).isoformat() if node.type == "date" else str(value)
    return out


def _add_months(day: int, months: int) -> int:
    """A day number plus calendar months, clamped to the month's last day (dates.periods)."""
    return periods.add_months(date.fromordinal(day), months).toordinal()


# the calendar functions of ir.DAY_FNS, over day numbers
_day_fns = {name: (lambda fn: lambda day: fn(date.fromordinal(day)).toordinal())(fn) for name, fn in (
    ("end_of_month", periods.end_of_month), ("first_of_next_month", periods.first_of_next_month),
    ("end_of_quarter", periods.end_of_quarter))}


def _guard(node: ir.Node) -> ir.Node | None:
    """An operand of the instance's premise (`a and b implies c`) that an order must meet for
    the instance to say anything: when it is false the premise is, and the instance holds."""
    if not isinstance(node, ir.Implies):
        return None
    premise = node.left.operands if isinstance(node.left, ir.And) else (node.left,)
    for x in premise:
        if isinstance(x, ir.Field) and x.kind == "opt":  # the contract has an option
            return x
    return None


def _compile_kind(tariff_id: str, kind: str, compiled: list[CompiledRule]) -> tuple[str, KindFn, KindFn]:
    """Two functions for the kind's instances: `check`, for any contract, and `check_new`, for a
    contract of a new order. Those whose premise needs an option are grouped under one test of
    it, so that an order runs only the instances of the options it has (most of a kind's
    instances are about one option each), and each is evaluated knowing that the option is
    there; the broken ones are given in the instances' own order all the same.

    `check_new` is evaluated knowing more (`_when_new`): the request is a new order, the contract
    is not cancelled and had no options before it. So it leaves out the instances that then hold
    (`is_change implies …`, a cascade of an option the contract had, a cancellation's end day),
    does not walk the options the contract had, and tests no premise such as `not cancelled`.
    It runs `check` for a contract that is not such (an Order built by hand)."""
    g = _Gen()
    indexes: dict[str, dict[str, int]] = {}  # the options of a state that guards ask for, numbered
    body = _kind_body(g, compiled, indexes, "", {})
    pre = [f"    {name} = {expr}" for name, expr in _LOCALS.items() if name in g.used]
    g.used = set()
    facts = {f: value for c in compiled for f in c.fields if (value := _when_new(f)) is not None}
    body_new = _kind_body(g, compiled, indexes, "_when_new", facts)
    pre_new = [f"    {name} = {expr}" for name, expr in _LOCALS.items() if name in g.used]
    src = "\n".join(["def check(o, e, out):", *pre, *body, "", "",
                     "def check_new(o, e, out):",
                     "    if e.cancelled or e.old.options:",
                     "        return check(o, e, out)",
                     *pre_new, *body_new]) + "\n"
    filename = f"<tariffcheck.concrete {tariff_id}:{kind}>"
    namespace: dict[str, object] = {"_fromordinal": date.fromordinal, "_add_months": _add_months,
                                    "_day_fns": _day_fns, **g.consts, **indexes,
                                    "_rules": list(compiled)}
    exec(compile(src, filename, "exec"), namespace)
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    return src, namespace["check"], namespace["check_new"]


def _kind_body(g: _Gen, compiled: list[CompiledRule], indexes: dict[str, dict[str, int]], suffix: str,
               facts: dict[ir.Field, bool]) -> list[str]:
    """The body of a kind's function, each instance's condition evaluated knowing `facts` (and
    the option its group tests); an instance that then always holds is left out. The tables of
    options it walks are added to `indexes`, named with `suffix`."""
    groups: dict[str, list[str]] = {}  # the source of a guard (or "") to the tests under it
    state_of: dict[str, str] = {}  # a guard's source to the state whose options it looks in
    option_of: dict[str, str] = {}  # a guard's source to the option it asks for
    for i, c in enumerate(compiled):
        guard = _guard(c.node)
        known = facts if guard is None else {**facts, guard: True}
        if guard is not None and facts.get(guard) is False:
            continue  # the option is never there: the instance holds
        node = _settled(c.node, known)
        if node == ir.TRUE:
            continue
        if guard is not None:
            state_of[g.truth(guard)] = guard.state
            option_of[g.truth(guard)] = guard.path[0]
        subject = f":{c.subject}" if c.subject else ""
        lines = groups.setdefault("" if guard is None else g.truth(guard), [])
        lines.append(f"# {c.rule.id}{subject}")
        test = f"not {g.truth(node)}"
        if c.defined != ir.TRUE:  # not checked unless the days it reads are given
            test = f"{g.truth(c.defined)} and {test}"
        lines.append(f"if {test}:")
        lines.append(f"    found.append({i})")
    body = ["    found = []"]
    body += ["    " + line for line in groups.get("", [])]
    # the guards that look in one state's options, under one test that it has any: a new
    # order's contract has none before, and skips every guard about the options it had
    for state, local in (("new", "n_opts"), ("old", "p_opts")):
        guards = [x for x in groups if x and state_of[x] == state]
        if len(guards) > _FEW_GUARDS:
            # many options (Secure Endpoint's service has 45): the options the contract has are
            # walked, and each finds its group by halving, instead of a test for each option
            table = f"_{state}_options{suffix}"
            index = indexes[table] = {option_of[x]: j for j, x in enumerate(guards)}
            body += [f"    for _opt in {g.local(local)}:",
                     f"        _j = {table}.get(_opt)",
                     "        if _j is not None:"]
            body += _tree(list(index.values()), {j: groups[x] for j, x in enumerate(guards)}, "_j", 3)
            continue
        pad = "    "
        if len(guards) > 1:
            body.append(f"    if {g.local(local)}:")
            pad = "        "
        for guard in guards:
            body.append(f"{pad}if {guard}:")
            body += [pad + "    " + line for line in groups[guard]]
    return body + ["    if found:",
                   "        found.sort()",
                   "        for i in found:",
                   "            out.append((_rules[i], e))"]


_FALSE = ir.Const(False, "bool")


def _when_new(f: ir.Field) -> bool | None:
    """The value of a field for every contract of a new order that is not cancelled and had no
    options before the request; None for a field that differs between them."""
    if f.kind == "request":
        return f.path[0] == "new"
    if f.kind == "cancelled":
        return False
    if f.kind == "opt" and f.state == "old":
        return False
    return None


def _settled(n: ir.Node, known: dict[ir.Field, bool]) -> ir.Node:
    """The condition with the fields of `known` (each a bool in the generated code: an option
    there or not, the request's kind, cancelled) put in as constants, and the `and`, `or`, `not`
    and `implies` that they settle folded away. The rest is kept as it is, in its order, so what
    is still evaluated is evaluated as before; the truth of the condition is the same for every
    contract of which `known` is true."""
    if isinstance(n, ir.Field):
        value = known.get(n)
        return n if value is None else (ir.TRUE if value else _FALSE)
    if isinstance(n, ir.Not):
        inner = _settled(n.operand, known)
        if isinstance(inner, ir.Const) and type(inner.value) is bool:
            return _FALSE if inner.value else ir.TRUE
        return n if inner is n.operand else ir.Not(inner)
    if isinstance(n, (ir.And, ir.Or)):
        settles = ir.TRUE if isinstance(n, ir.Or) else _FALSE  # `true or …`, `false and …`
        kept = []
        for x in n.operands:
            x = _settled(x, known)
            if x == settles:
                return settles
            if not (isinstance(x, ir.Const) and type(x.value) is bool):  # the other constant: no say
                kept.append(x)
        if not kept:
            return _FALSE if settles == ir.TRUE else ir.TRUE
        return type(n)(tuple(kept))
    if isinstance(n, ir.Implies):
        left = _settled(n.left, known)
        if left == _FALSE:
            return ir.TRUE
        right = _settled(n.right, known)
        if right == ir.TRUE:
            return ir.TRUE
        if left == ir.TRUE:
            return right
        if right == _FALSE:
            return ir.Not(left)
        return n if left is n.left and right is n.right else ir.Implies(left, right)
    return n


_FEW_GUARDS = 8  # up to this many options guarding instances, each is tested in turn


def _tree(keys: list[int], branches: dict[int, list[str]], var: str, depth: int) -> list[str]:
    """The lines of `branches[k]` for the `k` that `var` holds (one of `keys`, ascending), found
    by halving: about log2(len(keys)) comparisons."""
    pad = "    " * depth
    if len(keys) == 1:
        return [pad + line for line in branches[keys[0]]]
    mid = len(keys) // 2
    return ([f"{pad}if {var} < {keys[mid]}:"] + _tree(keys[:mid], branches, var, depth + 1)
            + [f"{pad}else:"] + _tree(keys[mid:], branches, var, depth + 1))
