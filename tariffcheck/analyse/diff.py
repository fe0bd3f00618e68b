"""`tariff diff OLD NEW`: what changed between two versions of a tariff, in names and in meaning.

**Names.** Contracts, dimensions and their values, quantities, flags, dates, options and
services added or removed; a name whose official wording changed (same id) or that a 附則 of
the new version renames; rules added, removed or reworded.

**Meaning.** For each shape of order (space.py) both versions are encoded over one set of
variables: fields with the same id are the same variable, and a dimension's value is mapped
by its id (the two versions may list values in another order). Only orders that both versions
can state are compared: an option, value or attribute value that one version lacks is kept out
(it shows up under names instead). Then

- **newly rejected**: the old version accepts, the new one rejects: one question per rule
  instance of the new version ("old valid, this instance broken"), so each group names the rule
  responsible, with a witness order that breaks as few other rules and has as few options as the
  optimiser finds;
- **newly accepted**: the reverse, grouped by the old version's rules;
- **no semantic change** is proven when neither question has an answer in any shape.

Every witness is decoded and validated by both versions' concrete validators before it is
shown (`confirmed`). Where the responsible rule reads a number or a day, the witness is
walked one step at a time along it, the other fields fixed, to the nearest value on which the
versions agree: a **boundary** pair such as 4 vs 5 tunnels or 49 vs 50 accounts.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date

import z3

from ..model import ir
from ..model import tariff as M
from ..orders.decode import decode_order
from ..model.fields import day_text
from ..orders.order import Order
from ..orders.write import order_to_json
from ..evaluate.concrete import ConcreteValidator
from ..smt.encode import Encoder, Instance
from ..model.limits import DEFAULT_TIMEOUT_MS
from ..smt.problem import Incomplete
from ..smt.readback import order_from_model
from .space import REQUESTS, Shape, shapes_of, template

SMALL = 100  # witnesses prefer counts and quantities up to this
BOUNDARY_STEPS = 400  # how far a boundary walk goes from the witness, in units or days
FIXED_KINDS = ("request", "cancelled", "parent", "children", "former")


# ---- names ----------------------------------------------------------------------------------------
@dataclass
class NameChange:
    what: str  # contract, dimension, value, quantity, flag, date, option, service, rule
    change: str  # added | removed | renamed | reworded
    path: str  # e.g. service.options.tunnel, service.item.itam_l
    old: str | None = None  # official name (or rule text) before
    new: str | None = None
    note: str | None = None


def name_changes(old: M.Tariff, new: M.Tariff) -> list[NameChange]:
    out: list[NameChange] = []

    def table(what: str, prefix: str, a: dict, b: dict, label=lambda x: x.label) -> None:
        for k in a:
            if k not in b:
                out.append(NameChange(what, "removed", prefix + k, old=label(a[k])))
        for k in b:
            if k not in a:
                out.append(NameChange(what, "added", prefix + k, new=label(b[k])))
            elif label(a[k]) != label(b[k]):
                out.append(NameChange(what, "renamed", prefix + k, old=label(a[k]), new=label(b[k])))

    table("contract", "", old.contracts, new.contracts)
    for kid in old.contracts.keys() & new.contracts.keys():
        ka, kb = old.contracts[kid], new.contracts[kid]
        table("dimension", f"{kid}.", ka.dimensions, kb.dimensions)
        for d in ka.dimensions.keys() & kb.dimensions.keys():
            table("value", f"{kid}.{d}.", ka.dimensions[d].values, kb.dimensions[d].values)
        table("quantity", f"{kid}.", ka.quantities, kb.quantities)
        table("flag", f"{kid}.", ka.flags, kb.flags)
        table("date", f"{kid}.", ka.dates, kb.dates)
        table("option", f"{kid}.options.", ka.options, kb.options)
        for o in ka.options.keys() & kb.options.keys():
            oa, ob = ka.options[o], kb.options[o]
            table("quantity", f"{kid}.options.{o}.", oa.quantities, ob.quantities)
            table("attribute", f"{kid}.options.{o}.", oa.attributes, ob.attributes)
            for a in oa.attributes.keys() & ob.attributes.keys():
                table("value", f"{kid}.options.{o}.{a}.", oa.attributes[a].values, ob.attributes[a].values)
            if oa.counted != ob.counted:
                out.append(NameChange("option", "reworded", f"{kid}.options.{o}",
                                      note="counted" if ob.counted else "no longer counted"))
    table("service", "", old.services, new.services)
    olds = {(r.kind, r.old, r.target) for r in old.renames}
    for r in new.renames:
        if (r.kind, r.old, r.target) not in olds:
            out.append(NameChange("value" if r.kind == "value" else "option", "renamed", ".".join(r.target),
                                  old=r.old, note=f"by a supplementary provision (附則) of {r.day.isoformat()}"))
    ra, rb = {r.id: r for r in old.rules}, {r.id: r for r in new.rules}
    table("rule", "", ra, rb, label=lambda r: str(r.citation))
    for k in ra.keys() & rb.keys():
        if _rule_text(ra[k]) != _rule_text(rb[k]) and str(ra[k].citation) == str(rb[k].citation):
            out.append(NameChange("rule", "reworded", k, old=_rule_text(ra[k]), new=_rule_text(rb[k])))
    return out


def _rule_text(r: M.Rule) -> str:
    return " ".join(r.source_text.split())


# ---- meaning ---------------------------------------------------------------------------------------
@dataclass
class Boundary:
    path: str  # the field walked
    agree: object  # the nearest value on which both versions agree
    differ: object  # its neighbour, on which they do not (the witness's side)
    agree_order: dict | None = None


@dataclass
class DiffGroup:
    direction: str  # "rejected": the new version rejects what the old accepted; "accepted": the reverse
    rule: M.Rule  # the rule responsible (of the new version when rejected, of the old when accepted)
    shape: str
    witness: dict | None
    confirmed: bool  # both concrete validators agree with the witness
    boundaries: list[Boundary] = field(default_factory=list)
    note: str | None = None
    also: list[str] = field(default_factory=list)  # other shapes where the rule makes the same difference


@dataclass
class DiffResult:
    old: M.Tariff
    new: M.Tariff
    names: list[NameChange] = field(default_factory=list)
    groups: list[DiffGroup] = field(default_factory=list)
    shapes: list[str] = field(default_factory=list)  # the shapes compared
    skipped: list[str] = field(default_factory=list)  # shapes one version lacks
    complete: bool = True
    reason: str | None = None

    @property
    def same_meaning(self) -> bool:
        """Proven: no order both versions can state is judged differently (in the shapes compared)."""
        return self.complete and not self.groups


class _Side:
    """One version's encoding of one shape, over the shared variables."""

    def __init__(self, tariff: M.Tariff, enc: Encoder, order: Order):
        self.tariff = tariff
        self.enc = enc
        self.order = order
        self.slots = [enc.slot(e.kind, e.index) for e in order.contracts]
        self.instances: list[Instance] = [i for e in order.contracts for i in enc.instances(e.kind, e.index)]


