"""`tariff quote` from the texts' fee clauses: each line names the option it is for, and the fees
an order states the inputs of (usage, days of use, one-off causes, the month) are computed as the
texts say. Each test names the clause it reads."""

from __future__ import annotations

import json

import pytest

from tariffcheck import catalog
from tariffcheck.model import ir
from tariffcheck.model.fields import KINDS, _OptionKind

from conftest import run_cli


def quote_json(tmp_path, tariff: str, order: dict, *extra: str) -> tuple[int, dict | None, str]:
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order, ensure_ascii=False), encoding="utf-8")
    code, out, err = run_cli(["quote", "--tariff", tariff, str(path), "--format", "json", *extra])
    return code, (json.loads(out) if out.strip() else None), err


def quote_text(tmp_path, tariff: str, order: dict, *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "order.json"
    path.write_text(json.dumps(order, ensure_ascii=False), encoding="utf-8")
    return run_cli(["quote", "--tariff", tariff, str(path), *extra])


MAAS360_WITH_OPERATION = {
    "request": "new", "application_date": "2026-04-01",
    "contracts": [{"id": "m", "item": "MaaS360", "type": "デバイス・アプリ管理", "licensor_consent": True,
                   "options": {"operation": {"devices": 10}}}]}


# ---- point 8: a line names the option it is for ------------------------------------------------------

def test_smm_betsushi1_1_2_and_2_2_operation_fees_name_their_option_in_json(tmp_path):
    code, data, err = quote_json(tmp_path, "smart-mobile-manager", MAAS360_WITH_OPERATION)
    assert code == 0, err
    lines = {(x["fee"], x["kind"]): x for x in data["lines"]}
    operation = {"id": "operation", "name": "オペレーション代行オプション"}
    assert lines[("operation_initial", "initial")]["option"] == operation
    assert lines[("operation_monthly", "monthly")]["option"] == operation
    # the contract's own fees name no option
    assert lines[("base_initial", "initial")]["option"] is None
    assert lines[("maas360_monthly", "monthly")]["option"] is None


def test_smm_betsushi1_1_2_operation_fees_name_their_option_in_text(tmp_path):
    code, out, err = quote_text(tmp_path, "smart-mobile-manager", MAAS360_WITH_OPERATION)
    assert code == 0, err
    assert "オペレーション代行オプション: 初期費用  [別紙1 1(2)]" in out
    assert "オペレーション代行オプション: 月額費用  [別紙1 2(2)]" in out
    base = [line for line in out.splitlines() if "[別紙1 1(1)]" in line]
    assert len(base) == 1 and "オプション" not in base[0]


def test_no_bundled_fee_reads_an_option_without_naming_it():
    """A fee whose amount depends on an option must be declared `for` that option, or its quote
    line cannot say which option it is for (issue 13, point 8)."""
    for name in catalog.bundled_names():
        tariff = catalog.load(name)
        for fee in tariff.fees:
            if fee.subjects != [None]:
                continue
            for line in fee.lines:
                read = [f for part in (line.when, line.per, line.formula) if part is not None
                        for f in ir.fields_of(part)]
                options = [f.path for f in read if isinstance(KINDS[f.kind], _OptionKind)]
                assert not options, f"{tariff.id}: fee `{fee.id}` reads {options} but is not `for` them"


# ---- point 9: Smart Mobile Manager's オペレーション代行 fee through quote -------------------------------

@pytest.mark.parametrize("devices", [1, 10, 37])
def test_smm_betsushi1_2_2_bikou1_operation_monthly_is_150_yen_per_designated_device(tmp_path, devices):
    order = json.loads(json.dumps(MAAS360_WITH_OPERATION))
    order["contracts"][0]["options"]["operation"]["devices"] = devices
    code, data, err = quote_json(tmp_path, "smart-mobile-manager", order)
    assert code == 0, err
    [monthly] = [x for x in data["lines"] if x["fee"] == "operation_monthly"]
    assert monthly["amount"] == 150 * devices
    assert monthly["clause"]["text"] == "別紙1 2(2)"
    [initial] = [x for x in data["lines"] if x["fee"] == "operation_initial"]
    assert initial["amount"] == 20000 and initial["clause"]["text"] == "別紙1 1(2)"


# ---- 第11条 and equivalents: when each fee falls due -------------------------------------------------

def smm_maas360(billing_start: str | None = None, option_start: str | None = None, devices: int = 10) -> dict:
    contract = {"id": "m", "item": "MaaS360", "type": "デバイス・アプリ管理", "licensor_consent": True,
                "options": {"operation": {"devices": devices}}}
    if billing_start:
        contract["billing_start"] = billing_start
    if option_start:
        contract["options"]["operation"]["billing_start"] = option_start
    return {"request": "new", "application_date": "2026-04-01", "contracts": [contract]}


def test_smm_dai11jo_initial_fee_falls_due_on_acceptance_and_monthly_fee_from_the_billing_start(tmp_path):
    code, data, err = quote_json(tmp_path, "smart-mobile-manager", smm_maas360("2026-04-10", "2026-04-20"))
    assert code == 0, err
    lines = {x["fee"]: x for x in data["lines"]}
    initial = lines["operation_initial"]["due"]
    assert initial == {"event": "申込を当社が承諾した時点", "clause": initial["clause"], "day": None}
    assert initial["clause"]["text"] == "第11条"
    assert lines["maas360_monthly"]["due"]["day"] == "2026-04-10"  # the contract's billing start
    assert lines["operation_monthly"]["due"]["day"] == "2026-04-20"  # the option's own billing start
    code, out, _ = quote_text(tmp_path, "smart-mobile-manager", smm_maas360("2026-04-10", "2026-04-20"))
    assert "due: 課金開始日 2026-04-20 [第11条]" in out


def test_flex_dai12jo_monthly_fee_falls_due_from_the_child_billing_start():
    from tariffcheck.api import Checker
    flex = Checker("flex-resilience")
    dues = {(d.kind, d.scope): d for d in flex.tariff.dues}
    assert dues[("monthly", "child")].start == "billing_start" and str(dues[("monthly", "child")].citation) == "第12条"
    assert dues[("initial", "parent")].event == "申込を当社が承諾した時点"


# ---- --month: the fee of a given month, 日割計算が適用されません --------------------------------------

def test_smm_betsushi1_2_2_bikou2_a_month_the_option_starts_in_is_billed_whole(tmp_path):
    order = smm_maas360("2026-04-01", "2026-04-20")
    code, data, err = quote_json(tmp_path, "smart-mobile-manager", order, "--month", "2026-04")
    assert code == 0, err
    assert data["month"] == "2026-04"
    assert {x["kind"] for x in data["lines"]} == {"monthly"}
    [operation] = [x for x in data["lines"] if x["fee"] == "operation_monthly"]
    assert operation["amount"] == 1500  # 20 April to 30 April: not prorated
    assert "日割計算が適用されません (別紙1 2(2) 備考(2))" in operation["basis"]


def test_smm_dai11jo_no_monthly_fee_before_the_billing_start(tmp_path):
    order = smm_maas360("2026-04-01", "2026-04-20")
    code, data, err = quote_json(tmp_path, "smart-mobile-manager", order, "--month", "2026-03")
    assert code == 0, err
    [operation] = [x for x in data["lines"] if x["fee"] == "operation_monthly"]
    assert operation["amount"] == 0 and "billing starts 2026-04-20" in operation["basis"]
    [base] = [x for x in data["lines"] if x["fee"] == "maas360_monthly"]
    assert base["amount"] == 0 and "missing" not in base


def test_smm_betsushi1_2_2_bikou2_a_whole_month_has_no_part_month_note(tmp_path):
    code, data, err = quote_json(tmp_path, "smart-mobile-manager", smm_maas360("2026-04-01", "2026-04-20"),
                                 "--month", "2026-05")
    assert code == 0, err
    [operation] = [x for x in data["lines"] if x["fee"] == "operation_monthly"]
    assert operation["amount"] == 1500 and operation["basis"] == "150 yen × 10"


def flex_cancellation(requested: str) -> dict:
    return {"request": "cancellation", "notice_arrived": "2026-05-01", "requested_date": requested,
            "contracts": [{"id": "p", "contract": "親たる契約", "current": {}},
                          {"id": "c", "contract": "子たる契約", "parent": "p",
                           "current": {"grade": "Basic", "licences": 25, "billing_start": "2025-01-01"}}]}


@pytest.mark.parametrize("month, amount", [("2026-06", 40000), ("2026-07", 0)])
def test_flex_betsushi1_2_2_bikou_the_month_a_cancellation_takes_effect_in_is_billed_whole(tmp_path, month, amount):
    # 第11条: the later of 2026-05-01 + 30 = 05-31 and the requested 06-10: it ends on 2026-06-10
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"prices": {"child_monthly_basic": 40000}}), encoding="utf-8")
    code, data, err = quote_json(tmp_path, "flex-resilience", flex_cancellation("2026-06-10"), "--month", month,
                                 "--prices", str(prices))
    assert code == 0, err
    [child] = [x for x in data["lines"] if x["fee"] == "child_monthly"]
    assert child["amount"] == amount
    if amount:
        assert "日割計算が適用されません (別紙1 2(2) 備考)" in child["basis"]
    else:
        assert "ended 2026-06-10" in child["basis"]


