"""Days the texts define, through `tariff dates`, each expected day read off the text itself.

The expected days are written here from the clauses (and 民法 第140条〜第143条, READINGS.md), not
computed by tariffcheck's own calendar functions, so a spec expression and the calendar code
cannot agree with each other and both be wrong.
"""

from __future__ import annotations

import json
import re

import pytest

from tariffcheck.common.diagnostics import DiagnosticError
from tariffcheck.resolve import resolve
from tariffcheck.syntax.parser import parse_text

from conftest import SPECS, run_cli


def dates(tmp_path, tariff: str, order: dict) -> dict[str, dict]:
    """`tariff dates --format json` for the order: each day by id, as the command gives it."""
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order, ensure_ascii=False), encoding="utf-8")
    code, out, err = run_cli(["dates", "--tariff", tariff, str(path), "--format", "json"])
    assert code == 0, err
    return {d["id"]: d for d in json.loads(out)["days"]}


# ---- Flex Resilience 第17条: the 回答期日 and the days that follow from it -------------------------

def _designated_service_ended(presented: str) -> dict:
    return {"tariff": "flex-resilience", "request": "change", "application_date": presented,
            "requested_date": "2030-01-01",
            "contracts": [{"id": "fr-1",
                           "current": {"grade": "Standard/同時", "licences": 100, "terms_presented": presented},
                           "changes": {"grade": "Standard/単独"}}]}


# 第17条第2項 "当該提示から1ヶ月を経過する日": the day of presentation is not counted (民法 第140条), so
# the month runs from the next day and ends the day before the corresponding day of the next month,
# or at the month's end when it has none (第143条第2項). 第17条第3項(1): 回答期日の属する月の翌月1日.
@pytest.mark.parametrize("presented,answer,switch", [
    ("2026-04-10", "2026-05-10", "2026-06-01"),  # mid-month: the corresponding day
    ("2026-01-31", "2026-02-28", "2026-03-01"),  # the month runs Feb 1 … Feb 28
    ("2026-02-28", "2026-03-31", "2026-04-01"),  # runs Mar 1 … Mar 31, not to Mar 28
    ("2028-01-31", "2028-02-29", "2028-03-01"),  # a leap year
    ("2026-04-30", "2026-05-31", "2026-06-01"),  # runs May 1 … May 31
    ("2026-12-31", "2027-01-31", "2027-02-01"),  # across the year
])
def test_flex_17_2_answer_deadline_at_month_ends(tmp_path, presented, answer, switch):
    got = dates(tmp_path, "flex-resilience", _designated_service_ended(presented))
    assert (got["answer_deadline"]["day"], got["answer_deadline"]["clause"]["text"]) == (answer, "第17条第2項")
    assert (got["grade_switch_effective"]["day"], got["grade_switch_effective"]["clause"]["text"]) == (
        switch, "第17条第3項(1)")


def test_flex_17_4_without_an_answer_the_contract_ends_at_the_end_of_the_answer_month(tmp_path):
    """第17条第4項: 回答期日の属する月の末日. Presented on 2026-02-28, the 回答期日 is 2026-03-31."""
    order = _designated_service_ended("2026-02-28")
    order["contracts"][0]["changes"] = {"licences": 125}
    order["requested_date"] = "2026-03-01"
    got = dates(tmp_path, "flex-resilience", order)
    assert got["answer_deadline"]["day"] == "2026-03-31"
    assert (got["designated_no_answer_end"]["day"], got["designated_no_answer_end"]["clause"]["text"]) == (
        "2026-03-31", "第17条第4項")


# ---- SmartKey 第6条: the day a cancellation takes effect ---------------------------------------------

