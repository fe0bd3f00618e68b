"""The nearest valid orders: which of the customer's choices to change, and to what.

Every rule instance of the order is required, every choice the customer locked (and every
fact the request itself gives) is kept, and Z3's optimiser (MaxSMT) looks for a model of the
rules that changes the order least. The cost of a repair is, lexicographically:

1. the **changes**: the sum, over the order's fields that take a new value, of the field's
   weight (1 by default, for every kind of field; `weights` sets it per kind of field or per
   field). A field that belongs to an option (its quantity, designations, dates) counts only
   while the option stays ordered: dropping an option is one change.
2. the **distance**: the sum of how far each number moved: counts and quantities by their
   difference, dates by days, an option dropped by its count and its quantities. So 37
   accounts become 50 rather than 0 when 50 is the nearest value the rules allow.

`repair(order, k=K)` returns up to K distinct repairs in increasing cost. After each one,
the set of fields it changed is blocked as a whole and every superset of it (the next repair
must keep at least one of those fields as it was), in the manner of enumerating minimal
correction sets: each alternative is a different way out, not the same one with a change
added. Repairs of equal cost and distance come in a fixed order (`_Ties`): the one that changes
the earlier field of the order first, each changed field at the value the order gave it if it
can be, else the least it can; so K=1 gives the first repair of any K.

Each repair is turned back into an order, re-checked by the concrete validator (a repair that
failed that check would be reported, never shown as valid), and each change lists the rule
instances it satisfies: the ones that would break again were that change alone undone.

Fixed by the request and never changed: the kind of request, the contracts a cancellation
ends, each contract as it is now, and by default the days the application and the notice
arrived (the past). Structure: a new contract may be given a new parent contract, and a new
parent contract may give up children (each moves to a new parent contract of its own);
nothing else about which contracts the order holds changes.
"""

from __future__ import annotations

import copy
import ctypes
from dataclasses import dataclass, field

import z3

from ..model import tariff as M
from ..common.diagnostics import Diagnostic, DiagnosticError, did_you_mean
from ..common.names import name_key
from ..orders.order import ContractEntry, ContractState, Order, OptionState
from ..evaluate.concrete import ConcreteValidator
from .encode import Encoder, Instance
from .explain import Tie
from .links import Structure
from .propagate import any_of
from .readback import Values, state_of, truths
from .repair_bound import CoreBound, unsat_core_ids
from ..model.limits import DEFAULT_LOCKED, DEFAULT_TIMEOUT_MS
from .problem import Assumed, Choice, Incomplete, OrderProblem, Workspaces, choice_value, within_budget
from ..evaluate.verdict import VALID, InstanceKey, Verdict, field_path, involved_fields
from ..model import ir
from ..model.fields import CHOICES, FieldRef, contract_ref

# a parent's count of children is not a choice of its own: it follows from the children's parents
DEFAULT_WEIGHTS = {"children": 0}
FIELD_KINDS = CHOICES  # the kinds of field a weight may name (model/fields.py)


@dataclass
class Change:
    path: FieldRef
    before: object
    after: object
    weight: int
    distance: int
    satisfies: list[Tie] = field(default_factory=list)  # broken again were this change undone


def breach_notes(tariff: M.Tariff, order: Order) -> list[str]:
    """What a repair does about each clause the order breaks by what it writes (Order.breaches):
    an option the tariff does not list is left out, a dimension without one listed value gets
    one, a count left out is stated."""
    out = []
    for b in order.breaches:
        rule = tariff.order_rules[b.rule]
        if rule.kind == "listed-option":
            options = tariff.contracts[rule.scope].options.values()
            guess = did_you_mean(b.name, [o.label for o in options] + [o.id for o in options])
            out.append(f"{b.path}: `{b.name}` is not an option the tariff lists ({rule.citation}); the repair leaves "
                       "it out" + (f" ({guess[0].lower()}{guess[1:]} add it if so)" if guess else ""))
        elif rule.kind in ("listed", "one-value"):
            if rule.kind == "listed" and any(x.rule.startswith("one_") and x.unset == b.unset for x in order.breaches):
                continue  # said once, by the note on the two values
            out.append(f"{b.path}: the order gives no one value the tariff lists ({rule.citation}); "
                       "the repair gives it one")
        else:
            out.append(f"{b.path}: the order leaves out {b.name} ({rule.citation}); the repair states it")
    return out


@dataclass
class Repair:
    changes: list[Change]
    cost: int  # the sum of the changes' weights
    distance: int
    order: Order  # the repaired order
    verdict: Verdict  # the concrete validator's check of it


@dataclass
class RepairResult:
    status: str  # "valid": nothing to repair | "repaired" | "none": no repair keeps the locks | "unknown"
    repairs: list[Repair] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)  # the fields kept as they are
    complete: bool = True  # False: a time limit stopped the search before K repairs or a proof of none
    reason: str | None = None


