"""The solver's lint checks (tariffcheck/analyse/semantics.py), each on a tiny spec built to
trigger it and on a near-identical one where it must stay silent. Every finding is asserted with
its code, severity, subject and the rules to blame, which must be exactly the minimal reason: a
rule that plays no part is in each spec so that blaming too much shows. Then: a check that the
time limit cuts short is reported as L014 and never taken as an answer, and the dead, forced,
dead-value, false-optional, redundant and vacuous checks agree with brute force (the concrete
validator over every order) on small random specs, with reasons that are minimal there too."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tariffcheck import catalog
from tariffcheck.analyse import semantics
from tariffcheck.analyse.finding import CODES, SEVERITIES
from tariffcheck.analyse.semantics import SemanticLint
from tariffcheck.analyse.space import Open
from tariffcheck.syntax.parser import parse_text
from tariffcheck.resolve import resolve
from tariffcheck.orders.decode import decode_order
from tariffcheck.evaluate.concrete import ConcreteValidator
from tariffcheck.smt.problem import Incomplete

from conftest import SPECS


# One contract with a three-valued item, a quantity and three options. Each test adds its rules.
HEAD = """\
tariff t "T"
  source "none"
  as_of 2026-01-01

contract svc "サービス" @第1条 {
  dimension item "品目" @第2条 { a "A 型"  b "B 型"  c "C 型" }
  quantity seats "席数" @第3条
  option x "X オプション" @第4条
  option y "Y オプション" @第5条
  option z "Z オプション" @第6条 counted
}
"""
RULES_START = HEAD.count("\n") + 1  # the line of the first rule


def line_of(text: str) -> int:
    return next(n for n, line in enumerate(HEAD.splitlines(), 1) if text in line)


def spec(*rules: str):
    """The tariff HEAD with rules r1, r2, … (one statement each), in that order."""
    text = HEAD + "".join(
        f'rule r{n} @第9条第{n}項 {{\n  {body}\n  ja "規定 {n}"\n  en "rule {n}"\n}}\n'
        for n, body in enumerate(rules, 1))
    return resolve(parse_text(text, "t.tariff"))


def lint(*rules: str, **kw):
    return SemanticLint(spec(*rules), **kw).run()


def only(findings, code: str):
    """The one finding with this code."""
    found = [f for f in findings if f.code == code]
    assert len(found) == 1, [(f.code, f.subject, f.rules) for f in findings]
    return found[0]


def codes(findings) -> set[str]:
    return {f.code for f in findings}


def about(findings, code: str) -> dict:
    return {f.subject: f.rules for f in findings if f.code == code}


# ---- L001 contradiction --------------------------------------------------------------------------

def test_rules_that_admit_no_order_are_a_contradiction_blamed_on_them_alone():
    fs = lint("require x", "forbid x", "require seats >= 1")
    f = only(fs, "L001")
    assert (f.severity, f.subject, f.rules) == ("error", "svc", ["r1", "r2"])
    assert f.clause == "第1条" and "`r1`" in f.explanation and "`r3`" not in f.explanation
    # with no valid order every rule is trivially implied by the rest; that is not news (L006)
    assert codes(fs) == {"L001"}


def test_rules_that_leave_some_order_are_not_a_contradiction():
    fs = lint("require x", "forbid x and seats > 5", "require seats >= 1")
    assert "L001" not in codes(fs)


# ---- L002 dead option ----------------------------------------------------------------------------

def test_an_option_required_and_forbidden_for_the_same_item_is_dead():
    fs = lint("for x require item == a", "for x forbid item == a", "for y require item == a")
    f = only(fs, "L002")
    assert (f.severity, f.subject, f.rules) == ("warning", "x", ["r1", "r2"])
    assert f.span.line == line_of("option x") and f.clause == "第4条"  # the option's declaration


def test_an_option_required_for_one_item_and_forbidden_for_another_is_alive():
    fs = lint("for x require item == a", "for x forbid item == b", "for y require item == a")
    assert "L002" not in codes(fs)


def test_an_option_that_needs_what_excludes_it_is_dead():
    fs = lint("for x require y", "for y forbid x", "require seats <= 3")
    assert about(fs, "L002") == {"x": ["r1", "r2"]}


# ---- L003 dead dimension value ---------------------------------------------------------------------

def test_a_value_that_needs_a_forbidden_option_is_dead():
    fs = lint("when item == c require x", "forbid x", "for y require item == a")
    f = only(fs, "L003")
    assert (f.severity, f.subject, f.rules) == ("warning", "item=c", ["r1", "r2"])
    assert f.span.line == line_of("dimension item")  # the value, in the dimension's line
    assert about(fs, "L002") == {"x": ["r2"]}


def test_a_value_forbidden_only_with_more_seats_is_alive():
    fs = lint("when item == c require x", "when seats > 3 forbid x", "for y require item == a")
    assert "L003" not in codes(fs) and "L002" not in codes(fs)


# ---- L004 forced option ----------------------------------------------------------------------------

def test_an_option_every_valid_order_needs_is_forced():
    fs = lint("require x or item == c", "forbid item == c", "for y require item == a")
    f = only(fs, "L004")
    assert (f.severity, f.subject, f.rules) == ("warning", "x", ["r1", "r2"])
    assert about(fs, "L003") == {"item=c": ["r2"]}
    assert "L005" not in codes(fs)  # forced for every item, so not reported per item again


def test_an_option_some_item_does_without_is_not_forced():
    fs = lint("require x or item == c", "for y require item == a")
    assert "L004" not in codes(fs)
    # it is still needed for items a and b: false-optional for each
    assert sorted(f.message.rsplit("`", 2)[1] for f in fs if f.code == "L005") == ["A 型", "B 型"]


# ---- L005 false-optional -----------------------------------------------------------------------------

def test_an_option_one_item_always_has_is_false_optional():
    fs = lint("when item == a require y", "for x require item == b")
    f = only(fs, "L005")
    assert (f.severity, f.subject, f.rules) == ("warning", "y", ["r1"])
    assert "`A 型`" in f.message and "item `a`" in f.explanation


def test_an_option_one_item_needs_only_with_many_seats_is_a_choice():
    fs = lint("when item == a and seats > 3 require y", "for x require item == b")
    assert "L005" not in codes(fs)


# ---- L006 redundant --------------------------------------------------------------------------------

def test_a_rule_restated_with_the_same_meaning_is_redundant_and_names_the_other():
    fs = lint("for x require item in {a, b}", "for x require item in {b, a}", "for y forbid item == c")
    assert about(fs, "L006") == {"r1": ["r2"], "r2": ["r1"]}
    assert all(f.severity == "info" for f in fs if f.code == "L006")
    assert "L009" not in codes(fs)  # the same meaning: they agree


def test_a_rule_about_a_value_the_rules_never_allow_is_redundant():
    # `a` is forbidden outright, so the second rule's condition never holds in a valid order
    fs = lint("forbid item == a", "when item == a require x", "for y require item == b")
    assert about(fs, "L006") == {"r2": ["r1"]}
    assert about(fs, "L003") == {"item=a": ["r1"]}
    assert "L007" not in codes(fs)  # an order that breaks both rules breaks it


def test_a_rule_about_an_allowed_value_is_not_redundant():
    fs = lint("forbid item == b", "when item == a require x", "for y require item == b")
    assert "r2" not in about(fs, "L006")


def test_a_weaker_restatement_is_redundant_but_the_stronger_rule_is_not():
    fs = lint("for x require item == a", "for x require item in {a, b}", "for y forbid item == c")
    assert about(fs, "L006") == {"r2": ["r1"]}


# ---- L007 vacuous ------------------------------------------------------------------------------------

def test_a_rule_whose_condition_never_holds_is_vacuous():
    fs = lint("when item == a and item == b require x", "for y require item == a")
    f = only(fs, "L007")
    assert (f.severity, f.subject, f.rules) == ("warning", "r1", ["r1"])
    assert f.span.line == RULES_START
    assert "L006" not in codes(fs)  # vacuous, not also redundant


def test_a_rule_whose_requirement_always_holds_is_vacuous():
    fs = lint("when item == a require item != b", "for y require item == a")
    assert about(fs, "L007") == {"r1": ["r1"]}


def test_a_rule_whose_condition_can_hold_is_not_vacuous():
    fs = lint("when item == a or item == b require x", "for y require item == a")
    assert "L007" not in codes(fs)


# ---- L008 quantities ---------------------------------------------------------------------------------

def test_a_step_and_a_cap_that_leave_one_count():
    fs = lint("require multiple_of(seats, 5)", "require seats >= 1 and seats <= 9", "for x require item == a")
    f = only(fs, "L008")
    assert (f.severity, f.subject, f.rules) == ("warning", "seats", ["r1", "r2"])
    assert "can only be 5" in f.message and f.clause == "第3条"


def test_a_step_and_a_cap_that_leave_two_counts():
    fs = lint("require multiple_of(seats, 5)", "require seats >= 1 and seats <= 10", "for x require item == a")
    assert "L008" not in codes(fs)


def test_a_counted_option_capped_at_one():
    fs = lint("require z.count <= 1", "for x require item == a")
    f = only(fs, "L008")
    assert (f.severity, f.subject, f.rules) == ("warning", "z", ["r1"])
    assert "can only be 1" in f.message


def test_a_counted_option_capped_at_two():
    fs = lint("require z.count <= 2", "for x require item == a")
    assert "L008" not in codes(fs)


# ---- L009 disagreeing rules --------------------------------------------------------------------------

def test_two_eligibility_rules_with_different_sets_disagree_with_a_witness():
    tariff = spec("for x require item in {a, b}", "for x require item in {a, c}", "for y forbid item == c")
    f = only(SemanticLint(tariff).run(), "L009")
    assert (f.severity, f.subject) == ("warning", "x")
    assert sorted(f.rules) == ["r1", "r2"]
    # the witness is an order the first rule named accepts and the second breaks
    order = decode_order(f.witness, tariff)
    verdict = ConcreteValidator(tariff).validate(order)
    broken = {v.key.rule for v in verdict.violations} & {"r1", "r2"}
    assert broken == {f.rules[1]}


def test_two_eligibility_rules_with_equal_sets_agree():
    fs = lint("for x require item in {a, b}", "for x require item in {b, a}", "for y forbid item == c")
    assert "L009" not in codes(fs)


def test_rules_reading_different_fields_are_not_compared():
    fs = lint("for x require item in {a, b}", "for x require seats >= 2", "for y forbid item == c")
    assert "L009" not in codes(fs)


def test_rules_about_different_options_are_not_compared():
    fs = lint("for x require item in {a, b}", "for y require item in {a, c}")
    assert "L009" not in codes(fs)


# ---- reasons that hold in every shape of order ----------------------------------------------------

# a child contract: alone (no parent) it breaks `p`, so only the shape under a parent has valid orders
FAMILY = """\
tariff f "F"
  source "none"
  as_of 2026-01-01