class Differ:
    def __init__(self, old: M.Tariff, new: M.Tariff, timeout_ms: int = DEFAULT_TIMEOUT_MS):
        self.old, self.new = old, new
        self.timeout_ms = timeout_ms
        self.ctx = z3.Context()
        self.enc_old = Encoder(old, self.ctx)
        self.enc_new = Encoder(new, self.ctx)
        self.cv_old = ConcreteValidator(old)
        self.cv_new = ConcreteValidator(new)

    def diff(self, requests: tuple[str, ...] = REQUESTS) -> DiffResult:
        out = DiffResult(self.old, self.new, name_changes(self.old, self.new))
        for shape in shapes_of(self.new, requests):
            if not all(k in self.old.contracts and self.old.contracts[k].parent == self.new.contracts[k].parent
                       for k in shape.kinds):
                out.skipped.append(shape.label)
                continue
            out.shapes.append(shape.label)
            try:
                self._shape(shape, out)
            except Incomplete as e:
                out.complete, out.reason = False, f"{shape.label}: {e}"
                break
        return out

    # ---- one shape ----------------------------------------------------------------------------------
    def _shape(self, shape: Shape, out: DiffResult) -> None:
        order_new = template(self.new, shape)
        order_old = template(self.old, shape)
        new = _Side(self.new, self.enc_new, order_new)
        old = _Side(self.old, self.enc_old, order_old)
        sub = self._old_to_new(old, new)
        base = self._base(new, shape) + [z3.substitute(t, *sub) if sub else t for t in self._base(old, shape)]
        base += self._common_vocabulary(old, new)
        old_terms = [(i, z3.substitute(i.term, *sub) if sub else i.term) for i in old.instances]
        new_terms = [(i, i.term) for i in new.instances]
        valid_old = z3.And([t for _, t in old_terms] + [z3.BoolVal(True, self.ctx)])
        valid_new = z3.And([t for _, t in new_terms] + [z3.BoolVal(True, self.ctx)])
        s = z3.Solver(ctx=self.ctx)
        s.set("timeout", self.timeout_ms)
        s.add(base)
        for direction, keep, other_terms in (("rejected", valid_old, new_terms), ("accepted", valid_new, old_terms)):
            s.push()
            s.add(keep)
            r = s.check(z3.Not(z3.And([t for _, t in other_terms] + [z3.BoolVal(True, self.ctx)])))
            if r == z3.unknown:
                raise Incomplete(s.reason_unknown())
            if r == z3.unsat:
                s.pop()
                continue
            by_rule: dict[str, list[tuple[Instance, z3.BoolRef]]] = {}
            for inst, term in other_terms:
                by_rule.setdefault(inst.rule.id, []).append((inst, term))
            for rid, insts in by_rule.items():
                broken = z3.Or([z3.Not(t) for _, t in insts])
                r = s.check(broken)
                if r == z3.unknown:
                    raise Incomplete(s.reason_unknown())
                if r == z3.unsat:
                    continue
                seen = next((g for g in out.groups if g.direction == direction and g.rule.id == rid), None)
                if seen is not None and seen.confirmed:
                    seen.also.append(shape.label)  # one witness per rule; the first shape is the simplest
                    continue
                m = self._minimal(base + [keep, broken], [t for i, t in other_terms if i.rule.id != rid], new)
                g = self._group(direction, insts[0][0].rule, shape, new, m)
                if seen is not None:
                    out.groups[out.groups.index(seen)] = g
                    g.also = seen.also + [seen.shape]
                else:
                    out.groups.append(g)
            s.pop()

    def _old_to_new(self, old: _Side, new: _Side) -> list:
        """The old version's dimension variables, as functions of the new version's: the two may
        number a dimension's values differently. (Same-named variables are the same otherwise.)"""
        pairs = []
        for so, sn in zip(old.slots, new.slots):
            for d, dim_o in so.kind.dimensions.items():
                dim_n = sn.kind.dimensions.get(d)
                for state in ("new", "old"):
                    x = so.dimension(d, state)
                    if dim_n is None:
                        continue  # a dimension only the old version has: its variable stays its own
                    ids_o, ids_n = list(dim_o.values), list(dim_n.values)
                    if ids_o == ids_n:
                        continue
                    xn = sn.dimension(d, state)
                    expr = z3.IntVal(-2, self.ctx)  # a value the old version lacks: kept out below
                    for j, v in enumerate(ids_n):
                        if v in ids_o:
                            expr = z3.If(xn == j, z3.IntVal(ids_o.index(v), self.ctx), expr)
                    expr = z3.If(xn == -1, z3.IntVal(-1, self.ctx), expr)
                    # the old variable has the same name as the new one: substitute a fresh copy
                    pairs.append((x, expr))
        return pairs

    def _base(self, side: _Side, shape: Shape) -> list[z3.BoolRef]:
        """The axioms of the side's variables and what the shape fixes."""
        enc = side.enc
        out = list(enc.order_vars.axioms())
        for slot in side.slots:
            out += slot.axioms()
        for f in enc.facts(side.order):
            if f.kind in FIXED_KINDS or (shape.request == "new" and f.role == "given"):
                out.append(f.term)
        for slot in side.slots:
            if shape.request == "cancellation":
                out += slot.as_it_was()
            out += slot.required_set()
        return out

    def _common_vocabulary(self, old: _Side, new: _Side) -> list[z3.BoolRef]:
        """Orders both versions can state: what only one has is absent."""
        out = []
        for so, sn in zip(old.slots, new.slots):
            for a, b in ((so, sn), (sn, so)):
                for o in a.kind.options:
                    if o not in b.kind.options:
                        for state in ("new", "old"):
                            out.append(z3.Not(a.option(o, state)))
                for o, opt in a.kind.options.items():
                    other = b.kind.options.get(o)
                    if other is None:
                        continue
                    for at in opt.attributes.values():
                        for v in at.values:
                            if at.id not in other.attributes or v not in other.attributes[at.id].values:
                                for state in ("new", "old"):
                                    out.append(z3.Not(a.term(ir.Field("optattr", (o, at.id, v), state))))
            for d, dim_n in sn.kind.dimensions.items():
                dim_o = so.kind.dimensions.get(d)
                if dim_o is None:
                    continue
                for state in ("new", "old"):
                    xn = sn.dimension(d, state)
                    for j, v in enumerate(dim_n.values):
                        if v not in dim_o.values:
                            out.append(xn != j)
                    if dim_n.optional != dim_o.optional:
                        out.append(xn != -1)
        return out

    def _minimal(self, hard: list, others: list, new: _Side) -> z3.ModelRef:
        """A witness that breaks as few other rules and orders as few options as the optimiser finds."""
        opt = z3.Optimize(ctx=self.ctx)
        opt.set("timeout", self.timeout_ms)
        opt.add(hard)
        for t in others:
            opt.add_soft(t, 10)
        for slot in new.slots:
            for o in slot.kind.options:
                opt.add_soft(z3.Not(slot.option(o)), 1)
                opt.add_soft(z3.Not(slot.option(o, "old")), 1)
            for (what, _, _), x in slot.vars.items():  # numbers a reader can take in at a glance
                if what in ("qty", "optqty", "optcount"):
                    opt.add_soft(x <= SMALL, 1)
                elif what in ("date", "optdate"):
                    opt.add_soft(self._near(x), 1)
        for day, _ in self.enc_new.order_vars.dates.values():
            opt.add_soft(self._near(day), 1)
        r = opt.check()
        if r == z3.sat:
            return opt.model()
        s = z3.Solver(ctx=self.ctx)  # the optimiser gave up: any witness will do
        s.set("timeout", self.timeout_ms)
        s.add(hard)
        if s.check() != z3.sat:
            raise Incomplete(s.reason_unknown())
        return s.model()

    def _near(self, day: z3.ArithRef) -> z3.BoolRef:
        """Within two years from the new version's date, so that witnesses read as real orders."""
        start = (self.new.as_of or self.old.as_of or date(2026, 1, 1)).toordinal()
        return z3.And(day >= start, day <= start + 730)

    # ---- a group's witness ----------------------------------------------------------------------------
    def _group(self, direction: str, rule: M.Rule, shape: Shape, new: _Side, m: z3.ModelRef) -> DiffGroup:
        order = order_from_model(self.enc_new, new.order, m)
        try:
            witness = order_to_json(order, self.new)
        except ValueError as e:
            return DiffGroup(direction, rule, shape.label, None, False, note=f"the witness cannot be written: {e}")
        verdict = self._judge(witness)
        expected = (True, False) if direction == "rejected" else (False, True)
        confirmed = verdict is not None and verdict[:2] == expected and rule.id in verdict[2]
        g = DiffGroup(direction, rule, shape.label, witness, confirmed)
        if confirmed:
            g.boundaries = self._boundaries(rule, order, verdict[:2])
        else:
            g.note = "the concrete validators do not confirm this witness" if verdict else \
                "the witness does not decode in both versions"
        return g

    def _judge(self, witness: dict) -> tuple[bool, bool, set[str]] | None:
        """(old accepts, new accepts, rules broken by the rejecting side) by the concrete validators."""
        try:
            vo = self.cv_old.validate(decode_order(witness, self.old))
            vn = self.cv_new.validate(decode_order(witness, self.new))
        except Exception:  # noqa: BLE001 - a witness one version cannot read is reported, not raised
            return None
        broken = {v.rule.id for v in (vn.violations if vo.status == "valid" else vo.violations)}
        return vo.status == "valid", vn.status == "valid", broken

    def _boundaries(self, rule: M.Rule, order: Order, differ: tuple[bool, bool]) -> list[Boundary]:
        out = []
        for path, get, put, is_day in _numeric_fields(rule, order):
            start = get(order)
            if start is None:
                continue
            best = None
            for step in range(1, BOUNDARY_STEPS + 1):
                for value in (start - step, start + step):
                    if value < 0:
                        continue
                    trial = copy.deepcopy(order)
                    if not put(trial, value):
                        continue
                    try:
                        w = order_to_json(trial, self.new)
                    except ValueError:
                        continue
                    v = self._judge(w)
                    if v is not None and v[:2] != differ:
                        # walk back to the neighbour on the witness's side
                        near = value + 1 if value < start else value - 1
                        if is_day:
                            value, near = day_text(value), day_text(near)
                        best = Boundary(path, value, near, w)
                        break
                if best is not None:
                    break
            if best is not None:
                out.append(best)
        return out