class Repairer:
    """Repairs for one tariff, with one optimiser reused across orders (push and pop)."""

    def __init__(self, tariff: M.Tariff, timeout_ms: int = DEFAULT_TIMEOUT_MS,
                 concrete: ConcreteValidator | None = None, optimiser: bool = False):
        self.tariff = tariff
        # the least repair is found by bounds on one incremental solver (`_Least`); `optimiser`
        # asks Z3's optimiser instead, the path before that, kept as a reference that the tests
        # compare against (both give the same repairs at the same costs)
        self.workspace = Workspaces(Encoder(tariff), timeout_ms, optimize=optimiser, cone=True,
                                    compact_models=False)
        self.concrete = concrete or ConcreteValidator(tariff)
        self._reads: dict[tuple, set[str]] = {}  # per rule instance: the names of what it reads

    def repair(self, order: Order, k: int = 1, locks: list[str] = (), weights: dict[str, int] | None = None,
               unlock: list[str] = ()) -> RepairResult:
        if self.concrete.validate(order).status == VALID:
            return RepairResult("valid")
        for adding in (False, True):  # a contract is added only when nothing else will do
            with self.workspace.open(order) as p:
                locked = resolve_locks(p, list(locks), list(unlock))
                structure = Structure.of(p, adding)
                if adding and not structure.adds:
                    break
                result = self._search(p, k, locked, resolve_weights(p, weights or {}), structure)
                if result.status != "none":
                    return result
        return result

    def _search(self, p: OrderProblem, k: int, locked: set[str], weights: dict[str, int],
                structure: Structure) -> RepairResult:
        # with the optimiser (the reference path) p.solver is it and p.plain a plain solver beside
        optimiser = p.solver if isinstance(p.solver, z3.Optimize) else None
        ctx = p.encoder.ctx
        p.add([structure.guard(i) for i in p.instances])
        p.add(p.shape() + structure.constraints())
        free = [c for c in p.choices if c.path not in locked]
        p.add([c.term for c in p.choices if c.path in locked])
        for c in free:  # a date given is moved, never taken away
            if c.kind in ("odate", "date", "optdate") and c.value is not None:
                known = c.facts[0].vars[1]
                p.add(known if c.under is None else z3.Implies(c.under, known))
        if p.order.request == "change":  # the order format cannot take a kept option's day away
            p.add(_kept_option_days(p))
        enc = p.encoder
        terms = {id(c): enc.memo(("changed",) + c.key(), lambda: _changed(c)) for c in free}
        changed = {k: t[0] for k, t in terms.items()}
        zero = z3.IntVal(0, ctx)
        # every change that costs, as (holds when it is made, weight), in the order of the
        # order's fields, then of its contracts: what ties are settled by (`_Ties`)
        weighed: list[tuple[z3.BoolRef, int]] = []
        order_of_changes: list[z3.BoolRef] = []

        def cost(kept: z3.BoolRef, made: z3.BoolRef, weight: int) -> None:
            if not weight:
                return  # a change that costs nothing is not one the search weighs or orders
            if optimiser is not None:
                optimiser.add_soft(kept, weight, id="changes")
            weighed.append((made, weight))
            order_of_changes.append(made)

        for c in free:  # the fields kept, then the distance
            cost(terms[id(c)][1], changed[id(c)], weights[c.path])
        for i, keep in structure.keep.items():  # leaving a bare contract out is one change
            if f"contracts[{i}]" in locked:
                p.add(keep)
            else:
                cost(keep, z3.Not(keep), weights.get(f"contracts[{i}]", 1))
        added_numbers = []
        for i, (kind, _, add) in structure.adds.items():  # adding a contract is one change
            cost(z3.Not(add), add, weights.get("contract", 1))
            slot = p.encoder.slot(kind, i)
            added_numbers += [x for key, x in slot.vars.items() if key[0] in ("qty", "optqty", "optcount")
                              and key[2] == "new"]
        stays = []  # a child that stays under its parent
        for (child, parent), b in structure.links.items():  # moving a child to another parent is one change
            if parent is not None and p.order.contracts[child].parent == p.order.contracts[parent].id:
                if f"contracts[{child}].parent" in locked:
                    p.add(b)  # a locked parent is this parent, not just some parent
                else:
                    cost(b, z3.Not(b), weights.get(f"contracts[{child}].parent", 1))
                    stays.append(b)
        moves = [enc.memo(("distance",) + c.key(), lambda: _distance(c)) for c in free
                 if c.number is not None and c.value is not None and c.kind != "children"]
        distance = z3.Sum(moves + added_numbers + [zero])
        if optimiser is not None:
            optimiser.minimize(distance)
        # an added contract's numbers are not known to be at least 0: no bound from cores then
        least = _Least(p, weighed, distance, optimiser, moves=None if added_numbers else moves)
        ties = _Ties(p, least, order_of_changes,
                     [(c, changed[id(c)], weights[c.path] > 0) for c in free if c.kind != "children"])
        out = RepairResult("repaired", locked=sorted(locked))
        try:
            while len(out.repairs) < k:
                m = least.next()
                if m is None:
                    break
                m = ties.first(m, out)
                gone = set(structure.dropped(m))
                # a parent's count of children follows from where its children hang; the fields
                # of a contract left out go with it
                moved = [c for c, on in zip(free, truths(m, [changed[id(c)] for c in free]))
                         if on and c.kind != "children" and c.slot not in gone]
                moved_by = m.eval(distance, model_completion=True).as_long()
                repair = self._realize(p, m, moved, weights, structure, moved_by)
                if repair.verdict.status != VALID:
                    # the encoding and the concrete validator disagree: never show it as a repair
                    out.complete = False
                    out.reason = ("internal: a repair failed the concrete validator's check "
                                  f"({', '.join(sorted(v.key.rule for v in repair.verdict.violations))})")
                    break
                out.repairs.append(repair)
                dropped = [structure.keep[i] for i in structure.dropped(m)]
                added = [z3.Not(structure.adds[i][2]) for i in structure.added(m)]
                moved_away = [b for b in stays if z3.is_false(m.eval(b, model_completion=True))]
                ties.block(z3.Or([terms[id(c)][1] for c in moved] + dropped + added + moved_away
                                 + [z3.BoolVal(False, ctx)]))
        except Incomplete as e:
            out.complete, out.reason = False, e.reason
        if not out.repairs:
            out.status = "none" if out.complete else "unknown"
        return out

    # ---- from a model back to an order --------------------------------------------------------
    def _realize(self, p: OrderProblem, m: z3.ModelRef, moved: list[Choice], weights: dict[str, int],
                 structure: Structure, distance: int) -> Repair:
        order = p.order
        enc = p.encoder
        new = copy.deepcopy(order)
        ov = enc.order_vars
        got = Values(m)
        new.dates = {name: got.int(day) for name, (day, known) in ov.dates.items() if got.true(known)}
        new.holdings = {s for s, b in ov.holds.items() if got.true(b)}
        new.flags = {f: got.true(b) for f, b in ov.flags.items()}
        new.holding_values = {key for key, b in ov.holds_value.items() if got.true(b)}
        for entry in new.contracts:
            if entry.cancelled:
                continue
            slot = enc.slot(entry.kind, entry.index)
            entry.new = state_of(slot, got, options=None if p.kept is None else p.kept[entry.index].options)
            entry.former = {key for key, on in zip(slot.former, truths(m, list(slot.former.values()))) if on}
        new.notes = list(order.notes) + structure.apply(m, new) + breach_notes(self.tariff, order)
        new.breaches, new.unset = [], set()  # a repaired order names only what the tariff lists, once, with every count
        dist = {c.path: abs(got.int(c.number) - c.value)
                for c in p.choices if c.number is not None and c.value is not None}
        moved_paths = {c.path for c in moved}
        below: dict[str, int] = {}  # per path: how far the numbers under it moved, those not moved on their own
        for path, v in dist.items():
            if path not in moved_paths:
                for n in range(len(path.parts) - 1, 0, -1):
                    above = FieldRef(path.contract, *path.parts[:n])
                    below[above] = below.get(above, 0) + v
        # a rule reads one contract and the order's own fields: a change is looked up among its own
        # contract's choices and rules only (all of them for a field of the order itself)
        choices_in: dict[int | None, list[Choice]] = {}
        for c in p.choices:
            choices_in.setdefault(c.slot, []).append(c)
        instances_in: dict[int, list[Instance]] = {}
        for inst in p.instances:
            instances_in.setdefault(inst.slot, []).append(inst)
        gone = set(structure.dropped(m))
        changes = []
        for c in moved:
            # an option dropped moves its count and the quantities that go with it
            d = dist.get(c.path, 0) + below.get(c.path, 0)
            after = got.int(c.number) if c.kind == "children" else choice_value(c, new)
            parts = [x for x in choices_in.get(c.slot, []) if x.path.within(c.path)] if c.kind == "option" else []
            readers = p.instances if c.slot is None else instances_in.get(c.slot, [])
            changes.append(Change(c.path, choice_value(c, order), after, weights[c.path], d,
                                  self._satisfies(got, c, parts, readers, new, gone)))
        for i in structure.dropped(m):  # its rules no longer apply: the ones that failed are met
            entry = new.contracts[i]
            broken = [self._tie(inst, new) for inst in p.instances
                      if inst.slot == i and got.false(inst.term)]
            changes.append(Change(contract_ref(i), entry.id, None, weights.get(f"contracts[{i}]", 1), 0, broken))
            new.notes.append(f"contract `{entry.id}` is left out of the order")
        for e, before in zip(new.contracts, order.contracts):  # a child moved to another parent
            if before.parent is None or e.parent == before.parent or e.index in structure.dropped(m):
                continue
            met = []  # undone, the old parent has one child more and the new one one less
            for pid, step in ((before.parent, 1), (e.parent, -1)):
                q = next((x for x in order.contracts if x.id == pid), None)
                if q is None:
                    continue  # a new parent contract: it has no rules in the model
                n = p.encoder.slot(q.kind, q.index).children[e.kind]
                undo = [(n, z3.IntVal(got.int(n) + step, p.encoder.ctx))]
                met += [self._tie(inst, new) for inst in p.instances if inst.slot == q.index and
                        got.false(z3.substitute(inst.term, *undo))]
            changes.append(Change(contract_ref(e.index).child("parent"), before.parent, e.parent,
                                  weights.get(f"contracts[{e.index}].parent", 1), 0, met))
        for i in structure.added(m):  # the parent's rules about its children are met
            kind, parent, _ = structure.adds[i]
            entry = next(e for e in new.contracts[len(order.contracts):] if e.kind == kind and
                         e.parent == new.contracts[parent].id)
            n = p.encoder.slot(new.contracts[parent].kind, parent).children[kind]
            less = [(n, z3.IntVal(got.int(n) - 1, p.encoder.ctx))]
            met = [self._tie(inst, new) for inst in p.instances if inst.slot == parent and
                   got.false(z3.substitute(inst.term, *less))]
            changes.append(Change(contract_ref(entry.index), None, entry.id, weights.get("contract", 1), 0, met))
        changes += self._breach_changes(order, new, changes, weights)
        final = structure.finish(m, new)
        verdict = self.concrete.validate(final)
        return Repair(changes, sum(ch.weight for ch in changes), distance, final, verdict)

    def _breach_changes(self, order: Order, new: Order, changes: list[Change], weights: dict[str, int]
                        ) -> list[Change]:
        """The clauses the order breaks by what it writes, met by the repair: a change of a field
        a breach left without a value satisfies the breach's order rule; an option the tariff does
        not list, left out, and a count stated as it was read (no other change) are changes of
        their own."""
        out: list[Change] = []
        by_path = {str(ch.path): ch for ch in changes}
        for b in order.breaches:
            entry = order.contracts[b.contract]
            tie = Tie(InstanceKey(b.rule, b.contract, b.subject), self.tariff.order_rules[b.rule], entry.id,
                      ((b.path, b.value),))
            if b.unset is None:  # an option not listed: not in the repaired order
                out.append(Change(FieldRef(b.contract, *b.path.parts), b.value, None, 1, 0, [tie]))
                continue
            if b.unset.parts and b.unset.parts[0] == "current":
                continue  # the contract as it is now: no repair changes it
            if str(b.unset) in by_path:
                if tie.key not in {t.key for t in by_path[str(b.unset)].satisfies}:
                    by_path[str(b.unset)].satisfies.append(tie)
                continue
            state = new.contracts[b.contract].new
            parts = b.unset.parts
            stated = state.quantities.get(parts[0]) if len(parts) == 1 else \
                state.options[parts[1]].quantities.get(parts[2]) if parts[1] in state.options else None
            ch = Change(b.unset, None, stated, weights.get(str(b.unset), 1), 0, [tie])
            by_path[str(b.unset)] = ch
            out.append(ch)
        return out

    @staticmethod
    def _tie(inst: Instance, order: Order) -> Tie:
        entry = order.contracts[inst.slot]
        fields = tuple(involved_fields(inst.rule.condition(inst.subject), order, entry))
        return Tie(InstanceKey(inst.rule.id, inst.slot, inst.subject), inst.rule, entry.id, fields)

    def _satisfies(self, values: Values, c: Choice, parts: list[Choice], readers: list[Instance], new: Order,
                   gone: set[int]) -> list[Tie]:
        """The rule instances (of `readers`) that the repaired order satisfies and that would
        break were this one change undone (its fields back as the order gave them, everything
        else repaired). An option undone comes back with its own fields (`parts`) as the order
        gave them: dropping it also cleared them, and a rule may be about them (a change of its
        devices on the wrong day)."""
        undo = c.pins()
        for part in parts:
            undo += part.pins()
        touched = {str(v) for v, _ in undo}
        out = []
        for inst in readers:
            if inst.slot in gone:
                continue  # a contract left out: its rules no longer apply
            term = inst.term
            key = (inst.rule.id, inst.slot, inst.subject)
            if key not in self._reads:
                self._reads[key] = _names(term)
            if not touched & self._reads[key]:
                continue
            if values.false(z3.substitute(term, *undo)):
                out.append(self._tie(inst, new))
        return out


