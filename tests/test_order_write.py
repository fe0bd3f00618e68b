"""The order writer is the decoder's inverse: decode → write → decode gives the same Order,
and what it writes is an order the tariff's JSON Schema accepts."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tariffcheck import catalog
from tariffcheck.common.diagnostics import DiagnosticError
from tariffcheck.orders.decode import decode_order
from tariffcheck.orders.order import ContractEntry, ContractState, OptionState, Order
from tariffcheck.orders.schema import order_schema
from tariffcheck.orders.write import order_to_json
from tariffcheck.testing.strategies import order_dicts

from conftest import FIXTURES, SPECS

jsonschema = pytest.importorskip("jsonschema")
FEATURES = str(FIXTURES / "features.tariff")
# every bundled tariff, and the fixture with optional dimensions, designations and option dates
TARIFFS = catalog.bundled_names() + [FEATURES]


@lru_cache(maxsize=None)
def _validator(name: str):
    schema = order_schema(catalog.load(name))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _comparable(order: Order) -> Order:
    """The order without what only a former name (附則) gives: the writer writes current names."""
    return replace(order, notes=[], contracts=[replace(c, former=set()) for c in order.contracts])


def _round_trip(raw: dict, name: str) -> None:
    tariff = catalog.load(name)
    first = decode_order(raw, tariff)
    written = order_to_json(first, tariff)
    json.dumps(written)  # JSON-ready: nothing but dicts, lists, text, numbers, booleans and null
    if not first.breaches:
        _validator(name).validate(written)
    elif any(b.rule.startswith(("listed_", "one_")) for b in first.breaches):
        # an order breaking a clause by a name the tariff does not list, or two where one is
        # allowed: the writer writes it as the order had it, and the schema rejects it too
        assert not _validator(name).is_valid(written)
    # equal Orders include equal breaches: what the order wrote where it breaks a clause survives
    assert _comparable(decode_order(written, tariff)) == _comparable(first)


def _golden_cases() -> list:
    cases = []
    for path in sorted(SPECS.glob("*.tests.json")):
        spec = path.name[: -len(".tests.json")]
        for i, case in enumerate(json.loads(path.read_text(encoding="utf-8"))["cases"]):
            cases.append(pytest.param(spec, case["order"], id=f"{spec}-{i}"))
    return cases


@pytest.mark.parametrize("spec, raw", _golden_cases())
def test_golden_orders_round_trip(spec, raw):
    try:
        decode_order(raw, catalog.load(spec))
    except DiagnosticError:
        pytest.skip("the case is a malformed order")
    _round_trip(raw, spec)


@pytest.mark.parametrize("name", TARIFFS, ids=lambda n: Path(n).stem)
def test_generated_orders_round_trip(name):
    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(order_dicts(catalog.load(name)))
    def round_trip(raw):
        _round_trip(raw, name)

    round_trip()


def test_a_change_that_clears_a_designation_writes_an_empty_list():
    raw = {"request": "change", "contracts": [{
        "id": "c", "contract": "child",
        "current": {"grade": "basic", "licences": 10, "options": {"rlw": {"accounts": 10, "processing": "lock"}}},
        "changes": {"options": {"rlw": {"processing": []}}}}]}
    tariff = catalog.load(FEATURES)
    written = order_to_json(decode_order(raw, tariff), tariff)
    assert written["contracts"][0]["changes"] == {"options": {"rlw": {"count": 1, "accounts": 10, "processing": []}}}
    _round_trip(raw, FEATURES)


def test_a_change_writes_only_what_differs():
    raw = {"request": "change", "contracts": [{
        "id": "c", "contract": "child",
        "current": {"grade": "basic", "os": "ios", "licences": 10, "billing_start": "2026-04-01",
                    "options": {"setup": True, "extra": 2}},
        "changes": {"os": None, "licences": 35, "billing_start": None, "options": {"setup": False, "ops": True}}}]}
    tariff = catalog.load(FEATURES)
    written = order_to_json(decode_order(raw, tariff), tariff)
    assert written["contracts"][0]["changes"] == {
        "os": None, "licences": 35, "billing_start": None, "options": {"ops": {"count": 1}, "setup": False}}
    _round_trip(raw, FEATURES)


def test_a_dimension_held_with_two_values_takes_two_holdings():
    raw = {"holdings": [{"service": "Other Service", "品目": "A 型"}, {"service": "other", "item": "b"},
                        {"service": "iij_id"}],
           "contracts": [{"contract": "child", "grade": "basic", "licences": 1}]}
    tariff = catalog.load(FEATURES)
    written = order_to_json(decode_order(raw, tariff), tariff)
    assert written["holdings"] == [{"service": "iij_id"}, {"service": "other", "item": "a"},
                                   {"service": "other", "item": "b"}]
    _round_trip(raw, FEATURES)


def test_a_change_no_json_can_say_is_refused():
    tariff = catalog.load(FEATURES)
    old = ContractState(dims={"grade": "basic", "os": None}, quantities={"licences": 1}, flags={"consent": False},
                        options={"rlw": OptionState(quantities={"accounts": 1}, dates={"billing_start": 739000})})
    new = replace(old, options={"rlw": OptionState(quantities={"accounts": 1})})
    order = Order(None, "change", {}, set(), set(), [ContractEntry("c", "child", None, new, old, False, 0)])
    with pytest.raises(ValueError, match="billing_start"):
        order_to_json(order, tariff)
