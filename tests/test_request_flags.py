"""Request flags (`request flag NAME "…"`, the `oflag` kind): a yes/no the request states about
itself. Flex Resilience has two: the request is the 回答通知 of 第17条第2項, and a cancellation is
made under 一般規程第28条第2項 or 第3項 (第13条: no 最低利用期間内解除調定金)."""

from __future__ import annotations

import pytest

from tariffcheck import Checker
from tariffcheck.analyse.lint import lint_tariff
from tariffcheck.catalog import load
from tariffcheck.common.diagnostics import DiagnosticError
from tariffcheck.orders.schema import order_schema
from tariffcheck.orders.write import order_to_json

from conftest import SPECS, spec_variant

FLEX = SPECS / "flex_resilience.tariff"
GT28 = "一般規程第28条第2項又は第3項の規定に基づく解除"


@pytest.fixture(scope="module")
def flex() -> Checker:
    return Checker(load("flex-resilience"))


def switch(arrived: str = "2026-05-10", grade: str = "Standard/単独", **flags) -> dict:
    """A change request of a Standard/同時 contract whose terms were presented on 2026-04-10."""
    return {"request": "change", **flags, "application_date": arrived, "notice_arrived": arrived,
            "requested_date": "2026-06-01",
            "contracts": [{"id": "fr-1", "current": {"grade": "Standard/同時", "licences": 100,
                                                     "terms_presented": "2026-04-10"},
                           "changes": {"grade": grade}}]}


def cancellation(**flags) -> dict:
    """A cancellation that takes effect (2026-05-31) within the minimum period (to 2026-06-19)."""
    return {"request": "cancellation", **flags, "notice_arrived": "2026-05-01", "requested_date": "2026-05-31",
            "contracts": [{"id": "fr-1", "current": {"grade": "Basic", "licences": 100, "billing_start": "2026-05-20"}}]}


def test_a_request_flag_is_named_by_its_id_or_official_name_and_is_false_when_left_out(flex):
    assert flex.decode(switch(answer_notice=True)).flags == {"answer_notice": True, "general_terms_28": False}
    assert flex.decode(switch(**{"回答通知": True})).flags["answer_notice"] is True
    assert flex.decode(switch()).flags == {"answer_notice": False, "general_terms_28": False}


@pytest.mark.parametrize("flags, code, field, words", [
    ({"answer_notice": "yes"}, "O002", "answer_notice", "true or false"),
    ({"answer_notice": True, "回答通知": True}, "O012", "回答通知", "answer_notice"),
    ({"answer_notic": True}, "O008", "answer_notic", "answer_notice"),
])
def test_a_bad_request_flag_is_refused_with_its_code_and_field(flex, flags, code, field, words):
    with pytest.raises(DiagnosticError) as err:
        flex.decode(switch(**flags))
    [d] = err.value.diagnostics
    assert (d.code, d.field) == (code, field)
    assert words in d.message + " " + (d.help or "")


@pytest.mark.parametrize("order, broken", [
    (switch(answer_notice=True), set()),
    (switch(arrived="2026-05-11", answer_notice=True), {"r17_3_answer_in_time"}),
    (switch(arrived="2026-05-11"), set()),  # not the 回答通知: a change between the Standard grades
    (switch(grade="Basic", answer_notice=True), {"r8_1_grade_change", "r17_2_answer"}),
])
def test_both_engines_read_the_request_flag_alike(flex, order, broken):
    decoded = flex.decode(order)
    for engine in ("concrete", "z3"):
        assert {v.key.rule for v in flex.check(decoded, engine=engine).violations} == broken, engine


def test_the_rule_on_a_late_answer_agrees_with_the_answer_deadline_day_by_day(flex):
    # r17_3 writes "A by the 回答期日 of P" as P >= A - 1 month: the same as A <= answer_deadline(P)
    from datetime import date, timedelta
    from tariffcheck.dates.periods import answer_deadline

    p = date(2028, 1, 1)  # a leap year: every month end, February's two included
    while p.year == 2028:
        deadline = answer_deadline(p)
        for a in (deadline - timedelta(days=1), deadline, deadline + timedelta(days=1)):
            order = switch(arrived=a.isoformat(), answer_notice=True)
            order["contracts"][0]["current"]["terms_presented"] = p.isoformat()
            order["requested_date"] = "2029-06-01"
            late = any(v.key.rule == "r17_3_answer_in_time" for v in flex.check(order).violations)
            assert late == (a > deadline), (p, a)
        p += timedelta(days=1)


def test_a_cancellation_under_the_general_terms_owes_no_early_termination_charge(flex):
    prices = {"prices": {"child_monthly_basic": 1000}}
    charged = {line.fee: line.amount for line in flex.quote(cancellation(), prices)}
    excused = {line.fee: line.amount for line in flex.quote(cancellation(**{GT28: True}), prices)}
    assert charged["child_early"] == 1000
    assert "child_early" not in excused and excused["child_monthly"] == 1000


def test_the_schema_lists_request_flags_by_both_names():
    schema = order_schema(load("flex-resilience"))
    for variant in schema["oneOf"]:
        assert variant["properties"]["answer_notice"] == {"type": "boolean", "description": "回答通知"}
        assert variant["properties"]["回答通知"]["type"] == "boolean"


def test_a_written_order_reads_back_with_its_request_flags(flex):
    decoded = flex.decode(switch(answer_notice=True))
    written = order_to_json(decoded, flex.tariff)
    assert written["answer_notice"] is True and "general_terms_28" not in written
    assert flex.decode(written).flags == decoded.flags


def test_repair_of_a_late_answer_to_switch_says_it_is_not_the_answer(flex):
    result = flex.repair(switch(arrived="2026-05-11", answer_notice=True), k=1)
    assert result.status == "repaired" and result.complete
    [change] = result.repairs[0].changes
    assert (str(change.path), change.before, change.after) == ("answer_notice", True, False)
    assert result.repairs[0].verdict.status == "valid"


def test_a_partial_order_leaves_a_request_flag_open(flex):
    # the cancellation of a Basic contract cannot be a 回答通知 (第17条第2項): only `false` is possible
    partial = {"request": "cancellation", "notice_arrived": "2026-05-01",
               "contracts": [{"id": "fr-1", "current": {"grade": "Basic", "licences": 100}}]}
    result = flex.options(partial)
    [field] = [f for f in result.fields if f.path == "answer_notice"]
    assert field.kind == "flag"
    assert [(p.value, p.possible) for p in field.values] == [(True, False), (False, True)]
    assert [t.key.rule for t in field.values[0].reason.rules] == ["r17_2_answer"]


def test_a_request_flag_no_rule_reads_is_reported_unused(tmp_path):
    path = spec_variant(tmp_path, FLEX, "flex_unused_request_flag", [(
        'request flag answer_notice "回答通知" @第17条第2項\n',
        'request flag answer_notice "回答通知" @第17条第2項\nrequest flag spare "予備の事項"\n')])
    found = [f for f in lint_tariff(load(path), path).findings if f.code == "L010"]
    assert [f.subject for f in found] == ["spare"]


def test_a_request_flag_declared_twice_is_an_error(tmp_path):
    path = spec_variant(tmp_path, FLEX, "flex_twice", [(
        'request flag answer_notice "回答通知" @第17条第2項\n',
        'request flag answer_notice "回答通知" @第17条第2項\nrequest flag answer_notice "回答" @第17条第2項\n')])
    with pytest.raises(DiagnosticError) as err:
        load(path)
    assert [d.code for d in err.value.diagnostics] == ["E003"]