def fence_change(requested: str) -> dict:
    return {"request": "change", "application_date": "2026-05-01", "requested_date": requested,
            "contracts": [{"id": "fm", "current": {"base": "基本利用サービス", "devices": 20, "app_consent": True},
                           "changes": {"devices": 30}}]}


@pytest.mark.parametrize("requested, month, devices", [
    ("2026-05-15", "2026-05", 20),  # on 1 May the change has not taken effect: 20 devices
    ("2026-05-15", "2026-06", 30),  # on 1 June it has
    ("2026-06-01", "2026-06", 30),  # a change on the 1st counts on that 1st
])
def test_fence_18_3_usage_fee_counts_the_devices_on_the_first_of_the_month(tmp_path, requested, month, devices):
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"prices": {"usage_fee_basic": 500}}), encoding="utf-8")
    code, data, err = quote_json(tmp_path, "fence-mobile", fence_change(requested), "--month", month,
                                 "--prices", str(prices))
    assert code == 0, err
    [usage] = [x for x in data["lines"] if x["fee"] == "usage_fee"]
    assert usage["amount"] == 500 * devices and usage["clause"]["text"] == "18.(3)"


def test_quote_month_must_be_a_month(tmp_path):
    code, out, err = quote_text(tmp_path, "smart-mobile-manager", smm_maas360(), "--month", "2026-13")
    assert code == 2 and "`2026-13` is not a month" in err and "YYYY-MM" in err


