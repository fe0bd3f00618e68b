"""Lint's questions about a few options, asked of a solver that holds only what they can reach.

Each shape's solver (space.py) holds the whole tariff, and one question of it costs 1.3-1.7
powers of the tariff's size (benchmarks/README.md, lint100): Z3 decides every Boolean of the
tariff to give a model. A question that reads a few options needs far less. The cone of
influence (smt/cone.py) already says what: with the options left out absent (α: each of their
variables False or 0), every axiom and rule instance that reads one of them holds whatever the
other variables are, so the constraints over the kept options alone are satisfiable exactly when
the whole shape's are (cone.py gives the proof: α is an autarky). In the synthetic tariffs the
options are tied to one another by few rules (at 10x, 386 groups of at most four options; what
ties the families together is the item, a dimension, not an option), so a slice is small.

A **slice** of a shape is its template order (`Space.template`) with only the kept options
open, opened in a workspace with the cone (the facts of the options left out are not built, as
for explain), every rule instance it keeps assumed. Sound both ways:

- *no order* in the slice: its constraints are a subset of the shape's, so no order of the
  shape either;
- *an order* in the slice: its model, with every option left out absent, is an order of the
  shape. Z3 completes a model with False and 0 for a constant it does not name, which is α, so
  the model may be kept and read like a model of the whole shape (`_Seen`).

A slice is made only for a shape with a kind the cone slices (`Cone.slices`: 100 options or
more; a smaller kind is kept whole, and a smaller tariff is asked as before, question for
question), and it is checked to hold no
variable of an option it left out (a rule of a child reading its parent's options would);
otherwise `Slicer.slice` answers None and the question goes to the whole shape.
"""

from __future__ import annotations

import z3

from ..model import fields as F
from ..orders.order import Order
from ..smt import walk
from ..smt.problem import Incomplete, OrderProblem, Workspace, also
from .space import Open, Shape, Space, template


def _option_path(path) -> tuple[int, str] | None:
    """(contract index, option) of a choice path inside an option (`contracts[0].options.x.count`)."""
    parts = getattr(path, "parts", ())
    contract = getattr(path, "contract", None)
    if contract is None or len(parts) < 2 or parts[0] != "options":
        return None
    return contract, parts[1]


class Slice:
    """One small problem of a shape: the kept options open, every other option absent."""

    def __init__(self, slicer: "Slicer", kept: dict[int, frozenset[str]]):
        space, shape = slicer.space, slicer.shape
        enc = space.encoder
        self.shape = shape  # what `_Seen` files its models under
        self.kept = kept  # per contract, the options open here (every other one is absent in its models)
        order: Order = template(space.tariff, shape)
        order.open = {c for c in slicer.open if (at := _option_path(c)) is None or at[1] in kept[at[0]]}
        self.order = order
        self.p: OrderProblem = Workspace(enc, space.timeout_ms, cone=True, compact_models=False, native=True).open(
            order, keep_open=False)
        s = self.p.solver
        if shape.request == "cancellation":  # as it was, for the kept options' variables only
            for entry in order.contracts:
                also(s, slicer.as_it_was(entry, kept[entry.index]))
        also(s, self.p.shape())
        self.every = [c.literal for c in self.p.choices] + [i.literal for i in self.p.instances]
        self._literals: dict[int, tuple[z3.BoolRef, z3.BoolRef]] = {}
        self._phase = 3
        # the cone kept just these options (`Slicer.kept` closed the set), and no constraint reads
        # another option's variables; else the slice is not used
        self.leaked = (any(self.p.kept[i].options != kept[i] for i in kept)
                       or slicer.left_out(s, kept))

    def literal_for(self, term: z3.BoolRef) -> z3.BoolRef:
        """A literal that, when assumed, makes `term` hold; one per term, as `Open.literal_for`."""
        got = self._literals.get(term.get_id())
        if got is None:
            lit = z3.Bool(f"ask:{len(self._literals)}", self.p.encoder.ctx)
            self.p.solver.add(z3.Implies(lit, term))
            got = self._literals[term.get_id()] = (lit, term)
        return got[0]

    def check(self, instances=None, terms: list[z3.BoolRef] = ()) -> z3.CheckSatResult:
        """Satisfiable with every rule instance of the slice and the terms? A time-out raises
        Incomplete. (`instances`, for `possible`'s sake, must be None: every rule.)"""
        assert instances is None, "a slice is asked with every rule"
        return self.p.check(self.every + [self.literal_for(t) for t in terms])

    # group tests, exactly as the whole shape answers them
    possible = Open.possible

    def lean(self, phase: int) -> None:
        if phase != self._phase:
            self.p.solver.set("phase_selection", phase)
            self._phase = phase

    def model(self) -> z3.ModelRef:
        return self.p.solver.model()


