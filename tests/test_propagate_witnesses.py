"""Propagation's shortcuts against the plain way, on Secure Endpoint partial orders under a parent
contract with open services (the orders the shortcuts were made for).

`Propagator` covers many values with one model and answers most of a reason's shrinking from
models found before (smt/propagate.py). The plain way asks one question per value, in a
workspace of its own: the value is possible exactly when that question is satisfiable. Each
impossible value's reason must be a minimal conflict in the sense of explain.minimal_conflict:
its choices and rules exclude the value; without any one of its choices (every rule kept) the
value is possible; without any one of its rules (its choices kept) the value is possible.
"""

from __future__ import annotations

import z3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tariffcheck import catalog
from tariffcheck.orders.decode import decode_partial_order
from tariffcheck.smt.encode import Encoder
from tariffcheck.smt.problem import Workspace
from tariffcheck.smt.propagate import Propagator

TARIFF = catalog.load("secure-endpoint")
PROPAGATOR = Propagator(TARIFF)
REFERENCE = Workspace(Encoder(TARIFF))  # another encoder, another context: nothing shared
ITEMS = list(TARIFF.contracts["service"].dimensions["item"].values)


@st.composite
def parent_orders(draw) -> dict:
    services = []
    for i in range(draw(st.integers(1, 3))):
        service = {"id": f"se-{i + 1}", "parent": "unit-1", "item": draw(st.sampled_from(ITEMS)),
                   "accounts": draw(st.sampled_from([1, 10, 30, 100, 500]))}
        if draw(st.booleans()):
            service["licensor_consent"] = True
        services.append(service)
    return {"tariff": "secure-endpoint", "application_date": "2026-04-01", "holdings": [],
            "contracts": [{"id": "unit-1", "contract": "親たる契約"}] + services}


def value_terms(p, path):
    """What each value of an open option or dimension means, as propagate.py reads it."""
    facts = p.undecided[path]
    f = facts[0]
    if f.kind == "dim":
        dim = TARIFF.contracts[p.order.contracts[f.slot].kind].dimensions[f.field.path[0]]
        return {v: f.vars[0] == i for i, v in enumerate(dim.values)} | ({None: f.vars[0] == -1} if dim.optional else {})
    if f.kind in ("option", "flag", "optflag", "oflag", "holding"):
        return {True: f.vars[-1], False: z3.Not(f.vars[-1])}
    return None


def sat(p, literals, term) -> bool:
    ask = z3.FreshBool("ask", p.encoder.ctx)
    p.solver.add(z3.Implies(ask, term))
    return p.check(literals + [ask]) == z3.sat


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parent_orders())
def test_possible_values_and_reasons_agree_with_one_question_per_value(data):
    order = decode_partial_order(data, TARIFF)
    result = PROPAGATOR.propagate(order)
    assert result.complete, result.reason
    with REFERENCE.open(order) as p:
        p.solver.add(p.shape())
        choices = {str(c.path): c for c in p.choices}
        instances = {(i.rule.id, i.slot, i.subject): i for i in p.instances}
        rules = p.rule_literals
        everything = [c.literal for c in p.choices] + rules
        if p.check(everything) == z3.unsat:
            assert result.status == "invalid"
            return
        assert result.status == "open"
        checked = 0
        for f in result.fields:
            terms = value_terms(p, f.path) if f.path in p.undecided else None
            if terms is None:
                continue
            for v in f.values:
                term = terms[v.value]
                assert sat(p, everything, term) == v.possible, (f.path, v.value)
                checked += 1
                if v.possible:
                    continue
                mine = [choices[str(c.path)] for c in v.reason.choices]
                tied = [instances[(t.key.rule, t.key.contract, t.key.subject)] for t in v.reason.rules]
                assert not sat(p, [c.literal for c in mine] + [i.literal for i in tied], term), (f.path, v.value)
                for c in mine:  # each choice is needed, every rule kept
                    assert sat(p, [x.literal for x in mine if x is not c] + rules, term), (f.path, v.value, c.path)
                for i in tied:  # each rule is needed, the choices kept
                    assert sat(p, [c.literal for c in mine] + [x.literal for x in tied if x is not i], term), \
                        (f.path, v.value, i.rule.id)
        assert checked  # the order had open options to ask about