def test_se_dai11jo_an_option_monthly_fee_falls_due_from_the_option_billing_start(tmp_path):
    order = {"request": "new", "application_date": "2026-04-01",
             "contracts": [{"id": "u", "contract": "親たる契約"},
                           {"id": "se", "parent": "u", "品目": "IT 資産管理:タイプ L", "契約アカウント数": 50,
                            "ライセンサー等が定める事項への同意": True, "billing_start": "2026-05-01",
                            "options": {"Web アクセス管理オプション": {"利用アカウント数": 50,
                                                                    "billing_start": "2026-06-01"}}}]}
    code, data, err = quote_json(tmp_path, "secure-endpoint", order)
    assert code == 0, err
    due = {(x["fee"], x["subject"]): x["due"] for x in data["lines"]}
    assert due[("base_monthly", None)]["day"] == "2026-05-01"
    assert due[("option_monthly", "web_access")]["day"] == "2026-06-01"
    assert due[("base_initial", None)]["day"] is None and due[("base_initial", None)]["clause"]["text"] == "第11条"


# ---- usage records: what was used or happened in a month ----------------------------------------

def smm_device_mgmt(usage: dict | None = None) -> dict:
    contract = {"id": "d", "item": "デバイス管理", "ios_devices": 12, "android_devices": 3, "licensor_consent": True}
    if usage is not None:
        contract["usage"] = usage
    return {"request": "new", "application_date": "2026-04-01", "contracts": [contract]}


