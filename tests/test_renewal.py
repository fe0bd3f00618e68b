"""Renewal (Secure Endpoint 第3条第2項, 第8条第7項): a term renews at each expiry unless the
cancellation form arrives by one month before it. A form that arrives later comes too late: the
contract (or option) renewed, `tariff dates` and `tariff check` show the renewed term, flagged,
with the next last notice day, and `tariff quote` charges 別紙2 against the renewed term."""

from __future__ import annotations

import json

import pytest

from conftest import SPECS, run_cli, spec_variant

ITAM_X = "IT 資産管理:タイプ X"


def cancel(tmp_path, notice: str, requested: str | None = None, billing_start: str = "2025-04-15",
           options: dict | None = None) -> str:
    current = {"item": ITAM_X, "accounts": 50, "licensor_consent": True, "billing_start": billing_start}
    if options:
        current["options"] = options
    order = {"request": "cancellation", "notice_arrived": notice,
             "contracts": [{"id": "se-1", "current": current}]}
    if requested:
        order["requested_date"] = requested
    return _write(tmp_path, order)


def stop_option(tmp_path, option: str, notice: str, requested: str | None, option_start: str) -> str:
    order = {"request": "change", "application_date": notice, "notice_arrived": notice,
             "contracts": [{"id": "se-1",
                            "current": {"item": ITAM_X, "accounts": 50, "licensor_consent": True,
                                        "billing_start": "2025-04-15",
                                        "options": {option: {"accounts": 50, "billing_start": option_start}}},
                            "changes": {"options": {option: False}}}]}
    if requested:
        order["requested_date"] = requested
    return _write(tmp_path, order)


def _write(tmp_path, order: dict) -> str:
    path = tmp_path / f"order{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(order, ensure_ascii=False), encoding="utf-8")
    return str(path)


def dates_json(*args: str) -> dict[tuple[str, str | None], dict]:
    code, out, err = run_cli(["dates", "--tariff", "secure-endpoint", "--format", "json", *args])
    assert code == 0, err
    return {(d["id"], d["subject"]): d for d in json.loads(out)["days"]}


def quote_json(tmp_path, order: str, prices: dict) -> dict[tuple[str, str | None], dict]:
    book = tmp_path / "prices.json"
    book.write_text(json.dumps({"prices": prices}), encoding="utf-8")
    code, out, err = run_cli(["quote", "--tariff", "secure-endpoint", order, "--prices", str(book),
                              "--format", "json"])
    assert code == 0, err
    doc = json.loads(out)
    lines = doc.get("lines") or [q for c in doc.get("contracts", []) for q in c.get("lines", [])]
    return {(q["fee"], (q["subject"] or {}).get("id") if isinstance(q["subject"], dict) else q["subject"]): q
            for q in lines}


# ---- 第3条第2項: the contract's term ------------------------------------------------------------

def test_3_2_a_cancellation_form_after_the_last_notice_day_finds_the_term_renewed(tmp_path):
    # term 1: 2025-04-15 … 2026-04-14; its last notice day is 2026-03-14; the form arrives 03-20
    got = dates_json(cancel(tmp_path, "2026-03-20", "2026-04-14"))
    term, notice = got[("term", None)], got[("term.last_notice", None)]
    assert (term["term"], term["start"], term["day"], term["renewed"]) == (2, "2026-04-15", "2027-04-14", True)
    assert term["missed_notice_day"] == "2026-03-14"
    assert (notice["day"], notice["renewed"]) == ("2027-03-14", True)  # the next last notice day
    assert got[("cancellation_effective_term", None)]["day"] == "2026-04-19"


def test_3_2_a_cancellation_form_on_the_last_notice_day_stops_the_renewal(tmp_path):
    got = dates_json(cancel(tmp_path, "2026-03-14", "2026-04-14"))
    term = got[("term", None)]
    assert (term["term"], term["start"], term["day"], term["renewed"]) == (1, "2025-04-15", "2026-04-14", False)
    assert "missed_notice_day" not in term
    assert got[("term.last_notice", None)]["day"] == "2026-03-14"
    assert got[("cancellation_effective_term", None)]["day"] == "2026-04-14"


def test_3_2_at_a_month_end_the_last_notice_day_is_clamped(tmp_path):
    # billing start 2025-10-01: term 1 ends 2026-09-30, its last notice day is 2026-08-30
    # (READINGS.md, "clamp"); a form of 2026-08-31 is too late, one of 2026-08-30 in time
    late = dates_json(cancel(tmp_path, "2026-08-31", "2026-09-30", billing_start="2025-10-01"))[("term", None)]
    in_time = dates_json(cancel(tmp_path, "2026-08-30", "2026-09-30", billing_start="2025-10-01"))[("term", None)]
    assert (late["term"], late["renewed"], late["start"], late["day"]) == (2, True, "2026-10-01", "2027-09-30")
    assert late["missed_notice_day"] == "2026-08-30"
    assert (in_time["term"], in_time["renewed"]) == (1, False)