class Slicer:
    """The slices of one shape, each made once, as questions need them."""

    def __init__(self, space: Space, shape: Shape):
        self.space = space
        self.shape = shape
        enc = space.encoder
        self.open = space.template(shape).open
        entries = template(space.tariff, shape).contracts
        self.cones = {e.index: enc.cone(e.kind) for e in entries}
        # a kind the cone keeps whole (fewer than 100 options) is kept whole in every slice; a
        # shape none of whose kinds is sliced is asked as before
        self.usable = any(c.slices for c in self.cones.values())
        self._slots = {e.index: enc.slot(e.kind, e.index) for e in entries}
        # which option of which contract each option variable belongs to
        self._owner: dict[int, tuple[int, str]] = {}
        for index, slot in self._slots.items():
            for table in (slot.vars, slot.known):
                for (kind_id, path, _state), x in table.items():
                    if F.KINDS[kind_id].where == "option":
                        self._owner[x.get_id()] = (index, path[0])
        self._made: dict[tuple, Slice | None] = {}
        # the options each asserted term reads, by the term's id (the slices keep their terms
        # alive, so an id is not reused while it is here)
        self._reads: dict[int, frozenset[tuple[int, str]]] = {}

    def kept(self, options: dict[int, set[str]]) -> dict[int, frozenset[str]]:
        """The cone's base of each contract, the options asked about, and what their rules need."""
        return {i: frozenset(c._grow(set(c.base), set(options.get(i, ())) - c.base)) if c.slices
                else frozenset(c.options) for i, c in self.cones.items()}

    def options_read(self, terms: list[z3.BoolRef]) -> dict[int, set[str]]:
        """The options whose variables the terms read, per contract."""
        out: dict[int, set[str]] = {}
        for i, _, _ in walk.nodes(terms):
            at = self._owner.get(i)
            if at is not None:
                out.setdefault(at[0], set()).add(at[1])
        return out

    def slice(self, terms: list[z3.BoolRef] = (), most: int | None = None) -> Slice | None:
        """The slice that keeps the options the terms read (and what they need); None when the
        shape cannot be sliced, or the slice would keep more than `most` options beyond the base."""
        if not self.usable:
            return None
        kept = self.kept(self.options_read(list(terms)) if terms else {})
        if most is not None and self.size(kept) > most:
            return None
        key = tuple(sorted(kept.items(), key=lambda kv: kv[0]))
        if key not in self._made:
            got = Slice(self, kept)
            self._made[key] = None if got.leaked else got
        return self._made[key]

    def size(self, kept: dict[int, frozenset[str]]) -> int:
        """Options kept beyond the base, in the contracts the cone slices."""
        return sum(len(kept[i] - c.base) for i, c in self.cones.items() if c.slices)

    def blocks(self, terms: list, most: int, reads=None) -> list[list]:
        """The terms (each a pair whose second item is a term) in runs, in their order, each of
        whose slices keeps at most `most` options beyond the base (a term that alone needs more
        is a run of its own). `reads(item)`, when given, names the options an item reads (per
        contract) instead of a walk of its term."""
        out: list[list] = []
        run: list = []
        union: dict[int, set[str]] = {}
        for item in terms:
            kept = self.kept(reads(item) if reads is not None else self.options_read([item[1]]))
            grown = {i: union.get(i, set()) | kept[i] for i in kept}
            if run and self.size(grown) > most:
                out.append(run)
                run, grown = [], {i: set(k) for i, k in kept.items()}
            run.append(item)
            union = grown
        if run:
            out.append(run)
        return out

    def as_it_was(self, entry, kept: frozenset[str]) -> list[z3.BoolRef]:
        """`Slot.as_it_was` without the variables of the options left out."""
        slot = self._slots[entry.index]
        out = []
        for table in (slot.vars, slot.known):
            for (what, path, state), x in table.items():
                if state != "new" or (F.KINDS[what].where == "option" and path[0] not in kept):
                    continue
                out.append(x == table[(what, path, "old")])
        return out

    def left_out(self, solver: z3.Solver, kept: dict[int, frozenset[str]]) -> bool:
        """Does any term asserted in the solver read a variable of an option the slice left out?
        The slices of a shape share most of their terms (the axioms, the base, the contracts
        kept whole), so the options each term reads are found once (`_reads`, by term id)."""
        ctx = solver.ctx.ref()
        v = z3.Z3_solver_get_assertions(ctx, solver.solver)
        z3.Z3_ast_vector_inc_ref(ctx, v)
        try:
            for k in range(z3.Z3_ast_vector_size(ctx, v)):
                a = z3.Z3_ast_vector_get(ctx, v, k)
                top = z3.Z3_get_ast_id(ctx, a)
                reads = self._reads.get(top)
                if reads is None:
                    reads = self._reads[top] = self._options_of(ctx, a)
                if any(o not in kept.get(i, frozenset()) for i, o in reads):
                    return True
        finally:
            z3.Z3_ast_vector_dec_ref(ctx, v)
        return False

    def _options_of(self, ctx, a) -> frozenset[tuple[int, str]]:
        """(contract index, option) of every option variable in a term."""
        owner = self._owner
        return frozenset(owner[i] for i, _, _ in walk.c_nodes(ctx, [a]) if i in owner)


def ask(slicer: Slicer | None, terms: list[z3.BoolRef] = (), most: int | None = None,
        phase: int = 3) -> tuple[z3.CheckSatResult, Slice] | None:
    """The question (every rule and the terms) asked of the slice of the options the terms read,
    leaning to `phase` (Open.lean); None when it cannot be (no slicer, a shape the cone keeps
    whole, a slice of more than `most` options, a time-out: the whole shape is asked instead)."""
    if slicer is None:
        return None
    sl = slicer.slice(terms, most)
    if sl is None:
        return None
    sl.lean(phase)
    try:
        return sl.check(None, list(terms)), sl
    except Incomplete:
        return None
