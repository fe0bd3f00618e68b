"""Explain and repair over an order's cone (smt/cone.py) against the whole tariff in the solver.

The cone gives the solver only the options an order's question can reach. Its proof (in
smt/cone.py) rests on one claim a test can check directly: every constraint left out with
some options holds when those options are not ordered, whatever the rest. Then the answers:
on every invalid golden case of the bundled specs and on synthetic tariffs at 1x and 3x, the
explanation from the cone is the one the whole tariff gives, or an equally minimal one (unsat
in the whole tariff, and sat with any one choice or rule left out); repairs cost the same, in
the same order (as far as both went where a time limit stopped one), and each passes the
concrete validator.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import z3

from tariffcheck import catalog
from tariffcheck.common.diagnostics import DiagnosticError
from tariffcheck.evaluate.concrete import ConcreteValidator
from tariffcheck.evaluate.verdict import VALID
from tariffcheck.orders.decode import decode_order
from tariffcheck.smt.cone import Cone
from tariffcheck.smt.encode import Encoder
from tariffcheck.smt.explain import Explainer, _opened
from tariffcheck.smt.problem import Workspaces
from tariffcheck.smt.repair import Repairer
from tariffcheck.testing.case_file import load_test_file

from conftest import ROOT, SPECS

sys.path.insert(0, str(ROOT / "benchmarks"))
import synthetic  # noqa: E402

SPEC_NAMES = sorted(p.name[: -len(".tariff")] for p in SPECS.glob("*.tariff"))


@pytest.fixture(autouse=True)
def slice_every_kind(monkeypatch):
    """The bundled tariffs are below the size from which a kind is sliced: slice them here."""
    monkeypatch.setattr(Cone, "SLICE_FROM", 0)


def _whole(tool, optimize: bool = False):
    """The same tool with the whole tariff in its solver (the path before the cone)."""
    tool.workspace = Workspaces(Encoder(tool.tariff), tool.workspace.timeout_ms, optimize=optimize, cone=False)
    return tool


def _spec_orders(name: str):
    tariff = catalog.load(name)
    cases = load_test_file(SPECS / f"{name}.tests.json", tariff)
    concrete = ConcreteValidator(tariff)
    out = []
    for case in cases:
        if case.expect != "invalid" or not isinstance(case.order, dict):
            continue
        try:
            order = decode_order(case.order, tariff)
        except DiagnosticError:
            continue
        if concrete.validate(order).status != VALID:
            out.append((case.name, order))
    return tariff, out


def _synthetic_orders(scale: int, per_count: int):
    text = synthetic.generate(scale, seed=0)
    tariff = synthetic.load(text, f"<synthetic x{scale}>")
    orders = [(f"x{scale}-{n}-{i}", decode_order(synthetic.invalid_order(text, n, seed=7 + 100 * n + i), tariff))
              for n in range(1, 6) for i in range(per_count)]
    return tariff, orders


def _conflict_key(conflict) -> tuple:
    return (sorted(str(c.path) for c in conflict.choices), sorted(str(t.key) for t in conflict.rules))


def _assert_minimal_in_whole(whole: Explainer, order, conflict) -> None:
    """The conflict is unsat over the whole tariff, and sat with any one member left out."""
    with whole.workspace.open(_opened(order)) as p:
        choices = [c for c in p.choices if c.path in {x.path for x in conflict.choices}]
        keys = {(t.key.rule, t.key.contract, t.key.subject) for t in conflict.rules}
        insts = [i for i in p.instances if (i.rule.id, i.slot, i.subject) in keys]
        assert len(choices) == len(conflict.choices) and len(insts) == len(conflict.rules)
        every = [c.literal for c in choices] + [i.literal for i in insts]
        assert p.check(every) == z3.unsat
        for k in range(len(every)):
            assert p.check(every[:k] + every[k + 1:]) == z3.sat, "a member of the conflict is not needed"


def _compare(tariff, orders) -> int:
    """Explain and repair K=3 on each order both ways; returns how many conflicts differed
    (each then checked to be minimal in the whole tariff)."""
    cone_x, whole_x = Explainer(tariff), _whole(Explainer(tariff))
    concrete = ConcreteValidator(tariff)
    cone_r, whole_r = Repairer(tariff, concrete=concrete), _whole(Repairer(tariff, concrete=concrete), True)
    differed = 0
    for name, order in orders:
        a, b = cone_x.explain(order), whole_x.explain(order)
        assert (a.status, a.complete) == (b.status, b.complete), name
        assert len(a.conflicts) == len(b.conflicts), name
        for x, y in zip(a.conflicts, b.conflicts):
            if _conflict_key(x) != _conflict_key(y):
                differed += 1
                assert len(x.choices) == len(y.choices), name
                _assert_minimal_in_whole(whole_x, order, x)
        r, s = cone_r.repair(order, k=3), whole_r.repair(order, k=3)
        costs = [(x.cost, x.distance) for x in r.repairs], [(x.cost, x.distance) for x in s.repairs]
        if r.complete and s.complete:
            assert (r.status, r.locked, costs[0]) == (s.status, s.locked, costs[1]), name
        else:  # a time limit stopped one of them (the whole tariff, at 3x): as far as both went
            n = min(len(costs[0]), len(costs[1]))
            assert costs[0][:n] == costs[1][:n], name
        for x in r.repairs:
            assert concrete.validate(x.order).status == VALID, name
    return differed


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_cone_answers_as_the_whole_tariff_on_the_golden_cases(name):
    tariff, orders = _spec_orders(name)
    assert orders, f"{name} has no invalid golden case"
    _compare(tariff, orders)


@pytest.mark.parametrize("scale", [1, 3])
def test_cone_answers_as_the_whole_tariff_on_synthetic_tariffs(scale):
    tariff, orders = _synthetic_orders(scale, 2 if scale == 1 else 1)
    _compare(tariff, orders)


@pytest.mark.parametrize("name", SPEC_NAMES + ["x1"])
def test_every_constraint_left_out_holds_with_its_options_absent(name):
    """The claim the proof rests on, checked by a solver for each constraint the simplifier
    judged: with the options it is left out for absent (α), its negation is unsat."""
    tariff = synthetic.load(synthetic.generate(1, seed=0)) if name == "x1" else catalog.load(name)
    enc = Encoder(tariff)
    judged = 0
    for kind in tariff.contracts:
        cone = enc.cone(kind)
        for (j, absent), quiet in list(cone._quiet.items()):
            if not quiet:
                continue
            s = z3.Solver(ctx=enc.ctx)
            s.add([x == v for o in absent for x, v in cone._alpha[o]])
            s.add(z3.Not(cone.terms[j]))
            assert s.check() == z3.unsat, (kind, j, sorted(absent))
            judged += 1
    if name == "x1":  # every family's rules are about options absent from most orders
        assert judged > 100


def test_a_lock_on_an_option_outside_the_cone_is_still_a_field_of_the_order():
    """`--lock` and `--weight` name fields of the whole order, not only of the cone."""
    tariff, orders = _synthetic_orders(1, 1)
    order = orders[0][1]
    entry = next(e for e in order.contracts if tariff.contracts[e.kind].options)
    absent = next(o for o in tariff.contracts[entry.kind].options if o not in entry.new.options)
    path = f"contracts[{entry.index}].options.{absent}"
    r = Repairer(tariff).repair(order, locks=[path], weights={path: 3})
    assert path in r.locked
    assert r.status == "repaired"


def test_why_not_keeps_the_option_asked_about():
    """An option the order does not have is outside the cone, until why-not asks about it."""
    tariff, orders = _synthetic_orders(1, 1)
    order = orders[0][1]
    ex, whole = Explainer(tariff), _whole(Explainer(tariff))
    entry = next(e for e in order.contracts if tariff.contracts[e.kind].options)
    for option in [o for o in tariff.contracts[entry.kind].options if o not in entry.new.options][:6]:
        a = ex.why_not(order, option, entry.id)
        b = whole.why_not(order, option, entry.id)
        assert (a.status, a.question, len(a.conflicts)) == (b.status, b.question, len(b.conflicts))
        assert [len(c.choices) for c in a.conflicts] == [len(c.choices) for c in b.conflicts]
