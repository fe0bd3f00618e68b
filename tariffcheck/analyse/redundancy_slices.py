"""Redundancy's questions asked of slices of a shape, not of the whole shape's solver.

The redundancy check (semantics.py, L006 and L007) asks, for each rule instance I of rule R in
each shape: can some order break I at all (*vacuity*: no rule assumed), and can some order break
I while it keeps every rule but R (*implication*: every instance of R left out)? Asked of a
shape's whole solver each question costs about as much as the tariff, and their number grows
with it: redundancy grew with the square of the tariff (exponent 1.97 from 30x to 100x).

Here each question goes to a **slice** (slices.py) of the options I reads and what they need
(the cone's closure), whose solver holds the shape's choices and the axioms and rule instances
over those options only; the instances of R are left out of the question's assumptions as they
are from the whole shape's. Instances are asked in runs whose slice keeps at most `most` options
beyond the cone's base (`Slicer.blocks`), one slice per run, made when the run is asked and let
go after it.

**Why the answer is the whole shape's.** Let A be the variables of the options a slice leaves
out, and α the assignment that makes each of them absent (False, 0). The cone (smt/cone.py)
grew the kept options until every axiom and rule instance of the shape that reads a variable of
A holds under α whatever the other variables are: α is an autarky of the shape's constraints,
and of every subset of them, in particular of those a question keeps (the choices, the axioms,
every instance but R's, or none). The asked term ¬I reads only kept options (they were grown
from the options it reads), and the slice is used only once proved to hold no variable of A
(`Slicer.left_out`, via `Slice.leaked`). So:

- *an order in the slice*: the slice's model extended by α satisfies every constraint of the
  question that does not read A (it is in the slice's solver and reads none of A), every one
  that does (α alone satisfies it) and ¬I (it reads none of A): an order of the whole shape
  that answers *yes*;
- *no order in the slice*: the slice's assumed constraints are a subset of the question's
  constraints in the whole shape, so the whole shape has none either.

An unsat core of a slice is thus a set of the shape's constraints that admit no order, though
perhaps not the one the whole solver would return; redundancy reads such a core only to skip
questions whose answer it already knows (`core`), never for a finding's reasons: those are
still found by the whole shape's solver (SemanticLint._blame), as before, the same reasons.

A slice that cannot be made or used (it would read an option it left out, the time limit cut it
short) answers None, and the question goes to the whole shape.
"""

from __future__ import annotations

import z3

from ..smt.encode import Instance
from ..smt.problem import Incomplete
from .slices import Slice, Slicer
from .space import Open, template


class RuleSlice:
    """A slice asked with the rule instances a question names (`Slice.check` assumes them all)."""

    def __init__(self, sl: Slice):
        self.sl = sl
        self.p = sl.p  # Open.possible reads the unsat core here
        self.instances: list[Instance] = sl.p.instances
        self._choices = [c.literal for c in sl.p.choices]

    def literal_for(self, term: z3.BoolRef) -> z3.BoolRef:
        return self.sl.literal_for(term)

    def check(self, instances: list[Instance] | None = None, terms: list[z3.BoolRef] = ()) -> z3.CheckSatResult:
        """Satisfiable with the shape's choices, these rule instances of the slice (all, by
        default) and the terms? A time-out raises Incomplete."""
        insts = self.instances if instances is None else instances
        return self.p.check(self._choices + [i.literal for i in insts] + [self.literal_for(t) for t in terms])

    # group tests, as the whole shape answers them
    possible = Open.possible


class ShapeSlices:
    """The redundancy questions of one shape, in runs of its rule instances, each run asked of
    one slice; the slices of a shape are made one at a time and dropped once their run is done
    (a shape at 100x holds hundreds of runs: kept, their solvers filled the memory)."""

    def __init__(self, slicer: Slicer, most: int, reads: dict[int, dict[int, set[str]]] | None = None):
        """`reads`: the options each rule instance reads, by the instance's `id`, shared by the
        shapes of one lint (an instance belongs to one slot, whose variables are the same in
        every shape that has it; the encoder keeps every instance alive, so no id is reused)."""
        self.slicer = slicer
        self.most = most
        self._read = {} if reads is None else reads
        self._asked = 0  # solver calls of the slices already let go
        self._last: RuleSlice | None = None
        # the terms of each dropped slice's assertions, kept alive: the slicer remembers what
        # each asserted term reads by its id (`Slicer.left_out`), which Z3 would reuse once freed
        self._pinned: list = []

    @property
    def usable(self) -> bool:
        return self.slicer.usable

    def instances(self) -> list[Instance]:
        """The shape's rule instances, as its whole solver holds them, without building it."""
        space, shape = self.slicer.space, self.slicer.shape
        return [i for e in template(space.tariff, shape).contracts for i in space.encoder.instances(e.kind, e.index)]

    def reads(self, inst: Instance) -> dict[int, set[str]]:
        """The options the instance's term reads (so does its negation, which is asked), per
        contract, walked once."""
        got = self._read.get(id(inst))
        if got is None:
            got = self._read[id(inst)] = self.slicer.options_read([inst.term])
        return got

    def runs(self, instances: list[Instance]) -> list[list[Instance]]:
        """The instances in runs, in their order, each of whose slices keeps at most `most`
        options beyond the cone's base (one that alone needs more is a run of its own)."""
        return self.slicer.blocks(instances, self.most, reads=self.reads)

    def slice_of(self, run: list[Instance]) -> RuleSlice | None:
        """The slice that keeps the options the run's instances read (and what they need); None
        when it would keep more than `most` (a run of one such instance: the whole shape is
        asked) or would read an option it left out."""
        wanted: dict[int, set[str]] = {}
        for inst in run:
            for i, opts in self.reads(inst).items():
                wanted.setdefault(i, set()).update(opts)
        kept = self.slicer.kept(wanted)
        if self.slicer.size(kept) > self.most:
            return None
        sl = Slice(self.slicer, kept)
        self._pinned.append(sl.p.solver.assertions())
        if self._last is not None:
            self._asked += self._last.p.calls
        self._last = None if sl.leaked else RuleSlice(sl)
        return self._last

    @property
    def calls(self) -> int:
        """Solver calls of the slices this made (for benchmarks)."""
        return self._asked + (self._last.p.calls if self._last is not None else 0)

    def base(self) -> RuleSlice | None:
        """The slice of the cone's base alone (what every order of the shape needs)."""
        sl = self.slicer.slice()
        return None if sl is None else RuleSlice(sl)


def others(asker, rule) -> list[Instance]:
    """The asker's rule instances but the rule's own."""
    return [i for i in asker.instances if i.rule is not rule]


def ask(asker, what, *args):
    """`asker.what(*args)`, or None when the time limit cut it short (the whole shape is then
    asked instead, and its own time-out, if any, is reported)."""
    try:
        return getattr(asker, what)(*args)
    except Incomplete:
        return None
