"""Every order a tariff admits, as solver problems the analyses can question.

An order has a **shape**: the kind of request and the kinds of its contracts. For each shape
the analyses build one order whose every field is open (smt/problem.py: an open field is
a variable, not a fact), so "is there a valid order with option X?" is one satisfiability
question, and a model of it is an order, written back as JSON (`Open.order`).

The shapes cover what rules can tell apart:

- a new order and a change request of one contract of each kind, alone;
- the same for each child kind under a parent contract of its parent kind;
- a cancellation of one contract of each kind.

Fixed by the shape, not open: the kind of request, which contracts end, whether a contract
names a parent, and how many children it has. Open: the order's days, what the customer
holds, every field of each contract as the request leaves it and (change and cancellation)
as it is now, and whether a name is written by its former name (`former=True`; the JSON an
order is written in cannot say that, so the analyses that show orders keep it closed).
"""

from __future__ import annotations

from dataclasses import dataclass

import z3

from ..model import tariff as M
from ..orders.order import ContractEntry, ContractState, Order
from ..orders.write import order_to_json
from ..smt.encode import Encoder, Instance
from ..model.limits import DEFAULT_TIMEOUT_MS, REQUESTS
from ..smt.problem import Incomplete, OrderProblem, Workspace, also
from ..smt.readback import order_from_model

FIXED_KINDS = ("request", "cancelled", "parent", "children")


@dataclass(frozen=True)
class Shape:
    request: str  # new | change | cancellation
    kinds: tuple[str, ...]  # one contract of each; with two, the second is a child of the first

    @property
    def label(self) -> str:
        who = " under ".join(reversed(self.kinds)) if len(self.kinds) > 1 else self.kinds[0]
        return f"{self.request} {who}"


def shapes_of(tariff: M.Tariff, requests: tuple[str, ...] = REQUESTS) -> list[Shape]:
    out = []
    for request in requests:
        for kind in tariff.contracts.values():
            out.append(Shape(request, (kind.id,)))
            if kind.parent is not None and request != "cancellation":
                out.append(Shape(request, (kind.parent, kind.id)))
    return out


def template(tariff: M.Tariff, shape: Shape) -> Order:
    """The order of a shape with nothing yet chosen (every field is opened by `Space`)."""
    entries = []
    for i, kind in enumerate(shape.kinds):
        parent = "c0" if i == 1 else None
        entries.append(ContractEntry(f"c{i}", kind, parent, ContractState(), ContractState(),
                                     shape.request == "cancellation", i))
    if len(entries) == 2:
        entries[0].children = {entries[1].kind: 1}
    return Order(tariff.id, shape.request, {}, set(), set(), entries)


class Space:
    """One solver per shape, kept for every question asked about that shape."""

    def __init__(self, tariff: M.Tariff, timeout_ms: int = DEFAULT_TIMEOUT_MS, former: bool = True,
                 encoder: Encoder | None = None):
        self.tariff = tariff
        self.encoder = encoder or Encoder(tariff)
        self.timeout_ms = timeout_ms
        self.former = former
        self._open: dict[Shape, Open] = {}

    def shapes(self, requests: tuple[str, ...] = REQUESTS) -> list[Shape]:
        return shapes_of(self.tariff, requests)

    def template(self, shape: Shape) -> Order:
        """The shape's order with every field open but those the shape fixes (`FIXED_KINDS`)."""
        order = template(self.tariff, shape)
        fixed = set(FIXED_KINDS) | (set() if self.former else {"former"})
        # in a new order the contract as it is now is empty: given, not open
        order.open = {choice for choice, kind, role in self.encoder.fact_choices(order)
                      if kind not in fixed and not (shape.request == "new" and role == "given")}
        return order

    def open(self, shape: Shape) -> "Open":
        if shape not in self._open:
            self._open[shape] = Open(self, shape)
        return self._open[shape]


def holds(m: z3.ModelRef, term: z3.BoolRef) -> bool:
    """`z3.is_true(m.eval(term, model_completion=True))` straight through Z3's C API: the analyses
    read every model for hundreds of terms, and z3py's wrapping of each answer in a Python
    object cost more than the evaluation (about 20 µs a term at 10x Secure Endpoint's size)."""
    ctx = m.ctx.ref()
    out = (z3.Ast * 1)()
    if not z3.Z3_model_eval(ctx, m.model, term.as_ast(), True, out):
        raise z3.Z3Exception("failed to evaluate expression in the model")
    return z3.Z3_get_bool_value(ctx, out[0]) == z3.Z3_L_TRUE


