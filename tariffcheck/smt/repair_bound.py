"""A lower bound on the cost of any repair, from disjoint unsat cores of the order's changes.

The least-cost search of smt/repair.py (`_Least`) proves a repair is the cheapest by refuting
"some repair costs at most c" for the c just below it. That is a pseudo-Boolean bound over every
change literal, and when the least repair changes many fields (21 at synthetic 10x: a contract's
accounts and the accounts of 20 of its options) the solver can spend longer than the time limit
refuting it. MaxSAT solvers bound the cost from below instead, from unsat cores, and this does the
same, once per search step that needs it:

- assume every change is unmade (each field keeps the order's value, no contract is left out,
  added or moved): the rules and what the blocks of earlier repairs demand make that unsat, and
  the core names changes of which at least one must be made;
- set those changes aside and assume the rest unmade again: a second core, disjoint from the
  first, needs a change of its own; and so on until the assumptions are satisfiable.

Every repair makes at least one change of each core, and the cores share no change, so its cost
is at least the sum over the cores of the least weight in each: a lower bound that takes as
many solver calls as there are cores, each an easy one (the assumptions fix most of the order).
The last call's model is a repair, so its cost is an upper bound. The search then asks first
whether a repair meets the lower bound, and stops there if one does.

Which cores the solver gives depends on what it learnt before, so the bound does too; the
repairs found do not: the bound is only ever a lower bound, the search still proves the least
cost and distance, and `_Ties` picks the first of the equally good repairs. A core can be shrunk before it is set
aside (`_shrink`, `SHRINK_CALLS`): a smaller core leaves more changes for the cores after it, so
the bound can be higher; at synthetic 10x Z3's cores were small already and the calls cost more
than they saved, so it is off by default.
"""

from __future__ import annotations

from collections.abc import Callable

import z3


class CoreBound:
    """Lower bounds on a sum of parts, each at least 0 and at least its weight unless a term
    of its own holds, over one order's search: the cost (a part per change that costs, whose
    term is "not made") or the distance (a part per number, whose term is "not moved", weight
    1: a number that moves moves by at least 1).

    `still`: per part, the term that keeps it at 0; `weights`: what the part is at least
    otherwise; `literal`: a fresh literal implying a term, for this order; `check`: one solver
    call under assumptions, a model or None (unsat), raising Incomplete on a time limit;
    `core`: the ids of the assumed literals in the last unsat core; `within`: per part, that
    it is at most its weight, for parts that may be more."""

    # per core, at most this many solver calls to shrink it: each one removed may let another
    # core in, but a core shrunk call by call costs as much as the search it is meant to save
    # (at synthetic 10x Z3's cores were small already, and 4 calls a core made repair slower)
    SHRINK_CALLS = 0

    def __init__(self, still: list[z3.BoolRef], weights: list[int],
                 literal: Callable[[z3.BoolRef], z3.BoolRef],
                 check: Callable[[list[z3.BoolRef]], z3.ModelRef | None],
                 core: Callable[[], set[int]], within: list[z3.BoolRef] | None = None):
        self.weights = list(weights)
        self._still = still
        # per part, "at most its weight" when a part can be more (a number moved); None: a part
        # is its weight or 0 (a change made or not)
        self._within = within
        self._literal, self._check, self._core = literal, check, core
        self._keep: list[z3.BoolRef] | None = None  # per part: a literal implying its term
        self.cores: list[list[int]] = []  # the disjoint cores of the last bound, as parts' indices
        self.calls = 0

    def keep(self) -> list[z3.BoolRef]:
        """Per part, a literal that implies its term (made once per order)."""
        if self._keep is None:
            self._keep = [self._literal(t) for t in self._still]
        return self._keep

    def lower(self, fixed: list[z3.BoolRef] = ()) -> tuple[int, z3.ModelRef] | None:
        """(a lower bound on the sum in every model of the solver's constraints and `fixed`,
        one such model), or None: there is none."""
        keep = self.keep()
        fixed = list(fixed)
        index = {x.get_id(): i for i, x in enumerate(keep)}
        left = list(range(len(keep)))
        bound = 0
        self.cores = []
        while True:
            m = self._ask(keep, left, fixed)
            if m is not None:
                return bound, m
            core = sorted({index[i] for i in self._core() if i in index})
            if not core:
                return None  # unsat with every part free: no model at all
            core = self._shrink(keep, index, left, core, fixed)
            bound += min(self.weights[i] for i in core)
            self.cores.append(core)
            gone = set(core)
            left = [i for i in left if i not in gone]

    def implied(self) -> list[z3.BoolRef]:
        """What a model whose sum meets the last bound has, given the constraints that bound
        was found under (or more): each core then has exactly one part off its term, one of
        the core's least weight, at no more than that weight (a second part, or a dearer one,
        would take the sum past the bound), and every part outside the cores keeps its term.
        Asserted under the literals that bound the sum, these tell the solver in clauses what
        it would otherwise have to find from the pseudo-Boolean or arithmetic bound: asking
        whether an equally good repair comes before another (`_Ties`) is then easy."""
        keep_still = set(range(len(self._still)))
        out = []
        for core in self.cores:
            least = min(self.weights[i] for i in core)
            cheapest = [i for i in core if self.weights[i] == least]
            keep_still -= set(cheapest)  # the dearer parts of the core keep their terms
            if len(cheapest) > 1:
                out.append(z3.AtMost(*[z3.Not(self._still[i]) for i in cheapest], 1))
            if self._within is not None:
                out += [self._within[i] for i in cheapest]
        return [self._still[i] for i in sorted(keep_still)] + out

    def _shrink(self, keep: list[z3.BoolRef], index: dict[int, int], left: list[int], core: list[int],
                fixed: list[z3.BoolRef]) -> list[int]:
        """A smaller core, if a few calls find one: leave the dearest part of the core out of
        the assumptions; if they stay unsat, their core (of the parts still to be shared out)
        replaces this one when it is smaller. A core is only ever replaced by another core, so
        the bound stays a bound whatever is left out."""
        for _ in range(self.SHRINK_CALLS):
            if len(core) <= 1:
                break
            drop = max(core, key=lambda i: (self.weights[i], i))
            if self._ask(keep, [i for i in left if i != drop], fixed) is not None:
                break  # every model makes `drop` or another part of the core positive
            got = sorted({index[i] for i in self._core() if i in index})
            if not got or len(got) >= len(core):
                break
            core = got
        return core

    def _ask(self, keep: list[z3.BoolRef], which: list[int], fixed: list[z3.BoolRef]) -> z3.ModelRef | None:
        self.calls += 1
        return self._check(fixed + [keep[i] for i in which])


def unsat_core_ids(solver: z3.Solver) -> set[int]:
    """The ids of the literals in a plain solver's last unsat core, read straight from Z3."""
    ctx = solver.ctx.ref()
    v = z3.Z3_solver_get_unsat_core(ctx, solver.solver)
    z3.Z3_ast_vector_inc_ref(ctx, v)
    try:
        return {z3.Z3_get_ast_id(ctx, z3.Z3_ast_vector_get(ctx, v, i)) for i in range(z3.Z3_ast_vector_size(ctx, v))}
    finally:
        z3.Z3_ast_vector_dec_ref(ctx, v)

