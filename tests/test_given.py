"""`given(d)`: the order gives a day. A rule that reads a day the order leaves out is not checked,
so a day the text requires is a rule of its own, checked whether or not the day is there
(SmartKey 第4条: a change of item names the 1st of the month it takes effect)."""

from __future__ import annotations

import pytest

from tariffcheck import Checker
from tariffcheck.catalog import load
from tariffcheck.common.diagnostics import DiagnosticError
from tariffcheck.resolve import resolve
from tariffcheck.syntax.parser import parse_text

_SPEC = ('tariff t "T"\ncontract c "C" @第4条 {\n  quantity accounts "A" @第1条\n  date start "S"\n}\n'
         'rule r @第1条 {\n  require {call}\n  ja "x"\n  en "y"\n}\n')


def change_of_item(**days) -> dict:
    return {"request": "change", "application_date": "2026-05-20", **days,
            "holdings": [{"service": "IIJ ID サービス"}],
            "contracts": [{"id": "sk-1", "current": {"品目": "エンタープライズ", "課金開始日": "2026-04-01"},
                           "changes": {"品目": "サービスプロバイダ"}}]}


@pytest.mark.parametrize("days, broken", [
    ({"requested_date": "2026-07-01"}, set()),
    ({}, {"r4_calendar_month_day"}),
    ({"requested_date": "2026-07-02"}, {"r4_calendar_month"}),
])
def test_a_missing_day_breaks_the_rule_that_requires_it_in_both_engines(days, broken):
    checker = Checker(load("smartkey"))
    order = checker.decode(change_of_item(**days))
    for engine in ("concrete", "z3"):
        assert {v.key.rule for v in checker.check(order, engine=engine).violations} == broken, engine


def test_every_day_an_expression_reads_must_be_given():
    t = resolve(parse_text(_SPEC.replace("{call}", "given(later_of(start, application_date))"), "t.tariff"))
    checker = Checker(t)
    base = {"request": "new", "contracts": [{"accounts": 1, "start": "2026-04-01"}]}
    assert checker.check(base).status == "invalid"
    assert checker.check(dict(base, application_date="2026-04-01")).status == "valid"


def test_an_expression_that_reads_no_day_is_an_error():
    with pytest.raises(DiagnosticError) as info:
        resolve(parse_text(_SPEC.replace("{call}", "given(2026-04-01)"), "t.tariff"))
    [d] = info.value.diagnostics
    assert (d.code, d.span.line) == ("E010", 7)
    assert "reads no day" in d.message and d.help.startswith("name a day")