def test_3_2_a_late_form_in_a_renewed_term_renews_it_again(tmp_path):
    # the form arrives in term 2 (2026-04-15 … 2027-04-14) after its last notice day 2027-03-14
    got = dates_json(cancel(tmp_path, "2027-03-31", None))
    term = got[("term", None)]
    assert (term["term"], term["start"], term["day"], term["renewed"]) == (3, "2027-04-15", "2028-04-14", True)
    assert got[("term.last_notice", None)]["day"] == "2028-03-14"


def test_3_2_a_new_order_has_no_renewal_to_flag(tmp_path):
    order = _write(tmp_path, {"application_date": "2026-04-01", "contracts": [
        {"id": "unit", "contract": "親たる契約"},
        {"id": "se-1", "parent": "unit", "item": ITAM_X, "accounts": 50, "licensor_consent": True,
         "billing_start": "2026-04-15"}]})
    term = dates_json(order)[("term", None)]
    assert term["term"] == 1 and "renewed" not in term


def test_3_2_text_dates_say_the_term_renewed(tmp_path):
    code, out, _ = run_cli(["dates", "--tariff", "secure-endpoint", cancel(tmp_path, "2026-03-20", "2026-04-14")])
    assert code == 0
    assert "契約期間 (term 2)" in out and "2026-04-15 – 2027-04-14" in out
    assert "renewed: the notice arrived after 2026-03-14" in out
    code, out, _ = run_cli(["dates", "--tariff", "secure-endpoint", "--lang", "ja",
                            cancel(tmp_path, "2026-03-20", "2026-04-14")])
    assert "更新しない旨の通知の期限 2026-03-14 より後" in out


def test_3_2_check_shows_the_renewed_term_beside_the_day_the_cancellation_takes_effect(tmp_path):
    order = cancel(tmp_path, "2026-03-20", "2026-04-14")
    code, out, err = run_cli(["check", "--tariff", "secure-endpoint", "--format", "json", order])
    assert code == 0, err
    [effective] = json.loads(out)["effective"]
    assert effective["id"] == "cancellation_effective_term" and effective["day"] == "2026-04-19"
    [term] = effective["terms"]
    assert term == {"id": "term", "label": "契約期間", "clause": term["clause"], "term": 2, "start": "2026-04-15",
                    "end": "2027-04-14", "renewed": True, "last_notice": "2027-03-14",
                    "missed_notice_day": "2026-03-14"}
    assert term["clause"]["text"] == "第3条第2項"
    code, out, _ = run_cli(["check", "--tariff", "secure-endpoint", order])
    assert "契約期間 (term 2, renewed): 2026-04-15 – 2027-04-14; last day for a non-renewal notice 2027-03-14" in out


def test_3_2_an_item_without_a_term_shows_no_terms_in_check(tmp_path):
    order = _write(tmp_path, {"request": "cancellation", "notice_arrived": "2026-03-20", "contracts": [
        {"id": "se-1", "current": {"item": "IT 資産管理:タイプ L", "accounts": 50, "licensor_consent": True,
                                   "billing_start": "2025-04-15"}}]})
    code, out, _ = run_cli(["check", "--tariff", "secure-endpoint", "--format", "json", order])
    assert code == 0 and "terms" not in json.loads(out)["effective"][0]


# ---- 別紙2 1: the charge is for the renewed term ------------------------------------------------

def test_bessi2_1_a_late_form_is_charged_the_remaining_months_of_the_renewed_term(tmp_path):
    # in effect 2026-04-19, four days into term 2 (to 2027-04-14): all 12 of its months remain
    got = quote_json(tmp_path, cancel(tmp_path, "2026-03-20", "2026-04-14"), {"base_monthly": 1000})
    charge = got[("early_term", None)]
    assert charge["amount"] == 12000
    assert "to 2027-04-14" in charge["basis"]


def test_bessi2_1_a_form_in_time_for_the_expiry_owes_nothing(tmp_path):
    got = quote_json(tmp_path, cancel(tmp_path, "2026-03-14", "2026-04-14"), {"base_monthly": 1000})
    assert got[("early_term", None)]["amount"] == 0


def test_bessi2_1_a_form_in_time_but_in_effect_before_the_expiry_owes_the_rest_of_the_first_term(tmp_path):
    # in effect 2026-02-28 (A + 30, no day named): the months ending 03-14 and 04-14 remain
    got = quote_json(tmp_path, cancel(tmp_path, "2026-01-29"), {"base_monthly": 1000})
    assert got[("early_term", None)]["amount"] == 2000


