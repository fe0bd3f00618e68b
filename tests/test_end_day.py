"""A day that is already fixed: an order may state the day a contract or an option ends
(`ends_on`), and the day the request takes effect, the dates and the early-termination charge
follow from it; the rules of the clauses that give end days check it (Secure Endpoint 第10条第1項,
第2項, 第3項〜第5項, 第8条第8項; Smart Mobile Manager 第10条第1項, 第8条第7項; SmartKey 第6条; Flex
Resilience 第11条, 第10条第5項)."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli

ITAM_L, ITAM_X = "IT 資産管理:タイプ L", "IT 資産管理:タイプ X"


def write(tmp_path, order: dict) -> str:
    path = tmp_path / f"order{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps(order, ensure_ascii=False), encoding="utf-8")
    return str(path)


def se_cancel(tmp_path, item: str, ends_on: str | None, notice: str | None = None, requested: str | None = None,
              options: dict | None = None) -> str:
    current = {"item": item, "accounts": 50, "licensor_consent": True, "billing_start": "2025-04-15"}
    if ends_on:
        current["ends_on"] = ends_on
    if options:
        current["options"] = options
    order = {"request": "cancellation", "contracts": [{"id": "se-1", "current": current}]}
    if notice:
        order["notice_arrived"] = notice
    if requested:
        order["requested_date"] = requested
    return write(tmp_path, order)


def cli_json(*args: str) -> tuple[int, dict]:
    code, out, err = run_cli([*args, "--format", "json"])
    assert code in (0, 1), err
    return code, json.loads(out)


def days_of(path: str, tariff: str = "secure-endpoint") -> dict[tuple[str, str | None], dict]:
    _, doc = cli_json("dates", "--tariff", tariff, path)
    return {(d["id"], d["subject"]): d for d in doc["days"]}


def quote_of(tmp_path, path: str, prices: dict, tariff: str = "secure-endpoint") -> dict[tuple[str, str | None], dict]:
    book = tmp_path / "prices.json"
    book.write_text(json.dumps({"prices": prices}), encoding="utf-8")
    _, doc = cli_json("quote", "--tariff", tariff, path, "--prices", str(book))
    lines = doc.get("lines") or [q for c in doc.get("contracts", []) for q in c.get("lines", [])]
    return {(q["fee"], q["subject"]["id"] if isinstance(q["subject"], dict) else q["subject"]): q for q in lines}


# ---- Secure Endpoint 第10条第1項, 第2項 and 別紙2 1 ----------------------------------------------

def test_10_1_a_stated_end_day_is_the_day_the_cancellation_takes_effect(tmp_path):
    path = se_cancel(tmp_path, ITAM_L, "2026-07-31")  # no notice day: the stated day stands
    code, doc = cli_json("check", "--tariff", "secure-endpoint", path)
    assert code == 0
    [effective] = doc["effective"]
    assert (effective["id"], effective["day"]) == ("cancellation_effective", "2026-07-31")
    assert effective["stated"] == "contracts[0].current.ends_on"
    assert "the order states this day" in effective["note"]["en"]
    got = days_of(path)
    assert got[("cancellation_effective", None)]["day"] == "2026-07-31"
    assert got[("ends_on", None)]["what"] == "given"


def test_10_1_a_stated_end_day_before_the_notices_30th_day_breaks_the_clause(tmp_path):
    path = se_cancel(tmp_path, ITAM_L, "2026-05-31", notice="2026-05-10")
    code, doc = cli_json("check", "--tariff", "secure-endpoint", path)
    assert code == 1
    [v] = doc["violations"]
    assert v["rule"] == "r10_1_end_day" and v["clause"]["text"] == "第10条第1項"
    code, out, _ = run_cli(["check", "--tariff", "secure-endpoint", path])
    assert "第10条第1項  [r10_1_end_day]" in out and "contracts[0].ends_on = \"2026-05-31\"" in out


def test_10_1_the_end_day_the_text_gives_is_accepted(tmp_path):
    # A = 2026-05-10, the form names 2026-06-30: the later day, 2026-06-30
    path = se_cancel(tmp_path, ITAM_L, "2026-06-30", notice="2026-05-10", requested="2026-06-30")
    code, doc = cli_json("check", "--tariff", "secure-endpoint", path)
    assert code == 0 and doc["effective"][0]["day"] == "2026-06-30" and doc["effective"][0]["moved"] is False


def test_bessi2_1_the_charge_is_counted_from_the_stated_end_day(tmp_path):
    # type L, billing start 2026-06-15: the minimum period ends 2026-07-14; ended 2026-06-20, 1 month remains
    path = write(tmp_path, {"request": "cancellation", "contracts": [{"id": "se-1", "current": {
        "item": ITAM_L, "accounts": 50, "licensor_consent": True, "billing_start": "2026-06-15",
        "ends_on": "2026-06-20"}}]})
    assert quote_of(tmp_path, path, {"base_monthly": 1000})[("early_min_use", None)]["amount"] == 1000


def test_3_2_bessi2_1_a_stated_end_day_in_the_second_term_is_charged_against_it(tmp_path):
    # type X from 2025-04-15: term 2 is 2026-04-15 … 2027-04-14; ended 2026-06-30, 10 months remain
    path = se_cancel(tmp_path, ITAM_X, "2026-06-30")
    term = days_of(path)[("term", None)]
    assert (term["term"], term["start"], term["day"]) == (2, "2026-04-15", "2027-04-14")
    charge = quote_of(tmp_path, path, {"base_monthly": 1000})[("early_term", None)]
    assert charge["amount"] == 10000 and "to 2027-04-14" in charge["basis"]


def test_10_2_a_term_contract_ending_at_its_expiry_owes_nothing(tmp_path):
    path = se_cancel(tmp_path, ITAM_X, "2026-04-14", notice="2026-03-10", requested="2026-04-14")
    code, _ = cli_json("check", "--tariff", "secure-endpoint", path)
    assert code == 0
    assert quote_of(tmp_path, path, {"base_monthly": 1000})[("early_term", None)]["amount"] == 0


def test_10_2_the_expiry_stated_too_late_breaks_the_clause(tmp_path):
    path = se_cancel(tmp_path, ITAM_X, "2026-04-14", notice="2026-03-20", requested="2026-04-14")
    code, doc = cli_json("check", "--tariff", "secure-endpoint", path)
    assert code == 1 and [v["rule"] for v in doc["violations"]] == ["r10_2_end_day"]


# ---- Secure Endpoint 第8条第8項, 別紙2 2, 第8条第4項(2) --------------------------------------------

def se_stop(tmp_path, option: str, value: dict, notice: str | None = "2026-05-10", item: str = ITAM_L) -> str:
    order = {"request": "change", "contracts": [{"id": "se-1", "current": {
        "item": item, "accounts": 50, "licensor_consent": True, "billing_start": "2025-04-15",
        "options": {option: value}}, "changes": {"options": {option: False}}}]}
    if notice:
        order["application_date"] = order["notice_arrived"] = notice
    return write(tmp_path, order)


def test_8_8_an_options_stated_end_day_is_the_day_its_stop_takes_effect_and_the_charge_follows(tmp_path):
    # Web アクセス管理オプション from 2026-05-01: its minimum period ends 2026-05-31; stopped 2026-05-20
    path = se_stop(tmp_path, "web_access", {"accounts": 50, "billing_start": "2026-05-01", "ends_on": "2026-05-20"},
                   notice=None)
    code, doc = cli_json("check", "--tariff", "secure-endpoint", path)
    assert code == 0
    [effective] = doc["effective"]
    assert effective["day"] == "2026-05-20" and effective["stated"] == "contracts[0].current.options.web_access.ends_on"
    assert quote_of(tmp_path, path, {"option_monthly": 300})[("early_option_min_use", "web_access")]["amount"] == 300


def test_8_8_an_options_stated_end_day_before_the_notices_30th_day_breaks_the_clause(tmp_path):
    path = se_stop(tmp_path, "web_access", {"accounts": 50, "billing_start": "2025-05-01", "ends_on": "2026-05-31"})
    code, doc = cli_json("check", "--tariff", "secure-endpoint", path)
    assert code == 1
    assert [(v["rule"], v["subject"]["id"]) for v in doc["violations"]] == [("r8_8_end_day", "web_access")]


def test_8_4_2_the_vpn_return_deadline_counts_from_the_stated_end_day(tmp_path):
    path = se_stop(tmp_path, "tunnel_device", {"ends_on": "2026-06-30"}, notice="2026-05-10", item=ITAM_L)
    got = days_of(path)
    assert got[("vpn_return_deadline", "tunnel_device")]["day"] == "2026-07-30"


# ---- Secure Endpoint 第10条第3項〜第5項: the same day ----------------------------------------------

@pytest.mark.parametrize("clause,item,option,rule", [
    ("第10条第3項", ITAM_L, "storage", "r10_3_same_day"),
    ("第10条第4項", ITAM_X, "storage_x", "r10_4_same_day"),
    ("第10条第5項", "アンチウイルス:タイプ G", "recovery_storage", "r10_5_same_day"),
])
def test_10_3_to_5_the_contract_and_its_storage_option_end_the_same_day(tmp_path, clause, item, option, rule):
    same = se_cancel(tmp_path, item, "2026-06-30", options={option: {"count": 1, "ends_on": "2026-06-30"}})
    other = se_cancel(tmp_path, item, "2026-06-30", options={option: {"count": 1, "ends_on": "2026-05-31"}})
    assert cli_json("check", "--tariff", "secure-endpoint", same)[0] == 0
    code, doc = cli_json("check", "--tariff", "secure-endpoint", other)
    assert code == 1
    assert [(v["rule"], v["clause"]["text"]) for v in doc["violations"]] == [(rule, clause)]


# ---- the order format -----------------------------------------------------------------------------

def test_the_schema_has_ends_on_for_the_contract_and_each_option():
    code, out, _ = run_cli(["schema", "--tariff", "secure-endpoint"])
    assert code == 0
    text = json.dumps(json.loads(out), ensure_ascii=False)
    assert '"ends_on"' in text and "契約の終了日" in text and "オプションの終了日" in text


def test_a_stated_end_day_that_is_not_a_day_is_bad_input(tmp_path):
    path = se_cancel(tmp_path, ITAM_L, "2026-02-30")
    code, out, err = run_cli(["check", "--tariff", "secure-endpoint", path])
    assert code == 2 and "O006" in err and "ends_on" in err


# ---- Smart Mobile Manager, SmartKey, Flex Resilience ---------------------------------------------

def test_smm_10_1_a_stated_end_day_is_the_day_the_cancellation_takes_effect(tmp_path):
    path = write(tmp_path, {"request": "cancellation", "notice_arrived": "2026-05-10", "contracts": [
        {"id": "smm-1", "current": {"品目": "デバイス管理", "ios_devices": 10, "licensor_consent": True,
                                    "ends_on": "2026-06-09"}}]})
    code, doc = cli_json("check", "--tariff", "smart-mobile-manager", path)
    assert code == 0 and doc["effective"][0]["day"] == "2026-06-09"
    assert days_of(path, "smart-mobile-manager")[("cancellation_effective", None)]["day"] == "2026-06-09"


def test_smartkey_6_a_stated_end_day_other_than_the_texts_breaks_the_clause(tmp_path):
    path = write(tmp_path, {"request": "cancellation", "notice_arrived": "2026-05-10", "requested_date": "2026-06-30",
                            "holdings": [{"service": "IIJ ID サービス"}], "contracts": [
        {"id": "sk-1", "current": {"品目": "エンタープライズ", "課金開始日": "2026-04-01", "ends_on": "2026-07-31"}}]})
    code, doc = cli_json("check", "--tariff", "smartkey", path)
    assert code == 1 and [(v["rule"], v["clause"]["text"]) for v in doc["violations"]] == [("r6_end_day", "第6条")]
    assert days_of(path, "smartkey")[("cancellation_effective", None)]["day"] == "2026-07-31"


def flex_cancel(tmp_path, ends_on: str, **extra) -> str:
    return write(tmp_path, {"request": "cancellation", "contracts": [
        {"id": "fr-1", "current": {"grade": "Basic", "licences": 100, "billing_start": "2026-04-15",
                                   "ends_on": ends_on, **extra}}]})


def test_flex_11_bessi2_1_the_charge_is_counted_from_the_stated_end_day(tmp_path):
    # the minimum period (第3条) runs 2026-04-15 … 2026-05-14: ended 2026-05-01, 1 month remains;
    # ended 2026-05-14, its last day, none
    early = flex_cancel(tmp_path, "2026-05-01")
    on_time = flex_cancel(tmp_path, "2026-05-14")
    prices = {"child_monthly_basic": 5000}
    assert days_of(early, "flex-resilience")[("cancellation_effective", None)]["day"] == "2026-05-01"
    assert quote_of(tmp_path, early, prices, "flex-resilience")[("child_early", None)]["amount"] == 5000
    assert quote_of(tmp_path, on_time, prices, "flex-resilience")[("child_early", None)]["amount"] == 0


def test_flex_10_5_bessi2_2_an_options_stated_end_day_sets_its_charge(tmp_path):
    path = write(tmp_path, {"request": "change", "contracts": [{"id": "fr-1", "current": {
        "grade": "Basic", "licences": 100, "rlw_credentials": True,
        "options": {"rlw": {"accounts": 100, "代行処理": "リモートロック処理", "billing_start": "2026-04-15",
                            "ends_on": "2026-04-30"}}}, "changes": {"options": {"rlw": False}}}]})
    assert days_of(path, "flex-resilience")[("option_stop_effective", "rlw")]["day"] == "2026-04-30"
    got = quote_of(tmp_path, path, {"option_monthly": 800}, "flex-resilience")
    assert got[("option_early", "rlw")]["amount"] == 800


# ---- the language: a rule about the options a request ends -------------------------------------------

MINI = """tariff mini "Mini"
  source "none"
  as_of 2026-01-01

