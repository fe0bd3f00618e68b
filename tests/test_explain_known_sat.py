"""Explain with the satisfiable trials kept across orders (smt/explain.py `KnownSat`) against
the shrink that asks the solver every trial (the algorithm before it).

Which minimal conflict the shrink reaches depends on the cores the solver returns, and those
depend on what the solver was asked before: the same order explained twice by one explainer
may already name two different (equally minimal) conflicts where it has several, with or
without KnownSat. So:

- an explainer's first order (the CLI explains one order per process) makes exactly the calls
  it made before, and gives the same conflict;
- over a sequence, asked twice (the second time most satisfiable trials are answered from the
  first), each conflict is the reference's or, where the order has several, another one of the
  same size that is minimal (unsat, and sat with any one member left out, asked in a workspace
  of its own).

The orders: the invalid golden cases of every bundled spec, the example orders and the invalid
lines of the example installed base.
"""

from __future__ import annotations

import json

import pytest
import z3

from tariffcheck import catalog
from tariffcheck.common.diagnostics import DiagnosticError
from tariffcheck.evaluate.concrete import ConcreteValidator
from tariffcheck.evaluate.verdict import VALID, InstanceKey
from tariffcheck.orders.decode import decode_order
from tariffcheck.smt.explain import Explainer, _opened, minimal_conflict
from tariffcheck.testing.case_file import load_test_file

from conftest import EXAMPLES, SPECS

SPEC_NAMES = sorted(p.name[: -len(".tariff")] for p in SPECS.glob("*.tariff"))


def _invalid_orders(name: str) -> list:
    """The invalid orders of tariff `name`: its golden cases, its example orders, the example
    installed base's lines."""
    tariff = catalog.load(name)
    concrete = ConcreteValidator(tariff)
    data = [case.order for case in load_test_file(SPECS / f"{name}.tests.json", tariff)
            if case.expect == "invalid" and isinstance(case.order, dict)]
    for path in sorted(EXAMPLES.glob("*.json")):
        order = json.loads(path.read_text(encoding="utf-8"))
        if order.get("tariff") == name:
            data.append(order)
    for path in sorted(EXAMPLES.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                order = json.loads(line)
            except ValueError:
                continue
            if isinstance(order, dict) and order.get("tariff") == name:
                data.append(order)
    out = []
    for d in data:
        try:
            order = decode_order(d, tariff)
        except DiagnosticError:
            continue
        if concrete.validate(order).status != VALID:
            out.append(order)
    return tariff, out


def _reference(explainer: Explainer, order):
    """One conflict as explain found it before KnownSat: every trial asked of the solver."""
    with explainer.workspace.open(_opened(order)) as p:
        if p.check([c.literal for c in p.choices] + p.rule_literals) == z3.sat:
            return None
        return minimal_conflict(p, p.choices, p.rule_literals)


def _key(conflict) -> tuple:
    return (sorted((str(c.path), repr(c.value)) for c in conflict.choices), sorted(str(t.key) for t in conflict.rules))


def _assert_minimal(tariff, order, conflict) -> None:
    """The conflict is unsat, and sat with any one member left out (in a workspace that has
    seen no other order)."""
    with Explainer(tariff).workspace.open(_opened(order)) as p:
        choices = [c for c in p.choices if c.path in {x.path for x in conflict.choices}]
        keys = {str(t.key) for t in conflict.rules}
        insts = [i for i in p.instances if str(InstanceKey(i.rule.id, i.slot, i.subject)) in keys]
        assert len(choices) == len(conflict.choices) and len(insts) == len(conflict.rules)
        every = [c.literal for c in choices] + [i.literal for i in insts]
        assert p.check(every) == z3.unsat
        for k in range(len(every)):
            assert p.check(every[:k] + every[k + 1:]) == z3.sat, "a member of the conflict is not needed"


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_a_first_order_gives_the_conflict_every_trial_asked_gives(name):
    tariff, orders = _invalid_orders(name)
    compared = 0
    for order in orders[:8]:
        got, want = Explainer(tariff).explain(order), _reference(Explainer(tariff), order)
        if want is not None:
            assert [_key(c) for c in got.conflicts] == [_key(want)]
            compared += 1
    assert compared


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_kept_trials_give_the_reference_conflicts_or_equally_minimal_ones(name):
    tariff, orders = _invalid_orders(name)
    assert orders, f"{name} has no invalid order to explain"
    new, old = Explainer(tariff), Explainer(tariff)
    compared = 0
    for _ in range(2):
        for order in orders:
            got, want = new.explain(order), _reference(old, order)
            if want is None:
                assert not got.conflicts
                continue
            assert got.status == "invalid" and got.complete and len(got.conflicts) == 1
            if _key(got.conflicts[0]) != _key(want):
                assert len(got.conflicts[0].choices) == len(want.choices)
                _assert_minimal(tariff, order, got.conflicts[0])
            compared += 1
    assert compared
    assert new.known.hits > 0, "the second pass should answer trials from the first"
