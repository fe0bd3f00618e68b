"""A workspace for propagation that keeps what the request fixes asserted across orders.

`problem.Workspace` asserts an order's given facts (the request kind, the dates the request
names, the contract structure) and the shape's requirements (`OrderProblem.shape`) after its
push, and drops them with the order. Orders of one shape mostly fix the same facts: on Secure
Endpoint's parent orders every order of a shape fixes the same 150-odd, and asserting them
again, with the first check that then takes them in, was some 20 ms of a three-service order.
Here they stay, one push below the order's: an order whose given facts are those of the last
order of its shape pushes only its choices; another first pops the standing level and pushes
its own. The formulas a question is asked of are the same either way.

Used by smt/propagate.py only (explain and repair keep `problem.Workspaces`).
"""

from __future__ import annotations

import z3

from ..model.limits import DEFAULT_TIMEOUT_MS
from ..orders.order import Order
from .encode import Encoder, Fact
from .problem import Choice, OrderProblem, Workspace


class StandingWorkspace(Workspace):
    """One solver for the orders of one shape: the tariff's axioms and rule instances of its
    slots at the bottom; the last given facts, the shape's requirements and the implications
    of the choices orders made since above them; each order's questions on top. Not for use
    by two threads at once."""

    TRACKED = 4096  # choices' implications kept at the standing level, at most

    def __init__(self, encoder: Encoder, timeout_ms: int = DEFAULT_TIMEOUT_MS):
        super().__init__(encoder, timeout_ms, compact_models=False)
        # Z3's former arithmetic solver (2) instead of its default (6): the questions here are
        # Boolean with a few bounded counts, and with it the 20 slowest service orders take
        # 0.85-0.92x the CPU in three runs (checks 0.85x, models read 0.66x), every order's JSON
        # the same (benchmarks/bench_z3_params.py; README "Z3's parameters on options' solvers")
        self.solver.set("smt.arith.solver", 2)
        self._standing: frozenset[int] | None = None  # the ids of the given facts' terms asserted
        self._kept: list = []  # those terms, alive while their ids name them
        self._tracked: dict[int, object] = {}  # the choices' implications asserted at the standing level
        # the contract slots of an order -> its rule instances by their literals' ids (the same
        # instances for every order of those slots: worked out once, not for each order)
        self._instances_by_literal: dict[tuple, dict[int, object]] = {}

    def open(self, order: Order, also: dict[int, set[str]] | None = None) -> OrderProblem:
        enc, s = self.encoder, self.solver
        if any((e.kind, e.index) not in self._ready for e in order.contracts):
            self._drop_standing()  # a slot's axioms go below the standing level
        instances = self._whole(order)
        given: list[Fact] = []
        groups: dict[str, list[Fact]] = {}
        undecided: dict[str, list[Fact]] = {}
        for f in enc.facts(order, None):
            if f.choice in order.open or f.choice.parent in order.open:
                undecided.setdefault(f.choice, []).append(f)
            elif f.role == "given":
                given.append(f)
            else:
                groups.setdefault(f.choice, []).append(f)
        key = frozenset(f.term.get_id() for f in given)
        if key != self._standing:
            self._drop_standing()
            s.push()
            self._kept = [f.term for f in given]
            self.add(self._kept)
            self.add([x for e in order.contracts for x in enc.slot(e.kind, e.index).required_set()])
            self._standing = key
        choices, tracked = [], []
        for path, facts in groups.items():
            c = Choice(path, facts[0].kind, facts, None, facts[0].slot, facts[0].under)
            c.literal, c.known_term, held = enc.memo(("standing choice",) + c.key(), lambda: _valued_terms(c, enc.ctx))
            choices.append(c)
            if held.get_id() not in self._tracked:
                tracked.append(held)
        if len(self._tracked) + len(tracked) > self.TRACKED:
            self._drop_standing()  # bounded: the next order starts the level again
            return self.open(order, also)
        # a choice's implication holds vacuously unless its literal is assumed (each value of a
        # field has a literal of its own here): asserted once at the standing level, it serves
        # every later order that makes the same choice
        self.add(tracked)
        self._tracked.update((t.get_id(), t) for t in tracked)
        s.push()
        p = OrderProblem(enc.tariff, order, enc, s, instances, choices, given, undecided=undecided,
                         timeout_ms=self.timeout_ms)
        p.by_literal = {c.literal.get_id(): c for c in choices}
        slots = tuple((e.kind, e.index) for e in order.contracts)
        by_literal = self._instances_by_literal.get(slots)
        if by_literal is None:
            by_literal = self._instances_by_literal[slots] = {i.literal.get_id(): i for i in instances}
        p.by_literal.update(by_literal)
        return p

    def _drop_standing(self) -> None:
        if self._standing is not None:
            self.solver.pop()
            self._standing, self._kept, self._tracked = None, [], {}


def _valued_terms(c: Choice, ctx: z3.Context) -> tuple:
    """A choice's literal, its term and the implication that tracks it, as `problem`'s, but
    with a literal for each value of the field (named by the path and the ids of its facts'
    terms), so that the implications of two orders' values may stand side by side."""
    literal = z3.Bool(f"choice:{c.path}:{':'.join(str(i) for i in c.key()[1:])}", ctx)
    return literal, c.term, z3.Implies(literal, c.term)


class StandingWorkspaces:
    """A standing workspace per shape of order (the kinds of its contracts), the most recently
    used few kept (as `problem.Workspaces`)."""

    def __init__(self, encoder: Encoder, timeout_ms: int = DEFAULT_TIMEOUT_MS, keep: int = 16):
        self.encoder = encoder
        self.timeout_ms = timeout_ms
        self.keep = keep
        self._by_shape: dict[tuple, StandingWorkspace] = {}

    def forget(self) -> None:
        """Drop every standing level (the tariff's slots stay encoded and asserted)."""
        for ws in self._by_shape.values():
            ws._drop_standing()

    def open(self, order: Order) -> OrderProblem:
        shape = tuple(e.kind for e in order.contracts)
        ws = self._by_shape.pop(shape, None)
        if ws is None:
            ws = StandingWorkspace(self.encoder, self.timeout_ms)
            if len(self._by_shape) >= self.keep:
                self._by_shape.pop(next(iter(self._by_shape)))
        self._by_shape[shape] = ws  # most recent last
        return ws.open(order)
