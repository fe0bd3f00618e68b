"""Every construct of the language, on a small tariff built to use them all
(tests/fixtures/features.tariff), checked by both evaluation paths."""

from __future__ import annotations

import pytest

from tariffcheck.api import Checker
from tariffcheck.resolve import load_tariff_file

from conftest import FIXTURES

SPEC = FIXTURES / "features.tariff"


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker(load_tariff_file(str(SPEC)))


def child(**kw) -> dict:
    base = {"id": "c", "contract": "child", "grade": "basic", "licences": 50, "consent": True,
            "billing_start": "2026-01-01", "options": {}}
    base.update(kw)
    return base


def new(*contracts, parent: bool = True, **kw) -> dict:
    """A new order; its child contracts go under one parent contract unless `parent=False`."""
    contracts = [dict(c) for c in contracts]
    if parent:
        for c in contracts:
            if c.get("contract") == "child":
                c.setdefault("parent", "p")
        contracts.append({"id": "p", "contract": "parent_c"})
    return {"request": "new", "application_date": "2026-01-01", "contracts": contracts, **kw}


def broken(checker: Checker, order: dict) -> set[str]:
    concrete = checker.check(order)
    through_z3 = checker.check(order, engine="z3")
    names = {v.key.rule for v in concrete.violations}
    assert names == {v.key.rule for v in through_z3.violations}
    assert concrete.status == through_z3.status
    return names


def test_a_plain_order_is_valid(checker):
    assert broken(checker, new(child())) == set()


def test_holdings_any_of_two_services(checker):
    assert broken(checker, new(child(grade="together"))) == {"holding"}
    assert broken(checker, new(child(grade="together"), holdings=[{"service": "iij_id"}])) == set()
    assert broken(checker, new(child(grade="together"), holdings=[{"service": "other", "item": "A 型"}])) == set()
    assert broken(checker, new(child(grade="together"), holdings=[{"service": "other", "item": "b"}])) == {"holding"}


def test_exactly_one_designation(checker):
    rlw = lambda d: child(options={"rlw": {"accounts": 50, "processing": d}})  # noqa: E731
    assert broken(checker, new(rlw("リモートロック処理"))) == set()
    assert broken(checker, new(rlw([]))) == {"one_designation"}
    assert broken(checker, new(rlw(["lock", "wipe"]))) == {"one_designation"}


def test_equal_quantities(checker):
    assert broken(checker, new(child(options={"rlw": {"accounts": 49, "processing": "lock"}}))) == {"rlw_equal"}


def test_requires_and_forbid(checker):
    assert broken(checker, new(child(options={"ops": True}))) == {"ops_needs_setup"}
    assert broken(checker, new(child(options={"ops": True, "setup": True}))) == set()
    assert broken(checker, new(child(options={"extra": 1, "ops": True, "setup": True}))) == {
        "no_extra_with_ops", "at_most_two_extra"}


def test_caps_and_at_most_one(checker):
    assert broken(checker, new(child(options={"extra": 2}))) == set()
    assert broken(checker, new(child(options={"extra": 3}))) == {"at_most_two_extra"}


def change(current: dict, changes: dict, **kw) -> dict:
    return {"request": "change", "application_date": "2026-02-10", "notice_arrived": "2026-02-10",
            "contracts": [{"id": "c", "contract": "child", "current": current, "changes": changes}], **kw}


def test_steps_of_25_and_calendar_month(checker):
    cur = child()
    cur.pop("id"), cur.pop("contract")
    assert broken(checker, change(cur, {"licences": 75}, requested_date="2026-03-01")) == set()
    assert broken(checker, change(cur, {"licences": 60}, requested_date="2026-03-01")) == {"licence_steps"}
    assert broken(checker, change(cur, {"licences": 25}, requested_date="2026-03-02")) == {"calendar_month"}
    # a rule reading a date the order does not give is not checked
    assert broken(checker, change(cur, {"licences": 25})) == set()