# "当該通知が当社に到達した日から30日を経過する日又は…指定した日のいずれか遅い日": A + 30 (the arrival day
# not counted), or the day named when it is later.
@pytest.mark.parametrize("arrived,requested,effective", [
    ("2026-01-31", None, "2026-03-02"),          # no day named: the 30th day
    ("2026-01-31", "2026-02-15", "2026-03-02"),  # an earlier day: the 30th day
    ("2026-01-31", "2026-03-02", "2026-03-02"),  # the 30th day itself
    ("2026-01-31", "2026-03-31", "2026-03-31"),  # a later day: that day
    ("2028-01-31", None, "2028-03-01"),          # a leap year: Feb has 29 days
    ("2026-12-15", None, "2027-01-14"),          # across the year
])
def test_smartkey_6_cancellation_takes_effect_on_the_later_day(tmp_path, arrived, requested, effective):
    order = {"tariff": "smartkey", "request": "cancellation", "notice_arrived": arrived,
             "contracts": [{"id": "sk-1", "current": {"品目": "エンタープライズ"}}]}
    if requested is not None:
        order["requested_date"] = requested
    got = dates(tmp_path, "smartkey", order)
    assert (got["cancellation_effective"]["day"], got["cancellation_effective"]["clause"]["text"]) == (
        effective, "第6条")


def test_smartkey_6_states_the_notice_offset_once():
    """The 30 days of 第6条 are one derived day, which the day the cancellation takes effect names."""
    text = (SPECS / "smartkey.tariff").read_text(encoding="utf-8")
    code = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    assert len(re.findall(r"\+\s*30\s+days", code)) == 1


# ---- FENCE 16.: the data-erasure day -------------------------------------------------------------

# 16.'s table: 終了月 1～3月 → 6月末日, 4～6月 → 9月末日, 7～9月 → 12月末日, 10～12月 → 翌年3月末日.
@pytest.mark.parametrize("ended,erased", [
    ("2026-01-01", "2026-06-30"), ("2026-03-31", "2026-06-30"),
    ("2026-04-01", "2026-09-30"), ("2026-06-30", "2026-09-30"),
    ("2026-07-01", "2026-12-31"), ("2026-09-30", "2026-12-31"),
    ("2026-10-01", "2027-03-31"), ("2026-12-31", "2027-03-31"),
    ("2028-02-29", "2028-06-30"),
])
def test_fence_16_data_erasure_day(tmp_path, ended, erased):
    order = {"tariff": "fence-mobile", "request": "cancellation", "requested_date": ended,
             "contracts": [{"id": "f-1", "current": {"base": "基本利用サービス", "devices": 10, "app_consent": True}}]}
    got = dates(tmp_path, "fence-mobile", order)
    assert (got["data_erasure"]["day"], got["data_erasure"]["clause"]["text"]) == (erased, "16.")


# ---- a derived day named in another's expression ------------------------------------------------

_TINY = '''tariff p "P"
contract c "契約" @第1条 {
  dimension item "品目" @第1条 { a "A" }
}
contract d "別の契約" @第2条 {
  dimension item "品目" @第2条 { b "B" }
}
'''


def test_a_derived_day_stands_for_its_expression_where_another_names_it():
    t = resolve(parse_text(_TINY + '''
derive thirtieth "30日を経過する日" @第3条 in c = notice_arrived + 30 days
derive effective "効力が生じる日" @第3条 in c = later_of(thirtieth, or_else(requested_date, thirtieth))
''', "p.tariff"))
    spelt_out = resolve(parse_text(_TINY + '''
derive effective "効力が生じる日" @第3条 in c
  = later_of(notice_arrived + 30 days, or_else(requested_date, notice_arrived + 30 days))
''', "p.tariff"))
    assert t.derived[1].values == spelt_out.derived[0].values


@pytest.mark.parametrize("decls,words", [
    ('derive e "E" @第3条 in c = later_of(thirtieth, requested_date)\n'
     'derive thirtieth "T" @第3条 in c = notice_arrived + 30 days',
     "`thirtieth` is not defined"),  # named before it is declared
    ('derive thirtieth "T" @第3条 in d = notice_arrived + 30 days\n'
     'derive e "E" @第3条 in c = later_of(thirtieth, requested_date)',
     "derived day `thirtieth` is a day of `d`, not of `c`"),
])
def test_a_derived_day_named_out_of_its_place_is_an_error(decls, words):
    with pytest.raises(DiagnosticError) as info:
        resolve(parse_text(_TINY + decls + "\n", "p.tariff"))
    assert [d.code for d in info.value.diagnostics] == ["E002"]
    assert words in info.value.diagnostics[0].message