def _numeric_fields(rule: M.Rule, order: Order):
    """The numbers and days of the new state that the rule reads, as (path, get, put)."""
    out = []
    seen = set()
    for subject in rule.subjects:
        for f in ir.fields_of(rule.condition(subject)):
            if f.state != "new" or f.type not in ("int", "date") or (f.kind, f.path) in seen:
                continue
            seen.add((f.kind, f.path))
            if f.order_level:
                out += [(*a, f.type == "date") for a in _accessor(f, 0, None)]
                continue
            for idx, e in enumerate(order.contracts):
                if e.kind != rule.scope:
                    continue
                out += [(*a, f.type == "date") for a in _accessor(f, idx, e)]
    return out


def _accessor(f: ir.Field, idx: int, e):
    base = f"contracts[{idx}]"
    if f.kind == "qty":
        q = f.path[0]
        return [(f"{base}.{q}", lambda o, q=q, i=idx: o.contracts[i].new.quantities.get(q),
                 lambda o, v, q=q, i=idx: _set(o.contracts[i].new.quantities, q, v))]
    if f.kind == "optcount":
        opt = f.path[0]
        return [(f"{base}.options.{opt}.count",
                 lambda o, opt=opt, i=idx: getattr(o.contracts[i].new.options.get(opt), "count", None),
                 lambda o, v, opt=opt, i=idx: v >= 1 and opt in o.contracts[i].new.options
                 and _setattr(o.contracts[i].new.options[opt], "count", v))]
    if f.kind == "optqty":
        opt, q = f.path
        return [(f"{base}.options.{opt}.{q}",
                 lambda o, opt=opt, q=q, i=idx: (o.contracts[i].new.options[opt].quantities.get(q)
                                                 if opt in o.contracts[i].new.options else None),
                 lambda o, v, opt=opt, q=q, i=idx: opt in o.contracts[i].new.options
                 and _set(o.contracts[i].new.options[opt].quantities, q, v))]
    if f.kind == "date":
        d = f.path[0]
        return [(f"{base}.{d}", lambda o, d=d, i=idx: o.contracts[i].new.dates.get(d),
                 lambda o, v, d=d, i=idx: d in o.contracts[i].new.dates and _set(o.contracts[i].new.dates, d, v))]
    if f.kind == "odate":
        d = f.path[0]
        return [(d, lambda o, d=d: o.dates.get(d), lambda o, v, d=d: d in o.dates and _set(o.dates, d, v))]
    return []


def _set(table: dict, key, value) -> bool:
    table[key] = value
    return True


def _setattr(obj, name, value) -> bool:
    setattr(obj, name, value)
    return True


def diff(old: M.Tariff, new: M.Tariff, timeout_ms: int = DEFAULT_TIMEOUT_MS,
         requests: tuple[str, ...] = REQUESTS) -> DiffResult:
    return Differ(old, new, timeout_ms).diff(requests)
