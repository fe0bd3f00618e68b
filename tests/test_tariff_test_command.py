"""`tariff test`: a spec's cases through both paths, the diff of a failing case, clause coverage.

The fixture tariff tests/fixtures/tariff_test/tiny.tariff has four rules (one about a date);
`tiny.tests.json` covers them all, and the other test files beside it are each wrong in one
way, named after it.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil

import pytest

from tariffcheck import catalog
from tariffcheck.api import Checker
from tariffcheck.cli import main
from tariffcheck.evaluate.verdict import VALID, Verdict
from tariffcheck.testing.runner import DISAGREEMENT, run_tests
from tariffcheck.testing.case_file import load_test_file

from conftest import FIXTURES, run_cli

TARIFF_TEST = FIXTURES / "tariff_test"
TINY = str(TARIFF_TEST / "tiny.tariff")


def variant_file(variant: str) -> str:
    return str(TARIFF_TEST / f"tiny_{variant}.tests.json")


def tiny_run(variant: str | None = None):
    tariff = catalog.load(TINY)
    path = TARIFF_TEST / (f"tiny_{variant}.tests.json" if variant else "tiny.tests.json")
    return run_tests(tariff, load_test_file(path, tariff))


# ---- runs ---------------------------------------------------------------------------------------
def test_passing_run_exits_0_with_full_coverage():
    code, out, err = run_cli(["test", TINY, "--require-coverage"])
    assert code == 0, out + err
    assert "PASS: all 8 cases pass" in out
    assert "coverage: 4 of 4 rules accepted and rejected by some case" in out
    assert "not fully covered" not in out
    assert err == ""


def test_failing_case_shows_expected_and_actual_clauses():
    code, out, _ = run_cli(["test", TINY, "--tests", variant_file("failing")])
    assert code == 1
    assert "FAIL: 3 of 4 cases fail" in out
    block = out.split("FAIL #1 ", 1)[1].split("\n\n", 1)[0]
    assert "the case names the wrong clause" in block
    assert "    --- expected\n    +++ actual\n" in block
    assert "    - r3_min_accounts (第3条第1項)" in block
    assert "    + r4_1_pro_options:backup (第4条第1項)" in block
    # an instance both expected and broken is a context line of the diff
    block2 = out.split("FAIL #2 ", 1)[1].split("\n\n", 1)[0]
    assert "    + r4_1_pro_options:support (第4条第1項)" in block2
    assert "      r4_2_support_needs_backup (第4条第2項)" in block2
    # a bad-input case with the wrong code shows both codes and the order's error
    block3 = out.split("FAIL #3 ", 1)[1].split("\n\n", 1)[0]
    assert "expected bad input (O004), got bad input (O003)" in block3
    assert "error[O003]: `acounts` is not a field" in block3
    assert "PASS #0" not in out  # passing cases are listed with -v only


def test_verbose_lists_passing_cases():
    _, out, _ = run_cli(["test", TINY, "-v"])
    assert "  PASS #0 第3条第1項: 10 accounts are accepted" in out


def test_a_rule_without_a_rejecting_case_fails_require_coverage_and_is_named():
    code, out, _ = run_cli(["test", TINY, "--tests", variant_file("unrejected")])
    assert code == 0, "without --require-coverage a gap is reported, not failed"
    assert "r4_2_support_needs_backup (第4条第2項): no case rejects it" in out
    code, out, _ = run_cli(["test", TINY, "--tests", variant_file("unrejected"), "--require-coverage"])
    assert code == 1
    assert "PASS: all 4 cases pass" in out
    gaps = out.split("not fully covered:\n", 1)[1]
    assert gaps.strip().splitlines() == ["r4_2_support_needs_backup (第4条第2項): no case rejects it"]


def test_japanese_report():
    code, out, _ = run_cli(["test", TINY, "--tests", variant_file("unrejected"), "--lang", "ja"])
    assert code == 0
    assert "PASS: 4 件すべて合格" in out
    assert "r4_2_support_needs_backup (第4条第2項): 拒否するケースがありません" in out


# ---- coverage -----------------------------------------------------------------------------------
def test_coverage_counts_only_exercised_instances_that_hold():
    cov = {c.rule.id: c for c in tiny_run().coverage}
    # every order without a rejection of 第3条第1項 has 10 accounts or more
    assert cov["r3_min_accounts"].accepted_by == [0, 2, 3, 4, 5, 6]
    assert cov["r3_min_accounts"].rejected_by == [1]
    # the options' rules are exercised only where the option is ordered (their guard)
    assert cov["r4_1_pro_options"].accepted_by == [2, 4]  # case 4: サポートオプション on プロ holds
    assert cov["r4_2_support_needs_backup"].accepted_by == [2]
    # a rule reading a date the order does not give is not checked, so it accepts nothing
    assert cov["r6_first_of_month"].accepted_by == [5]
    assert cov["r6_first_of_month"].rejected_by == [6]
    # a bad-input case (7) exercises nothing
    assert all(7 not in c.accepted_by + c.rejected_by for c in cov.values())


def test_a_case_that_expects_a_rule_broken_never_accepts_it():
    run = tiny_run("failing")
    cov = {c.rule.id: c for c in run.coverage}
    # case 1 expects 第3条第1項 broken: its order has 10 accounts, yet it does not accept the rule
    assert 1 not in cov["r3_min_accounts"].accepted_by
    # and breaking an instance the case does not expect is no rejection
    assert cov["r4_1_pro_options"].rejected_by == []


def test_engines_disagreeing_is_reported_as_an_internal_fault():
    tariff = catalog.load(TINY)
    checker = Checker(tariff)
    checker.concrete.validate = lambda order: Verdict(VALID)  # a concrete path that accepts everything
    run = run_tests(tariff, load_test_file(TARIFF_TEST / "tiny.tests.json", tariff), "tiny.tests.json", checker)
    rejected = [o for o in run.outcomes if o.case.expect == "invalid"]
    assert rejected and all(o.result == DISAGREEMENT for o in rejected)
    assert rejected[0].engines["concrete"] == ("valid", [])
    assert rejected[0].engines["z3"] == ("invalid", ["r3_min_accounts @#1"])
    from tariffcheck.report.cases_report import to_json, to_text

    text = to_text([run])
    assert "DISAGREEMENT #1" in text and "the concrete validator and Z3 disagree" in text
    case = to_json([run])["specs"][0]["cases"][1]
    assert case["result"] == "disagreement"
    assert case["engines"]["z3"] == {"verdict": "invalid", "broken": ["r3_min_accounts @#1"]}


# ---- the days a request takes effect ------------------------------------------------------------
def _cancellation(requested: str | None) -> dict:
    order = {"request": "cancellation", "notice_arrived": "2026-01-31",
             "contracts": [{"id": "s-1", "current": {"item": "basic", "accounts": 10}}]}
    if requested is not None:
        order["requested_date"] = requested
    return order


def _stop(requested: str | None) -> dict:
    order = {"request": "change", "notice_arrived": "2026-01-31",
             "contracts": [{"id": "s-1", "current": {"item": "pro", "accounts": 10, "options": {"backup": True}},
                            "changes": {"options": {"backup": False}}}]}
    if requested is not None:
        order["requested_date"] = requested
    return order


def test_a_case_passes_only_when_the_request_takes_effect_on_the_days_it_gives(tmp_path):
    cases = [
        {"name": "第7条: naming a day before the notice's 30 days: the 30th day", "order": _cancellation("2026-03-01"),
         "effective": {"cancellation_effective": "2026-03-02"}},
        {"name": "第7条: naming no day: the 30th day", "order": _cancellation(None),
         "effective": {"cancellation_effective": "2026-03-02"}},
        {"name": "第7条: a stop naming a later day: that day", "order": _stop("2026-04-30"),
         "effective": {"backup_stop:backup": "2026-04-30"}},
        {"name": "第7条: wrong: the day asked for", "order": _cancellation("2026-03-01"),
         "effective": {"cancellation_effective": "2026-03-01"}},
        {"name": "第7条: wrong: a stop is no cancellation", "order": _stop(None),
         "effective": {"cancellation_effective": "2026-03-02"}},
    ]
    path = tmp_path / "x.tests.json"
    path.write_text(json.dumps({"tariff": "tiny", "cases": cases}, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run_cli(["test", TINY, "--tests", str(path)])
    assert code == 1 and "FAIL: 2 of 5 cases fail" in out
    assert "FAIL #3" in out and "takes effect cancellation_effective (第7条): expected 2026-03-01, got 2026-03-02" in out
    assert "FAIL #4" in out and "takes effect cancellation_effective (第7条): expected 2026-03-02, got no such day" in out
    code, out, _ = run_cli(["test", TINY, "--tests", str(path), "--format", "json"])
    got = json.loads(out)["specs"][0]["cases"]
    assert [c["result"] for c in got] == ["pass", "pass", "pass", "fail", "fail"]
    assert got[3]["expected_effective"] == {"cancellation_effective": "2026-03-01"}
    assert got[3]["effective"] == {"cancellation_effective": ["2026-03-02"]}
    assert got[4]["effective"] == {"cancellation_effective": []}
    assert "effective" not in json.loads(run_cli(["test", TINY, "--format", "json"])[1])["specs"][0]["cases"][0]


# ---- JSON ---------------------------------------------------------------------------------------
def test_json_output():
    code, out, _ = run_cli(["test", TINY, "--tests", variant_file("failing"), "--format", "json"])
    assert code == 1
    data = json.loads(out)
    assert set(data) == {"format", "passed", "covered", "specs"}
    assert data["format"] == 1 and data["passed"] is False and data["covered"] is False
    spec = data["specs"][0]
    assert spec["tariff"]["id"] == "tiny"
    assert spec["tests"].endswith("tiny_failing.tests.json")
    assert spec["summary"] == {"cases": 4, "failed": 3, "disagreements": 0, "rules": 4, "covered": 0}
    case = spec["cases"][1]
    assert case["result"] == "fail" and case["expect"] == case["got"] == "invalid"
    assert case["expected_broken"] == [{"instance": "r3_min_accounts",
                                        "clause": {"article": 3, "paragraph": 1, "text": "第3条第1項"}}]
    assert [b["instance"] for b in case["actual_broken"]] == ["r4_1_pro_options:backup"]
    assert spec["cases"][3]["expected_codes"] == ["O004"] and spec["cases"][3]["codes"] == ["O003"]
    row = spec["coverage"][0]
    assert row == {"rule": "r3_min_accounts", "clause": {"article": 3, "paragraph": 1, "text": "第3条第1項"},
                   "accepted_by": [0, 2], "rejected_by": [], "covered": False}


# ---- bad input ----------------------------------------------------------------------------------
def test_malformed_test_file_exits_2_naming_file_line_and_json_path():
    code, out, err = run_cli(["test", TINY, "--tests", variant_file("malformed")])
    assert code == 2 and out == ""
    assert "Traceback" not in err
    assert "error[T002]: `cases[0].expect` is `vaild`; it must be `valid`, `invalid` or `error`" in err
    assert "tiny_malformed.tests.json:6:6" in err and "did you mean `valid`?" in err
    assert "`cases[1].broken[0]` names rule `r3_min_acounts`, which tariff `tiny` does not have" in err
    assert "tiny_malformed.tests.json:9:38" in err and "did you mean `r3_min_accounts`?" in err
    assert "`cases[2].expected` is not a field of a test case" in err and "did you mean `expect`?" in err


def test_test_file_that_is_not_json():
    code, _, err = run_cli(["test", TINY, "--tests", variant_file("not_json")])
    assert code == 2
    assert "error[T002]: the test file is not valid JSON: expecting ',' delimiter" in err
    assert "tiny_not_json.tests.json:2:29" in err


@pytest.mark.parametrize("text,words", [
    ('[]', ["a test file is a JSON object with `cases`"]),
    ('{"tariff": "tiny"}', ["the test file has no `cases`"]),
    ('{"tariff": "other", "cases": []}', ["the test file is for tariff `other`, not `tiny`"]),
    ('{"cases": {}}', ["`cases` must be a list of cases"]),
    ('{"cases": [{"order": {}}]}', ["`cases[0]` has no `name`"]),
    ('{"cases": [{"name": "x"}]}', ["`cases[0]` has no `order`"]),
    ('{"cases": [{"name": "x", "order": {}, "expect": "invalid"}]}', ["does not say what it breaks"]),
    ('{"cases": [{"name": "x", "order": {}, "expect": "valid", "broken": ["r3_min_accounts"]}]}',
     ["expects `valid` but gives `broken`", 'write "expect": "invalid"']),
    ('{"cases": [{"name": "x", "order": {}, "expect": "invalid", "broken": "r3_min_accounts"}]}',
     ["`cases[0].broken` must be a list of strings"]),
    ('{"cases": [{"name": "x", "order": {}, "expect": "invalid", "broken": ["r4_1_pro_options:suport"]}]}',
     ["rule `r4_1_pro_options` is not about option `suport`", "did you mean `support`?"]),
    ('{"cases": [{"name": "x", "order": {}, "expect": "error", "codes": ["bad"]}]}',
     ["`cases[0].codes[0]` is `bad`, not an error code"]),
    ('{"cass": []}', ["`cass` is not a field of a test file", "did you mean `cases`?"]),
    ('{"cases": [{"name": "x", "order": {}, "effective": "2026-03-02"}]}',
     ["`cases[0].effective` must be an object of days"]),
    ('{"cases": [{"name": "x", "order": {}, "effective": {"cancelation_effective": "2026-03-02"}}]}',
     ["names `cancelation_effective`, which is not a day tariff `tiny` takes effect on",
      "did you mean `cancellation_effective`?"]),
    ('{"cases": [{"name": "x", "order": {}, "effective": {"backup_stop:suport": "2026-03-02"}}]}',
     ["`backup_stop` is not derived for option `suport`", "it is derived for `backup`"]),
    ('{"cases": [{"name": "x", "order": {}, "effective": {"cancellation_effective": "2026-02-30"}}]}',
     ["`cases[0].effective.cancellation_effective` is `2026-02-30`, not a day", "YYYY-MM-DD"]),
    ('{"cases": [{"name": "x", "order": {}, "expect": "error", "effective": {"backup_stop": "2026-03-02"}}]}',
     ["expects `error` but gives `effective`"]),
])
def test_each_mistake_in_a_test_file_is_named(tmp_path, text, words):
    path = tmp_path / "x.tests.json"
    path.write_text(text, encoding="utf-8")
    code, _, err = run_cli(["test", TINY, "--tests", str(path)])
    assert code == 2
    assert "error[T002]" in err and str(path) in err
    for w in words:
        assert w in err


def test_missing_test_file_names_the_expected_path(tmp_path):
    spec = tmp_path / "alone.tariff"
    shutil.copy(TINY, spec)
    code, out, err = run_cli(["test", str(spec)])
    assert code == 2 and out == ""
    assert f"error[T003]: no test file `{tmp_path / 'alone.tests.json'}` for tariff `tiny`" in err
    assert "--tests" in err


def test_spec_with_errors_exits_2_and_all_problems_are_shown():
    bad = str(FIXTURES / "specs" / "E002_misspelt_option.tariff")
    code, out, err = run_cli(["test", bad, "no-such-tariff"])
    assert code == 2 and out == ""
    assert "error[E002]: option `tunel` is not defined" in err
    assert "error[T001]: no bundled tariff is called `no-such-tariff`" in err


def test_tests_option_needs_exactly_one_spec():
    with pytest.raises(SystemExit) as exc, contextlib.redirect_stderr(io.StringIO()) as err:
        main(["test", TINY, TINY, "--tests", variant_file("failing")])
    assert exc.value.code == 2
    assert "give exactly one SPEC" in err.getvalue()


# ---- the bundled spec ---------------------------------------------------------------------------
def test_bundled_secure_endpoint_passes_with_full_coverage():
    code, out, err = run_cli(["test", "secure-endpoint", "--require-coverage", "--format", "json"])
    data = json.loads(out)
    spec = data["specs"][0]
    uncovered = [c["rule"] for c in spec["coverage"] if not c["covered"]]
    failed = [c["name"] for c in spec["cases"] if c["result"] != "pass"]
    assert (code, failed, uncovered) == (0, [], []), err
    assert spec["spec"] == "specs/secure_endpoint.tariff"
    assert spec["tests"] == "specs/secure_endpoint.tests.json"


# ---- expect_clauses: the clauses a case breaks -----------------------------------------------------
def _clause_case(clauses: list[str], accounts: int = 9) -> dict:
    return {"name": "第3条第1項: 9 accounts are rejected", "order": {"contracts": [{"item": "basic", "accounts": accounts}]},
            "expect": "invalid", "broken": ["r3_min_accounts"], "expect_clauses": clauses}


def test_a_case_passes_only_when_the_broken_rules_cite_the_clauses_it_states(tmp_path):
    cases = [_clause_case(["第3条第1項"]), _clause_case(["第 3 条第 1 項"]), _clause_case(["第3条第2項"]),
             _clause_case(["第3条第1項", "第6条"])]
    path = tmp_path / "x.tests.json"
    path.write_text(json.dumps({"tariff": "tiny", "cases": cases}, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run_cli(["test", TINY, "--tests", str(path)])
    assert code == 1 and "FAIL: 2 of 4 cases fail" in out
    block = out.split("FAIL #2 ", 1)[1].split("\n\n", 1)[0]
    assert block.splitlines()[1:] == ["    --- expected", "    +++ actual", "      r3_min_accounts (第3条第1項)",
                                      "    clauses broken:", "    --- expected", "    +++ actual",
                                      "    + 第3条第1項", "    - 第3条第2項"]
    got = json.loads(run_cli(["test", TINY, "--tests", str(path), "--format", "json"])[1])["specs"][0]["cases"]
    assert [c["result"] for c in got] == ["pass", "pass", "fail", "fail"]
    assert (got[3]["expected_clauses"], got[3]["clauses"]) == (["第3条第1項", "第6条"], ["第3条第1項"])


def test_require_coverage_fails_on_an_invalid_case_that_states_no_clauses(tmp_path):
    cases = json.loads((TARIFF_TEST / "tiny.tests.json").read_text(encoding="utf-8"))["cases"]
    del cases[1]["expect_clauses"]
    path = tmp_path / "x.tests.json"
    path.write_text(json.dumps({"tariff": "tiny", "cases": cases}, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run_cli(["test", TINY, "--tests", str(path)])
    assert code == 0 and "PASS: all 8 cases pass" in out
    assert out.split("invalid cases that do not state the clauses they break:\n", 1)[1].strip() == \
        "#1 第3条第1項: 9 accounts are rejected"
    assert run_cli(["test", TINY, "--tests", str(path), "--require-coverage"])[0] == 1
    data = json.loads(run_cli(["test", TINY, "--tests", str(path), "--format", "json"])[1])
    assert data["specs"][0]["unstated_clauses"] == [1]


@pytest.mark.parametrize("clauses,words", [
    ('"第3条第1項"', ["`cases[0].expect_clauses` must be a list of strings"]),
    ('[]', ["`cases[0].expect_clauses` is empty; an invalid order breaks some clause"]),
    ('["3条1項"]', ["`cases[0].expect_clauses[0]` is `3条1項`, not a clause", "`第N条第M項`"]),
])
def test_each_mistake_in_expect_clauses_is_named(tmp_path, clauses, words):
    path = tmp_path / "x.tests.json"
    path.write_text('{"cases": [{"name": "x", "order": {}, "expect": "invalid", "broken": ["r3_min_accounts"], '
                    f'"expect_clauses": {clauses}}}]}}', encoding="utf-8")
    code, _, err = run_cli(["test", TINY, "--tests", str(path)])
    assert code == 2 and "error[T002]" in err
    for w in words:
        assert w in err


def test_expect_clauses_belong_to_invalid_cases(tmp_path):
    path = tmp_path / "x.tests.json"
    path.write_text('{"cases": [{"name": "x", "order": {}, "expect": "valid", "expect_clauses": ["第3条第1項"]}]}',
                    encoding="utf-8")
    code, _, err = run_cli(["test", TINY, "--tests", str(path)])
    assert code == 2 and "expects `valid` but gives `expect_clauses`, which only an `invalid` case has" in err
