"""Lint's Boolean path (analyse/boolean_lint.py on sat/) says what the Z3 path says.

On a tariff whose rules speak of options alone (a UVL import), the contradiction, dead, forced
and false-optional checks run on a SAT solver. Here, against the Z3 path (SemanticLint with
`boolean=False`) and against brute force: the same findings, code, severity, subject and
message, on the UVL fixtures, on small models of ../shared/uvl (skipped, saying why, where it
is absent) and on random small Boolean tariffs (Hypothesis).

The rules to blame are a minimal reason in both paths, found by shrinking a solver's core by
deletion in the tariff's order of rules. Where only one minimal reason exists the two paths name
the same rules in the same order; where several do (FRSCS has findings with dozens of rules
each), the two solvers may start from different cores and name different ones. There every
reason the SAT path gives is checked with Z3 to be one: with the question, its rules admit no
new order, and without any one of them they admit one."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT
from tariffcheck.analyse import boolean_lint
from tariffcheck.analyse.semantics import SemanticLint
from tariffcheck.evaluate.concrete import ConcreteValidator
from tariffcheck.orders.decode import decode_order
from tariffcheck.resolve import resolve
from tariffcheck.sat import cnf
from tariffcheck.sat import solver as sat_solver
from tariffcheck.syntax.parser import parse_text

pytest.importorskip("pysat", reason="python-sat (the `sat` extra) is not installed: lint asks Z3 alone")

CHECKS = ("dead", "forced", "false-optional")
SHARED = ROOT.parent / "shared" / "uvl"
SMALL_SHARED = 7_000  # bytes: the Z3 path takes a second or two on each of these

# dead: Legacy (Base's mandatory Modern excludes it) and Turbo (needs Legacy); core: Base, Modern,
# Net, Eth (`Modern => Eth`); a [2..2] group; an `or` group
DEAD_AND_CORE = (FIXTURES / "uvl" / "dead_and_core.uvl").read_text()
# no configuration: Card and Cash are the only ways to pay, and both are excluded
CONTRADICTORY = """features
    Shop
        mandatory
            Payment
                alternative
                    Card
                    Cash
constraints
    !Card
    !Cash
"""


def _import(text: str | None = None, path: Path | None = None):
    from tariffcheck.interop.uvl_import import import_uvl, import_uvl_file

    imported = import_uvl_file(str(path)) if path is not None else import_uvl(text)
    return resolve(parse_text(imported.text, str(path or "model.tariff")))


def _lint(tariff, boolean: bool, checks=CHECKS):
    sem = SemanticLint(tariff, 600_000, boolean=boolean)
    findings = sem.run(checks)
    assert sem.solver_used == ("sat" if boolean else "z3")
    return [(f.code, f.severity, f.subject, f.message, f.rules) for f in findings]


_OPEN: dict[int, tuple] = {}


def _z3_admits(tariff, rule_ids: set[str], option: str, present: bool) -> bool:
    """Does some new order keep these rules (all of their instances) and have (or lack) the
    option? Asked of Z3, through the space lint's Z3 path questions."""
    import z3

    from tariffcheck.analyse.space import Shape, Space

    kind = next(iter(tariff.contracts.values()))
    if id(tariff) not in _OPEN:  # one encoding per tariff, asked with assumptions
        _OPEN.clear()
        _OPEN[id(tariff)] = (tariff, Space(tariff, 600_000).open(Shape("new", (kind.id,))))
    o = _OPEN[id(tariff)][1]
    slot = o.encoder.slot(kind.id, 0)
    term = slot.option(option) if present else z3.Not(slot.option(option))
    return o.check([i for i in o.instances if i.rule.id in rule_ids], [term]) == z3.sat


def _assert_minimal_reason(tariff, finding) -> None:
    code, _, subject, _, rules = finding
    present = code == "L002"  # dead: no order has it; forced: none lacks it
    assert not _z3_admits(tariff, set(rules), subject, present), finding
    for r in rules:
        assert _z3_admits(tariff, set(rules) - {r}, subject, present), (finding, r)


def _compare(tariff, exact: bool = True) -> list:
    sat, smt = _lint(tariff, True), _lint(tariff, False)
    if exact:
        assert sat == smt
    else:  # the same verdicts; each reason the SAT path names is a minimal one
        assert [f[:4] for f in sat] == [f[:4] for f in smt]
        for f in sat:
            if f[0] in ("L002", "L004"):
                _assert_minimal_reason(tariff, f)
    return sat