def test_grade_changes_between_standard_grades_only(checker):
    cur = child(grade="together")
    cur.pop("id"), cur.pop("contract")
    assert broken(checker, change(cur, {"grade": "alone"}, holdings=[{"service": "iij_id"}])) == set()
    assert broken(checker, change(cur, {"grade": "basic"})) == {"grade_change"}


def test_applied_together_and_cascades(checker):
    cur = child(options={"setup": True})
    cur.pop("id"), cur.pop("contract")
    # adding ops later than setup breaks applied_together
    assert broken(checker, change(cur, {"options": {"ops": True}})) == {"ops_applied_with_setup"}
    # ending setup without cancelling the contract breaks the cascade
    assert broken(checker, change(cur, {"options": {"setup": False}})) == {"contract_ends_with_setup"}
    cancel = {"request": "cancellation", "notice_arrived": "2026-02-01", "requested_date": "2026-03-15",
              "contracts": [{"id": "c", "contract": "child", "current": cur}]}
    assert broken(checker, cancel) == set()
    cancel["requested_date"] = "2026-02-20"
    assert broken(checker, cancel) == {"notice_30_days"}


def test_optional_dimension_and_forbid_not(checker):
    assert broken(checker, new(child(os="Android", consent=False))) == {"consent_needed"}
    assert broken(checker, new(child(os=None, consent=False))) == set()


def test_date_comparison(checker):
    assert broken(checker, new(child(billing_start="2019-12-31"))) == {"billing_after_2020"}


def test_declarations_are_resolved(checker):
    t = checker.tariff
    assert [p.id for p in t.periods] == ["min_use", "rlw_min"] and t.periods[1].renews
    assert t.derived[0].subjects == [None]
    assert t.fees[0].lines[0].yen == 300 and t.fees[0].lines[1].kind == "quoted"
    assert t.renames[0].target == ("child", "grade", "basic")
    assert str(t.rules[3].citation) == "5.(4)"
    assert {r.kind for r in t.rules} >= {"holding", "exactly-one", "equal", "requires", "excludes", "cap", "step",
                                         "calendar-month", "applied-together", "cascade"}


# ---- structure, renames, withdrawn values, applied together with the contract ------------------

def test_a_new_child_contract_needs_its_parent(checker):
    assert broken(checker, new(child(), parent=False)) == {"child_needs_parent"}
    # a change request need not list the parent of the contract it changes
    cur = {k: v for k, v in child().items() if k not in ("id", "contract")}
    assert broken(checker, change(cur, {"licences": 75}, requested_date="2026-03-01")) == set()


def test_children_are_counted_per_parent(checker):
    two = new(child(), child(id="c2"))
    assert broken(checker, two) == {"one_child_per_parent"}
    apart = new(child(), child(id="c2", parent="p2"), {"id": "p2", "contract": "parent_c"})
    assert broken(checker, apart) == set()


def test_a_former_name_resolves_and_is_reported(checker):
    order = new(child(grade="Old Basic"))
    decoded = checker.decode(order)
    assert decoded.contracts[0].new.dims["grade"] == "basic"
    assert any("`Old Basic` is the former name of `Basic`" in n for n in decoded.notes)
    assert broken(checker, order) == {"current_names"}
    assert broken(checker, new(child(options={"Old Setup": True}))) == {"current_names"}


def test_a_former_name_in_the_current_contract_is_no_violation(checker):
    cur = {k: v for k, v in child(grade="Old Basic").items() if k not in ("id", "contract")}
    order = change(cur, {"licences": 75}, requested_date="2026-03-01")
    assert broken(checker, order) == set()
    assert checker.decode(order).notes  # still reported
    assert broken(checker, change(cur, {"grade": "Old Basic"}, requested_date="2026-03-01")) == {"current_names"}


def test_a_withdrawn_value_may_stay_but_not_be_ordered(checker):
    assert broken(checker, new(child(grade="classic"))) == {"no_new_classic"}
    cur = {k: v for k, v in child(grade="Classic").items() if k not in ("id", "contract")}
    assert broken(checker, change(cur, {"licences": 75}, requested_date="2026-03-01")) == set()
    assert checker.tariff.contracts["child"].dimensions["grade"].values["classic"].legacy