# ---- 第8条第7項 and 別紙2 2: an option's term ----------------------------------------------------

def test_8_7_an_option_stop_after_the_last_notice_day_finds_its_term_renewed(tmp_path):
    # Web アクセス管理タイプ X from 2025-06-15: term 1 ends 2026-06-14, last notice day 2026-05-14
    order = stop_option(tmp_path, "web_access_x", "2026-05-20", "2026-06-14", "2025-06-15")
    got = dates_json(order)
    term = got[("option_term", "web_access_x")]
    assert (term["term"], term["start"], term["day"], term["renewed"]) == (2, "2026-06-15", "2027-06-14", True)
    assert got[("option_term.last_notice", "web_access_x")]["day"] == "2027-05-14"
    charge = quote_json(tmp_path, order, {"option_monthly": 500})[("early_option_term", "web_access_x")]
    assert charge["amount"] == 6000  # stops 2026-06-19, in the renewed term: its 12 months × 500 yen


def test_8_7_an_option_stop_in_time_is_charged_against_the_first_term(tmp_path):
    order = stop_option(tmp_path, "web_access_x", "2026-05-14", "2026-06-14", "2025-06-15")
    term = dates_json(order)[("option_term", "web_access_x")]
    assert (term["term"], term["renewed"]) == (1, False)
    assert quote_json(tmp_path, order, {"option_monthly": 500})[("early_option_term", "web_access_x")]["amount"] == 0


def test_8_7_an_option_the_request_keeps_is_not_renewed_by_its_notice(tmp_path):
    # the change request stops another option; Web アクセス管理タイプ X stays, its term unflagged
    order = _write(tmp_path, {"request": "change", "application_date": "2026-05-20", "notice_arrived": "2026-05-20",
                              "contracts": [{"id": "se-1", "current": {
                                  "item": ITAM_X, "accounts": 50, "licensor_consent": True,
                                  "billing_start": "2025-04-15",
                                  "options": {"web_access_x": {"accounts": 50, "billing_start": "2025-06-15"},
                                              "mail_x": {"accounts": 50, "billing_start": "2025-06-15"}}},
                                  "changes": {"options": {"mail_x": False}}}]})
    got = dates_json(order)
    assert "renewed" not in got[("option_term", "web_access_x")]
    assert got[("option_term", "mail_x")]["renewed"] is True


# ---- the language ---------------------------------------------------------------------------------

def test_renews_without_a_notice_has_no_last_notice_day(tmp_path):
    spec = spec_variant(tmp_path, SPECS / "secure_endpoint.tariff", "bare_renews",
                        [('= 1 year from billing_start renews unless notice 1 month before',
                          '= 1 year from billing_start renews')])
    code, out, err = run_cli(["dates", "--tariff", spec, "--format", "json", cancel(tmp_path, "2026-03-20", "2026-04-14")])
    assert code == 0, err
    got = {(d["id"], d["subject"]): d for d in json.loads(out)["days"]}
    assert ("term.last_notice", None) not in got
    # nothing stops it: the cancellation takes effect 2026-04-19, in the second term, unflagged
    assert got[("term", None)]["term"] == 2 and "renewed" not in got[("term", None)]


def test_a_notice_due_no_time_before_the_expiry_is_an_error(tmp_path):
    spec = spec_variant(tmp_path, SPECS / "secure_endpoint.tariff", "zero_notice",
                        [('renews unless notice 1 month before\n  when item', 'renews unless notice 0 months before\n  when item')])
    code, out, err = run_cli(["dates", "--tariff", spec, cancel(tmp_path, "2026-03-20")])
    assert code == 2
    assert "error[E009]" in err and "`0 months`" in err and "help:" in err


def test_a_notice_in_days_counts_back_days(tmp_path):
    # 40 days before the expiry 2026-04-14: the last notice day is 2026-03-05
    spec = spec_variant(tmp_path, SPECS / "secure_endpoint.tariff", "days_notice",
                        [('renews unless notice 1 month before\n  when item', 'renews unless notice 40 days before\n  when item')])
    got = {}
    for notice in ("2026-03-05", "2026-03-06"):
        code, out, err = run_cli(["dates", "--tariff", spec, "--format", "json", cancel(tmp_path, notice, "2026-04-14")])
        assert code == 0, err
        got[notice] = {(d["id"], d["subject"]): d for d in json.loads(out)["days"]}
    in_time, late = got["2026-03-05"], got["2026-03-06"]
    assert in_time[("term.last_notice", None)]["day"] == "2026-03-05" and in_time[("term", None)]["renewed"] is False
    assert late[("term", None)]["renewed"] is True and late[("term", None)]["missed_notice_day"] == "2026-03-05"
    assert late[("term.last_notice", None)]["day"] == "2027-03-05"