# ---- the two paths on the fixtures ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["groups", "constraints", "cardinality", "names", "keyword_name", "not_carried"])
def test_the_uvl_fixtures_give_the_same_findings_both_ways(name):
    pytest.importorskip("uvl.UVLPythonParser", reason="the `uvlparser` package is not installed")
    _compare(_import(path=FIXTURES / "uvl" / f"{name}.uvl"))


def test_dead_and_core_features_with_their_reasons():
    pytest.importorskip("uvl.UVLPythonParser", reason="the `uvlparser` package is not installed")
    tariff = _import(DEAD_AND_CORE)
    found = _compare(tariff)
    labels = {o.id: o.label for o in next(iter(tariff.contracts.values())).options.values()}
    dead = {labels[f[2]] for f in found if f[0] == "L002"}
    core = {labels[f[2]] for f in found if f[0] == "L004"}
    assert dead == {"Legacy", "Turbo"}
    assert core == {"Base", "Modern", "Net", "Eth"}
    for f in found:
        _assert_minimal_reason(tariff, f)


def test_a_contradictory_model_is_l001_alone_with_its_minimal_reason():
    pytest.importorskip("uvl.UVLPythonParser", reason="the `uvlparser` package is not installed")
    tariff = _import(CONTRADICTORY)
    found = _compare(tariff)
    assert [f[0] for f in found] == ["L001"]
    # Payment is mandatory, pays by Card or Cash, and both are excluded
    assert found[0][4] == ["uvl_g3_mandatory", "uvl_g5_alternative", "uvl_c9", "uvl_c10"]


def _shared_small() -> list:
    if not SHARED.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"the shared UVL models are not here ({SHARED})"))]
    return [p for p in sorted(SHARED.glob("*.uvl")) if p.stat().st_size <= SMALL_SHARED]


@pytest.mark.parametrize("path", _shared_small(), ids=lambda p: getattr(p, "name", "none"))
def test_small_shared_models_give_the_same_findings_both_ways(path):
    pytest.importorskip("uvl.UVLPythonParser", reason="the `uvlparser` package is not installed")
    tariff = _import(path=path)
    # FRSCS's core features each have many minimal reasons of some thirty rules
    found = _compare(tariff, exact=path.name != "fmb_frscs.uvl")
    assert found, "no findings at all: the comparison would prove little"


# ---- which tariffs take the Boolean path -----------------------------------------------------------
HEAD = ('tariff g "G"\n  source "none"\n  as_of 2026-01-01\n\ncontract svc "サービス" @第1条 {{\n{members}'
        + "".join(f'  option {o} "オプション {o}" @第{3 + i}条\n' for i, o in enumerate("pqrs")) + "}}\n")


def _spec(rules: list[str], members: str = ""):
    text = HEAD.format(members=members) + "".join(
        f'rule g{n} @第9条第{n}項 {{\n  {r}\n  ja "規定 {n}"\n  en "rule {n}"\n}}\n' for n, r in enumerate(rules, 1))
    return resolve(parse_text(text, "g.tariff"))


@pytest.mark.parametrize("members, rule, why", [
    ('  dimension item "品目" @第2条 { a "A"  b "B" }\n', "for p require q", "dimensions"),
    ('  quantity seats "席数" @第2条\n', "for p require q", "quantities"),
    ("", "require application_date >= 2026-01-01", "date values"),
    ("", "when is_change require p", "request"),
])
def test_a_tariff_that_says_more_than_its_options_stays_with_z3(members, rule, why):
    tariff = _spec([rule], members)
    with pytest.raises(cnf.NotBoolean, match=why):
        cnf.compile_rules(tariff)
    sem = SemanticLint(tariff)
    sem.run(CHECKS)
    assert sem.solver_used == "z3"


def test_without_python_sat_lint_asks_z3_and_finds_the_same(monkeypatch):
    tariff = _spec(["require s", "for p forbid q", "for q require p"])
    with_sat = _lint(tariff, True)
    monkeypatch.setattr(sat_solver, "Minisat22", None)
    assert boolean_lint.BooleanLint.of(tariff) is None
    sem = SemanticLint(tariff)
    assert [(f.code, f.severity, f.subject, f.message, f.rules) for f in sem.run(CHECKS)] == with_sat
    assert sem.solver_used == "z3"
    assert {(f[0], f[2]) for f in with_sat} == {("L004", "s"), ("L002", "q")}