def test_applied_together_with_the_contract(checker):
    assert broken(checker, new(child(options={"extra": 1}))) == set()
    cur = {k: v for k, v in child().items() if k not in ("id", "contract")}
    assert broken(checker, change(cur, {"options": {"extra": 1}}, requested_date="2026-03-01")) == {
        "extra_with_contract"}
    cur_extra = dict(cur, options={"extra": 1})
    assert broken(checker, change(cur_extra, {"licences": 75}, requested_date="2026-03-01")) == set()


def test_month_arithmetic_and_calendar_functions(checker):
    # billing start 2026-03-31: one month earlier is 2026-02-28, whose month ends 2026-02-28
    cur = {k: v for k, v in child(billing_start="2026-03-31").items() if k not in ("id", "contract")}

    def cancel(requested: str, notice: str = "2026-01-01") -> dict:
        return {"request": "cancellation", "notice_arrived": notice, "requested_date": requested,
                "contracts": [{"id": "c", "contract": "child", "current": cur}]}

    assert broken(checker, cancel("2026-02-28")) == set()
    assert broken(checker, cancel("2026-02-27")) == {"month_end_after_start"}
    # notice in Q1 (Jan–Mar): the quarter ends 03-31, +3 months 06-30, month end 06-30
    assert broken(checker, cancel("2026-06-30", notice="2026-03-31")) == set()
    assert broken(checker, cancel("2026-07-01", notice="2026-03-31")) == {"erasure_quarter"}
    # notice in Q3: 09-30 + 3 months = 12-30, whose month ends 12-31
    assert broken(checker, cancel("2026-12-31", notice="2026-08-15")) == set()
    assert broken(checker, cancel("2027-01-01", notice="2026-08-15")) == {"erasure_quarter"}


def test_or_else_stands_in_for_a_day_the_order_leaves_out(checker):
    """`or_else(requested_date, notice_arrived + 30 days)`: the rule is checked without the day."""
    cur = {k: v for k, v in child().items() if k not in ("id", "contract")}

    def cancel(**days) -> dict:
        return {"request": "cancellation", **days, "contracts": [{"id": "c", "contract": "child", "current": cur}]}

    assert broken(checker, cancel(notice_arrived="2026-03-01", requested_date="2026-02-28")) == {
        "stop_after_notice", "notice_30_days"}
    assert broken(checker, cancel(notice_arrived="2026-03-01")) == set()  # A + 30 stands in, and holds
    assert broken(checker, cancel(requested_date="2026-02-28")) == set()  # no notice day: not checked
    [e] = checker.check(cancel(notice_arrived="2026-03-01", requested_date="2026-02-28")).effective
    assert (e.day.id, e.day.day.isoformat(), e.requested.isoformat(), e.moved) == (
        "effective", "2026-03-31", "2026-02-28", True)


@pytest.mark.parametrize("expr,words", [
    ("or_else(licences, 1)", "the first argument of `or_else` reads no day"),
    ("or_else(consent, true)", "`or_else` takes a day or a number, not a condition"),
    ("or_else(requested_date)", "`or_else` takes 2 arguments, found 1"),
    ("or_else(requested_date, 30)", "expected a day, found a number"),
])
def test_or_else_misused_is_an_error(expr, words):
    from tariffcheck.common.diagnostics import DiagnosticError
    from tariffcheck.resolve import resolve
    from tariffcheck.syntax.parser import parse_text

    text = f'''tariff p "P"
contract c "契約" @第1条 {{
  quantity licences "ライセンス数"
  flag consent "同意"
}}
derive d "日" @第2条 = {expr} when is_cancellation
'''
    with pytest.raises(DiagnosticError) as info:
        resolve(parse_text(text, "p.tariff"))
    assert [words in d.message for d in info.value.diagnostics] == [True]
