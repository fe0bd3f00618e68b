"""`tariff dates` and the days rule messages name: computed exactly, at month ends and in leap
years, and the same through both engines."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tariffcheck.api import Checker
from tariffcheck.common.diagnostics import DiagnosticError
from tariffcheck.syntax.parser import parse_text
from tariffcheck.resolve import resolve

from conftest import run_cli


@pytest.fixture(scope="module")
def se() -> Checker:
    return Checker("secure-endpoint")


def cancellation(item: str, billing_start: str, notice: str, requested: str, options=None) -> dict:
    current = {"item": item, "accounts": 50, "licensor_consent": True, "billing_start": billing_start}
    if options:
        current["options"] = options
    return {"request": "cancellation", "notice_arrived": notice, "requested_date": requested,
            "contracts": [{"id": "se-1", "current": current}]}


def days(checker: Checker, order: dict) -> dict[tuple[str, str | None], object]:
    return {(d.id, d.subject): d for d in checker.dates(order)}


def test_minimum_period_ends_the_day_before_the_corresponding_day(se):
    got = days(se, cancellation("IT 資産管理:タイプ L", "2026-01-31", "2026-02-01", "2026-03-31"))
    assert got[("min_use", None)].start == date(2026, 1, 31)
    assert got[("min_use", None)].day == date(2026, 2, 28)  # no Feb 31: the month's last day
    assert got[("cancellation_effective", None)].day == date(2026, 3, 31)


def test_a_renewing_term_picks_the_term_the_requested_day_falls_in(se):
    got = days(se, cancellation("IT 資産管理:タイプ X", "2024-02-29", "2026-01-10", "2026-03-31"))
    term = got[("term", None)]
    # terms chain: 2024-02-29 … 2025-02-28, 2025-03-01 … 2026-02-28, 2026-03-01 … 2027-02-28
    assert (term.term, term.start, term.day) == (3, date(2026, 3, 1), date(2027, 2, 28))
    assert got[("term.last_notice", None)].day == date(2027, 1, 28)


def test_option_days_are_per_option(se):
    order = cancellation("IT 資産管理:タイプ X", "2026-04-15", "2026-05-01", "2026-06-30",
                         options={"web_access_x": {"accounts": 50, "billing_start": "2026-05-31"}})
    got = days(se, order)
    opt = got[("option_term", "web_access_x")]
    assert (opt.start, opt.day) == (date(2026, 5, 31), date(2027, 5, 30))


def test_a_day_the_order_cannot_give_is_said_to_be_missing(se):
    order = cancellation("IT 資産管理:タイプ L", "2026-01-31", "2026-02-01", "2026-03-31")
    del order["contracts"][0]["current"]["billing_start"]
    got = days(se, order)
    assert got[("min_use", None)].day is None
    assert "contracts[0].current.billing_start" in got[("min_use", None)].missing or \
        "billing_start" in got[("min_use", None)].missing


def test_a_too_early_cancellation_names_the_earliest_day_in_both_engines(se):
    order = cancellation("IT 資産管理:タイプ L", "2026-01-31", "2028-01-31", "2028-02-29")
    for engine in ("concrete", "z3"):
        [v] = se.check(order, engine=engine).violations
        assert v.rule.id == "r10_notice_period"
        assert v.values == {"earliest_cancellation": "2028-03-01"}  # 2028 is a leap year
        assert "2028-03-01" in v.message(se.tariff, "en") and "2028-03-01" in v.message(se.tariff, "ja")


def test_the_dates_command_prints_each_day_with_its_clause(tmp_path):
    path = tmp_path / "order.json"
    path.write_text(json.dumps(cancellation("IT 資産管理:タイプ X", "2026-04-15", "2027-03-20", "2027-04-30")),
                    encoding="utf-8")
    code, text, _ = run_cli(["dates", "--tariff", "secure-endpoint", str(path)])
    assert code == 0
    assert "契約期間 (term 2)" in text and "2027-04-15 – 2028-04-14" in text and "第3条第2項" in text
    assert "2028-03-14" in text  # last non-renewal notice day of term 2
    code, out, _ = run_cli(["dates", "--tariff", "secure-endpoint", str(path), "--format", "json"])
    assert code == 0
    data = json.loads(out)
    term = next(d for d in data["days"] if d["id"] == "term")
    assert (term["start"], term["day"], term["term"], term["clause"]["text"]) == (
        "2027-04-15", "2028-04-14", 2, "第3条第2項")


def test_a_placeholder_must_name_a_derived_day():
    text = '''tariff p "P"
contract c "契約" @第1条 {
  dimension item "品目" @第1条 { a "A" }
}
rule r @第2条 {
  when is_cancellation require requested_date >= notice_arrived + 30 days
  ja "最も早い日は {earliest} です。"
  en "The earliest day is {earliest}."
}
'''
    with pytest.raises(DiagnosticError) as info:
        resolve(parse_text(text, "p.tariff"))
    assert {d.code for d in info.value.diagnostics} == {"E002"}
    assert "`{earliest}`" in info.value.diagnostics[0].message


def test_fence_data_erasure_day_follows_the_quarter_table():
    """16.: the spec's end_of_month(end_of_quarter(d) + 3 months) against the table itself."""
    from tariffcheck.dates.periods import data_erasure_day

    import calendar

    fence = Checker("fence-mobile")
    for year, month in [(y, m) for y in (2027, 2028) for m in range(1, 13)]:  # 2028 is a leap year
        last = calendar.monthrange(year, month)[1]
        for d in (date(year, month, 1), date(year, month, last)):
            order = {"request": "cancellation", "requested_date": d.isoformat(),
                     "contracts": [{"id": "f", "current": {"base": "基本利用サービス", "devices": 10,
                                                           "app_consent": True}}]}
            got = {x.id: x.day for x in fence.dates(order)}
            assert got["data_erasure"] == data_erasure_day(d), d
