"""`tariff diff OLD NEW`: what changed between two versions of a tariff, in names and in meaning.

**Names** (diff_names.py). Contracts, dimensions and their values, quantities, flags, dates,
options and services added or removed; a name whose official wording changed, or whose id a 附則
of the new version renames; rules added, removed or reworded.

**Meaning.** Two versions of one tariff (the same tariff id; two different tariffs are said to
be so and not compared). The shapes of order (space.py) of the two versions are paired through
their contract kinds (same id, or a 附則 `rename`). For each pair both versions are encoded over
one set of variables: fields with the same id are the same variable, an option a 附則 renamed is
its new id's variable, and a dimension's value is mapped by its id or rename (the two versions
may list values in another order). Only orders that both versions can state are compared: an
option, value or attribute value that one version lacks is kept out (it shows up under names
instead). Then

- **newly rejected**: the old version accepts, the new one rejects: one question per rule
  instance of the new version ("old valid, this instance broken"), so each group names the rule
  responsible, with a witness order that breaks as few other rules and has as few options as the
  optimiser finds;
- **newly accepted**: the reverse, grouped by the old version's rules;
- **no semantic change** is proven when neither question has an answer in any shape, and every
  shape of either version was compared. A shape without a partner (a contract kind only one
  version has, or a child of another parent) is listed with the reason, and sameness is then
  **not proven** (`same_meaning` None), never claimed.

Every witness is decoded and validated by both versions' concrete validators (each in its own
names) before it is shown (`confirmed`). Where the responsible rule reads a number or a day, the
witness is walked one step at a time along it, the other fields fixed, to the nearest value on
which the versions agree: a **boundary** pair such as 4 vs 5 tunnels or 49 vs 50 accounts.
"""

from __future__ import annotations

import copy
import dataclasses
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
from ..model import fields as F
from ..common.names import name_key
from .diff_names import Matching, NameChange, match_names, name_changes
from .space import REQUESTS, Shape, shapes_of, template

__all__ = ["Boundary", "DiffGroup", "DiffResult", "Differ", "NameChange", "Uncompared", "diff", "name_changes"]

SMALL = 100  # witnesses prefer counts and quantities up to this
BOUNDARY_STEPS = 400  # how far a boundary walk goes from the witness, in units or days
FIXED_KINDS = ("request", "cancelled", "parent", "children", "former")


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
class Uncompared:
    """A shape of order of one version that has no partner in the other, so it was not compared."""

    shape: str  # its label, in the names of the version that has it
    version: str  # "old" | "new": that version
    reason: str
    help: str | None = None


