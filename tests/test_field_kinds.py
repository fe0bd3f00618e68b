"""The field vocabulary (model/fields.py): each kind of order field is one descriptor, and
every layer asks it. A toy kind, registered here and nowhere else, is validated by both
engines, pinned as a fact, explained, repaired and read back from a model."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tariffcheck import Checker
from tariffcheck.catalog import load
from tariffcheck.model import fields as F
from tariffcheck.model import ir
from tariffcheck.model.limits import MAX_COUNT

SMALL = Path(__file__).parent / "fixtures" / "small.tariff"


class Spare(F.FieldKind):
    """A toy: a contract's spare devices, a number kept with the contract's quantities."""

    id, type, where, choice, sort = "spare", "int", "contract", "qty", "int"

    def paths(self, kind, option=None):
        return [("spare",)]

    def ref(self, f, index):
        return F.contract_ref(index, f.state).child("spare")

    def get(self, st, path):
        return st.quantities.get("spare", 0)

    def put(self, st, path, value):
        st.quantities["spare"] = value

    def shown(self, f, order, entry):
        return self.get(entry.new if f.state == "new" else entry.old, f.path)

    def source(self, f, gen):
        state = gen.local("n_qty" if f.state == "new" else "p_qty")
        return f"{state}.get('spare', 0)"

    def axioms(self, z, var, slot, path, state):
        return [z.And(var >= 0, var <= 50)]

    def fact(self, entry, st, kind, path):
        return F._equal(st.quantities.get("spare", 0))


@pytest.fixture
def toy_kind(monkeypatch):
    spare = Spare()
    monkeypatch.setitem(F.KINDS, spare.id, spare)
    monkeypatch.setattr(F, "STATE_KINDS", F.STATE_KINDS + (spare,))
    tariff = load(str(SMALL))
    field = ir.Field("spare", ("spare",), "new", "int")
    base = next(r for r in tariff.rules if r.id == "seat_range")
    rule = dataclasses.replace(base, id="spare_cap", kind="cap", subjects=[None], guards={None: ir.TRUE},
                               bodies={None: ir.Cmp("<=", field, ir.Const(3, "int"))},
                               messages={"ja": "予備は 3 台までです。", "en": "At most 3 spare devices."})
    return Checker(dataclasses.replace(tariff, rules=tariff.rules + [rule]))


ORDER = {"request": "new", "application_date": "2026-02-02",
         "contracts": [{"id": "s1", "contract": "svc", "item": "a", "seats": 2}]}


def _with_spare(checker: Checker, n: int):
    order = checker.decode(ORDER)
    order.contracts[0].new.quantities["spare"] = n
    return order


@pytest.mark.parametrize("n, valid", [(0, True), (3, True), (4, False), (50, False)])
def test_a_new_kind_is_validated_alike_by_both_engines(toy_kind, n, valid):
    order = _with_spare(toy_kind, n)
    for engine in ("concrete", "z3"):
        verdict = toy_kind.check(order, engine=engine)
        assert verdict.status == ("valid" if valid else "invalid"), engine
        assert [v.key.rule for v in verdict.violations] == ([] if valid else ["spare_cap"])
    if not valid:
        (v,) = toy_kind.check(order).violations
        assert v.fields == [("contracts[0].spare", n)]
        assert v.fields[0][0].contract == 0 and v.fields[0][0].parts == ("spare",)


def test_a_new_kind_is_a_choice_that_explain_blames_and_repair_changes(toy_kind):
    order = _with_spare(toy_kind, 7)
    explanation = toy_kind.explain(order)
    (conflict,) = explanation.conflicts
    assert [c.path for c in conflict.choices] == ["contracts[0].spare"]
    result = toy_kind.repair(order)
    (repair,) = result.repairs
    assert [(c.path, c.before, c.after) for c in repair.changes] == [("contracts[0].spare", 7, 3)]
    assert repair.order.contracts[0].new.quantities["spare"] == 3  # read back from the model
    assert toy_kind.check(repair.order).status == "valid"


def test_its_axioms_bound_it(toy_kind):
    """The toy's own axioms (0 … 50) reach the solver: 51 is not a value any repair may give."""
    order = _with_spare(toy_kind, 50)
    result = toy_kind.repair(order, weights={"qty": 1})
    assert result.repairs and all(c.after <= 50 for r in result.repairs for c in r.changes)


def test_every_kind_has_what_every_layer_asks():
    for kind in F.KINDS.values():
        assert kind.id and kind.type in ("bool", "int", "date", "enum")
        assert kind.where in ("order", "contract", "option", "structure", "wording")
        assert kind.sort in ("bool", "int") and (not kind.dated or kind.sort == "int")
        assert kind.choice is None or kind.choice in F.CHOICES
    assert MAX_COUNT > 50
    # the name users weigh a field by is some kind's, and every kind of the order format has one
    assert set(F.CHOICES) == {k.choice for k in F.KINDS.values() if k.choice}


def test_field_refs_keep_their_parts():
    ref = F.contract_ref(1).child("options", "tunnel", "count")
    assert ref == "contracts[1].options.tunnel.count"
    assert (ref.contract, ref.parts, ref.option) == (1, ("options", "tunnel", "count"), "tunnel")
    assert ref.within(F.contract_ref(1).child("options", "tunnel"))
    assert not ref.within(F.contract_ref(2).child("options", "tunnel"))
    assert F.contract_ref(1, "old").child("accounts") == "contracts[1].current.accounts"
    assert F.FieldRef(None, "application_date") == "application_date"
    assert F.contract_ref(None).child("item") == "contracts[?].item"
    import pickle

    again = pickle.loads(pickle.dumps(ref))
    assert again == ref and again.parts == ref.parts and again.contract == 1