def test_smm_betsushi1_2_1_bikou1_monthly_fee_is_per_device_that_connected_in_the_month(tmp_path):
    order = smm_device_mgmt({"month": "2026-05", "connected_ios": 8, "connected_android": 5})
    code, data, err = quote_json(tmp_path, "smart-mobile-manager", order)
    assert code == 0, err
    lines = {x["fee"]: x for x in data["lines"]}
    assert lines["device_mgmt_ios"]["amount"] == 300 * 8  # not the 12 devices the contract states
    assert lines["device_mgmt_android"]["amount"] == 150 * 5
    assert "usage `connected_ios` in 2026-05 (別紙1 2(1) 備考(1))" in lines["device_mgmt_ios"]["basis"]


def test_smm_betsushi1_2_1_bikou1_without_a_usage_record_the_stated_devices_are_quoted_and_said_so(tmp_path):
    code, data, err = quote_json(tmp_path, "smart-mobile-manager", smm_device_mgmt())
    assert code == 0, err
    [ios] = [x for x in data["lines"] if x["fee"] == "device_mgmt_ios"]
    assert ios["amount"] == 300 * 12 and "no usage `connected_ios`" in ios["basis"]


def test_smm_betsushi1_2_1_bikou1_a_usage_record_of_another_month_is_not_used(tmp_path):
    order = smm_device_mgmt({"month": "2026-05", "connected_ios": 8})
    code, data, err = quote_json(tmp_path, "smart-mobile-manager", order, "--month", "2026-06")
    assert code == 0, err
    [ios] = [x for x in data["lines"] if x["fee"] == "device_mgmt_ios"]
    assert ios["amount"] == 300 * 12


def smartkey_enterprise(account_days: list[int], month: str = "2026-05") -> dict:
    return {"request": "new", "application_date": "2026-04-01", "holdings": [{"service": "IIJ ID サービス"}],
            "contracts": [{"id": "k", "品目": "エンタープライズ", "課金開始日": "2026-04-01",
                           "usage": {"month": month, "account_days": account_days}}]}


@pytest.mark.parametrize("days, month, price, amount", [
    ([31, 10], "2026-05", 1000, 1322),  # 1.000 + 10/31 = 0.32258… → 0.322
    ([31, 10], "2026-05", 999, 1320),  # 999 × 1.322 = 1320.678: cut to whole yen
    ([2], "2028-02", 1000, 68),  # 2/29 = 0.06896…: truncated, not rounded
    ([], "2026-05", 1000, 0),  # no account used in the month
])
def test_smartkey_betsushi1_bikou1_account_fee_sums_truncated_daily_factors(tmp_path, days, month, price, amount):
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"prices": {"account_fee": price}}), encoding="utf-8")
    code, data, err = quote_json(tmp_path, "smartkey", smartkey_enterprise(days, month), "--prices", str(prices))
    assert code == 0, err
    [fee] = [x for x in data["lines"] if x["fee"] == "account_fee"]
    assert fee["amount"] == amount
    assert "別紙1 備考(1)" in fee["basis"]
    assert ("cut to whole yen" in fee["basis"]) == (price == 999)


def test_smartkey_betsushi1_bikou1_without_days_of_use_the_account_fee_is_missing_not_guessed(tmp_path):
    order = smartkey_enterprise([31], "2026-05")
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"prices": {"account_fee": 1000}}), encoding="utf-8")
    code, data, err = quote_json(tmp_path, "smartkey", order, "--prices", str(prices), "--month", "2026-06")
    assert code == 0, err
    [fee] = [x for x in data["lines"] if x["fee"] == "account_fee"]
    assert fee["amount"] is None and "account_days" in fee["missing"]
    assert data["totals"]["monthly"]["complete"] is False


def test_smartkey_betsushi1_bikou1_days_of_use_beyond_the_month_are_bad_input(tmp_path):
    code, out, err = quote_text(tmp_path, "smartkey", smartkey_enterprise([29], "2026-02"))
    assert code == 2
    assert "error[O002]" in err and "contracts[0].usage.account_days[0]" in err and "has 28 days" in err


