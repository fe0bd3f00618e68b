"""Propagation against brute force: for partial orders of a small tariff, every completion of
the open fields is checked by the concrete validator, and what it finds possible must be
exactly what `Propagator` says is possible (numbers: the same least and greatest value)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from tariffcheck import catalog
from tariffcheck.orders.decode import decode_partial_order
from tariffcheck.evaluate.concrete import ConcreteValidator
from tariffcheck.smt.propagate import Propagator
from tariffcheck.api import Checker

from conftest import FIXTURES

SMALL = FIXTURES / "small.tariff"
TARIFF = catalog.load(str(SMALL))
CHECKER = Checker(TARIFF)
PROPAGATOR = Propagator(TARIFF)
SEATS = range(0, 9)  # the rules allow 1..6, so 0..8 shows both ends

# every field of the small tariff's one contract, with its values (None: left out / not ordered)
DOMAINS = {
    "item": ["a", "b", "c"],
    "seats": list(SEATS),
    "consent": [True, False],
    "x": [None, True],
    "y": [None] + [{"seats": n} for n in SEATS],
    "z": [None, 1, 2, 3],
    "w": [None, {"mode": []}, {"mode": ["m1"]}, {"mode": ["m2"]}, {"mode": ["m1", "m2"]}],
    "holdings": [[], [{"service": "iij_id"}]],
}
OPTIONS = ("x", "y", "z", "w")


def to_json(values: dict) -> dict:
    contract = {k: values[k] for k in ("item", "seats", "consent") if k in values}
    options = {o: (values[o] if values[o] is not None else False) for o in OPTIONS if o in values}
    contract["options"] = options
    order = {"application_date": "2026-04-01", "contracts": [contract]}
    if "holdings" in values:
        order["holdings"] = values["holdings"]
    return order


def brute_force(decided: dict) -> list[dict]:
    """Every valid completion of the decided fields, by enumeration."""
    open_keys = [k for k in DOMAINS if k not in decided]
    out = []
    for combo in itertools.product(*(DOMAINS[k] for k in open_keys)):
        full = dict(decided, **dict(zip(open_keys, combo)))
        if CHECKER.check(to_json(full)).status == "valid":
            out.append(full)
    return out


def possible_by_brute_force(valid: list[dict]) -> dict[str, set]:
    """The values of each reported field over the valid completions, keyed as propagation keys them."""
    out: dict[str, set] = {}

    def add(path, value):
        out.setdefault(path, set()).add(value)

    for v in valid:
        add("contracts[0].item", v["item"])
        add("contracts[0].seats", v["seats"])
        add("contracts[0].consent", v["consent"])
        add("holdings.iij_id", bool(v["holdings"]))
        for o in OPTIONS:
            add(f"contracts[0].options.{o}", v[o] is not None)
        if v["y"] is not None:
            add("contracts[0].options.y.seats", v["y"]["seats"])
        if v["z"] is not None:
            add("contracts[0].options.z.count", v["z"])
        if v["w"] is not None:
            for m in v["w"]["mode"]:
                add("contracts[0].options.w.mode", m)
    return out


def compare(decided: dict, partial_json: dict) -> None:
    valid = brute_force(decided)
    result = PROPAGATOR.propagate(decode_partial_order(partial_json, TARIFF))
    assert result.complete, result.reason
    if not valid:
        assert result.status == "invalid"
        assert result.conflict is not None and result.conflict.rules
        return
    assert result.status == "open"
    expected = possible_by_brute_force(valid)
    for f in result.fields:
        seen = expected.get(f.path, set())
        if f.kind == "number":
            assert (f.low, f.high) == (min(seen), max(seen)), f.path
        elif f.kind == "designation":
            assert {p.value for p in f.values if p.possible} == seen, f.path
        else:
            assert {p.value for p in f.values if p.possible} == seen, f.path
            for p in f.values:
                if not p.possible:  # every impossible value has a reason made of rules
                    assert p.reason is not None and p.reason.rules, (f.path, p.value)
    reported = {f.path for f in result.fields}
    for key in DOMAINS:  # every open field the small tariff has is reported
        path = "holdings.iij_id" if key == "holdings" else (
            f"contracts[0].options.{key}" if key in OPTIONS else f"contracts[0].{key}")
        if key not in decided:
            assert path in reported, path


@st.composite
def partial_orders(draw):
    full = {k: draw(st.sampled_from(v)) for k, v in DOMAINS.items()}
    open_keys = draw(st.sets(st.sampled_from(sorted(DOMAINS)), min_size=1, max_size=4))
    decided = {k: v for k, v in full.items() if k not in open_keys}
    return decided


@settings(max_examples=60, deadline=None)
@given(partial_orders())
def test_propagation_agrees_with_brute_force(decided):
    compare(decided, to_json(decided))


def test_everything_open():
    """Nothing decided but a seat count of 4: what the rules alone leave."""
    decided = {"seats": 4, "holdings": []}
    compare(decided, to_json(decided))


def test_an_option_given_with_its_quantity_open():
    """`"y": {}` orders Y and leaves its seats open: they are forced to the contract's."""
    result = PROPAGATOR.propagate(decode_partial_order(
        {"contracts": [{"item": "a", "seats": 3, "options": {"y": {}}}], "holdings": []}, TARIFF))
    seats = next(f for f in result.fields if f.path == "contracts[0].options.y.seats")
    assert (seats.low, seats.high, seats.forced) == (3, 3, 3)
    assert seats.low_reason is not None and [t.key.rule for t in seats.low_reason.rules] == ["y_equal"]


def test_decided_choices_that_conflict():
    result = PROPAGATOR.propagate(decode_partial_order(
        {"contracts": [{"item": "c", "options": {"x": True}}]}, TARIFF))
    assert result.status == "invalid"
    assert {c.path for c in result.conflict.choices} == {"contracts[0].item", "contracts[0].options.x"}
    assert [t.key.rule for t in result.conflict.rules] == ["x_items"]


def test_impossible_item_names_its_reason():
    result = PROPAGATOR.propagate(decode_partial_order(
        {"contracts": [{"seats": 3, "options": {"x": True}}], "holdings": []}, TARIFF))
    item = next(f for f in result.fields if f.path == "contracts[0].item")
    by_value = {p.value: p for p in item.values}
    assert by_value["a"].possible and by_value["b"].possible and not by_value["c"].possible
    reason = by_value["c"].reason
    assert {t.key.rule for t in reason.rules} <= {"x_items", "c_even", "c_holding"}
    assert reason.choices  # the choices made so far that exclude it
