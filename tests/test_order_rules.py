"""Issue 13, point 5: a name the tariff does not list, two values for a dimension, or a count
left out breaks the clause that lists the names, makes a contract one item or requires the
count. It is reported as a violation of that clause, with every other violation of the order,
by both engines (exit 1); exit 2 stays for what is not an order at all."""

from __future__ import annotations

import json

import pytest

from tariffcheck.api import Checker, OrderError
from tariffcheck.orders.decode import decode_partial_order

from conftest import EXAMPLES, FIXTURES, run_cli

ENGINES = ("concrete", "z3")


def _invalid() -> dict:
    return json.loads((EXAMPLES / "secure_endpoint_invalid.json").read_text(encoding="utf-8"))


def _broken(verdict) -> list[tuple[str, str]]:
    return [(v.rule.id, str(v.rule.citation)) for v in verdict.violations]


@pytest.fixture(scope="module")
def se() -> Checker:
    return Checker("secure-endpoint")


def _write(tmp_path, name: str, order: dict) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(order, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("engine", ENGINES)
def test_8_2_unknown_option_is_reported_with_every_other_violation(se, engine):
    plain = se.check(_invalid(), engine=engine)
    order = _invalid()
    order["contracts"][1]["options"]["トンネル接続オプシヨン"] = True
    verdict = se.check(order, engine=engine)
    assert verdict.status == "invalid"
    assert _broken(verdict) == [("listed_options", "第8条第2項")] + _broken(plain)
    v = verdict.violations[0]
    assert v.contract_id == "se-1" and v.fields == [("contracts[1].options.トンネル接続オプシヨン", True)]
    assert "`トンネル接続オプシヨン` is not an option" in v.message(se.tariff, "en")


@pytest.mark.parametrize("engine", ENGINES)
def test_1_unknown_item_leaves_the_rules_that_read_the_item_unjudged(se, engine):
    order = _invalid()
    order["contracts"][1]["item"] = "IT 資産管理:タイプ Z"
    order["contracts"][1]["licensor_consent"] = False
    verdict = se.check(order, engine=engine)
    ids = [r for r, _ in _broken(verdict)]
    assert ids[0] == "listed_item" and "r5_1_consent" in ids and "r8_3_tunnel_cap" in ids
    # 第5条第19項 (recovery storage needs type G) reads the item, which the order does not give
    assert not any(v.fields and any(str(p) == "contracts[1].item" for p, _ in v.fields)
                   for v in verdict.violations[1:])


@pytest.mark.parametrize("engine", ENGINES)
def test_4_2_two_items_break_the_one_item_clause_and_each_unlisted_one_breaks_1(se, engine):
    order = _invalid()
    order["contracts"][1]["item"] = ["IT 資産管理:タイプ L", "IT 資産管理:タイプ Q"]
    verdict = se.check(order, engine=engine)
    assert _broken(verdict)[:2] == [("one_item", "第4条第2項"), ("listed_item", "第1条")]
    assert "`IT 資産管理:タイプ L`, `IT 資産管理:タイプ Q`" in verdict.violations[0].message(se.tariff, "en")


@pytest.mark.parametrize("engine", ENGINES)
def test_7_1_1_and_5_10_counts_left_out(se, engine):
    order = _invalid()
    del order["contracts"][1]["accounts"]
    order["contracts"][1]["options"]["web_access"] = True
    verdict = se.check(order, engine=engine)
    assert _broken(verdict)[:2] == [("required_web_access_accounts", "第5条第10項"),
                                    ("required_accounts", "第7条第1項(1)")]
    assert verdict.violations[0].key.subject == "web_access"
    assert verdict.violations[1].fields == [("contracts[1].accounts", None)]


def test_8_2_cli_exit_1_and_json_result(tmp_path):
    order = _invalid()
    order["contracts"][1]["options"]["tunel"] = True
    path = _write(tmp_path, "order.json", order)
    for engine in ENGINES:
        code, out, err = run_cli(["check", "--tariff", "secure-endpoint", path, "--format", "json", "--engine", engine])
        result = json.loads(out)
        assert code == 1 and err == "" and result["verdict"] == "invalid"
        first = result["violations"][0]
        assert first["rule"] == "listed_options" and first["kind"] == "listed-option"
        assert first["clause"]["text"] == "第8条第2項"
        assert first["fields"] == [{"path": "contracts[1].options.tunel", "value": True}]
        assert len(result["violations"]) == 5
    code, out, _ = run_cli(["check", "--tariff", "secure-endpoint", path])
    assert code == 1 and "✗ 第8条第2項  [listed_options]" in out


def test_what_is_not_an_order_is_still_exit_2(se, tmp_path):
    order = _invalid()
    order["contracts"][1]["item"] = 5  # a wrong JSON type
    with pytest.raises(OrderError) as info:
        se.check(order)
    assert [d.code for d in info.value.diagnostics] == ["O002"]
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    code, _, err = run_cli(["check", "--tariff", "secure-endpoint", str(bad)])
    assert code == 2 and "error[O001]" in err


def test_a_partial_order_still_refuses_an_unknown_option(se):
    order = {"tariff": "secure-endpoint", "contracts": [{"id": "u", "contract": "親たる契約"},
                                                        {"id": "se-1", "parent": "u", "options": {"tunel": True}}]}
    with pytest.raises(OrderError) as info:
        decode_partial_order(order, se.tariff)
    assert [d.code for d in info.value.diagnostics] == ["O003"]


def test_a_contract_without_any_clause_keeps_the_error(tmp_path):
    """An order rule needs a clause to cite; a spec that declares none keeps the O-coded error."""
    text = (FIXTURES / "tariff_test" / "tiny.tariff").read_text(encoding="utf-8")
    spec = tmp_path / "uncited.tariff"
    spec.write_text(text.replace('contract service "契約" @第1条 {', 'contract service "契約" {'), encoding="utf-8")
    checker = Checker(str(spec))
    assert "listed_options" not in checker.tariff.order_rules
    with pytest.raises(OrderError) as info:
        checker.check({"contracts": [{"item": "basic", "accounts": 10, "options": {"backpu": True}}]})
    assert [d.code for d in info.value.diagnostics] == ["O003"]


def test_8_2_explain_lists_the_breach_and_repair_leaves_the_unknown_option_out(se, tmp_path):
    order = _invalid()
    order["contracts"][1]["options"]["tunel"] = True
    order["contracts"][1]["item"] = "IT 資産管理:タイプ Z"
    e = se.explain(order)
    assert e.status == "invalid" and [v.rule.id for v in e.breaches] == ["listed_item", "listed_options"]
    # the item is open in the search: no conflict is made of the value the order did not give
    assert all(str(c.path) != "contracts[1].item" for conflict in e.conflicts for c in conflict.choices)
    result = se.repair(order, k=1)
    assert result.repairs, result
    repaired = result.repairs[0]
    assert any("`tunel` is not an option the tariff lists (第8条第2項); the repair leaves it out" in n
               for n in repaired.order.notes)
    assert se.check(repaired.order).status == "valid"
    path = _write(tmp_path, "order.json", order)
    code, out, _ = run_cli(["repair", "--tariff", "secure-endpoint", path, "--format", "json"])
    assert code == 0
    written = json.loads(out)["repairs"][0]["order"]
    assert "tunel" not in json.dumps(written, ensure_ascii=False)
    code, out, _ = run_cli(["check", "--tariff", "secure-endpoint", _write(tmp_path, "fixed.json", written)])
    assert code == 0, out
    code, out, _ = run_cli(["explain", "--tariff", "secure-endpoint", path, "--format", "json"])
    assert code == 1 and [b["rule"] for b in json.loads(out)["breaches"]] == ["listed_item", "listed_options"]


# ---- under --format json, every error is JSON on standard output ------------------------------------
def _json_error_runs(tmp_path) -> dict[str, list[str]]:
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    b = str(bad)
    return {
        "check": ["check", "--tariff", "secure-endpoint", b],
        "explain": ["explain", "--tariff", "secure-endpoint", b],
        "why-not": ["explain", "--tariff", "secure-endpoint", str(EXAMPLES / "secure_endpoint_valid.json"),
                    "--why-not", "zzz"],
        "repair": ["repair", "--tariff", "secure-endpoint", b],
        "options": ["options", "--tariff", "secure-endpoint", b],
        "dates": ["dates", "--tariff", "secure-endpoint", b],
        "quote": ["quote", "--tariff", "secure-endpoint", b],
        "test": ["test", str(tmp_path / "missing.tariff")],
        "lint": ["lint", str(tmp_path / "missing.tariff")],
        "diff": ["diff", str(tmp_path / "a.tariff"), str(tmp_path / "b.tariff")],
        "usage": ["check", "--tariff", "secure-endpoint"],
        "unknown tariff": ["dates", "--tariff", "no-such-tariff", b],
    }


@pytest.mark.parametrize("name", ["check", "explain", "why-not", "repair", "options", "dates", "quote", "test",
                                  "lint", "diff", "usage", "unknown tariff"])
def test_every_error_is_json_under_format_json(name, tmp_path):
    args = _json_error_runs(tmp_path)[name]
    code, out, err = run_cli([*args, "--format", "json"])
    assert code == 2 and err == "", err
    result = json.loads(out)
    if name == "lint":  # lint reports a spec that does not load as a finding of its own
        assert result["specs"][0]["findings"][0]["code"] == "L000"
        return
    assert result["status"] == "error" and result["errors"], result
    assert all(e["code"] and e["message"] for e in result["errors"])
    if name == "usage":
        assert result["errors"][0]["code"] == "A001" and result["command"] == "check"
    # the text form still goes to standard error
    code, out, err = run_cli(args)
    assert code == 2 and out == "" and err


def test_format_json_is_recognised_as_argparse_reads_it():
    from tariffcheck.cli.shared import json_asked

    assert json_asked(["check", "--format", "json"]) and json_asked(["check", "--format=json"])
    assert json_asked(["check", "--form", "json"]) and not json_asked(["check", "--format", "text"])
    assert not json_asked(["check", "--", "--format", "json"]) and not json_asked(["check", "--format"])


def test_order_rules_of_each_tariff_cite_the_clauses_of_the_text():
    expected = {
        "secure-endpoint": {"listed_item": "第1条", "one_item": "第4条第2項", "listed_options": "第8条第2項",
                            "required_accounts": "第7条第1項(1)"},
        "smart-mobile-manager": {"listed_item": "第1条", "one_item": "第5条", "listed_type": "第2条",
                                 "one_type": "第5条", "listed_options": "第8条第2項"},
        "smartkey": {"listed_item": "第1条", "one_item": "第1条"},
        "flex-resilience": {"listed_grade": "第2条", "one_grade": "第1条第2項", "listed_options": "第10条第2項",
                            "required_licences": "第5条第2項"},
        "fence-mobile": {"listed_base": "2.", "one_base": "2.", "listed_options": "2."},
    }
    for name, rules in expected.items():
        t = Checker(name).tariff
        assert {r: str(t.order_rules[r].citation) for r in rules} == rules, name
        assert not set(t.order_rules) & {r.id for r in t.rules}



@pytest.mark.parametrize("engine", ENGINES)
def test_7_1_1_a_count_left_out_of_current_stays_unjudged_in_the_change(se, engine):
    """第7条第1項(1): `current` without 契約アカウント数 breaks it; the change that does not give the
    count leaves it without a value, so 第5条第10項 (Web アクセス管理's accounts equal the
    contract's) is not judged on a placeholder."""
    order = {"request": "change", "application_date": "2026-04-01",
             "contracts": [{"id": "se-1", "current": {"item": "IT 資産管理:タイプ L", "licensor_consent": True},
                            "changes": {"options": {"web_access": {"accounts": 30}}}}]}
    verdict = se.check(order, engine=engine)
    assert _broken(verdict) == [("required_accounts", "第7条第1項(1)")]
    assert verdict.violations[0].fields == [("contracts[0].current.accounts", None)]
    order["contracts"][0]["changes"]["accounts"] = 29  # given in the change: judged again
    assert ("r5_10_equal_accounts", "第5条第10項") in _broken(se.check(order, engine=engine))
