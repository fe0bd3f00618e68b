"""Witnesses found near a known order (analyse/local.py) are orders of the shape: whatever the
small solver says yes to, the shape's own solver says yes to as well, for each kind of question
lint asks it (a rule broken while every other rule holds, a rule broken with no rules, a term in
a valid order). A no of the small solver proves nothing and is not asked to agree."""

from __future__ import annotations


import pytest
import z3

from conftest import synthetic_tariff
from tariffcheck import catalog
from tariffcheck.analyse.local import Fields, Local
from tariffcheck.analyse.semantics import SemanticLint
from tariffcheck.resolve import resolve
from tariffcheck.syntax.parser import parse_text


@pytest.fixture(scope="module")
def linted() -> SemanticLint:
    t = synthetic_tariff(1)
    sem = SemanticLint(t)
    sem.run(("dead",))  # opens every shape and keeps the valid orders it finds
    return sem


def _near(sem: SemanticLint):
    fields = Fields(sem.space.encoder.ctx)
    for shape in sem.space.shapes():
        models = sem.seen.models.get(shape, []) if shape in sem._sat else []
        if models:
            o = sem.space.open(shape)
            yield o, Local(o, fields), models[:3]


def test_a_rule_broken_near_a_valid_order_is_broken_while_the_others_hold(linted):
    found = 0
    for o, local, models in _near(linted):
        for inst in o.instances:
            others = [i for i in o.instances if i.rule is not inst.rule]
            if any(local.witness(m, z3.Not(inst.term), leave_out=lambda i: i.rule is inst.rule) for m in models):
                found += 1
                assert o.check(others, [z3.Not(inst.term)]) == z3.sat, (o.shape.label, inst.rule.id)
    assert found > 50  # most rules of a synthetic tariff are broken near some valid order


def test_a_rule_broken_with_no_rules_near_a_valid_order_is_breakable(linted):
    found = 0
    for o, local, models in _near(linted):
        for inst in o.instances:
            if local.witness(models[0], z3.Not(inst.term)):
                found += 1
                assert o.check([], [z3.Not(inst.term)]) == z3.sat, (o.shape.label, inst.rule.id)
    assert found > 50


def test_an_option_shown_near_a_valid_order_is_in_a_valid_order(linted):
    kind = linted.tariff.contracts["service"]
    found = 0
    for o, local, models in _near(linted):
        for entry in [e for e in o.order.contracts if e.kind == kind.id]:
            slot = o.encoder.slot(entry.kind, entry.index)
            for opt in kind.options.values():
                term = z3.Not(slot.option(opt.id))  # leaving an option out keeps every rule near most orders
                if local.witness(models[0], term, leave_out=lambda i: False):
                    found += 1
                    assert o.check(None, [term]) == z3.sat, (o.shape.label, opt.id)
    assert found > 20


def test_no_witness_for_what_no_order_has():
    from tariffcheck.interop.uvl_import import import_uvl

    text = import_uvl("features\n    Shop\n        optional\n            Gift\n            Voucher\n"
                      "constraints\n    Gift => Voucher\n    Voucher => !Gift\n").text
    t = resolve(parse_text(text, "<uvl>"), catalog.link_bundled)
    # the Z3 path, whose witnesses this tests: a purely Boolean tariff otherwise goes to the SAT
    # solver (boolean_lint.py), which opens no shape and keeps no model
    sem = SemanticLint(t, boolean=False)
    sem.run(("contradiction",))
    gift = next(o.id for k in t.contracts.values() for o in k.options.values() if o.label == "Gift")
    tried = 0
    for o, local, models in _near(sem):
        for entry in o.order.contracts:
            slot = o.encoder.slot(entry.kind, entry.index)
            if gift in t.contracts[entry.kind].options and o.check(None, [slot.option(gift)]) == z3.unsat:
                tried += 1  # no valid order of this shape has the gift: no witness may say one does
                assert not any(local.witness(m, slot.option(gift), leave_out=lambda i: False) for m in models)
    assert tried
