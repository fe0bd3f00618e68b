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
added.

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
from dataclasses import dataclass, field

import z3

from ..dsl import model as M
from ..dsl.diagnostics import Diagnostic, DiagnosticError
from ..dsl.names import name_key
from ..orders.order import ContractEntry, ContractState, Order, OptionState
from .concrete import ConcreteValidator
from .encode import Encoder, Instance
from .explain import Tie
from .problem import DEFAULT_TIMEOUT_MS, Choice, Incomplete, OrderProblem, Workspace, choice_value
from .verdict import VALID, InstanceKey, Verdict, field_path, involved_fields
from ..dsl import ir

DEFAULT_LOCKED = ("application_date", "notice_arrived")
FIELD_KINDS = ("dim", "qty", "flag", "date", "option", "optqty", "optattr", "optdate", "holding", "odate",
               "parent", "children", "former")


@dataclass
class Change:
    path: str
    before: object
    after: object
    weight: int
    distance: int
    satisfies: list[Tie] = field(default_factory=list)  # broken again were this change undone


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
                 concrete: ConcreteValidator | None = None):
        self.tariff = tariff
        self.workspace = Workspace(Encoder(tariff), timeout_ms, optimize=True)
        self.concrete = concrete or ConcreteValidator(tariff)

    def repair(self, order: Order, k: int = 1, locks: list[str] = (), weights: dict[str, int] | None = None,
               unlock: list[str] = ()) -> RepairResult:
        if self.concrete.validate(order).status == VALID:
            return RepairResult("valid")
        with self.workspace.open(order) as p:
            locked = resolve_locks(p, list(locks), list(unlock))
            return self._search(p, k, locked, resolve_weights(p, weights or {}))

    def _search(self, p: OrderProblem, k: int, locked: set[str], weights: dict[str, int]) -> RepairResult:
        o: z3.Optimize = p.solver
        ctx = p.encoder.ctx
        o.add(p.rule_literals)
        free = [c for c in p.choices if c.path not in locked]
        o.add([c.term for c in p.choices if c.path in locked])
        o.add(self._structure(p))
        changed = {id(c): _changed(c) for c in free}
        zero = z3.IntVal(0, ctx)
        for c in free:  # MaxSAT (core-guided) over the fields kept, then the distance
            if weights[c.path]:
                o.add_soft(z3.Not(changed[id(c)]), weights[c.path], id="changes")
        o.minimize(z3.Sum([_distance(c) for c in free if c.number is not None and c.value is not None] + [zero]))
        out = RepairResult("repaired", locked=sorted(locked))
        try:
            while len(out.repairs) < k:
                p.calls += 1
                r = o.check()
                if r == z3.unknown:
                    raise Incomplete(f"the solver gave up: {o.reason_unknown()}")
                if r == z3.unsat:
                    break
                m = o.model()
                moved = [c for c in free if z3.is_true(m.eval(changed[id(c)], model_completion=True))]
                repair = self._realize(p, m, moved, weights)
                if repair.verdict.status != VALID:
                    # the encoding and the concrete validator disagree: never show it as a repair
                    out.complete = False
                    out.reason = ("internal: a repair failed the concrete validator's check "
                                  f"({', '.join(sorted(v.key.rule for v in repair.verdict.violations))})")
                    break
                out.repairs.append(repair)
                o.add(z3.Or([z3.Not(changed[id(c)]) for c in moved] + [z3.BoolVal(False, ctx)]))
        except Incomplete as e:
            out.complete, out.reason = False, e.reason
        if not out.repairs:
            out.status = "none" if out.complete else "unknown"
        return out

    # ---- what may change about the order's structure ------------------------------------------
    def _structure(self, p: OrderProblem) -> list[z3.BoolRef]:
        """A required dimension keeps a value. A new contract may gain a parent (a new parent
        contract), a new parent contract may give up children; in a change or cancellation
        request the structure stays."""
        out = p.shape()
        for c in p.choices:
            if c.kind not in ("parent", "children"):
                continue
            entry = p.order.contracts[c.slot]
            if p.order.request != "new" or (c.kind == "parent" and entry.parent is not None):
                out.append(c.term)
            elif c.kind == "children":
                out.append(c.number <= c.value)
        return out

    # ---- from a model back to an order --------------------------------------------------------
    def _realize(self, p: OrderProblem, m: z3.ModelRef, moved: list[Choice], weights: dict[str, int]) -> Repair:
        order = p.order
        enc = p.encoder
        new = copy.deepcopy(order)
        ov = enc.order_vars
        new.dates = {}
        for name, (day, known) in ov.dates.items():
            if z3.is_true(m.eval(known, model_completion=True)):
                new.dates[name] = m.eval(day, model_completion=True).as_long()
        new.holdings = {s for s, b in ov.holds.items() if z3.is_true(m.eval(b, model_completion=True))}
        new.holding_values = {key for key, b in ov.holds_value.items() if z3.is_true(m.eval(b, model_completion=True))}
        for entry in new.contracts:
            if entry.cancelled:
                continue
            slot = enc.slot(entry.kind, entry.index)
            entry.new = _state(slot, m)
            entry.former = {key for key, b in slot.former.items() if z3.is_true(m.eval(b, model_completion=True))}
        notes = self._restructure(p, m, new)
        new.notes = list(order.notes) + notes
        verdict = self.concrete.validate(new)
        dist = {c.path: abs(m.eval(c.number, model_completion=True).as_long() - c.value)
                for c in p.choices if c.number is not None and c.value is not None}
        moved_paths = {c.path for c in moved}
        changes = []
        for c in moved:
            # an option dropped moves its count and the quantities that go with it
            d = dist.get(c.path, 0) + sum(v for path, v in dist.items()
                                          if path.startswith(c.path + ".") and path not in moved_paths)
            changes.append(Change(c.path, choice_value(c, order), choice_value(c, new), weights[c.path], d,
                                  self._satisfies(p, m, c, new)))
        return Repair(changes, sum(ch.weight for ch in changes), sum(dist.values()), new, verdict)

    def _restructure(self, p: OrderProblem, m: z3.ModelRef, new: Order) -> list[str]:
        """Give the contracts that gained a parent, and the children a parent gave up, new parent
        contracts of their own, as the model's structure says."""
        notes = []
        taken = {e.id for e in new.contracts}

        def new_parent(kind_id: str, like: ContractEntry | None, child: ContractEntry) -> None:
            base = f"{child.id}-parent"
            pid, n = base, 2
            while pid in taken:
                pid, n = f"{base}-{n}", n + 1
            taken.add(pid)
            state = copy.deepcopy(like.new) if like is not None else ContractState()
            parent = ContractEntry(pid, kind_id, None, state, ContractState(), False, len(new.contracts),
                                   children={child.kind: 1})
            new.contracts.append(parent)
            child.parent = pid
            notes.append(f"contract `{child.id}` has a new parent contract `{pid}`")

        for c in p.choices:
            if c.kind not in ("parent", "children") or z3.is_true(m.eval(c.term, model_completion=True)):
                continue
            entry = new.contracts[c.slot]
            if c.kind == "parent":
                kind = self.tariff.contracts[entry.kind].parent
                like = next((e for e in new.contracts if e.kind == kind), None)
                new_parent(kind, like, entry)
            else:
                child_kind = c.path.rsplit(".", 1)[1]
                keep = m.eval(c.number, model_completion=True).as_long()
                mine = [e for e in new.contracts if e.parent == entry.id and e.kind == child_kind]
                for child in mine[keep:]:
                    new_parent(entry.kind, entry, child)
                entry.children[child_kind] = keep
        return notes

    def _satisfies(self, p: OrderProblem, m: z3.ModelRef, c: Choice, new: Order) -> list[Tie]:
        """The rule instances that the repaired order satisfies and that would break were this
        one change undone (its fields back as the order gave them, everything else repaired)."""
        undo = c.pins()
        touched = {str(v) for v, _ in undo}
        out = []
        for inst in p.instances:
            term = inst.term
            if not touched & _names(term):
                continue
            if z3.is_false(m.eval(z3.substitute(term, *undo), model_completion=True)):
                entry = new.contracts[inst.slot]
                fields = tuple(involved_fields(inst.rule.condition(inst.subject), new, entry))
                out.append(Tie(InstanceKey(inst.rule.id, inst.slot, inst.subject), inst.rule, entry.id, fields))
        return out