contract svc "サービス" @第1条 {
  dimension item "品目" @第1条 { a "A 型" }
  option_date ends_on "オプションの終了日" @第2条
  option o "オプション" @第2条
}

rule r2_end_day @第2条 {
  when removed(it)
  for o
  require old(it.ends_on) == notice_arrived + 30 days
  ja "オプションの終了日は通知の到達から 30 日を経過する日です。"
  en "The option ends 30 days after the notice arrived."
}
"""


@pytest.mark.parametrize("engine", ["concrete", "z3"])
def test_a_for_rule_about_removed_options_is_checked_on_the_options_a_request_ends(tmp_path, engine):
    from tariffcheck.api import Checker

    spec = tmp_path / "mini.tariff"
    spec.write_text(MINI, encoding="utf-8")
    checker = Checker(str(spec))

    def change(ends_on: str, keep: bool) -> dict:
        return {"request": "change", "notice_arrived": "2026-05-10", "contracts": [{
            "current": {"item": "a", "options": {"o": {"ends_on": ends_on}}},
            "changes": {} if keep else {"options": {"o": False}}}]}

    ended_wrong = checker.check(change("2026-05-31", keep=False), engine=engine)
    assert [(v.rule.id, v.key.subject) for v in ended_wrong.violations] == [("r2_end_day", "o")]
    assert checker.check(change("2026-06-09", keep=False), engine=engine).status == "valid"
    # an option the request keeps is no instance of the rule, whatever its end day
    assert checker.check(change("2026-05-31", keep=True), engine=engine).status == "valid"