def se_with_vpn(usage: dict | None) -> dict:
    contract = {"id": "se", "parent": "u", "品目": "IT 資産管理:タイプ L", "契約アカウント数": 50,
                "ライセンサー等が定める事項への同意": True,
                "options": {"トンネル接続オプション": {"count": 1, "接続数": 5}, "トンネル機器オプション": True}}
    if usage is not None:
        contract["usage"] = usage
    return {"request": "new", "application_date": "2026-04-01",
            "contracts": [{"id": "u", "contract": "親たる契約"}, contract]}


def test_se_betsushi1_3_one_off_fees_for_vpn_devices_broken_by_the_customer_and_lost(tmp_path):
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"prices": {"vpn_fault_fee": 30000, "vpn_loss_fee": 50000}}), encoding="utf-8")
    code, data, err = quote_json(tmp_path, "secure-endpoint", se_with_vpn({"month": "2026-05", "vpn_faults": 2,
                                                                          "vpn_losses": 1}), "--prices", str(prices))
    assert code == 0, err
    lines = {x["fee"]: x for x in data["lines"]}
    assert (lines["vpn_fault_fee"]["kind"], lines["vpn_fault_fee"]["amount"]) == ("one_off", 60000)
    assert lines["vpn_fault_fee"]["clause"]["text"] == "別紙1 3(1)"
    assert lines["vpn_fault_fee"]["option"]["name"] == "トンネル機器オプション"
    assert (lines["vpn_loss_fee"]["amount"], lines["vpn_loss_fee"]["clause"]["text"]) == (50000, "別紙1 3(2)")
    assert lines["vpn_loss_fee"]["due"]["clause"]["text"] == "第11条"
    assert data["totals"]["one_off"] == {"known": 110000, "complete": True}


def test_se_betsushi1_3_no_one_off_fee_without_its_cause(tmp_path):
    code, data, err = quote_json(tmp_path, "secure-endpoint", se_with_vpn(None))
    assert code == 0, err
    assert not [x for x in data["lines"] if x["kind"] == "one_off"]


@pytest.mark.parametrize("usage, code_, field", [
    ({"vpn_faults": 1}, "O007", "contracts[1].usage.month"),
    ({"month": "2026-5", "vpn_faults": 1}, "O002", "contracts[1].usage.month"),
    ({"month": "2026-05", "vpn_fault": 1}, "O003", "contracts[1].usage.vpn_fault"),
    ({"month": "2026-05", "vpn_faults": -1}, "O004", "contracts[1].usage.vpn_faults"),
    ({"month": "2026-05", "vpn_faults": [1]}, "O002", "contracts[1].usage.vpn_faults"),
])
def test_a_malformed_usage_record_is_bad_input(tmp_path, usage, code_, field):
    code, out, err = quote_text(tmp_path, "secure-endpoint", se_with_vpn(usage))
    assert code == 2
    assert f"error[{code_}]" in err and field in err


def test_a_usage_record_is_in_the_schema_and_written_back():
    from tariffcheck.api import Checker
    from tariffcheck.orders.write import order_to_json
    se = Checker("secure-endpoint")
    order = se.decode(se_with_vpn({"month": "2026-05", "vpn_faults": 2}))
    assert order_to_json(order, se.tariff)["contracts"][1]["usage"] == {"month": "2026-05", "vpn_faults": 2}
    code, out, _ = run_cli(["schema", "--tariff", "smartkey"])
    schema = json.loads(out)
    assert "account_days" in json.dumps(schema) and '"month"' in json.dumps(schema)


@pytest.mark.parametrize("used, amount", [(57, 7 * 500), (50, 0), (40, 0)])
def test_se_betsushi1_2_1_accounts_detected_beyond_the_contracted_ones_are_charged(tmp_path, used, amount):
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"prices": {"excess_accounts_fee": 500}}), encoding="utf-8")
    order = se_with_vpn({"month": "2026-05", "accounts_used": used})  # 50 contracted accounts
    code, data, err = quote_json(tmp_path, "secure-endpoint", order, "--prices", str(prices))
    assert code == 0, err
    [excess] = [x for x in data["lines"] if x["fee"] == "excess_accounts_fee"]
    assert excess["amount"] == amount and excess["clause"]["text"] == "別紙1 2(1)"
    assert f"{used} used in 2026-05 beyond 50" in excess["basis"]


