"""Explain in a warm workspace (smt/problem.py `Workspace`, `warm`): every order's terms stay in
the solver under literals, and an order assumes its own, where the cold path pushed them for
the order and popped them after.

Each check switches on the same formulas as the cold path's, so each is satisfiable exactly
when the cold one is; the cores come from another search, so where an order has several
minimal conflicts the warm explainer may name another one. So: on synthetic 3x (its service
kind is sliced by the cone), over two passes through the orders with one kept explainer, each
answer has the cold path's status and completeness, and each conflict is the cold one or one
of the same size that is minimal over the whole tariff (unsat, and sat with any one member
left out). And the second pass asserts nothing new: each term went in once.
"""

from __future__ import annotations

from tariffcheck.smt.explain import Explainer

from test_explain_cone import _assert_minimal_in_whole, _conflict_key, _synthetic_orders, _whole


def test_warm_conflicts_are_the_cold_ones_or_equally_minimal():
    tariff, orders = _synthetic_orders(3, 1)
    warm, cold, whole = Explainer(tariff, warm=True), Explainer(tariff), _whole(Explainer(tariff))
    terms = []
    compared = 0
    for _ in range(2):
        for name, order in orders:
            a, b = warm.explain(order), cold.explain(order)
            assert (a.status, a.complete, len(a.conflicts)) == (b.status, b.complete, len(b.conflicts)), name
            for x, y in zip(a.conflicts, b.conflicts):
                if _conflict_key(x) != _conflict_key(y):
                    assert len(x.choices) == len(y.choices), name
                    _assert_minimal_in_whole(whole, order, x)
                compared += 1
        terms.append(sum(ws.terms for ws in warm.workspace._by_shape.values()))
    assert compared == 2 * len(orders)
    assert all(ws.warm for ws in warm.workspace._by_shape.values()), "the 3x kind should be sliced, and warm"
    assert terms[0] > 0 and terms[1] == terms[0], "the second pass should assert nothing new"


def test_warm_why_not_answers_as_the_whole_tariff():
    """Why-not's question stays in the warm solver under its own literal: asked again, and for
    other options in between, it answers as the whole tariff does."""
    tariff, orders = _synthetic_orders(3, 1)
    order = orders[0][1]
    ex, whole = Explainer(tariff, warm=True), _whole(Explainer(tariff))
    entry = next(e for e in order.contracts if tariff.contracts[e.kind].options)
    options = [o for o in tariff.contracts[entry.kind].options if o not in entry.new.options][:4]
    for option in options + options[:2]:
        a, b = ex.why_not(order, option, entry.id), whole.why_not(order, option, entry.id)
        assert (a.status, a.question, len(a.conflicts)) == (b.status, b.question, len(b.conflicts))
        assert [len(c.choices) for c in a.conflicts] == [len(c.choices) for c in b.conflicts]