def _names(term: z3.ExprRef) -> set[str]:
    """The names of the constants a term reads."""
    seen, out, todo = set(), set(), [term]
    while todo:
        t = todo.pop()
        if t.get_id() in seen:
            continue
        seen.add(t.get_id())
        if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            out.add(str(t))
        todo.extend(t.children())
    return out


class _Least:
    """The repairs of least cost, then least distance, one after the other (each call: the least
    one the blocks so far leave), as bounds on one incremental solver.

    The cost is a weighted sum of changes made, so "costs at most c" is a pseudo-Boolean bound
    over the literals of the changes, which the solver takes as such; the distance is an integer
    term, bounded by `<=`. Each bound is asked as an assumption (a fresh literal that implies
    it), so what the solver learns on one question serves the next, and on the next repair.
    The least cost is found from below: the repairs come in increasing cost (each block only
    takes models away), so the last repair's cost is a lower bound, and the next one usually
    costs the same, or else one more (one call then finds it and proves it least). When it
    costs more, disjoint unsat cores of "no change made" give a lower bound and a repair
    (smt/repair_bound.py): "costs at most the bound?" is asked first (usually
    yes: done), then a few steps up, then halving the gap up to the repair's cost. The least
    distance at that cost likewise: a lower bound from the cores of "every number as the order
    gave it" (each number that must move moves by at least 1), asked first, then "one less than
    the model found" (usually no), then halving. Proving a bound just under the least one is
    the question the solver can take longer over than the time limit (a repair of 21 changes at
    synthetic 10x: "no repair costs 21" as a pseudo-Boolean bound); the cores prove it instead,
    one easy call per core, and what they imply of a repair at the bound is told to the solver
    (`_tell`) for the questions after. Every answer is a model of the cone's constraints
    with the least (cost, distance), as the optimiser's would be; `_Ties` then picks the first
    of the equally good ones, so which model is found here does not show.

    Z3's optimiser (MaxSMT, then the distance) gave the same costs, but it starts its search
    afresh on every check and kept nothing from one repair to the next: at synthetic 10x it
    took about 500 ms a repair where these bounds take a tenth of that."""

    # the distance is bounded from cores only for a repair of this many changes or more: below
    # it, "one less than the model found" is quickly refuted, and the cores cost a call each
    MANY_CHANGES = 8
    # the least cost is asked this many steps above the last repair's before it is bounded
    # from cores: each step is one call, the cores one call each and a literal per change. On
    # the bundled tariffs' orders a second step spared the cores on 4 of 160 searches that
    # needed them after one, and cost 5-7% more calls (bench_repair_cost.py, stop 26)
    STEPS = 1

    def __init__(self, p: OrderProblem, made: list[tuple[z3.BoolRef, int]], distance: z3.ArithRef,
                 optimiser: z3.Optimize | None = None, moves: list[z3.ArithRef] | None = None):
        # `made`: each change that costs, as (holds when it is made, its weight); `moves`: the
        # parts of `distance`, each at least 0 (None: not known to be)
        self.p, self.distance, self.optimiser = p, distance, optimiser
        self.solver = p.plain if p.plain is not None else p.solver
        self.weights = [w for _, w in made]
        self.made = made
        # the bounds and the cost are made through Z3's C API: z3py's PbLe casts and sort-checks
        # each of the hundreds of literals on every bound, which cost more than asking it
        ctx = p.encoder.ctx
        n = len(made)
        self._made_asts = (z3.Ast * n)(*[m.as_ast() for m, _ in self.made])
        self._weights_array = (ctypes.c_int * n)(*self.weights)
        # (each term is wrapped as soon as it is made: z3py's wrapper holds Z3's reference to it)
        values = {w: z3.IntVal(w, ctx) for w in set(self.weights) | {0}}
        terms = [z3.ArithRef(z3.Z3_mk_ite(ctx.ref(), m.as_ast(), values[w].as_ast(), values[0].as_ast()), ctx)
                 for m, w in self.made]
        self._cost = values[0] if not terms else terms[0] if n == 1 else \
            z3.ArithRef(z3.Z3_mk_add(ctx.ref(), n, (z3.Ast * n)(*[t.as_ast() for t in terms])), ctx)
        self.floor = (0, 0)  # the last repair's (cost, distance): no repair left is better
        # lower bounds from disjoint unsat cores (smt/repair_bound.py): on the cost, of "every
        # change unmade"; on the distance at a cost, of "every number as the order gave it". Made
        # when first asked (`bound`, `moves`): most orders never need them, and their terms (a
        # few per field) cost more to build than the rest of an everyday order's search
        self._moved = moves
        self._bound: CoreBound | None = None
        self._moves: CoreBound | None = None
        self._told: set[tuple] = set()  # the bounds whose implied terms the solver was given
        self._costs: dict[int, z3.BoolRef] = {}
        self._distances: dict[int, z3.BoolRef] = {}
        self.asked = 0

    def next(self) -> z3.ModelRef | None:
        """A model of the least (cost, distance) repair left, or None: no repair is left."""
        if self.optimiser is not None:
            m = self._ask_optimiser()
        else:
            m = self._least()
        if m is not None:
            self.floor = (self.cost(m), self._distance(m))
        return m

    def as_good(self, m: z3.ModelRef) -> list[z3.BoolRef]:
        """Literals that bound a repair to `m`'s cost and distance."""
        cost = self.cost(m)
        bounds = [self._at_most(cost)] if self.made and cost < sum(self.weights) else []
        return bounds + [self._within(self._distance(m))]

    def cost(self, m: z3.ModelRef) -> int:
        return Values(m).int(self._cost)

    def _distance(self, m: z3.ModelRef) -> int:
        return m.eval(self.distance, model_completion=True).as_long()

    def _least(self) -> z3.ModelRef | None:
        low, low_distance = self.floor
        total = sum(self.weights)
        m = self._check([self._at_most(low)] if self.made and low < total else [])
        if m is None:  # dearer than the last one, if there is one left at all
            if not self.made or low >= total:
                return None
            # a step up first: the next repair usually costs one more than the last one (an
            # everyday order's first repair is one change), and then the call that finds it
            # proves it least, as the refutation before proves nothing cheaper is left
            # (refuting a bound just above the last cost is quick; one just under a repair of
            # many changes is what the cores below are for)
            for _ in range(self.STEPS):
                low += 1
                m = self._check([self._at_most(low)] if low < total else [])  # else: it costs `total`
                if m is not None:
                    return self._nearest(m, low, 0)
                if low >= total:
                    return None  # no repair left at all
            lower = self.bound.lower()  # from disjoint cores, with a repair (`CoreBound`)
            if lower is None:
                return None
            bound, m = lower
            # the next question is whether a repair meets the bound: usually one does
            low, high, step = max(low + 1, bound), self.cost(m), 1
            if low == bound:
                self._tell(bound, self.bound, [self._at_most(bound)] if bound < total else [])
            while low < high:  # no repair costs less than `low`; `m` costs `high`
                # from below, in growing steps: a bound far above the least cost is a question
                # the solver can take long over, one just under it is quickly refuted
                bound = min(low + step - 1, (low + high) // 2)
                got = self._check([self._at_most(bound)])
                if got is None:
                    low, step = bound + 1, step * 2
                else:
                    m, high = got, self.cost(got)
        cost = self.cost(m)
        return self._nearest(m, cost, low_distance if cost == self.floor[0] else 0)

    def _nearest(self, m: z3.ModelRef, cost: int, low_distance: int) -> z3.ModelRef:
        """A model of the least distance among the repairs of `m`'s cost (the least one left),
        none of which is nearer than `low_distance`."""
        at_cost = [self._at_most(cost)] if self.made and cost < sum(self.weights) else []
        d, step = self._distance(m), 1
        if self._moved is not None and low_distance + 1 < d and self._changes(m) >= self.MANY_CHANGES:
            # each number that must move at this cost moves by at least 1: the disjoint cores of
            # "every number as the order gave it" bound the distance; usually a repair meets it
            lower = self.moves.lower(at_cost)
            if lower is not None and lower[0] >= low_distance:
                self._tell((cost, lower[0]), self.moves, at_cost + [self._within(lower[0])])
            if lower is not None and lower[0] >= d:
                return m  # `m` meets the bound
            if lower is not None and low_distance < lower[0]:
                got = self._check(at_cost + [self._within(lower[0])])
                if got is not None:
                    return got
                low_distance = lower[0] + 1
        while low_distance < d:  # no repair of this cost is nearer than `low_distance`
            # from above, in growing steps while the solver finds nearer repairs: "one less"
            # is usually refuted at once, and a bound far below the least distance is a
            # question the solver can take long over
            bound = max(low_distance, d - step)
            got = self._check(at_cost + [self._within(bound)])
            if got is None:
                low_distance, step = bound + 1, 1
            else:
                m, d, step = got, self._distance(got), step * 2
        return m

    @property
    def bound(self) -> CoreBound:
        """Lower bounds on the cost, from the cores of "every change unmade"."""
        if self._bound is None:
            self._bound = CoreBound([z3.Not(x) for x, _ in self.made], self.weights, self._literal, self._check,
                                    self._core)
        return self._bound

    @property
    def moves(self) -> CoreBound:
        """Lower bounds on the distance, from the cores of "every number as the order gave it"
        (only where each part of the distance is at least 0: `_moved` is not None)."""
        if self._moves is None:
            parts = self._moved
            self._moves = CoreBound([x <= 0 for x in parts], [1] * len(parts), self._literal, self._check,
                                    self._core, within=[x <= 1 for x in parts])
        return self._moves

    def _core(self) -> set[int]:
        return unsat_core_ids(self.solver)

    def _changes(self, m: z3.ModelRef) -> int:
        """How many changes `m`'s repair makes."""
        return sum(truths(m, [x for x, _ in self.made]))

    def _tell(self, key, bound: CoreBound, under: list[z3.BoolRef]) -> None:
        """Give the solver, under the literals that bound a repair to `bound`'s last lower
        bound, what every such repair has (`CoreBound.implied`): the questions asked under
        those literals later (the distance, the order of equal repairs) then need not find it
        from the bound. Implied terms only: the repairs under the literals stay the same.
        The cores were found under the blocks so far, and blocks only take repairs away."""
        if not under or (key, id(bound)) in self._told:
            return
        self._told.add((key, id(bound)))
        implied = bound.implied()
        if implied:
            self.solver.add(z3.Implies(z3.And(under), z3.And(implied)))

    def _at_most(self, cost: int) -> z3.BoolRef:
        b = self._costs.get(cost)
        if b is None:
            ctx = self.p.encoder.ctx
            bound = z3.Z3_mk_pble(ctx.ref(), len(self.made), self._made_asts, self._weights_array, cost)
            b = self._costs[cost] = self._literal(z3.BoolRef(bound, ctx))
        return b

    def _within(self, distance: int) -> z3.BoolRef:
        b = self._distances.get(distance)
        if b is None:
            b = self._distances[distance] = self._literal(self.distance <= distance)
        return b

    def _literal(self, term: z3.BoolRef) -> z3.BoolRef:
        """A fresh literal that implies `term`, for this order (popped with the order's facts)."""
        self.asked += 1
        return implying_literal(self.solver, f"least:{self.asked}", term)

    def _check(self, assumptions: list[z3.BoolRef]) -> z3.ModelRef | None:
        s = self.solver
        self.p.calls += 1
        r = within_budget(s, self.p.timeout_ms, lambda: Assumed(assumptions).check(s))
        if r == z3.unknown:
            raise Incomplete(f"the solver gave up: {s.reason_unknown()}")
        return s.model() if r == z3.sat else None

    def _ask_optimiser(self) -> z3.ModelRef | None:
        o = self.optimiser
        self.p.calls += 1
        r = within_budget(o, self.p.timeout_ms, o.check)
        if r == z3.unknown:
            raise Incomplete(f"the solver gave up: {o.reason_unknown()}")
        return o.model() if r == z3.sat else None


class _Ties:
    """Which of the repairs of least cost and distance comes first, and with which values. A
    repair comes before another if, at the first change (in the order of the order's fields,
    then of its contracts: left out, added, a child moved) that one of them makes and the other
    does not, it is the one that makes it. Its changed fields then take, one by one, the value
    the order gave them if they can, else the least they can (an item by its place in the
    tariff, a flag false before true). That is a lexicographic order, so exactly one repair of
    the ones the search leaves comes first, whichever model the search ended on: the order of
    equal repairs is the same whatever K is (K=1 gives the first of K=n), and whatever the
    solver learnt before.

    One question first: "is there an equally good repair that comes before this one?"
    (`_before`); usually the answer is no, and the repair is the first. If there is, the first
    is settled field by field (`_Descent`): a bounded number of questions, however far the
    model the search gave is from it. (Stepping from one better repair to the next, as this
    once did, took as many steps as there were repairs in between, which depended on the
    models the solver happened to return: more than 64 after some histories.)

    The questions go to the search's own plain solver, under assumptions: it keeps what it
    learns from one question to the next, which push and pop would throw away."""

    # tests set this: after the descent, ask once more that no repair comes before the one it
    # gives (`_before`, the definition above); one that does is reported, not shown as first
    check_settled = False

    def __init__(self, p: OrderProblem, least: "_Least", changes: list[z3.BoolRef],
                 fields: list[tuple[Choice, z3.BoolRef, bool]]):
        # `changes`: the literals of the changes that cost, in order (least.weights, the same
        # order, weighs them); `fields`: each free field with its literal "changed" and
        # whether its change costs
        self.p, self.least, self.changes, self.fields = p, least, changes, fields
        self.solver = least.solver  # a plain solver
        self.asked = 0
        self._variables: dict[int, list] = {}  # per choice (its id): `variables`

    def block(self, clause: z3.BoolRef) -> None:
        """The next repair keeps one of this one's changes unmade (in both solvers)."""
        self.p.add(clause)

    def first(self, m: z3.ModelRef, out: RepairResult) -> z3.ModelRef:
        """The first repair as good as the one `m` gives (its model)."""
        # as good: no dearer and no further (the bounds the search asked already: none is
        # cheaper, so every answer costs what `m` costs, at `m`'s distance)
        as_good = self.least.as_good(m)
        d = _Descent(self, m, as_good)
        try:
            if d.ask(self._before(m)):
                d.changes(self.changes, self.least.weights, self.least.cost(m))
                d.values(self.fields)
                if self.check_settled and self.check(as_good + [self.literal(self._before(d.m))]) is not None:
                    out.complete = False
                    out.reason = "internal: the first of the equal repairs was not settled"
        except Incomplete as e:  # keep the repair found, which is as good, not settled
            out.complete, out.reason = False, f"{e.reason} (ordering equal repairs)"
        return d.m

    def check(self, assumptions: list[z3.BoolRef]) -> z3.ModelRef | None:
        self.p.calls += 1
        asked = Assumed(assumptions)
        r = within_budget(self.solver, self.p.timeout_ms, lambda: asked.check(self.solver))
        if r == z3.unknown:
            raise Incomplete(f"the solver gave up: {self.solver.reason_unknown()}")
        return self.solver.model() if r == z3.sat else None

    def literal(self, term: z3.BoolRef) -> z3.BoolRef:
        """A fresh literal that implies `term` (for this order: the workspace pops it with the
        order's facts)."""
        self.asked += 1
        b = z3.Bool(f"tie:{self.asked}", self.p.encoder.ctx)
        self.solver.add(z3.Implies(b, term))
        return b

    def _before(self, m: z3.ModelRef) -> z3.BoolRef:
        """A repair that comes before `m`'s: one that makes some change `m` does not, and every
        change of `m`'s that comes earlier (the first change where they differ is then one it
        makes: an earlier change it makes and `m` does not would do as well); or one that makes
        the same changes, with values that come first (`_values`)."""
        ctx = self.p.encoder.ctx
        options, made_so_far, extra = [], [], []
        for made, on in zip(self.changes, truths(m, self.changes)):
            if on:
                if extra:
                    options.append(z3.And(made_so_far + [any_of(extra)]))
                made_so_far, extra = made_so_far + [made], []
            else:
                extra.append(made)
        if extra:
            options.append(z3.And(made_so_far + [any_of(extra)]))
        values, equal = [], []
        v = Values(m)
        for x, given, gate in self._values(m):
            if gate is not None and not v.true(gate):
                continue  # a day not stated, a count of an option not ordered: nothing to show
            now = m.eval(x, model_completion=True)
            if given is None or not now.eq(given):  # the order's own value comes first, then the least
                better = [x == given] if given is not None else []
                if z3.is_int(x):
                    better.append(x < now)
                elif z3.is_true(now):
                    better.append(z3.Not(x))
                if better:
                    values.append(z3.And(equal + [z3.Or(better)]))
            equal.append(x == now)
        if values:  # the same changes: `m`'s, since every change costs and the cost is `m`'s
            options.append(z3.And(made_so_far + [z3.Or(values)]))
        return any_of(options + [z3.BoolVal(False, ctx)])

    def _values(self, m: z3.ModelRef) -> list[tuple[z3.ExprRef, z3.ExprRef | None, z3.BoolRef | None]]:
        """The variables of the fields the repair changes, in order (`variables`)."""
        out = []
        for (c, _, _), on in zip(self.fields, truths(m, [changed for _, changed, _ in self.fields])):
            if on:
                out += self.variables(c)
        return out

    def variables(self, c: Choice) -> list[tuple[z3.ExprRef, z3.ExprRef | None, z3.BoolRef | None]]:
        """The variables of a field, in order, each with the value the order gave it (None: it
        gave none) and the variable that says whether it shows (a day's `known`, a count's
        option): that one comes first."""
        out = self._variables.get(id(c))
        if out is None:
            out = self._variables[id(c)] = self._variables_of(c)
        return out

    def _variables_of(self, c: Choice) -> list[tuple[z3.ExprRef, z3.ExprRef | None, z3.BoolRef | None]]:
        out = []
        given = {x.get_id(): v for x, v in c.pins()}
        for f in c.facts:
            gate = f.vars[1] if len(f.vars) == 2 else None
            out += [(x, given.get(x.get_id()), gate if x is f.vars[0] else None) for x in reversed(f.vars)]
        if c.kind == "option" and c.value == 0 and c.slot is not None:  # an option the order did not have
            slot = self.p.encoder.slot(self.p.order.contracts[c.slot].kind, c.slot)
            option = c.path.option
            present = slot.option(option)
            for (kind, path, state), x in slot.vars.items():
                if state != "new" or path[0] != option or kind in ("opt", "optcount"):
                    continue
                known = slot.known.get((kind, path, state))
                if known is not None:
                    out.append((known, None, present))
                out.append((x, None, known if known is not None else present))
        return out


class _Descent:
    """The first of the equally good repairs (`_Ties`), settled in the order that defines it:
    first which changes it makes, change by change, then the value of each variable of the
    changed fields, one by one. Each step asks only about one change or one variable, with
    everything before it settled, so the number of questions is bounded by the repair's size,
    not by the models the solver returns:

    - the next change made: "is one of the changes between the last one settled and the
      current model's next one made?" (usually not: one question); if so, halving that range
      (a question per halving). As many steps as the repair has changes (each costs at least 1:
      once the settled ones cost what the repair costs, the rest are not made).
    - a variable's value: "can it have the order's value?", then "less than now?" (usually not);
      if so, from above in growing steps to a bound no repair reaches, then halving.

    `m` is always a model of every answer so far (an equally good repair), so a time limit
    that stops the descent leaves a repair as good as the first, only not settled."""

    # a number that keeps going down past 2**62 steps has no least value: the domains of the
    # order's numbers are bounded, so this only stops a descent that would not end
    FLOOR = 62

    def __init__(self, ties: _Ties, m: z3.ModelRef, as_good: list[z3.BoolRef]):
        self.ties, self.m = ties, m
        self.settled = list(as_good)  # literals: the repair as good as `m`, and each step settled

    def ask(self, term: z3.BoolRef) -> bool:
        """Is there an equally good repair with what is settled so far where `term` holds? If
        so, it becomes `m`."""
        got = self.ties.check(self.settled + [self.ties.literal(term)])
        if got is not None:
            self.m = got
        return got is not None

    def settle(self, term: z3.BoolRef) -> None:
        self.settled.append(self.ties.literal(term))

    def changes(self, made: list[z3.BoolRef], weights: list[int], cost: int) -> None:
        start, settled = 0, 0  # changes before `start` are settled; those made cost `settled`
        while settled < cost:
            # `m` makes the settled changes and none other before `start`; its next one: `upper`
            upper = self._next(made, start, len(made))
            if upper is None:
                return  # cannot happen: `m` costs `cost`
            low, upto = start, upper  # none of the changes before `low` can be made
            while low < upper:
                if self.ask(any_of(made[low:upto])):
                    upper = self._next(made, low, upto)
                else:
                    low = upto
                upto = (low + upper + 1) // 2
            self.settle(made[upper])
            settled += weights[upper]
            start = upper + 1

    def _next(self, made: list[z3.BoolRef], start: int, end: int) -> int | None:
        """The first change `m` makes from `start` on (before `end`)."""
        on = truths(self.m, made[start:end])
        return next((start + i for i, x in enumerate(on) if x), None)

    def values(self, fields: list[tuple[Choice, z3.BoolRef, bool]]) -> None:
        for c, changed, costs in fields:
            if not costs:  # a change that costs nothing is not settled above: unmade if it can be
                if not truths(self.m, [changed])[0] or self.ask(z3.Not(changed)):
                    self.settle(z3.Not(changed))
                    continue
                self.settle(changed)
            elif not truths(self.m, [changed])[0]:
                continue
            for x, given, gate in self.ties.variables(c):
                if gate is not None and not Values(self.m).true(gate):
                    continue  # settled before it (it comes first): the variable does not show
                self.settle(x == self._first_value(x, given, c.path))

    def _first_value(self, x: z3.ExprRef, given: z3.ExprRef | None, path: FieldRef) -> z3.ExprRef:
        """The first value `x` can take with everything before it settled: the order's, else
        the least (false before true)."""
        now = self.m.eval(x, model_completion=True)
        if given is not None and (now.eq(given) or self.ask(x == given)):
            return given
        if z3.is_bool(x):
            # the order gave the other value, or none: then false comes first
            if given is not None or z3.is_false(now) or not self.ask(z3.Not(x)):
                return now
            return z3.BoolVal(False, x.ctx)
        high, step = now.as_long(), 1  # `high`: a value `x` can take
        while True:  # down from `high` in growing steps, to a bound no repair reaches
            bound = high - step
            if not self.ask(x <= bound):
                low = bound + 1
                break
            high = self.m.eval(x, model_completion=True).as_long()
            if step >= 2 ** self.FLOOR:
                raise Incomplete(f"`{path}` has no least value")
            step *= 2
        while low < high:
            mid = (low + high) // 2
            if self.ask(x <= mid):
                high = self.m.eval(x, model_completion=True).as_long()
            else:
                low = mid + 1
        return z3.IntVal(high, x.ctx)


def implying_literal(solver: z3.Solver, name: str, term: z3.BoolRef) -> z3.BoolRef:
    """A new Boolean constant `name`, and "it implies `term`" asserted in `solver`: made
    through Z3's C API, as the cores of a repair ask for one per change (hundreds on an
    everyday order), and z3py's Bool and Implies check and cast each argument, which cost
    three times as much as making them."""
    ctx = term.ctx
    ref = ctx.ref()
    b = z3.BoolRef(z3.Z3_mk_const(ref, z3.Z3_mk_string_symbol(ref, name), z3.Z3_mk_bool_sort(ref)), ctx)
    implies = z3.BoolRef(z3.Z3_mk_implies(ref, b.as_ast(), term.as_ast()), ctx)  # held until asserted
    z3.Z3_solver_assert(ref, solver.solver, implies.as_ast())
    return b


def _changed(c: Choice) -> tuple[z3.BoolRef, z3.BoolRef]:
    """The field takes a new value (a part of an option only while the option stays), and its
    negation."""
    changed = z3.Not(c.term) if c.under is None else z3.And(c.under, z3.Not(c.term))
    return changed, z3.Not(changed)


def _distance(c: Choice) -> z3.ArithRef:
    d = c.number - c.value
    return z3.If(d >= 0, d, -d)


def _kept_option_days(p: OrderProblem) -> list[z3.BoolRef]:
    """In a change request, an option ordered before and after keeps each day it had: a change
    gives an option's day a new value, never none (orders/write.py cannot write that)."""
    out = []
    for e in p.order.contracts:
        slot = p.encoder.slot(e.kind, e.index)
        for o in slot.kind.options.values():
            if p.kept is not None and o.id not in p.kept[e.index].options:
                continue  # not in the order, before or after (smt/cone.py)
            for d in o.dates:
                had = z3.And(slot.option(o.id, "old"), slot.known_of("optdate", (o.id, d), "old"))
                out.append(z3.Implies(z3.And(had, slot.option(o.id)), slot.known_of("optdate", (o.id, d))))
    return out


# ---- naming fields ------------------------------------------------------------------------------
def _matches(spec: str, c: Choice, p: OrderProblem) -> bool:
    """Does a lock or weight name this choice? By its path (`contracts[1].accounts`), by a
    contract id and a field (`se-1.accounts`), or by a field alone in every contract
    (`accounts`, `契約アカウント数`, `tunnel`, `トンネル接続オプション`), an option covering its parts."""
    if spec == c.path or c.path.startswith(spec + "."):
        return True
    if c.slot is None:
        return False
    entry = p.order.contracts[c.slot]
    kind = p.tariff.contracts[entry.kind]
    head, _, tail = spec.partition(".")
    if tail and head == entry.id:
        spec = tail
    parts = list(c.path.parts)  # e.g. options, tunnel, connections
    names = {name_key(x) for x in parts}
    if parts[0] == "options" and len(parts) > 1:
        o = kind.options[parts[1]]
        names |= {name_key(o.label), name_key("options." + o.id)}
        for q in list(o.quantities.values()) + list(o.flags.values()):
            if q.id in parts[2:]:
                names.add(name_key(q.label))
    else:
        member = kind.member(parts[0])
        if member is not None:
            names.add(name_key(member.label))
    target = [name_key(x) for x in spec.split(".")]
    return all(t in names for t in target) and bool(target)


def resolve_locks(p: OrderProblem, locks: list[str], unlock: list[str]) -> set[str]:
    """The choices kept as they are: the default ones (the past) less `unlock`, plus `locks`.
    A name that matches no field of the order is an error."""
    out = {c.path for c in p.choices if c.kind == "odate" and c.path in DEFAULT_LOCKED and c.path not in unlock}
    bad = []
    for spec in locks:
        hit = [c.path for c in p.choices + p.outside() if _matches(spec, c, p)]
        if not hit:
            bad.append(spec)
        out.update(hit)
    if bad:
        raise DiagnosticError([Diagnostic("E002", f"`--lock {b}` names no field of the order",
                                          help="name a field by its path (contracts[1].accounts), by a contract "
                                               "id and field (se-1.accounts), or by its id or official name")
                               for b in bad])
    return out


def resolve_weights(p: OrderProblem, weights: dict[str, int]) -> dict[str, int]:
    """Each choice's weight: 1, or what `weights` gives its kind of field or the field itself."""
    named = p.choices + p.outside() if weights else []
    bad = [k for k in weights if k not in FIELD_KINDS and not any(_matches(k, c, p) for c in named)]
    neg = [k for k, w in weights.items() if not isinstance(w, int) or w < 0]
    if bad or neg:
        raise DiagnosticError(
            [Diagnostic("E002", f"weight `{k}` names no field of the order",
                        help="a kind of field (" + ", ".join(FIELD_KINDS) + ") or a field") for k in bad] +
            [Diagnostic("E002", f"weight `{k}` must be a whole number from 0 up") for k in neg])
    out = {}
    for c in p.choices:
        w = weights.get(c.kind, DEFAULT_WEIGHTS.get(c.kind, 1))
        for k, kw in weights.items():
            if k not in FIELD_KINDS and _matches(k, c, p):
                w = kw
        out[c.path] = w
    return out