_NAMES: dict[int, set[str]] = {}


def _names(term: z3.ExprRef) -> set[str]:
    """The names of the constants a term reads (cached per term)."""
    key = term.get_id()
    if key not in _NAMES:
        seen, out, todo = set(), set(), [term]
        while todo:
            t = todo.pop()
            if t.get_id() in seen:
                continue
            seen.add(t.get_id())
            if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED:
                out.add(str(t))
            todo.extend(t.children())
        _NAMES[key] = out
    return _NAMES[key]


def _changed(c: Choice) -> z3.BoolRef:
    """The field takes a new value (a part of an option only while the option stays)."""
    return z3.Not(c.term) if c.under is None else z3.And(c.under, z3.Not(c.term))


def _distance(c: Choice) -> z3.ArithRef:
    d = c.number - c.value
    return z3.If(d >= 0, d, -d)


def _state(slot, m: z3.ModelRef) -> ContractState:
    """A contract's new state as the model gives it."""
    def val(x):
        return m.eval(x, model_completion=True)

    kind = slot.kind
    v = slot.vars
    st = ContractState()
    for d, dim in kind.dimensions.items():
        i = val(v[("dim", (d,), "new")]).as_long()
        st.dims[d] = list(dim.values)[i] if i >= 0 else None
    for q in kind.quantities:
        st.quantities[q] = val(v[("qty", (q,), "new")]).as_long()
    for f in kind.flags:
        st.flags[f] = z3.is_true(val(v[("flag", (f,), "new")]))
    for d in kind.dates:
        key = ("date", (d,), "new")
        if z3.is_true(val(slot.known[key])):
            st.dates[d] = val(v[key]).as_long()
    for o in kind.options.values():
        if not z3.is_true(val(v[("opt", (o.id,), "new")])):
            continue
        ost = OptionState(count=val(v[("optcount", (o.id,), "new")]).as_long())
        for q in o.quantities:
            ost.quantities[q] = val(v[("optqty", (o.id, q), "new")]).as_long()
        for a in o.attributes.values():
            for value in a.values:
                if z3.is_true(val(v[("optattr", (o.id, a.id, value), "new")])):
                    ost.designations.add((a.id, value))
        for d in o.dates:
            key = ("optdate", (o.id, d), "new")
            if z3.is_true(val(slot.known[key])):
                ost.dates[d] = val(v[key]).as_long()
        st.options[o.id] = ost
    return st


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
    rest = c.path[len(f"contracts[{c.slot}]") + 1:]  # e.g. options.tunnel.connections
    head, _, tail = spec.partition(".")
    if tail and head == entry.id:
        spec = tail
    parts = rest.split(".")
    names = {name_key(x) for x in parts}
    if parts[0] == "options" and len(parts) > 1:
        o = kind.options[parts[1]]
        names |= {name_key(o.label), name_key("options." + o.id)}
        for q in o.quantities.values():
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
        hit = [c.path for c in p.choices if _matches(spec, c, p)]
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
    bad = [k for k in weights if k not in FIELD_KINDS and not any(_matches(k, c, p) for c in p.choices)]
    neg = [k for k, w in weights.items() if not isinstance(w, int) or w < 0]
    if bad or neg:
        raise DiagnosticError(
            [Diagnostic("E002", f"weight `{k}` names no field of the order",
                        help="a kind of field (" + ", ".join(FIELD_KINDS) + ") or a field") for k in bad] +
            [Diagnostic("E002", f"weight `{k}` must be a whole number from 0 up") for k in neg])
    out = {}
    for c in p.choices:
        w = weights.get(c.kind, 1)
        for k, kw in weights.items():
            if k not in FIELD_KINDS and _matches(k, c, p):
                w = kw
        out[c.path] = w
    return out
