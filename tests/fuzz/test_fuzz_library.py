"""Fuzzing the library on real orders, mutated: every answer is one the library documents, and
its answers agree with each other. The concrete path and Z3 break the same rule instances
whenever Z3 gives a verdict; explain's status is check's; every repair checks valid, also once
written back as JSON; `options` on a partial order answers or raises OrderError."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from tariffcheck import OrderError
from tariffcheck.orders.write import order_to_json

from fuzzing import budget, checker, partial_orders, summary
from mutations import mutated, nudged, nudged_order, real_order


def decoded(name: str, order):
    """The decoded order, or None when it is bad input (an OrderError, the documented refusal)."""
    try:
        return checker(name).decode(order)
    except OrderError as exc:
        assert exc.diagnostics
        return None


@budget("library_concrete")
@given(st.one_of(real_order(), nudged_order()), st.sampled_from(["ja", "en"]))
def test_concrete_check_dates_and_quote_answer_or_refuse(named, lang):
    name, order = named
    c = checker(name)
    o = decoded(name, order)
    if o is None:
        return
    verdict = c.check(o)
    assert verdict.status in ("valid", "invalid")
    assert (verdict.status == "invalid") == bool(verdict.violations)
    for v in verdict.violations:
        assert v.message(c.tariff, lang).strip()
    for day in c.dates(o):
        assert day.contract_index < len(o.contracts)
    try:
        c.quote(o)
    except OrderError as exc:  # a quote needs what an order may leave out (a price, a day)
        assert exc.diagnostics


@budget("library_engines_agree")
@given(st.one_of(nudged_order(), real_order()))
def test_concrete_and_z3_agree_on_mutated_real_orders(named):
    name, order = named
    o = decoded(name, order)
    if o is None:
        return
    c = checker(name)
    concrete = c.check(o)
    through_z3 = c.check(o, engine="z3")
    if through_z3.status == "unknown":
        assert through_z3.reason
        return
    assert summary(through_z3) == summary(concrete)


@budget("library_explain")
@given(nudged_order())
def test_explain_status_is_check_status(named):
    name, order = named
    o = decoded(name, order)
    if o is None:
        return
    c = checker(name)
    status = c.check(o).status
    explanation = c.explain(o, limit=2)
    if explanation.status == "unknown":
        assert explanation.reason
        return
    assert explanation.status == status
    if status == "invalid":
        # what the order breaks by what it writes (an unknown name, a count left out) is a breach of
        # its clause, listed on its own; what it breaks by what it chooses is a conflict of rules
        assert explanation.conflicts or explanation.breaches
        assert all(conflict.rules for conflict in explanation.conflicts)
        if not explanation.breaches:
            assert explanation.conflicts
    else:
        assert not explanation.conflicts and not explanation.breaches


@budget("library_repair")
@given(nudged_order(), st.integers(1, 2))
def test_every_repair_checks_valid(named, k):
    name, order = named
    o = decoded(name, order)
    if o is None:
        return
    c = checker(name)
    status = c.check(o).status
    result = c.repair(o, k=k)
    assert result.status in ("valid", "repaired", "none", "unknown"), result.status
    assert (result.status == "valid") == (status == "valid"), (result.status, status)
    if result.status == "unknown":
        assert result.reason
    assert len(result.repairs) <= k
    for r in result.repairs:
        assert c.check(r.order).status == "valid", [v.rule.id for v in c.check(r.order).violations]
        written = json.loads(json.dumps(order_to_json(r.order, c.tariff)))
        assert c.check(written).status == "valid", written


@budget("library_options")
@given(st.data())
def test_options_on_a_partial_order_answer_or_refuse(data):
    name, partial = data.draw(st.sampled_from(partial_orders()))
    order = data.draw(nudged(partial) | mutated(partial, most=2))
    c = checker(name)
    try:
        propagation = c.options(order)
    except OrderError as exc:
        assert exc.diagnostics
        return
    assert propagation.status in ("open", "invalid", "unknown"), propagation.status
    if propagation.status == "unknown":
        assert propagation.reason