contract unit "親たる契約" @第1条 { quantity n "数" @第1条 }
contract svc "子たる契約" @第2条 parent unit {
  dimension item "品目" @第2条 { a "A 型"  b "B 型" }
  option x "X オプション" @第4条
}
rule p @第5条 in svc { require has_parent  ja "親契約が必要です。"  en "A parent is needed." }
"""


def family(*rules: str):
    text = FAMILY + "".join(f'rule k{n} @第9条第{n}項 in svc {{ {body}  ja "規定"  en "rule" }}\n'
                            for n, body in enumerate(rules, 1))
    return SemanticLint(resolve(parse_text(text, "f.tariff"))).run()


def test_a_contradiction_is_blamed_on_the_rules_no_shape_escapes():
    # a child alone breaks `p`; under its parent k1 and k2 contradict: `p` is not part of the reason
    f = only(family("require x", "forbid x"), "L001")
    assert (f.subject, f.rules) == ("svc", ["k1", "k2"])


def test_an_option_dead_in_new_orders_and_in_changes_names_both_rules():
    # k1 alone leaves x to a change request; both rules are the reason
    fs = family("when is_new forbid x", "when is_change forbid x")
    assert about(fs, "L002") == {"x": ["k1", "k2"]}


def test_an_option_forbidden_only_in_new_orders_is_alive():
    assert "L002" not in codes(family("when is_new forbid x"))


# ---- every finding -----------------------------------------------------------------------------------

@pytest.mark.parametrize("rules", [
    ("require x", "forbid x"),
    ("for x require item == a", "for x forbid item == a"),
    ("when item == c require x", "forbid x"),
    ("when item == a require y",),
    ("for x require item in {a, b}", "for x require item in {a, c}"),
    ("when item == a and item == b require x",),
    ("require multiple_of(seats, 5)", "require seats >= 1 and seats <= 9"),
])
def test_every_finding_says_where_why_and_in_both_languages(rules):
    fs = lint(*rules)
    assert fs
    for f in fs:
        assert f.code in CODES and f.severity in SEVERITIES
        assert f.span is not None and f.span.file == "t.tariff" and f.clause
        assert f.explanation and f.message_ja and f.subject
        assert "\n" not in f.message and "`" in f.message


def test_a_tariff_without_rules_has_no_semantic_findings():
    assert lint() == []


# ---- L014 cut short ---------------------------------------------------------------------------------

def _cut_when(monkeypatch, cut) -> None:
    """Make every question `cut(instances, terms)` picks time out, as the solver would."""
    real = Open.check

    def check(self, instances=None, terms=()):
        if cut(instances, list(terms)):
            raise Incomplete("the solver gave up: timeout")
        return real(self, instances, terms)
    monkeypatch.setattr(Open, "check", check)


CLAIMS = ("for x require item == a", "for x forbid item == a",  # x dead (neither rule redundant)
          "require y or item == c", "forbid item == c",  # y forced, c dead
          "for z require item in {a, b}", "for z require item in {b, a}",  # each redundant
          "require z.count <= 1")  # z only once


def test_the_claims_of_the_cut_short_spec_when_nothing_is_cut():
    fs = lint(*CLAIMS)
    assert {(f.code, f.subject) for f in fs} == {
        ("L002", "x"), ("L003", "item=c"), ("L004", "y"), ("L006", "r5"), ("L006", "r6"), ("L008", "z")}


def test_questions_cut_short_are_reported_and_claim_nothing(monkeypatch):
    # every question about a possibility (with a term) times out; only "is any order valid" is answered
    _cut_when(monkeypatch, lambda instances, terms: bool(terms))
    fs = lint(*CLAIMS)
    assert codes(fs) == {"L014"}
    assert all(f.severity == "warning" and "cut short" in f.message for f in fs)


def test_a_shape_cut_short_is_not_called_contradictory(monkeypatch):
    # "is any order valid" times out: that is not "no order is valid"
    _cut_when(monkeypatch, lambda instances, terms: instances is None and not terms)
    fs = lint(*CLAIMS)
    assert "L001" not in codes(fs) and "L014" in codes(fs)
    # the questions that were answered still count, and claim only what is so
    assert {(f.code, f.subject) for f in fs if f.code != "L014"} <= {(f.code, f.subject) for f in lint(*CLAIMS)}


def test_a_cut_short_redundancy_check_claims_no_redundancy(monkeypatch):
    # the redundancy checks are the ones that assume a subset of the rules
    _cut_when(monkeypatch, lambda instances, terms: instances is not None and len(instances) > 0)
    fs = lint(*CLAIMS)
    assert "L006" not in codes(fs) and "L014" in codes(fs)


def test_a_tiny_time_limit_claims_nothing_the_full_run_does_not():
    tariff = catalog.load(str(SPECS / "secure_endpoint.tariff"))
    full = {(f.code, f.subject) for f in SemanticLint(tariff).run()}
    assert not any(code == "L014" for code, _ in full)
    short = SemanticLint(tariff, timeout_ms=1).run()
    claims = {(f.code, f.subject) for f in short if f.code != "L014"}
    assert claims <= full


def test_the_value_search_cut_short_gives_no_quantity_finding(monkeypatch):
    # only the questions about the number's other values time out
    real = SemanticLint._check

    def check(self, o, what, instances=None, terms=(), keep=True):
        if what.startswith("values of"):
            self.cut.append(f"{what} ({o.shape.label}): timeout")
            return None
        return real(self, o, what, instances, terms, keep)
    monkeypatch.setattr(SemanticLint, "_check", check)
    fs = lint("require multiple_of(seats, 5)", "require seats >= 1 and seats <= 9")
    assert "L008" not in codes(fs) and "L014" in codes(fs)


# ---- differential: dead, forced, false-optional, redundant and vacuous against brute force -------------

OPTIONS = ("p", "q", "s")
VALUES = ("u", "v", "w")


def random_spec_text(n_values: int, rules: dict[str, str]) -> str:
    values = "  ".join(f'{v} "値 {v}"' for v in VALUES[:n_values])
    options = "\n".join(f'  option {o} "オプション {o}" @第{3 + i}条' for i, o in enumerate(OPTIONS))
    body = "".join(f'rule {name} @第9条 {{\n  {r}\n  ja "規定"\n  en "rule"\n}}\n'
                   for name, r in rules.items())
    return (f'tariff g "G"\n  source "none"\n  as_of 2026-01-01\n\n'
            f'contract svc "サービス" @第1条 {{\n  dimension item "品目" @第2条 {{ {values} }}\n{options}\n}}\n'
            + body)


@st.composite
def random_specs(draw):
    n_values = draw(st.integers(2, 3))
    values = VALUES[:n_values]
    opt = st.sampled_from(OPTIONS)
    val = st.sampled_from(values)
    rule = st.one_of(
        st.tuples(opt, opt).filter(lambda t: t[0] != t[1]).map(lambda t: f"for {t[0]} require {t[1]}"),
        st.tuples(opt, opt).filter(lambda t: t[0] != t[1]).map(lambda t: f"for {t[0]} forbid {t[1]}"),
        st.tuples(opt, st.sets(val, min_size=1, max_size=n_values)).map(
            lambda t: f"for {t[0]} require item in {{{', '.join(sorted(t[1]))}}}"),
        st.tuples(opt, val).map(lambda t: f"for {t[0]} forbid item == {t[1]}"),
        st.tuples(val, opt).map(lambda t: f"when item == {t[0]} require {t[1]}"),
        st.tuples(val, opt).map(lambda t: f"when item == {t[0]} forbid {t[1]}"),
        opt.map(lambda o: f"require {o}"),
    )
    return n_values, draw(st.lists(rule, min_size=1, max_size=5))


def brute_force(n_values: int, rules: dict[str, str]):
    """Every valid new order of the one contract under these rules (id: statement), by the
    concrete validator: (item, options) pairs."""
    tariff = resolve(parse_text(random_spec_text(n_values, rules), "g.tariff"))
    validator = ConcreteValidator(tariff)
    valid = []
    for item in VALUES[:n_values]:
        for present in itertools.product((False, True), repeat=len(OPTIONS)):
            has = {o for o, p in zip(OPTIONS, present) if p}
            data = {"application_date": "2026-04-01",
                    "contracts": [{"item": item, "options": {o: o in has for o in OPTIONS}}]}
            if validator.validate(decode_order(data, tariff)).status == "valid":
                valid.append((item, has))
    return valid


@settings(max_examples=30, deadline=None)
@given(random_specs())
def test_dead_forced_and_false_optional_agree_with_brute_force(case):
    n_values, statements = case
    rules = {f"g{n}": r for n, r in enumerate(statements, 1)}
    tariff = resolve(parse_text(random_spec_text(n_values, rules), "g.tariff"))
    fs = SemanticLint(tariff).run(("dead", "forced", "false-optional"))
    valid = brute_force(n_values, rules)
    if not valid:
        assert codes(fs) == {"L001"}
        return
    dead = {o for o in OPTIONS if not any(o in has for _, has in valid)}
    forced = {o for o in OPTIONS if all(o in has for _, has in valid)}
    dead_values = {f"item={v}" for v in VALUES[:n_values] if not any(item == v for item, _ in valid)}
    assert set(about(fs, "L002")) == dead
    assert set(about(fs, "L004")) == forced
    assert set(about(fs, "L003")) == dead_values
    # false-optional: not dead or forced, but in every valid order of some (live) item
    false_optional = {(o, v) for o in set(OPTIONS) - dead - forced for v in VALUES[:n_values]
                      if any(item == v for item, _ in valid) and all(o in has for item, has in valid if item == v)}
    assert {(f.subject, re.search(r"with item `(\w+)`", f.explanation)[1]) for f in fs if f.code == "L005"} \
        == false_optional
    assert codes(fs) <= {"L002", "L003", "L004", "L005"}
    # each reason is minimal: the rules blamed alone admit no order with the option (without it,
    # with the value), and without any one of them some order has it
    for f in fs:
        if f.code == "L002":
            def shows(order, o=f.subject):
                return o in order[1]
        elif f.code == "L004":
            def shows(order, o=f.subject):
                return o not in order[1]
        elif f.code == "L005":
            def shows(order, o=f.subject, v=re.search(r"with item `(\w+)`", f.explanation)[1]):
                return order[0] == v and o not in order[1]
        else:
            def shows(order, v=f.subject.split("=")[1]):
                return order[0] == v
        blamed = {r: rules[r] for r in f.rules}
        assert blamed, f.message
        assert not any(shows(order) for order in brute_force(n_values, blamed)), f.message
        for r in f.rules:
            fewer = {k: v for k, v in blamed.items() if k != r}
            assert any(shows(order) for order in brute_force(n_values, fewer)), (f.message, r)


def broken_by_brute_force(n_values: int, rules: dict[str, str]):
    """The rules each order of the one contract breaks, for every order."""
    tariff = resolve(parse_text(random_spec_text(n_values, rules), "g.tariff"))
    validator = ConcreteValidator(tariff)
    for item in VALUES[:n_values]:
        for present in itertools.product((False, True), repeat=len(OPTIONS)):
            data = {"application_date": "2026-04-01",
                    "contracts": [{"item": item, "options": {o: p for o, p in zip(OPTIONS, present)}}]}
            yield {v.key.rule for v in validator.validate(decode_order(data, tariff)).violations}


@settings(max_examples=30, deadline=None)
@given(random_specs())
def test_redundant_and_vacuous_agree_with_brute_force(case):
    # these rules read only the contract as the request leaves it, so every shape of request
    # (new, change, cancellation) has the same orders to tell them apart as a new order
    n_values, statements = case
    rules = {f"g{n}": r for n, r in enumerate(statements, 1)}
    tariff = resolve(parse_text(random_spec_text(n_values, rules), "g.tariff"))
    fs = SemanticLint(tariff).run(("redundant",))
    broken = list(broken_by_brute_force(n_values, rules))
    vacuous = {r for r in rules if not any(r in b for b in broken)}
    # implied: no order breaks it alone; reported when the others admit some order
    redundant = {r for r in rules if r not in vacuous and {r} not in broken and any(b <= {r} for b in broken)}
    assert set(about(fs, "L007")) == vacuous
    assert set(about(fs, "L006")) == redundant
    for f in fs:
        if f.code == "L006":
            # the rules named are enough: no order breaks this rule and keeps them
            assert f.subject not in f.rules
            assert not any(f.subject in b and not (b & set(f.rules)) for b in broken)
