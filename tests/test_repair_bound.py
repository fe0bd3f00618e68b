"""Lower bounds from disjoint unsat cores (smt/repair_bound.py `CoreBound`), against brute force.

On random small problems (weighted Boolean changes under random clauses; numbers that may move
under random linear constraints), every bound must be at most the least sum over all models
(enumerated), the model it comes with must be one, and what it says a model meeting the bound
has (`implied`) must hold in every model that meets it. The repairs themselves are compared with
Z3's optimiser in tests/test_repair_least.py and with the tree before in
benchmarks/bench_repair_same.py.
"""

from __future__ import annotations

import itertools

import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from tariffcheck.smt.context import new_context
from tariffcheck.smt.repair_bound import CoreBound, unsat_core_ids


def _bound_of(solver: z3.Solver, still: list[z3.BoolRef], weights: list[int], within=None,
              shrink: int = CoreBound.SHRINK_CALLS) -> CoreBound:
    made = []

    def literal(term):
        b = z3.Bool(f"keep:{len(made)}", solver.ctx)
        made.append(b)
        solver.add(z3.Implies(b, term))
        return b

    def check(assumptions):
        r = solver.check(*assumptions)
        assert r != z3.unknown
        return solver.model() if r == z3.sat else None

    bound = CoreBound(still, weights, literal, check, lambda: unsat_core_ids(solver), within=within)
    bound.SHRINK_CALLS = shrink
    return bound


clauses = st.lists(st.lists(st.tuples(st.integers(0, 5), st.booleans()), min_size=1, max_size=3),
                   min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(clauses, st.lists(st.integers(1, 4), min_size=6, max_size=6), st.sampled_from([0, 4]))
def test_the_cost_bound_is_at_most_the_least_cost_and_what_it_implies_holds(cs, weights, shrink):
    ctx = new_context()
    x = [z3.Bool(f"made{i}", ctx) for i in range(6)]
    rules = [z3.Or([x[i] if pos else z3.Not(x[i]) for i, pos in c]) for c in cs]
    solver = z3.Solver(ctx=ctx)
    solver.add(rules)
    bound = _bound_of(solver, [z3.Not(v) for v in x], weights, shrink=shrink)

    models = [bits for bits in itertools.product([False, True], repeat=6)
              if all(any(bits[i] == pos for i, pos in c) for c in cs)]
    got = bound.lower()
    if not models:
        assert got is None
        return
    least = min(sum(w for w, b in zip(weights, bits) if b) for bits in models)
    assert got is not None
    value, m = got
    assert value <= least
    assert all(z3.is_true(m.eval(r, model_completion=True)) for r in rules)
    # every model at the bound has what `implied` says (none may exist, when the bound is below)
    implied = z3.And(bound.implied() + [z3.BoolVal(True, ctx)])
    for bits in models:
        if sum(w for w, b in zip(weights, bits) if b) <= value:
            pinned = z3.substitute(implied, *[(v, z3.BoolVal(b, ctx)) for v, b in zip(x, bits)])
            assert z3.is_true(z3.simplify(pinned)), (bits, value)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(-2, 2), min_size=4, max_size=4), st.integers(-3, 3)),
                min_size=1, max_size=4),
       st.lists(st.integers(-2, 2), min_size=4, max_size=4))
def test_the_distance_bound_counts_numbers_that_must_move(constraints, given_values):
    """Parts |n_i - v_i| (each moved at least 1 when moved): the bound, one per disjoint core of
    "every number as given", is at most the least distance over the numbers in -4..4, and what
    a distance meeting it implies (each core: one number moved, by 1) holds there."""
    ctx = new_context()
    n = [z3.Int(f"n{i}", ctx) for i in range(4)]
    parts = [z3.If(v - g >= 0, v - g, g - v) for v, g in zip(n, given_values)]
    rules = [z3.Sum([c * v for c, v in zip(cs, n)]) >= k for cs, k in constraints]
    rules += [z3.And(v >= -4, v <= 4) for v in n]
    solver = z3.Solver(ctx=ctx)
    solver.add(rules)
    bound = _bound_of(solver, [p <= 0 for p in parts], [1] * 4, within=[p <= 1 for p in parts], shrink=2)

    points = [p for p in itertools.product(range(-4, 5), repeat=4)
              if all(sum(c * v for c, v in zip(cs, p)) >= k for cs, k in constraints)]
    got = bound.lower()
    if not points:
        assert got is None
        return
    least = min(sum(abs(v - g) for v, g in zip(p, given_values)) for p in points)
    assert got is not None and got[0] <= least
    implied = z3.And(bound.implied() + [z3.BoolVal(True, ctx)])
    for p in points:
        if sum(abs(v - g) for v, g in zip(p, given_values)) <= got[0]:
            pinned = z3.substitute(implied, *[(v, z3.IntVal(x, ctx)) for v, x in zip(n, p)])
            assert z3.is_true(z3.simplify(pinned)), (p, got[0])


def test_a_core_of_many_changes_counts_its_cheapest_once():
    """Three changes of which one is needed, weighing 3, 1 and 2: the bound is 1, and a model
    at 1 makes only the cheapest."""
    ctx = new_context()
    x = [z3.Bool(f"made{i}", ctx) for i in range(3)]
    solver = z3.Solver(ctx=ctx)
    solver.add(z3.Or(x))
    bound = _bound_of(solver, [z3.Not(v) for v in x], [3, 1, 2])
    value, _ = bound.lower()
    assert value == 1
    s = z3.Solver(ctx=ctx)
    s.add(z3.Or(x), z3.And(bound.implied()))
    assert s.check() == z3.sat and [z3.is_true(s.model().eval(v, model_completion=True)) for v in x] == \
        [False, True, False]


def test_disjoint_needs_add_up():
    """Two separate needs (a or b, and c): the bound is the sum of their cheapest changes."""
    ctx = new_context()
    a, b, c = (z3.Bool(n, ctx) for n in "abc")
    solver = z3.Solver(ctx=ctx)
    solver.add(z3.Or(a, b), c)
    value, m = _bound_of(solver, [z3.Not(a), z3.Not(b), z3.Not(c)], [2, 5, 4]).lower()
    assert value == 6
    assert z3.is_true(m.eval(c))
