"""Propagation takes earlier orders' valid completions of the same standing as models of a
later order whose choices they satisfy (`_Run.reuse`): what an order-entry screen sends, one
order a keystroke, each the last with one field more. The answers must not depend on it: each
keystroke of an order entered field by field is answered by one propagator that has seen the
keystrokes before it, and by one that has forgotten them (`Propagator.forget`), and the two
answers' JSON must be the same bytes; and the models must have been taken (some keystroke
answered with fewer solver calls than from scratch), or the test would show nothing."""

from __future__ import annotations

import json

from tariffcheck import catalog
from tariffcheck.orders.decode import decode_partial_order
from tariffcheck.report import options_report
from tariffcheck.smt import propagate
from tariffcheck.smt.propagate import Propagator

TARIFF = catalog.load("secure-endpoint")

ORDER = {"tariff": "secure-endpoint", "request": "new", "application_date": "2026-10-30",
         "contracts": [{"id": "unit-1", "contract": "unit"},
                       {"id": "se-1", "parent": "unit-1", "品目": "av_g", "accounts": 45, "licensor_consent": True},
                       {"id": "se-2", "parent": "unit-1", "品目": "itam_x", "契約アカウント数": 45}]}


def keystrokes(order: dict) -> list[dict]:
    """The order entered one field at a time: the contracts and their parents first."""
    entered = [{k: v for k, v in c.items() if k in ("id", "contract", "parent")} for c in order["contracts"]]
    out = []
    for c, now in zip(order["contracts"], entered):
        for k, v in c.items():
            if k not in now:
                now[k] = v
                out.append(dict(order, contracts=json.loads(json.dumps(entered))))
    return out


def answer(p: Propagator, data: dict) -> tuple[str, int, int]:
    order = decode_partial_order(data, TARIFF)
    got = p.propagate(order)
    return json.dumps(options_report.to_json(TARIFF, order, got), ensure_ascii=False), got.calls, len(got.fields)


def test_keystrokes_answer_the_same_with_earlier_models_taken(monkeypatch):
    taken = []
    reuse = propagate._Run.reuse

    def counted(run):
        ok = reuse(run)
        taken.append(run.valid)
        return ok

    monkeypatch.setattr(propagate._Run, "reuse", counted)
    warm, cold = Propagator(TARIFF), Propagator(TARIFF)
    steps = keystrokes(ORDER)
    assert len(steps) == 5
    fewer = 0
    for data in steps:
        text, calls, fields = answer(warm, data)
        cold.forget()
        alone, alone_calls, _ = answer(cold, data)
        assert fields > 0
        assert text == alone, f"keystroke {steps.index(data)}: the answer depends on the earlier orders' models"
        fewer += calls < alone_calls
    assert any(taken[k] for k in range(0, len(taken), 2)), "no earlier model was ever taken"
    assert fewer > 0, "taking earlier models never saved a solver call"
