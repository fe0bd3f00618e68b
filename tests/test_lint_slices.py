"""A slice of a shape (analyse/slices.py) answers as the whole shape does: on a synthetic tariff
large enough for the cone to slice (3x: over 100 options), for every shape, whether any order is
valid, whether each option and item can be in a valid order and can be left out, are asked of
both, and must agree; every model a slice gives, its other options absent, must keep every rule
instance and axiom of the whole shape. And lint with the later checks asked of slices finds
what it finds without any slice, finding for finding."""

from __future__ import annotations


import pytest
import z3

from conftest import synthetic_tariff
from tariffcheck.analyse import semantics, slices
from tariffcheck.analyse.space import Space, holds


@pytest.fixture(scope="module")
def tariff():
    return synthetic_tariff(3)


def _whole_holds(o, m) -> bool:
    """Does the model keep every rule instance, every axiom and the shape's own constraints?"""
    return all(holds(m, a) for a in o.p.solver.assertions()
               if not str(a).startswith(("Implies(ask:", "Implies(every rule"))) and all(
        holds(m, i.term) for i in o.instances)


def test_slices_answer_as_the_whole_shape(tariff):
    space = Space(tariff)
    kind = next(k for k in tariff.contracts.values() if len(k.options) >= 100)
    asked = models = 0
    for shape in space.shapes():
        slicer = slices.Slicer(space, shape)
        if not slicer.usable:  # a shape of small kinds alone: asked as before
            assert kind.id not in shape.kinds and slices.ask(slicer) is None
            continue
        o = space.open(shape)
        got = slices.ask(slicer)
        assert got is not None
        assert got[0] == o.check(), shape.label
        if got[0] != z3.sat:
            continue
        slots = [space.encoder.slot(e.kind, e.index) for e in o.order.contracts if e.kind == kind.id]
        terms = [s.option(x) for s in slots for x in list(kind.options)[::3]]
        terms += [z3.Not(s.option(x)) for s in slots for x in list(kind.options)[::11]]
        terms += [s.dimension(d.id) == i for s in slots for d in kind.dimensions.values() for i in range(len(d.values))]
        for t in terms:
            sliced = slices.ask(slicer, [t], most=64)
            if sliced is None:
                continue
            asked += 1
            assert sliced[0] == o.check(None, [t]), (shape.label, t)
            if sliced[0] == z3.sat and models < 20:  # a model of the slice is an order of the shape
                models += 1
                m = sliced[1].model()
                assert holds(m, t) and _whole_holds(o, m), (shape.label, t)
    assert asked > 150 and models == 20


def test_lint_with_slices_finds_the_same(tariff, monkeypatch):
    monkeypatch.setattr(semantics, "SLICED_CHECKS", ())
    whole = semantics.SemanticLint(tariff)
    expected = sorted((f.code, f.subject, f.message, tuple(f.rules)) for f in whole.run())
    assert not whole._slicers
    monkeypatch.setattr(semantics, "SLICED_CHECKS", ("contradiction", "dead", "forced", "false-optional",
                                                     "quantities"))
    sliced = semantics.SemanticLint(tariff)
    got = sorted((f.code, f.subject, f.message, tuple(f.rules)) for f in sliced.run())
    assert got == expected and not sliced.cut
    # the later checks did ask slices
    assert sum(len(s._made) for s in sliced._slicers.values()) > 8
