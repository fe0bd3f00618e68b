"""`Checker.check(dict)` takes quick paths of its own: the verdict built by VerdictBuilder (each
instance's field paths kept per contract position) and the takes-effect days found by code
generated per contract kind (`DateCalculator.effective`). Each is compared with the precise path
it stands in for (`ConcreteValidator.validate`, `DateCalculator.effective_plain`, and the whole
check with decode.py's Order), field for field and in the check's JSON, on every order of the
specs' golden cases and the examples, and on orders Hypothesis generates for every bundled
tariff (new orders, changes and cancellations)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tariffcheck import OrderError, catalog
from tariffcheck.api import Checker
from tariffcheck.evaluate.verdict import Verdict
from tariffcheck.orders.decode import decode_order
from tariffcheck.report import check_report
from tariffcheck.testing.strategies import order_dicts

from conftest import EXAMPLES, FIXTURES, SPECS

TARIFFS = catalog.bundled_names() + [str(FIXTURES / "features.tariff")]


@lru_cache(maxsize=None)
def checker(name: str) -> Checker:
    return Checker(catalog.load(name))


def precise(c: Checker, data: dict) -> Verdict:
    """The check as it is without any quick path: decode.py, validate, the plain walk of days."""
    order = decode_order(data, c.tariff, c.names)
    verdict = c.concrete.validate(order)
    verdict.effective = c.date_calculator.effective_plain(order)
    return verdict


def same_check(c: Checker, data: dict) -> bool:
    """Checker.check and the precise path agree on `data`: the verdict, every field, its JSON."""
    try:
        order = decode_order(data, c.tariff, c.names)
    except OrderError:
        with pytest.raises(OrderError):
            c.check(data)
        return False
    quick, slow = c.check(data), precise(c, data)
    assert quick == slow
    assert repr(quick) == repr(slow)  # the same classes, and dicts in the same order
    assert [v.fields for v in quick.violations] == [v.fields for v in slow.violations]
    assert c._verdicts.validate(order) == c.concrete.validate(order)
    assert c.date_calculator.effective(order) == c.date_calculator.effective_plain(order)
    assert (json.dumps(check_report.to_json(c.tariff, order, quick), ensure_ascii=False, default=str)
            == json.dumps(check_report.to_json(c.tariff, order, slow), ensure_ascii=False, default=str))
    return True


def real_orders() -> list[tuple[str, dict]]:
    """(tariff, order) of every golden case of specs/*.tests.json and every example order."""
    found = []
    for path in sorted(SPECS.glob("*.tests.json")):
        name = path.name.removesuffix(".tests.json").replace("_", "-")
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            if isinstance(case.get("order"), dict):
                found.append((name, case["order"]))
    for path in sorted(EXAMPLES.glob("*.json")):
        order = json.loads(path.read_text(encoding="utf-8"))
        name = order.get("tariff")
        if isinstance(name, str) and name in catalog.bundled_names():
            found.append((name, order))
    return found


def test_the_specs_orders_check_alike():
    orders = real_orders()
    checked = sum(same_check(checker(name), order) for name, order in orders)
    kinds = {order.get("request", "new") for _, order in orders}
    assert checked > 100 and {"new", "change", "cancellation"} <= kinds, (checked, kinds)


def test_the_specs_orders_give_days_of_taking_effect():
    """The corpus above reaches the generated test: some of its orders take effect on a day."""
    days = 0
    for name, order in real_orders():
        c = checker(name)
        try:
            days += len(c.check(order).effective)
        except OrderError:
            pass
    assert days > 10


@pytest.mark.parametrize("name", TARIFFS, ids=lambda n: Path(n).stem)
def test_generated_orders_check_alike(name):
    c = checker(name)

    @settings(max_examples=60, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(order_dicts(c.tariff))
    def run(data):
        same_check(c, data)

    run()


@given(st.data())
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_cancellations_and_changes_check_alike(data):
    """Changes and cancellations are the orders that take effect on a day: more of them."""
    name = data.draw(st.sampled_from(TARIFFS))
    c = checker(name)
    same_check(c, data.draw(order_dicts(c.tariff, requests=("change", "cancellation"))))


@given(st.data())
@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_a_new_order_with_options_before_takes_effect_as_the_plain_walk_says(data):
    """`effective` answers a new order at once when every takes-effect day needs another request
    or an option the contract had, and only when none of its contracts had options: an Order
    built by hand as a new order over a change's or a cancellation's states (options before the
    request included) still takes effect on the days the plain walk finds."""
    name = data.draw(st.sampled_from(TARIFFS))
    c = checker(name)
    raw = data.draw(order_dicts(c.tariff, requests=("change", "cancellation")))
    try:
        order = decode_order(raw, c.tariff, c.names)
    except OrderError:
        return
    order.request = "new"
    assert c.date_calculator.effective(order) == c.date_calculator.effective_plain(order)


def broken_by(fns: dict, order) -> list:
    out: list = []
    for entry in order.contracts:
        if fns[entry.kind] is not None:
            fns[entry.kind](order, entry, out)
    return out


@given(st.data())
@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_a_new_orders_contracts_break_the_same_instances_under_check_new(data):
    """The concrete validator's `check_new` (the instances that can break in a new order, each
    evaluated knowing the contract is not cancelled and had no options) finds the instances the
    kind's `check` finds, in the same order: on new orders of every tariff, and on new orders
    built by hand over a change's or a cancellation's states (there it hands over to `check`)."""
    name = data.draw(st.sampled_from(TARIFFS))
    c = checker(name)
    raw = data.draw(order_dicts(c.tariff, requests=data.draw(st.sampled_from([("new",), ("change", "cancellation")]))))
    try:
        order = decode_order(raw, c.tariff, c.names)
    except OrderError:
        return
    order.request = "new"
    validator = c.concrete
    assert broken_by(validator._fns_new, order) == broken_by(validator._fns, order) == validator.broken(order)


def test_check_new_leaves_out_what_a_new_order_cannot_break():
    """On Secure Endpoint's service, `check_new` leaves out the change's and the cancellation's
    instances (r7_1, the cascades of r10_3..5, the end days of r10_1 and r10_2)."""
    source = checker("secure-endpoint").concrete.source["service"]
    new_part = source[source.index("def check_new"):]
    for rule in ("r7_1_changeable", "r10_3_storage_cascade", "r10_1_end_day", "r8_8_end_day"):
        assert f"# {rule}" in source[:source.index("def check_new")] and f"# {rule}" not in new_part, rule
    assert "o_request" not in new_part and "e_cancelled" not in new_part


def test_every_bundled_tariff_answers_a_plain_new_order_without_a_test_per_contract():
    """The shortcut is taken where it may be: no bundled spec gives a new order a day it takes
    effect on (each such `derive` is for a cancellation, a change, or an option removed)."""
    assert all(checker(name).date_calculator._none_for_new for name in catalog.bundled_names())


def test_a_violations_fields_are_worked_out_on_first_read_and_copied_whole():
    """VerdictBuilder leaves each violation's fields and message values to its first read; a
    pickle or a copy of the verdict holds them worked out, equal to the precise path's."""
    import copy
    import pickle

    lazy = 0
    for name, order in real_orders():
        c = checker(name)
        try:
            verdict = c.check(order)
        except OrderError:
            continue
        pending = [v for v in verdict.violations if v.__dict__.get("_pending") is not None]
        lazy += len(pending)
        if not pending:
            continue
        assert all("fields" not in v.__dict__ for v in pending)
        shipped = pickle.loads(pickle.dumps(verdict))
        assert all("_pending" not in v.__dict__ for v in shipped.violations)
        assert copy.deepcopy(verdict) == shipped == precise(c, order)
        # worked out once and kept, without the order they were read from
        assert all(v.__dict__.get("_pending") is None and "fields" in v.__dict__ for v in verdict.violations)
        with pytest.raises(AttributeError):
            verdict.violations[0].no_such_attribute
    assert lazy > 50, lazy


def test_a_one_shot_check_looks_at_its_spec_again_at_most_once_a_second(tmp_path, monkeypatch):
    """`tariffcheck.check` with an absolute path stats the spec on the first call and then at most
    once every RECHECK_SECONDS; an edit is seen on the first look after it."""
    import os

    import tariffcheck
    from tariffcheck import api

    spec = tmp_path / "smartkey.tariff"
    spec.write_text((SPECS / "smartkey.tariff").read_text(encoding="utf-8"), encoding="utf-8")
    order = next(o for n, o in real_orders() if n == "smartkey")
    now = [1000.0]
    looks = []
    real_stat = os.stat
    monkeypatch.setattr(api, "_monotonic", lambda: now[0])
    monkeypatch.setattr(api.os, "stat", lambda p, *a, **k: (looks.append(str(p)), real_stat(p, *a, **k))[1])
    path = str(spec)
    first = tariffcheck.check(path, order)
    assert str(spec) in looks
    looks.clear()
    now[0] += api.RECHECK_SECONDS / 2
    assert tariffcheck.check(path, order) == first and not looks  # within the second: as a kept Checker
    kept = api._fresh[path][0]
    spec.write_text(spec.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    now[0] += api.RECHECK_SECONDS
    assert tariffcheck.check(path, order) == first
    assert str(spec) in looks and api._fresh[path][0] is not kept  # the edit is seen: loaded again


def written_whole(t, order, v) -> dict:
    """A violation's JSON worked out in full, nothing kept between violations (check_report's
    violation_json before it kept what is the same for every violation of a rule)."""
    def clause(c):
        return {k: x for k, x in c.__dict__.items() if x is not None} | {"text": str(c)}

    out = {"rule": v.rule.id, "kind": v.rule.kind, "clause": clause(v.rule.citation),
           "also": [clause(c) for c in v.rule.also],
           "contract": v.contract_id, "subject": check_report.subject_json(t, v.rule, v.key.subject),
           "message": {"ja": v.message(t, "ja"), "en": v.message(t, "en")},
           "fields": [{"path": p, "value": check_report.display_value(t, order, p, x)} for p, x in v.fields],
           "source": check_report.source_json(v.rule)}
    if v.values:
        out["values"] = dict(v.values)
    return out


def test_a_violations_json_is_written_as_in_full_and_each_result_has_its_own():
    """violation_json keeps per rule and subject what every violation of them writes alike (the
    clauses, the subject, the source, a message without values): the same JSON, text for text,
    as worked out in full, on every violation of the specs' orders (with values in the message
    and without); and a caller that changes one result's parts does not change the next one's."""
    with_values = without = 0
    for name, order in real_orders():
        c = checker(name)
        try:
            decoded = c.decode(order)
        except OrderError:
            continue
        verdict = c.check(decoded)
        for v in verdict.violations:
            expected = json.dumps(written_whole(c.tariff, decoded, v), ensure_ascii=False)
            first = check_report.violation_json(c.tariff, decoded, v)
            assert json.dumps(first, ensure_ascii=False) == expected
            first["clause"]["text"] = first["source"]["file"] = "changed"
            first["message"]["en"] = "changed"
            if first["subject"] is not None:
                first["subject"]["name"] = "changed"
            for also in first["also"]:
                also["text"] = "changed"
            assert json.dumps(check_report.violation_json(c.tariff, decoded, v), ensure_ascii=False) == expected
            with_values += bool(v.values)
            without += not v.values
    assert with_values > 0 and without > 50, (with_values, without)