@dataclass
class DiffResult:
    old: M.Tariff
    new: M.Tariff
    names: list[NameChange] = field(default_factory=list)
    groups: list[DiffGroup] = field(default_factory=list)
    shapes: list[str] = field(default_factory=list)  # the shapes compared (the new version's labels)
    uncompared: list[Uncompared] = field(default_factory=list)  # the shapes that could not be
    related: bool = True  # False: two different tariffs, nothing compared
    complete: bool = True
    reason: str | None = None

    @property
    def skipped(self) -> list[str]:
        """The labels of the shapes not compared."""
        return [u.shape for u in self.uncompared]

    @property
    def status(self) -> str:
        """`same`: proven, over every shape of both versions; `different`: some order is judged
        differently; `not_comparable`: none found, but some shape could not be compared (or none
        was), so nothing is proven; `unrelated`: two different tariffs; `unknown`: cut short."""
        if not self.related:
            return "unrelated"
        if not self.complete:
            return "unknown"
        if self.groups:
            return "different"
        if self.uncompared or not self.shapes:
            return "not_comparable"
        return "same"

    @property
    def same_meaning(self) -> bool | None:
        """True only when proven: every shape of order of either version compared, and no order
        both versions can state judged differently. False when some order is; None when not
        proven either way."""
        if self.groups:
            return False
        return True if self.status == "same" else None


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
        self.match: Matching = match_names(old, new)
        self._same_ids = not self.match.via and all(k == v for k, v in self.match.kinds.items())
        self.ctx = z3.Context()
        self.enc_old = Encoder(old, self.ctx)
        self.enc_new = Encoder(new, self.ctx)
        self.cv_old = ConcreteValidator(old)
        self.cv_new = ConcreteValidator(new)

    def diff(self, requests: tuple[str, ...] = REQUESTS) -> DiffResult:
        out = DiffResult(self.old, self.new)
        if self.old.id != self.new.id:
            out.related = False  # two tariffs, not two versions of one: nothing to pair
            return out
        out.names = name_changes(self.old, self.new, self.match)
        pairs = self.pair_shapes(requests, out)
        for old_shape, new_shape in pairs:
            out.shapes.append(new_shape.label)
            try:
                self._shape(old_shape, new_shape, out)
            except Incomplete as e:
                out.complete, out.reason = False, f"{new_shape.label}: {e}"
                break
        return out

    # ---- which shapes are compared ------------------------------------------------------------------
    def pair_shapes(self, requests: tuple[str, ...], out: DiffResult) -> list[tuple[Shape, Shape]]:
        """Each shape of the new version with the old version's shape of the paired contract kinds;
        every shape of either version without a partner goes to `out.uncompared`, with why."""
        pairs, paired_old = [], set()
        for shape in shapes_of(self.new, requests):
            why = self._unpaired(shape, "new")
            if why is not None:
                out.uncompared.append(Uncompared(shape.label, "new", *why))
                continue
            old_shape = Shape(shape.request, tuple(self.match.kinds[k] for k in shape.kinds))
            paired_old.add(old_shape)
            pairs.append((old_shape, shape))
        for shape in shapes_of(self.old, requests):
            if shape not in paired_old:
                why = self._unpaired(shape, "old") or ("no shape of the new version pairs with it", None)
                out.uncompared.append(Uncompared(shape.label, "old", *why))
        return pairs

    def _unpaired(self, shape: Shape, side: str) -> tuple[str, str | None] | None:
        """Why a shape of one version (`side`) has no partner in the other, or None if it has."""
        other_side = "old" if side == "new" else "new"
        this, other = (self.new, self.old) if side == "new" else (self.old, self.new)
        there = self.match.kinds if side == "new" else {o: n for n, o in self.match.kinds.items()}
        for k in shape.kinds:
            if k in there:
                continue
            twin = next((x for x, kind in other.contracts.items() if x not in there.values()
                         and name_key(kind.label) == name_key(this.contracts[k].label)), None)
            help = None
            if twin is not None:  # said the same way from either side, so that the report gives it once
                old_id, new_id = (twin, k) if side == "new" else (k, twin)
                help = (f"`{old_id}` (old version) and `{new_id}` (new version) have the same official name; "
                        f"if they are one contract kind, keep the id `{old_id}`, or pair them in the new "
                        f"version's history: `rename \"{self.old.contracts[old_id].label}\" -> {new_id} "
                        "from YYYY-MM-DD`")
            return f"contract kind `{k}` is only in the {side} version", help
        for k in shape.kinds:
            mine, theirs = this.contracts[k].parent, other.contracts[there[k]].parent
            if (there.get(mine, "") if mine else None) != theirs:  # "": a parent kind without a partner
                # said the same way from either side, so that the report gives it once
                kn, pn, po = (k, mine, theirs) if side == "new" else (there[k], theirs, mine)
                return f"contract kind `{kn}` has {_parent(pn)} in the new version and {_parent(po)} in the old", None
        return None

    # ---- one shape ----------------------------------------------------------------------------------
    def _shape(self, old_shape: Shape, shape: Shape, out: DiffResult) -> None:
        """Compare one pair of shapes (`shape` is the new version's)."""
        order_new = template(self.new, shape)
        order_old = template(self.old, old_shape)
        new = _Side(self.new, self.enc_new, order_new)
        old = _Side(self.old, self.enc_old, order_old)
        sub = self._old_to_new(old, new)

        def in_new(t: z3.BoolRef) -> z3.BoolRef:
            return z3.substitute(t, *sub) if sub else t

        base = self._base(new, shape) + [in_new(t) for t in self._base(old, old_shape)]
        base += [in_new(t) for t in self._common_vocabulary(old, new)]
        old_terms = [(i, in_new(i.term)) for i in old.instances]
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
        """The old version's variables that differ from the new version's, each as a term over the
        new version's: a dimension whose values the two number differently (or pair through a
        rename), and the fields of an option a 附則 renamed. (Same-named variables are the same.)"""
        pairs = []
        option_fields = {fk.id for fk in F.OPTION_KINDS}
        for so, sn in zip(old.slots, new.slots):
            kn = sn.kind.id
            for d, dim_o in so.kind.dimensions.items():
                dim_n = sn.kind.dimensions.get(d)
                if dim_n is None:
                    continue  # a dimension only the old version has: its variable stays its own
                ids_o, ids_n = list(dim_o.values), list(dim_n.values)
                as_old = [self.match.old_value(kn, d, v) for v in ids_n]
                if as_old == ids_o:
                    continue
                for state in ("new", "old"):
                    xn = sn.dimension(d, state)
                    expr = z3.IntVal(-2, self.ctx)  # a value the old version lacks: kept out below
                    for j, v in enumerate(as_old):
                        if v is not None:
                            expr = z3.If(xn == j, z3.IntVal(ids_o.index(v), self.ctx), expr)
                    expr = z3.If(xn == -1, z3.IntVal(-1, self.ctx), expr)
                    # the old variable has the same name as the new one; substitution is simultaneous
                    pairs.append((so.dimension(d, state), expr))
            renamed = {}
            for on in sn.kind.options:
                oo = self.match.old_option(kn, on)
                if oo is not None and oo != on:
                    renamed[oo] = on
            for key, x in so.vars.items():
                fid, path, state = key
                if fid not in option_fields or not path or path[0] not in renamed:
                    continue
                twin = (fid, (renamed[path[0]], *path[1:]), state)
                if twin in sn.vars:
                    pairs.append((x, sn.vars[twin]))
                    if key in so.known and twin in sn.known:
                        pairs.append((so.known[key], sn.known[twin]))
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
        m = self.match
        out = []
        for so, sn in zip(old.slots, new.slots):
            kn = sn.kind.id
            alone = [(so, o) for o in so.kind.options if m.new_option(kn, o) is None]
            alone += [(sn, o) for o in sn.kind.options if m.old_option(kn, o) is None]
            for slot, o in alone:
                out += [z3.Not(slot.option(o, state)) for state in ("new", "old")]
            for on, opt_n in sn.kind.options.items():
                oo = m.old_option(kn, on)
                if oo is None:
                    continue
                opt_o = so.kind.options[oo]
                for slot, this, that in ((sn, opt_n, opt_o), (so, opt_o, opt_n)):
                    for at in this.attributes.values():
                        for v in at.values:
                            if at.id not in that.attributes or v not in that.attributes[at.id].values:
                                for state in ("new", "old"):
                                    out.append(z3.Not(slot.term(ir.Field("optattr", (this.id, at.id, v), state))))
            for d, dim_n in sn.kind.dimensions.items():
                dim_o = so.kind.dimensions.get(d)
                if dim_o is None:
                    continue
                for state in ("new", "old"):
                    xn = sn.dimension(d, state)
                    for j, v in enumerate(dim_n.values):
                        if m.old_value(kn, d, v) is None:
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
        verdict = self._judge(order)
        expected = (True, False) if direction == "rejected" else (False, True)
        confirmed = verdict is not None and verdict[:2] == expected and rule.id in verdict[2]
        g = DiffGroup(direction, rule, shape.label, witness, confirmed)
        if confirmed:
            g.boundaries = self._boundaries(rule, order, verdict[:2], old_rule=direction == "accepted")
        else:
            g.note = "the concrete validators do not confirm this witness" if verdict else \
                "the witness does not decode in both versions"
        return g

    def _judge(self, order: Order) -> tuple[bool, bool, set[str]] | None:
        """(old accepts, new accepts, rules broken by the rejecting side) by the concrete validators,
        each reading the order in its own version's names."""
        try:
            vo = self.cv_old.validate(decode_order(order_to_json(self._in_old_names(order), self.old), self.old))
            vn = self.cv_new.validate(decode_order(order_to_json(order, self.new), self.new))
        except Exception:  # noqa: BLE001 - a witness one version cannot read is reported, not raised
            return None
        broken = {v.rule.id for v in (vn.violations if vo.status == "valid" else vo.violations)}
        return vo.status == "valid", vn.status == "valid", broken

    def _in_old_names(self, order: Order) -> Order:
        """An order of the new version, in the old version's names (kinds, options and values a
        rename paired)."""
        m = self.match
        if self._same_ids:
            return order
        out = copy.deepcopy(order)
        for e in out.contracts:
            kn = e.kind
            e.kind = m.kinds.get(kn, kn)
            e.children = {m.kinds.get(k, k): n for k, n in e.children.items()}
            for st in (e.new, e.old):
                st.dims = {d: v if v is None else (m.old_value(kn, d, v) or v) for d, v in st.dims.items()}
                st.options = {(m.old_option(kn, o) or o): x for o, x in st.options.items()}
        return out

    def _boundaries(self, rule: M.Rule, order: Order, differ: tuple[bool, bool], old_rule: bool) -> list[Boundary]:
        """`old_rule`: the rule is the old version's, its names are translated to the order's."""
        out = []
        m = self.match
        scope = (m.new_kind(rule.scope) if old_rule else rule.scope) or rule.scope
        option = (lambda o: m.new_option(scope, o) or o) if old_rule else (lambda o: o)
        for path, get, put, is_day in _numeric_fields(rule, order, scope, option):
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
                    v = self._judge(trial)
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


def _parent(kind: str | None) -> str:
    return f"parent `{kind}`" if kind else "no parent"


def _numeric_fields(rule: M.Rule, order: Order, scope: str, option):
    """The numbers and days of the new state that the rule reads, as (path, get, put): `scope` is
    the order's name of the rule's contract kind, `option` gives the order's name of an option."""
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
            if f.kind in ("optcount", "optqty"):
                f = dataclasses.replace(f, path=(option(f.path[0]), *f.path[1:]))
            for idx, e in enumerate(order.contracts):
                if e.kind != scope:
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