def test_se_betsushi1_2_1_no_excess_charge_without_a_detection(tmp_path):
    code, data, err = quote_json(tmp_path, "secure-endpoint", se_with_vpn(None))
    assert code == 0, err
    assert not [x for x in data["lines"] if x["fee"] == "excess_accounts_fee"]


def se_with_options(option_usage: dict | None) -> dict:
    """An IT 資産管理:タイプ L contract of 50 accounts with Web アクセス管理オプション (its own 50
    accounts, 第5条第10項) and 不正 PC 遮断オプション (no count of its own)."""
    contract = {"id": "se", "parent": "u", "品目": "IT 資産管理:タイプ L", "契約アカウント数": 50,
                "ライセンサー等が定める事項への同意": True,
                "options": {"Web アクセス管理オプション": {"利用アカウント数": 50}, "不正 PC 遮断オプション": True}}
    if option_usage is not None:
        contract["usage"] = {"month": "2026-05", "options": option_usage}
    return {"request": "new", "application_date": "2026-04-01",
            "contracts": [{"id": "u", "contract": "親たる契約"}, contract]}


@pytest.mark.parametrize("used, amount", [(53, 3 * 300), (50, 0), (12, 0)])
def test_se_betsushi1_2_2_option_accounts_detected_beyond_the_contracted_ones_are_charged(tmp_path, used, amount):
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"prices": {"option_excess_accounts_fee": 300,
                                             "option_excess_contract_accounts_fee": 700}}), encoding="utf-8")
    order = se_with_options({"web_access": {"option_accounts_used": used},
                             "不正 PC 遮断オプション": {"当社が検知したオプションに係る利用アカウント数": used - 1}})
    code, data, err = quote_json(tmp_path, "secure-endpoint", order, "--prices", str(prices))
    assert code == 0, err
    [own] = [x for x in data["lines"] if x["fee"] == "option_excess_accounts_fee"]
    assert (own["amount"], own["clause"]["text"]) == (amount, "別紙1 2(2)")
    assert own["option"]["name"] == "Web アクセス管理オプション"
    assert f"{used} used in 2026-05 beyond 50" in own["basis"]
    [other] = [x for x in data["lines"] if x["fee"] == "option_excess_contract_accounts_fee"]
    assert other["amount"] == max(0, used - 1 - 50) * 700 and other["option"]["name"] == "不正 PC 遮断オプション"
    # the contract's own excess (別紙1 2(1)) is not the options': none was detected for it
    assert not [x for x in data["lines"] if x["fee"] == "excess_accounts_fee"]


def test_se_betsushi1_2_2_no_option_excess_charge_without_a_detection(tmp_path):
    code, data, err = quote_json(tmp_path, "secure-endpoint", se_with_options({"web_access": {"option_accounts_used": 60}}))
    assert code == 0, err
    assert [x["option"]["name"] for x in data["lines"] if x["fee"].startswith("option_excess")] == \
        ["Web アクセス管理オプション"]
    code, data, err = quote_json(tmp_path, "secure-endpoint", se_with_options(None))
    assert code == 0, err
    assert not [x for x in data["lines"] if x["fee"].startswith("option_excess")]


@pytest.mark.parametrize("usage, field, words", [
    ({"options": {"web_access": {"option_accounts_use": 51}}}, "contracts[1].usage.options.web_access.option_accounts_use",
     "`option_accounts_use` is not a usage counted per option"),
    ({"options": {"web_acess": {"option_accounts_used": 51}}}, "contracts[1].usage.options.web_acess",
     "`web_acess` is not an option"),
    ({"options": {"web_access": {"accounts_used": 51}}}, "contracts[1].usage.options.web_access.accounts_used",
     "`accounts_used` is not a usage counted per option"),
    ({"option_accounts_used": 51}, "contracts[1].usage.option_accounts_used", "is counted per option"),
])
def test_se_betsushi1_2_2_a_malformed_option_usage_is_bad_input(tmp_path, usage, field, words):
    order = se_with_options(None)
    order["contracts"][1]["usage"] = {"month": "2026-05", **usage}
    code, out, err = quote_text(tmp_path, "secure-endpoint", order)
    assert code == 2
    assert "error[O003]" in err and field in err and words in err