def test_the_other_checks_still_ask_z3_and_find_the_same():
    # redundancy and quantities beside the Boolean checks: `g3` restates `g1`
    tariff = _spec(["for p require q", "for q forbid r", "for p require q or s"])
    assert _lint(tariff, True, None) == _lint(tariff, False, None)


# ---- random Boolean tariffs: the SAT path, the Z3 path and brute force -----------------------------
OPTIONS = "pqrs"
opt = st.sampled_from(OPTIONS)
pair = st.tuples(opt, opt).filter(lambda t: t[0] != t[1])
some = st.lists(opt, min_size=2, max_size=4, unique=True)
rules = st.one_of(
    pair.map(lambda t: f"for {t[0]} require {t[1]}"),
    pair.map(lambda t: f"for {t[0]} forbid {t[1]}"),
    opt.map(lambda o: f"require {o}"),
    opt.map(lambda o: f"forbid {o}"),
    some.map(lambda xs: f"require exactly_one({', '.join(xs)})"),
    some.map(lambda xs: f"require any_of({', '.join(xs)})"),
    some.map(lambda xs: f"require at_most_one({', '.join(xs)})"),
    st.tuples(opt, opt, opt).map(lambda t: f"when {t[0]} require ({t[1]} or not {t[2]})"),
    st.tuples(opt, opt, opt, opt).map(lambda t: f"require ({t[0]} and {t[1]}) or ({t[2]} and not {t[3]})"),
    st.tuples(some, st.sampled_from([">=", "<=", "==", "!=", ">", "<"]), st.integers(0, 3)).map(
        lambda t: f"require {' + '.join(x + '.count' for x in t[0])} {t[1]} {t[2]}"),
)


def _valid_sets(tariff, keep: set[str] | None = None) -> list[set[str]]:
    """The option sets of the valid new orders, by the concrete validator (only the rules in
    `keep` counted, when it is given)."""
    validator = ConcreteValidator(tariff)
    out = []
    for bits in itertools.product((False, True), repeat=len(OPTIONS)):
        has = {o for o, b in zip(OPTIONS, bits) if b}
        order = decode_order({"application_date": "2026-04-01",
                              "contracts": [{"options": {o: o in has for o in OPTIONS}}]}, tariff)
        broken = {v.rule.id for v in validator.validate(order).violations}
        if not (broken if keep is None else broken & keep):
            out.append(has)
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(rules, min_size=1, max_size=6))
def test_random_boolean_tariffs_agree_with_z3_and_brute_force(statements):
    tariff = _spec(statements)
    sat = _lint(tariff, True)
    smt = _lint(tariff, False)
    assert [f[:4] for f in sat] == [f[:4] for f in smt]
    valid = _valid_sets(tariff)
    if not valid:
        assert [f[0] for f in sat] == ["L001"]
    else:
        assert {f[2] for f in sat if f[0] == "L002"} == {o for o in OPTIONS if not any(o in v for v in valid)}
        assert {f[2] for f in sat if f[0] == "L004"} == {o for o in OPTIONS if all(o in v for v in valid)}
    for code, _, subject, _, blamed in sat:  # each reason is one, and minimal, by brute force
        def admits(keep: set[str]) -> bool:
            sets = _valid_sets(tariff, keep)
            return bool(sets) if code == "L001" else any((subject in v) == (code == "L002") for v in sets)
        assert not admits(set(blamed)), (code, subject, blamed)
        for r in blamed:
            assert admits(set(blamed) - {r}), (code, subject, blamed, r)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([2, 3, 4, 5, -2, -3, -4, -5]), min_size=1, max_size=4), st.integers(-1, 5))
def test_the_counter_says_at_least_k_of_the_literals(lits, k):
    """sat/cnf.py's sequential counter against counting, over every assignment."""
    from pysat.solvers import Minisat22

    w = cnf._Writer.__new__(cnf._Writer)
    w.top, w.clauses, w._gates, w._counters, w.definitions = 5, [[cnf.TRUE]], {}, {}, {}
    out = w.at_least(lits, k)
    for bits in itertools.product((False, True), repeat=4):
        values = [v if b else -v for v, b in zip(range(2, 6), bits)]
        with Minisat22(bootstrap_with=w.clauses) as s:
            assert s.solve(assumptions=values)
            truth = s.get_model()[abs(out) - 1] * (1 if out > 0 else -1) > 0
        want = sum(1 for x in lits if (x > 0) == bits[abs(x) - 2]) >= k
        assert truth == want, (lits, k, bits)
