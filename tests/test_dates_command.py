"""`tariff dates` and the days rule messages name: computed exactly, at month ends and in leap
years, and the same through both engines."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from tariffcheck.api import Checker
from tariffcheck.common.diagnostics import DiagnosticError
from tariffcheck.dates import periods
from tariffcheck.syntax.parser import parse_text
from tariffcheck.resolve import resolve

from conftest import EXAMPLES, run_cli


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


def test_a_cancellation_naming_an_earlier_day_is_valid_and_takes_effect_30_days_after_the_notice(se):
    """第10条第1項: the later of A + 30 and the day the form names; an earlier day is no violation."""
    order = cancellation("IT 資産管理:タイプ L", "2026-01-31", "2028-01-31", "2028-02-29")
    for engine in ("concrete", "z3"):
        verdict = se.check(order, engine=engine)
        assert verdict.status == "valid" and not verdict.violations
        [e] = verdict.effective
        assert (e.day.id, str(e.day.citation), e.day.day) == ("cancellation_effective", "第10条第1項", date(2028, 3, 1))
        assert e.requested == date(2028, 2, 29) and e.moved  # 2028 is a leap year


@pytest.mark.parametrize("requested,effective", [
    ("2026-03-01", date(2026, 3, 2)),  # before A + 30: A + 30
    ("2026-03-02", date(2026, 3, 2)),  # A + 30 itself
    ("2026-04-30", date(2026, 4, 30)),  # later: the day asked for
    (None, date(2026, 3, 2)),  # no day named: A + 30
])
def test_the_day_a_cancellation_takes_effect_is_the_later_of_the_two(se, requested, effective):
    order = cancellation("IT 資産管理:タイプ X", "2025-04-15", "2026-01-31", requested or "")
    if requested is None:
        del order["requested_date"]
    got = days(se, order)[("cancellation_effective_term", None)]
    assert (got.day, got.missing, str(got.citation)) == (effective, None, "第10条第2項")
    [e] = se.check(order).effective
    assert e.day.day == effective and e.moved == (requested is not None and date.fromisoformat(requested) != effective)


# a contract as it is now in each IIJ tariff with a notice period, the day its cancellation
# takes effect and that day's clause
CANCELLATIONS = {
    "secure-endpoint": ({"item": "IT 資産管理:タイプ L", "accounts": 50, "licensor_consent": True},
                        "cancellation_effective", "第10条第1項"),
    "smart-mobile-manager": ({"品目": "デバイス管理", "ios_devices": 10, "android_devices": 0,
                              "licensor_consent": True}, "cancellation_effective", "第10条第1項"),
    "smartkey": ({"品目": "エンタープライズ"}, "cancellation_effective", "第6条"),
    "flex-resilience": ({"grade": "Basic", "licences": 100}, "cancellation_effective", "第11条"),
}


@pytest.mark.parametrize("tariff", sorted(CANCELLATIONS))
def test_every_iij_cancellation_takes_effect_as_the_calendar_reads_the_notice_period(tariff):
    """Each spec's derived day against dates.periods.notice_effective_day (READINGS.md), at month
    ends and in a leap year, for a day asked for around A + 30 and for none: always valid."""
    current, derive, clause = CANCELLATIONS[tariff]
    checker = Checker(tariff)
    for arrived in (date(2026, 1, 31), date(2028, 1, 30), date(2028, 1, 31), date(2026, 12, 15)):
        for shift in (None, -1, 29, 30, 31):
            requested = None if shift is None else arrived + timedelta(days=shift)
            order = {"request": "cancellation", "notice_arrived": arrived.isoformat(),
                     "contracts": [{"id": "x-1", "current": current}]}
            if requested is not None:
                order["requested_date"] = requested.isoformat()
            verdict = checker.check(order)
            assert verdict.status == "valid", (arrived, requested, verdict.violations)
            [e] = [e for e in verdict.effective if e.day.id == derive]
            assert e.day.day == periods.notice_effective_day(arrived, requested=requested), (arrived, requested)
            assert str(e.day.citation) == clause


def test_without_the_notice_day_the_effective_day_is_not_known(se):
    order = cancellation("IT 資産管理:タイプ L", "2026-01-31", "2028-01-31", "2028-03-15")
    del order["notice_arrived"]
    [e] = se.check(order).effective
    assert e.day.day is None and e.day.missing == "the order gives no `notice_arrived`, nor states `contracts[0].ends_on`" and not e.moved


def test_an_option_stop_without_a_day_takes_effect_30_days_after_the_notice(se):
    """第8条第8項, for the option the change request ends (and for no other)."""
    order = {"request": "change", "notice_arrived": "2026-05-10",
             "contracts": [{"id": "se-1", "current": {
                 "item": "IT 資産管理:タイプ L", "accounts": 50, "licensor_consent": True, "billing_start": "2025-04-15",
                 "options": {"web_access": {"accounts": 50}, "direct": True}},
                 "changes": {"options": {"web_access": False}}}]}
    [e] = se.check(order).effective
    assert (e.day.id, e.day.subject, e.day.day, e.requested) == ("option_stop_effective", "web_access",
                                                                  date(2026, 6, 9), None)
    order["contracts"][0]["changes"] = {"accounts": 60, "options": {"web_access": {"accounts": 60}}}
    assert se.check(order).effective == []  # a change that stops nothing takes effect on no derived day


def test_check_reports_the_effective_day_and_why_it_is_not_the_day_asked_for(tmp_path):
    path = tmp_path / "order.json"
    path.write_text(json.dumps(cancellation("IT 資産管理:タイプ L", "2026-01-31", "2026-01-31", "2026-03-01")),
                    encoding="utf-8")
    code, text, _ = run_cli(["check", "--tariff", "secure-endpoint", str(path)])
    assert code == 0
    assert "解除の効力が生ずる日 (第10条第1項), contract `se-1`: 2026-03-02" in text
    assert "note: the request asked for 2026-03-01; 第10条第1項 makes it 2026-03-02" in text
    code, text, _ = run_cli(["check", "--tariff", "secure-endpoint", str(path), "--lang", "ja"])
    assert "申込で指定された日は 2026-03-01 ですが、第10条第1項により 2026-03-02 となります。" in text
    code, out, _ = run_cli(["check", "--tariff", "secure-endpoint", str(path), "--format", "json"])
    [e] = json.loads(out)["effective"]
    assert (e["id"], e["clause"]["text"], e["contract"], e["subject"], e["day"], e["requested"], e["moved"]) == (
        "cancellation_effective", "第10条第1項", "se-1", None, "2026-03-02", "2026-03-01", True)
    assert "2026-03-01" in e["note"]["en"] and "2026-03-01" in e["note"]["ja"]


def test_check_says_when_the_request_names_no_day_and_stays_quiet_when_it_is_kept(tmp_path):
    order = cancellation("IT 資産管理:タイプ L", "2026-01-31", "2026-01-31", "2026-04-30")
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order), encoding="utf-8")
    _, out, _ = run_cli(["check", "--tariff", "secure-endpoint", str(path), "--format", "json"])
    [e] = json.loads(out)["effective"]
    assert (e["day"], e["moved"]) == ("2026-04-30", False) and "note" not in e
    del order["requested_date"]
    path.write_text(json.dumps(order), encoding="utf-8")
    _, text, _ = run_cli(["check", "--tariff", "secure-endpoint", str(path)])
    assert "note: the request names no day; 第10条第1項 makes it 2026-03-02" in text


def test_a_new_order_takes_effect_on_no_derived_day_and_its_json_has_no_effective_field():
    code, out, _ = run_cli(["check", "--tariff", "secure-endpoint", str(EXAMPLES / "secure_endpoint_valid.json"),
                            "--format", "json"])
    assert code == 0 and "effective" not in json.loads(out)


def test_a_broken_rule_names_the_derived_day_in_its_message_in_both_engines():
    """`{name}` in a message is filled with the day derived for the broken contract."""
    text = '''tariff p "P"
contract c "契約" @第1条 {
  dimension item "品目" @第1条 { a "A" }
}
derive next_first "次の月初" @第2条 = first_of_next_month(requested_date)
rule r @第2条 {
  when is_change require first_of_month(requested_date)
  ja "月の初日としてください。最も近い日は {next_first} です。"
  en "The change takes effect on the 1st of a month; the nearest is {next_first}."
}
'''
    checker = Checker(resolve(parse_text(text, "p.tariff")))
    order = {"request": "change", "requested_date": "2028-02-29",
             "contracts": [{"id": "c-1", "current": {"item": "A"}, "changes": {}}]}
    for engine in ("concrete", "z3"):
        [v] = checker.check(order, engine=engine).violations
        assert v.values == {"next_first": "2028-03-01"}
        assert "2028-03-01" in v.message(checker.tariff, "en") and "2028-03-01" in v.message(checker.tariff, "ja")


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
