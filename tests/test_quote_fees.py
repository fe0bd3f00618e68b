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
