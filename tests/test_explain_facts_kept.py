"""What a kept encoder reuses across orders gives each order what a fresh one builds for it.

An order's facts are looked up by rows numbered alike in every slot of a kind, an absent
option's once per kind, and only the facts no earlier order brought are built (smt/facts.py);
its choices' terms likewise (smt/problem.py). So: over every golden case and example order of
the bundled tariffs, twice through one kept encoder, each order's facts (path, role, kind,
choice, value, term, literal, variables) are those a fresh encoder builds, with the cone's
slice of the options (`kept`) and with choices left out (`leave`, as lint asks) as well.

And `Explainer(warm=True)` keeps its warm workspace to the shapes of order the cone slices
(smt/problem.py `Workspace`): on Secure Endpoint, whose kinds are below `Cone.SLICE_FROM`, it
answers as the cold path does, by that path.
"""

from __future__ import annotations

import json

import pytest

from tariffcheck import catalog
from tariffcheck.common.diagnostics import DiagnosticError
from tariffcheck.orders.decode import decode_order
from tariffcheck.smt.cone import Cone
from tariffcheck.smt.encode import Encoder
from tariffcheck.smt.explain import Explainer
from tariffcheck.testing.case_file import load_test_file

from conftest import ROOT, SPECS

SPEC_NAMES = sorted(p.name[: -len(".tariff")] for p in SPECS.glob("*.tariff"))


def _orders(name: str) -> list:
    """The spec's golden cases that decode, and for Secure Endpoint its example base's orders."""
    tariff = catalog.load(name)
    out = []
    for case in load_test_file(SPECS / f"{name}.tests.json", tariff):
        try:
            out.append(decode_order(case.order, tariff))
        except DiagnosticError:
            continue
    if name == "secure_endpoint":
        for line in (ROOT / "examples" / "secure_endpoint_base.jsonl").read_text(encoding="utf-8").splitlines()[:30]:
            row = json.loads(line)
            try:
                out.append(decode_order(row.get("order", row), tariff))
            except DiagnosticError:
                continue
    return tariff, out


def _fact(f) -> tuple:
    """A fact as text, the same in any Z3 context."""
    return (str(f.path), f.role, f.kind, str(f.choice), None if f.under is None else f.under.sexpr(), f.value,
            f.slot, f.field, f.term.sexpr(), f.literal.sexpr(), tuple(v.sexpr() for v in f.vars),
            None if f.number is None else f.number.sexpr())


def _kept(enc: Encoder, order) -> dict:
    return {e.index: enc.cone(e.kind).needed(e, set()) for e in order.contracts}


def _leave(choice) -> bool:
    return ".options." in choice


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_a_kept_encoder_gives_each_order_the_facts_a_fresh_one_builds(name, monkeypatch):
    monkeypatch.setattr(Cone, "SLICE_FROM", 0)  # slice every kind, so that `kept` leaves options out
    tariff, orders = _orders(name)
    assert len(orders) >= 10, name
    kept_enc = Encoder(tariff)
    # the cone's slice of each order, made once (a Kept is plain data: the same for any encoder)
    slices = {id(order): _kept(kept_enc, order) for order in orders}
    asks = {"all": lambda e, order: e.facts(order),
            "kept": lambda e, order: e.facts(order, slices[id(order)]),
            "leave": lambda e, order: e.facts(order, None, _leave)}
    want = {(i, how): [_fact(f) for f in ask(Encoder(tariff), order)]
            for i, order in enumerate(orders) for how, ask in asks.items()}
    compared = 0
    for _ in range(2):  # the second time through, every fact was built before
        for i, order in enumerate(orders):
            for how, ask in asks.items():
                assert [_fact(f) for f in ask(kept_enc, order)] == want[(i, how)], (name, how)
                compared += len(want[(i, how)])
    assert compared > 0


def test_warm_explainer_on_secure_endpoint_takes_the_cold_path():
    tariff, orders = _orders("secure_endpoint")
    assert all(len(k.options) < Cone.SLICE_FROM for k in tariff.contracts.values())
    warm, cold = Explainer(tariff, warm=True), Explainer(tariff)
    invalid = 0
    for order in orders:
        a, b = warm.explain(order), cold.explain(order)
        assert (a.status, a.complete, a.conflicts) == (b.status, b.complete, b.conflicts)
        invalid += a.status == "invalid"
    assert invalid >= 5
    assert warm.workspace._by_shape and not any(ws.warm for ws in warm.workspace._by_shape.values())
