"""`tariff quote`: amounts the texts give, prices from a price book, early-termination charges,
and a missing price shown as missing, never as zero."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tariffcheck.api import Checker
from tariffcheck.common.diagnostics import DiagnosticError
from tariffcheck.evaluate.fees import daily_factor

from conftest import EXAMPLES, run_cli


@pytest.fixture(scope="module")
def se() -> Checker:
    return Checker("secure-endpoint")


@pytest.fixture(scope="module")
def smm() -> Checker:
    return Checker("smart-mobile-manager")


def se_cancellation(item: str, billing_start: str, notice: str, requested: str) -> dict:
    return {"request": "cancellation", "notice_arrived": notice, "requested_date": requested,
            "contracts": [{"id": "se-1", "current": {"item": item, "accounts": 50, "licensor_consent": True,
                                                     "billing_start": billing_start}}]}


def by_fee(lines) -> dict[str, object]:
    return {q.fee: q for q in lines}


PRICES = {"prices": {"base_monthly": 12000, "base_initial": 30000}}


def test_early_termination_counts_remaining_months_of_the_term(se):
    # READINGS.md: start 2026-04-15, a 12-month term, ended on 2026-06-20: 10 months remain
    lines = by_fee(se.quote(se_cancellation("IT 資産管理:タイプ X", "2026-04-15", "2026-05-01", "2026-06-20"), PRICES))
    q = lines["early_term"]
    assert q.amount == 10 * 12000 and "10 remaining month" in q.basis
    assert "early_min_use" not in lines  # タイプ X has a term, not a minimum period


def test_a_minimum_period_that_has_passed_costs_nothing(se):
    lines = by_fee(se.quote(se_cancellation("IT 資産管理:タイプ L", "2026-01-31", "2026-03-01", "2026-03-31"), PRICES))
    assert lines["early_min_use"].amount == 0  # the 1-month period ended 2026-02-28


def test_a_minimum_period_ended_early_costs_its_started_month(se):
    lines = by_fee(se.quote(se_cancellation("IT 資産管理:タイプ L", "2026-01-31", "2026-01-01", "2026-02-10"), PRICES))
    assert lines["early_min_use"].amount == 12000


def test_a_price_the_book_lacks_is_missing_not_zero(se):
    lines = by_fee(se.quote(se_cancellation("IT 資産管理:タイプ X", "2026-04-15", "2026-05-01", "2026-06-20")))
    assert lines["base_monthly"].amount is None and "base_monthly" in lines["base_monthly"].missing
    assert lines["early_term"].amount is None and lines["early_term"].missing


def test_amounts_the_text_gives(smm):
    order = {"request": "new", "contracts": [{"id": "d", "item": "デバイス管理", "ios_devices": 12,
                                              "android_devices": 3, "licensor_consent": True}]}
    lines = by_fee(smm.quote(order))
    assert lines["base_initial"].amount == 50000
    assert lines["device_mgmt_ios"].amount == 300 * 12
    assert lines["device_mgmt_android"].amount == 150 * 3


def test_a_price_book_key_the_tariff_does_not_quote_is_an_error(se):
    with pytest.raises(DiagnosticError) as info:
        se.quote(se_cancellation("IT 資産管理:タイプ X", "2026-04-15", "2026-05-01", "2026-06-20"),
                 {"prices": {"base_montly": 1, "base_monthly": -5}})
    codes = [(d.code, d.field) for d in info.value.diagnostics]
    assert codes == [("P001", "prices.base_montly"), ("P001", "prices.base_monthly")]
    assert "did you mean `base_monthly`?" in info.value.diagnostics[0].help


def test_smartkey_daily_factor_is_truncated_to_three_decimals():
    assert daily_factor(10, 31) == Decimal("0.322")  # 0.32258…
    assert daily_factor(2, 29) == Decimal("0.068")  # 2/29 = 0.06896…: cut, not rounded
    assert daily_factor(29, 29) == Decimal("1.000")
    assert daily_factor(0, 30) == Decimal("0.000")
    with pytest.raises(ValueError):
        daily_factor(32, 31)


def test_the_quote_command(tmp_path):
    order = tmp_path / "order.json"
    order.write_text(json.dumps(se_cancellation("IT 資産管理:タイプ X", "2026-04-15", "2026-05-01", "2026-06-20")),
                     encoding="utf-8")
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps(PRICES), encoding="utf-8")
    code, out, _ = run_cli(["quote", "--tariff", "secure-endpoint", str(order), "--prices", str(prices),
                            "--format", "json"])
    assert code == 0
    data = json.loads(out)
    assert data["totals"]["early_termination"] == {"known": 120000, "complete": True}
    term = next(x for x in data["lines"] if x["fee"] == "early_term")
    assert term["clause"]["text"] == "別紙2 1"
    prices.write_text('{"prices": {"nope": 1}}', encoding="utf-8")
    code, _, err = run_cli(["quote", "--tariff", "secure-endpoint", str(order), "--prices", str(prices)])
    assert code == 2
    assert "error[P001]" in err


def test_ending_an_option_early_costs_its_remaining_months(se):
    order = {"request": "change", "notice_arrived": "2026-01-31", "requested_date": "2026-02-15",
             "contracts": [{"id": "se-1",
                            "current": {"item": "IT 資産管理:タイプ L", "accounts": 50, "licensor_consent": True,
                                        "options": {"tunnel": {"count": 1, "connections": 5},
                                                    "tunnel_device": {"billing_start": "2025-05-01"}}},
                            "changes": {"options": {"tunnel_device": False}}}]}
    lines = se.quote(order, {"prices": {"option_monthly": 3000}})
    [charge] = [q for q in lines if q.kind == "early_termination"]
    # the 1-year period ends 2026-04-30; the stop takes effect 2026-03-02: March and April remain
    assert (charge.fee, charge.subject, charge.amount) == ("early_tunnel_device", "tunnel_device", 6000)
    # the ended option's own monthly fee is not quoted any more
    assert not any(q.subject == "tunnel_device" and q.kind == "monthly" for q in lines)
    days = {(d.id, d.subject): d.day for d in se.dates(order)}
    assert str(days[("vpn_return_deadline", "tunnel_device")]) == "2026-04-01"  # stop day + 30


@pytest.mark.parametrize("text, says", [
    ('{"prices": {', "the price book is not valid JSON"),
    ('{"prices": {"a": 1, "a": 2}}', "`a` is given twice in `prices`"),
    (b"\xff\xfe{}", "the price book is not UTF-8 text"),
])
def test_a_price_book_that_is_not_json_is_the_price_books_error_not_the_orders(tmp_path, text, says):
    """The price book is read with an order's limits, but what is wrong with it is said of it
    (P001), never as an error of the order (O001/O011/O012) the user did not get wrong."""
    prices = tmp_path / "prices.json"
    prices.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    args = ["quote", "--tariff", "secure-endpoint", str(EXAMPLES / "secure_endpoint_valid.json"), "--prices", str(prices)]
    code, out, err = run_cli(args)
    assert code == 2 and out == "" and "error[P001]" in err and says in err, err
    assert "the order" not in err and "error[O0" not in err
    code, out, err = run_cli(args + ["--format", "json"])
    data = json.loads(out)
    assert code == 2 and {e["code"] for e in data["errors"]} == {"P001"} and says in data["errors"][0]["message"]
    code, out, err = run_cli(args[:-1] + [str(tmp_path / "missing.json")])
    assert code == 2 and "error[P001]: cannot read" in err and "the order" not in err and "price book" in err
