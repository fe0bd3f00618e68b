"""Derived days, period starts and fee conditions: the compiled Python (what `tariff dates` and
`tariff quote` use) and the Z3 terms of the same expressions give the same values on every
order Hypothesis generates, for every bundled tariff. Month arithmetic included, and whether
there is a value at all: a day the order leaves out, perhaps made good by `or_else`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
import z3
from hypothesis import HealthCheck, given, settings

from tariffcheck import catalog
from tariffcheck.api import Checker
from tariffcheck.model import ir
from tariffcheck.model import tariff as M
from tariffcheck.evaluate.concrete import compile_value
from tariffcheck.smt.encode import Encoder
from tariffcheck.testing.strategies import order_dicts

from conftest import FIXTURES

TARIFFS = catalog.bundled_names() + [str(FIXTURES / "features.tariff")]


@lru_cache(maxsize=None)
def checker(name: str) -> Checker:
    return Checker(catalog.load(name))


def _expressions(t: M.Tariff) -> list[tuple[str, str, ir.Node]]:
    """(contract kind, label, expression) of every derived day, period start and condition."""
    out = []
    for decl in [*t.periods, *t.derived]:
        nodes = decl.starts if isinstance(decl, M.Period) else decl.values
        for subject, node in nodes.items():
            out.append((decl.scope, f"{decl.id}:{subject}", node))
            if decl.whens.get(subject) is not None:
                out.append((decl.scope, f"{decl.id}:{subject}:when", decl.whens[subject]))
    for f in t.fees:
        for subject, lines in f.by_subject.items():
            for i, line in enumerate(lines):
                for part in (line.when, line.per, line.formula):
                    if part is not None:
                        out.append((f.scope, f"{f.id}:{subject}:{i}", part))
    return out


@pytest.mark.parametrize("name", TARIFFS, ids=lambda n: Path(n).stem)
def test_derived_values_agree_in_both_paths(name):
    c = checker(name)
    exprs = [(k, label, node, compile_value(node, label)[1]) for k, label, node in _expressions(c.tariff)]
    if not exprs:
        pytest.skip("the tariff derives nothing")
    enc = Encoder(c.tariff)
    s = z3.Solver(ctx=enc.ctx)
    s.add(enc.order_vars.axioms())
    ready: set[tuple[str, int]] = set()

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(order_dicts(c.tariff))
    def check(data):
        order = c.decode(data)
        for e in order.contracts:
            if (e.kind, e.index) not in ready:
                s.add(enc.slot(e.kind, e.index).axioms())
                ready.add((e.kind, e.index))
        s.push()
        try:
            s.add([f.term for f in enc.facts(order)])
            assert s.check() == z3.sat
            m = s.model()
            for e in order.contracts:
                slot = enc.slot(e.kind, e.index)
                for kind, label, node, fn in exprs:
                    if kind != e.kind:
                        continue
                    py = fn(order, e)
                    defined = m.eval(enc.term(ir.defined(node), slot), model_completion=True)
                    assert z3.is_true(defined) == (py is not None), (label, e.id, py)
                    if py is None:
                        continue  # reads a date the order does not give: no value in either path
                    got = m.eval(enc.term(node, slot), model_completion=True)
                    z = z3.is_true(got) if node.type == "bool" else got.as_long()
                    assert z == (bool(py) if node.type == "bool" else py), (label, e.id, py, z)
        finally:
            s.pop()

    check()
