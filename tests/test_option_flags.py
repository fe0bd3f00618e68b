"""Flags inside an option (`option rlw { flag credentials "…" }`, the `optflag` kind): a yes/no the
order states of one option, read as `it.credentials`. Flex Resilience's リモートロック・ワイプ代行
オプション has three (第10条第3項(5), (7)); these tests follow one through every layer."""

from __future__ import annotations

import copy

import pytest

from tariffcheck import Checker
from tariffcheck.analyse.lint import lint_tariff
from tariffcheck.catalog import load
from tariffcheck.common.diagnostics import DiagnosticError
from tariffcheck.orders.schema import order_schema
from tariffcheck.orders.write import order_to_json

from conftest import SPECS, spec_variant

FLEX = SPECS / "flex_resilience.tariff"


@pytest.fixture(scope="module")
def flex() -> Checker:
    return Checker(load("flex-resilience"))


def adding_rlw(**rlw) -> dict:
    """A change request that adds the option to a Basic child contract with 100 licences."""
    body = {"accounts": 100, "代行処理": "リモートロック処理", **rlw}
    return {"request": "change", "application_date": "2026-05-10", "notice_arrived": "2026-05-10",
            "requested_date": "2026-06-01",
            "contracts": [{"id": "fr-1", "current": {"grade": "Basic", "licences": 100},
                           "changes": {"options": {"rlw": body}}}]}


def withdrawing(accepted: bool) -> dict:
    """A change request asking to withdraw a 代行処理, accepted before the request or not."""
    rlw = {"accounts": 100, "代行処理": "リモートロック処理", "credentials": True, "processing_accepted": accepted}
    return {"request": "change", "application_date": "2026-05-10",
            "contracts": [{"id": "fr-1", "current": {"grade": "Basic", "licences": 100, "options": {"rlw": rlw}},
                           "changes": {"options": {"rlw": {"processing_withdrawn": True}}}}]}


def test_a_flag_is_named_by_its_id_or_official_name_and_is_false_when_left_out(flex):
    by_id = flex.decode(adding_rlw(credentials=True)).contracts[0].new.options["rlw"]
    by_name = flex.decode(adding_rlw(**{"代行処理の当社受付時に使用する認証情報の登録": True})).contracts[0].new.options["rlw"]
    left_out = flex.decode(adding_rlw()).contracts[0].new.options["rlw"]
    assert by_id.flags["credentials"] is True and by_name.flags == by_id.flags
    assert left_out.flags == {"credentials": False, "processing_accepted": False, "processing_withdrawn": False}


@pytest.mark.parametrize("order, code, words", [
    (adding_rlw(credentials="yes"), "O002", "is true or false"),
    (adding_rlw(credentials=True, **{"代行処理の当社受付時に使用する認証情報の登録": True}), "O012", "credentials"),
    (adding_rlw(credential=True), "O003", "credentials"),
])
def test_a_bad_flag_is_refused_with_its_code(flex, order, code, words):
    with pytest.raises(DiagnosticError) as err:
        flex.decode(order)
    found = [d for d in err.value.diagnostics if d.code == code]
    assert found, [d.code for d in err.value.diagnostics]
    assert any(words in (d.message + " " + (d.help or "")) for d in found)


@pytest.mark.parametrize("order, broken", [
    (adding_rlw(credentials=True), set()),
    (adding_rlw(credentials=False), {("r10_3_5_credentials", "rlw")}),
    (withdrawing(accepted=False), set()),
    (withdrawing(accepted=True), {("r10_3_7_no_withdrawal", "rlw")}),
])
def test_both_engines_read_the_flag_alike(flex, order, broken):
    decoded = flex.decode(order)
    concrete, z3 = flex.check(decoded), flex.check(decoded, engine="z3")
    assert {(v.key.rule, v.key.subject) for v in concrete.violations} == broken
    assert {(v.key.rule, v.key.subject) for v in z3.violations} == broken


def test_the_schema_lists_the_flag_by_both_names():
    schema = order_schema(load("flex-resilience"))
    text = str(schema)
    assert "'credentials': {'type': 'boolean'" in text
    assert "'代行処理の当社受付時に使用する認証情報の登録': {'type': 'boolean'" in text


def test_a_written_order_reads_back_with_its_flags(flex):
    decoded = flex.decode(withdrawing(accepted=True))
    again = flex.decode(order_to_json(decoded, flex.tariff))
    assert [c.new for c in again.contracts] == [c.new for c in decoded.contracts]
    assert [c.old for c in again.contracts] == [c.old for c in decoded.contracts]


def test_repair_sets_the_flag_and_names_the_clause(flex):
    # the contract's own flag (the place older orders used) is made dearer, so the option's is set
    result = flex.repair(adding_rlw(credentials=False), k=1, weights={"option": 10, "flag": 10})
    assert result.status == "repaired"
    (change,) = result.repairs[0].changes
    assert (change.path, change.before, change.after) == ("contracts[0].options.rlw.credentials", False, True)
    assert [(t.key.rule, str(t.rule.citation)) for t in change.satisfies] == [("r10_3_5_credentials", "第10条第3項(5)")]
    assert result.repairs[0].verdict.status == "valid"


def test_an_option_flag_no_rule_reads_is_reported_unused(tmp_path):
    path = spec_variant(tmp_path, FLEX, "flex_unused_flag", [(
        '    flag credentials "代行処理の当社受付時に使用する認証情報の登録" @第10条第3項(5)\n',
        '    flag credentials "代行処理の当社受付時に使用する認証情報の登録" @第10条第3項(5)\n'
        '    flag spare "予備の事項"\n')])
    found = [f for f in lint_tariff(load(path), path).findings if f.code == "L010"]
    assert [f.subject for f in found] == ["rlw.spare"]


def test_an_unknown_part_of_an_option_lists_its_flags(tmp_path):
    path = spec_variant(tmp_path, FLEX, "flex_bad_part", [
        ("when added(it) for rlw require it.credentials or rlw_credentials",
         "when added(it) for rlw require it.credentails or rlw_credentials")])
    with pytest.raises(DiagnosticError) as err:
        load(path)
    (d,) = err.value.diagnostics
    assert d.code == "E002" and "credentails" in d.message and "credentials" in d.help


def test_changing_only_a_flag_is_a_change_of_the_option(flex):
    order = withdrawing(accepted=False)
    decoded = flex.decode(order)
    before, after = decoded.contracts[0].old.options["rlw"], decoded.contracts[0].new.options["rlw"]
    assert (before.flags["processing_withdrawn"], after.flags["processing_withdrawn"]) == (False, True)
    untouched = copy.deepcopy(order)
    untouched["contracts"][0]["changes"] = {}
    same = flex.decode(untouched).contracts[0]
    assert same.new.options["rlw"] == same.old.options["rlw"]