def test_se_betsushi1_2_2_a_usage_per_option_is_read_only_by_a_fee_for_options(tmp_path):
    from conftest import spec_variant
    path = spec_variant(tmp_path, catalog.spec_path("secure-endpoint"), "se_variant",
                        [("quoted per usage accounts_used over accounts", "quoted per usage option_accounts_used over accounts")])
    code, out, err = run_cli(["quote", "--tariff", path, str(tmp_path / "none.json")])
    assert code == 2
    assert "error[E009]" in err and "`option_accounts_used` is counted per option" in err


def test_an_option_usage_is_in_the_schema_and_written_back():
    from tariffcheck.api import Checker
    from tariffcheck.orders.write import order_to_json
    se = Checker("secure-endpoint")
    order = se.decode(se_with_options({"Web アクセス管理オプション": {"option_accounts_used": 51}}))
    assert order_to_json(order, se.tariff)["contracts"][1]["usage"] == \
        {"month": "2026-05", "options": {"web_access": {"option_accounts_used": 51}}}
    code, out, _ = run_cli(["schema", "--tariff", "secure-endpoint"])
    assert code == 0 and '"options"' in out and '"option_accounts_used"' in out


# ---- the spec's fee grammar: errors read like a compiler's ----------------------------------------

SMM_SPEC = catalog.spec_path("smart-mobile-manager")


@pytest.mark.parametrize("old, new, code, words", [
    ('due monthly "課金開始日" @第11条 from billing_start', 'due monthly "課金開始日" @第11条 from billing_stat',
     "E002", "`billing_stat` is not a date of contract `service`"),
    ('due initial "申込を当社が承諾した時点" @第11条', 'due initial "申込を当社が承諾した時点" @第11条\n'
     'due initial "申込を当社が承諾した時点" @第11条', "E003", "due `initial in service` is defined twice"),
    ("per usage connected_ios or", "per usage connected_iso or", "E002", "`connected_iso` is not a usage"),
])
def test_fee_declarations_report_their_errors(tmp_path, old, new, code, words):
    from conftest import spec_variant
    path = spec_variant(tmp_path, SMM_SPEC, "smm_variant", [(old, new)])
    code_, out, err = run_cli(["quote", "--tariff", path, str(tmp_path / "none.json")])
    assert code_ == 2
    assert f"error[{code}]" in err and words in err


# ---- 第11条: the initial fee is owed by the application that orders the thing ----------------------

def test_smm_dai11jo_a_change_owes_the_initial_fee_of_the_option_it_adds_only(tmp_path):
    order = {"request": "change", "application_date": "2026-05-01", "requested_date": "2026-06-01",
             "contracts": [{"id": "m", "current": {"item": "MaaS360", "type": "デバイス・アプリ管理",
                                                   "licensor_consent": True, "options": {"secure_app": True}},
                            "changes": {"options": {"operation": {"devices": 4}}}}]}
    code, data, err = quote_json(tmp_path, "smart-mobile-manager", order)
    assert code == 0, err
    initial = {x["fee"] for x in data["lines"] if x["kind"] == "initial"}
    assert initial == {"operation_initial"}  # not base_initial, not secure_app_initial again
    monthly = {x["fee"] for x in data["lines"] if x["kind"] == "monthly"}
    assert {"maas360_monthly", "secure_app_monthly", "operation_monthly"} <= monthly


def test_smm_dai11jo_a_cancellation_owes_no_initial_fee(tmp_path):
    order = {"request": "cancellation", "notice_arrived": "2026-05-01",
             "contracts": [{"id": "d", "current": {"item": "デバイス管理", "ios_devices": 3, "licensor_consent": True}}]}
    code, data, err = quote_json(tmp_path, "smart-mobile-manager", order)
    assert code == 0, err
    assert not [x for x in data["lines"] if x["kind"] == "initial"]