class Open:
    """The orders of one shape: every field a variable, every rule instance a tracked literal."""

    def __init__(self, space: Space, shape: Shape):
        self.space = space
        self.shape = shape
        self.tariff = space.tariff
        self.order = space.template(shape)
        # the solver is built when a question first needs it: lint asks many questions of small
        # slices of a shape (slices.py), and some shapes' whole solvers are never needed
        self._p: OrderProblem | None = None
        self._phase = 3  # Z3's phase_selection while asking (SemanticLint._leaning)
        self._asks = 0
        self._literals: dict[int, tuple[z3.BoolRef, z3.BoolRef]] = {}

    @property
    def p(self) -> OrderProblem:
        if self._p is None:
            self._build()
        return self._p

    @property
    def built(self) -> bool:
        return self._p is not None

    @property
    def instances(self) -> list[Instance]:
        return self.p.instances

    @property
    def base(self) -> list[z3.BoolRef]:
        """The literals of the shape's fixed fields (choices of the template); they always hold."""
        self.p  # noqa: B018 - built first
        return self._base

    def lean(self, phase: int) -> None:
        """Let Z3 try this phase first for every undecided yes/no (phase_selection: 1 true, 0
        false, 3 its default), now if the solver is built, else once it is."""
        self._phase = phase
        if self._p is not None:
            self._p.solver.set("phase_selection", phase)

    def _build(self) -> None:
        order, enc, shape = self.order, self.space.encoder, self.shape
        # models read without compaction (many are read; the constants' values are the same),
        # and the encoding's terms asserted straight into Z3 (z3py's cast of each cost more)
        p = Workspace(enc, self.space.timeout_ms, compact_models=False, native=True).open(order, keep_open=False)
        s = p.solver
        if shape.request == "cancellation":
            for entry in order.contracts:
                also(s, enc.slot(entry.kind, entry.index).as_it_was())
        also(s, p.shape())
        self._base = [c.literal for c in p.choices]
        every = z3.Bool("every rule", enc.ctx)
        self._all_rules = [every]
        # `every → base ∧ instances ∧ true`, made and asserted through Z3's C API: z3py's And
        # checks the sort of each of the thousands of literals at 30x and more
        parts = self._base + [i.literal for i in p.instances] + [z3.BoolVal(True, enc.ctx)]
        ctx = enc.ctx.ref()
        conj = z3.BoolRef(z3.Z3_mk_and(ctx, len(parts), (z3.Ast * len(parts))(*[x.as_ast() for x in parts])), enc.ctx)
        also(s, [z3.BoolRef(z3.Z3_mk_implies(ctx, every.as_ast(), conj.as_ast()), enc.ctx)])
        if self._phase != 3:
            s.set("phase_selection", self._phase)
        self._p = p

    @property
    def encoder(self) -> Encoder:
        return self.space.encoder

    # ---- asking ---------------------------------------------------------------------------
    def literal_for(self, term: z3.BoolRef) -> z3.BoolRef:
        """A literal that, when assumed, makes `term` hold: one per term (Z3 shares equal terms,
        so a question asked again reuses its literal instead of adding a clause each time)."""
        key = term.get_id()
        known = self._literals.get(key)
        if known is not None:
            return known[0]
        ask = z3.Bool(f"ask:{self._asks}", self.encoder.ctx)
        self._asks += 1
        self.p.solver.add(z3.Implies(ask, term))
        self._literals[key] = (ask, term)  # the term kept alive, so that its id is not reused
        return ask

    def check(self, instances: list[Instance] | None = None, terms: list[z3.BoolRef] = ()) -> z3.CheckSatResult:
        """Satisfiable with these rule instances (all, by default) and terms? A time-out raises
        Incomplete."""
        self.p  # noqa: B018 - built first
        asks = [self.literal_for(t) for t in terms]
        if instances is None:  # every rule: one literal stands for them all
            return self._assume(self._all_rules + asks)
        return self._assume(self.base + [i.literal for i in instances] + asks)

    def _assume(self, literals: list[z3.BoolRef]) -> z3.CheckSatResult:
        """`solver.check(*literals)` without z3py's per-assumption sort check, which costs more
        than the check itself when a question assumes every rule but one (900 literals at 10x
        Secure Endpoint's size). The literals are Boolean constants made here."""
        s = self.p.solver
        arr = (z3.Ast * len(literals))(*[x.as_ast() for x in literals])
        self.p.calls += 1
        r = z3.CheckSatResult(z3.Z3_solver_check_assumptions(s.ctx.ref(), s.solver, len(literals), arr))
        if r == z3.unknown:
            raise Incomplete(f"the solver gave up: {s.reason_unknown()}")
        return r

    def possible(self, terms: list[z3.BoolRef], instances: list[Instance] | None = None,
                 given: list[z3.BoolRef] = ()) -> list[bool]:
        """For each term, is some order (with these rule instances, all by default, and the given
        terms) one where it holds? Answered together, without reading a model, by group tests:

        - the terms of a group are assumed all at once; a yes settles every one of them;
        - a no names (its core) the few that cannot hold together: a core of one is a term no
          order has; a larger core is split in halves, and the rest of the group asked again;
        - after two terms in a row that no order has, the group is asked whether any of its
          terms can hold (one literal for their disjunction): a no settles them all, a yes splits
          the group in halves.

        When most terms can hold at once (every option left out, every rule broken) that is a
        question or two for all of them; when most cannot (rules a cancellation never reaches),
        a few questions more than there are possible terms, times the logarithm of the group."""
        lits = [self.literal_for(t) for t in terms]
        out: list[bool | None] = [None] * len(terms)
        todo = [(list(range(len(terms))), 0)] if terms else []
        while todo:
            group, streak = todo.pop()
            if streak >= 2 and len(group) > 1:
                if self.check(instances, list(given) + [z3.Or([terms[k] for k in group])]) == z3.unsat:
                    for k in group:
                        out[k] = False
                    continue
                half = len(group) // 2
                todo += [(group[:half], 0), (group[half:], 0)]
                continue
            if self.check(instances, list(given) + [terms[k] for k in group]) == z3.sat:
                for k in group:
                    out[k] = True
                continue
            if len(group) == 1:
                out[group[0]] = False
                continue
            core = {x.get_id() for x in self.p.solver.unsat_core()}
            blocked = [k for k in group if lits[k].get_id() in core]
            if not blocked:  # no order at all: none of them can hold
                for k in group:
                    out[k] = False
                continue
            rest = [k for k in group if lits[k].get_id() not in core]
            if len(blocked) == 1:
                out[blocked[0]] = False  # it alone admits no order
                if rest:
                    todo.append((rest, streak + 1))
                continue
            if rest:
                todo.append((rest, 0))
            half = len(blocked) // 2
            todo += [(blocked[:half], 0), (blocked[half:], 0)]
        return [bool(x) for x in out]

    def blame(self, terms: list[z3.BoolRef], instances: list[Instance] | None = None) -> list[Instance]:
        """After an unsat `check`: a minimal set of the instances that, with the terms, admit no
        order (deletion-based shrinking of the core)."""
        insts = self.instances if instances is None else instances
        asks = [self.literal_for(t) for t in terms]
        fixed = self.base + asks
        if self.p.check(fixed + [i.literal for i in insts]) != z3.unsat:
            return []
        core = {id(x) for x in self.p.core()}
        current = [i for i in insts if id(i) in core]
        return self.p.shrink([], current, fixed)

    def model(self) -> z3.ModelRef:
        return self.p.solver.model()

    # ---- reading a model as an order -------------------------------------------------------
    def order_of(self, m: z3.ModelRef) -> Order:
        order = order_from_model(self.encoder, self.order, m)
        order.tariff = self.tariff.id
        return order

    def order_json(self, m: z3.ModelRef) -> dict | None:
        """The model as an order in the documented JSON format; None when that format cannot
        say it (a name written by its former name, a change that removes a field)."""
        order = self.order_of(m)
        if any(e.former for e in order.contracts):
            return None
        try:
            return order_to_json(order, self.tariff)
        except ValueError:
            return None
