"""Golden cases: every `specs/*.tests.json` run through both engines, and their coverage of the spec.

Each case is an order with the verdict (and the exact rule instances broken) a reader of the
tariff text expects. The coverage tests fail when a spec gains a rule, or a subject option of
a rule, that no golden case breaks, or that no accepted order exercises.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tariffcheck import catalog
from tariffcheck.api import Checker
from tariffcheck.testing.runner import TestRun, run_tests
from tariffcheck.testing.case_file import load_test_file

from conftest import SPECS


def _test_files() -> list[Path]:
    return sorted(SPECS.glob("*.tests.json"))


def _spec_name(path: Path) -> str:
    return path.name[: -len(".tests.json")]


_CHECKERS: dict[str, Checker] = {}
_RUNS: dict[str, TestRun] = {}


def _checker(spec: str) -> Checker:
    if spec not in _CHECKERS:
        _CHECKERS[spec] = Checker(catalog.load(spec))
    return _CHECKERS[spec]


def load_cases(path: Path):
    return load_test_file(path, _checker(_spec_name(path)).tariff)


def _run(spec: str) -> TestRun:
    """All of a spec's cases, once, through both engines (tariff test's runner)."""
    if spec not in _RUNS:
        checker = _checker(spec)
        _RUNS[spec] = run_tests(checker.tariff, load_cases(SPECS / f"{spec}.tests.json"), checker=checker)
    return _RUNS[spec]


def _params():
    return [pytest.param(_spec_name(path), case.index, id=f"{_spec_name(path)}-{case.index}")
            for path in _test_files() for case in load_cases(path)]


def test_golden_files_exist():
    assert _test_files(), f"no *.tests.json in {SPECS}"


@pytest.mark.parametrize("spec,index", _params())
def test_golden_case(spec: str, index: int):
    outcome = next(o for o in _run(spec).outcomes if o.case.index == index)
    assert outcome.passed, (f"{outcome.case.name}\n{outcome.result}: expected {outcome.case.expect} "
                            f"{sorted(outcome.expected)}, got {outcome.got} {sorted(outcome.actual)} "
                            f"{outcome.engines or ''} {outcome.codes or ''}")


@pytest.mark.parametrize("path", _test_files(), ids=_spec_name)
def test_golden_coverage(path: Path):
    """Every rule instance is broken by some case, and exercised by some accepted case."""
    spec = _spec_name(path)
    checker = _checker(spec)
    tariff = checker.tariff
    cases = load_cases(path)

    broken = {b for c in cases if c.expect == "invalid" for b in c.broken}
    present: set[str] = set()  # options present in some contract of some valid case
    valid_names = []
    for c in cases:
        if c.expect != "valid":
            continue
        valid_names.append(c.name)
        for entry in checker.decode(c.order).contracts:
            present.update(entry.new.options)

    problems = []
    for rule in tariff.rules:
        citations = [str(rule.citation)] + [str(x) for x in rule.also]
        for subject in rule.subjects:
            instance = rule.id if subject is None else f"{rule.id}:{subject}"
            if instance not in broken:
                problems.append(f"no case breaks `{instance}` ({rule.citation})")
            if subject is not None and subject not in present:
                problems.append(f"no valid case has `{subject}`, the subject of `{instance}` ({rule.citation})")
        if rule.subjects == [None] and not any(any(ct in n for ct in citations) for n in valid_names):
            problems.append(f"no valid case is named after {rule.citation} (`{rule.id}`)")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", _test_files(), ids=_spec_name)
def test_golden_broken_names_exist(path: Path):
    """A `broken` entry names a rule (and subject) the spec has, so a renamed rule is noticed."""
    tariff = _checker(_spec_name(path)).tariff
    known = set()
    for rule in list(tariff.rules) + list(tariff.order_rules.values()):  # order rules: model/order_rules.py
        known.add(rule.id)
        known.update(f"{rule.id}:{s}" for s in rule.subjects if s is not None)
    unknown = sorted({b for c in load_cases(path) for b in c.broken if b not in known})
    assert not unknown, f"unknown rule instances in `broken`: {unknown}"


@pytest.mark.parametrize("path", _test_files(), ids=_spec_name)
def test_golden_invalid_cases_state_their_clauses(path: Path):
    """Every invalid case says which clauses it breaks, so every rule's citation is tested too."""
    unstated = [c.name for c in load_cases(path) if c.expect == "invalid" and c.clauses is None]
    assert not unstated, "invalid cases without `expect_clauses`:\n" + "\n".join(unstated)


def test_golden_rule_cited_to_the_wrong_paragraph_fails_its_cases(tmp_path: Path):
    """第5条第6項 (EDR オプション needs タイプ C) cited as 第5条第7項: the rule id still matches, the
    clause does not, and exactly the cases that break it fail, each with a clause diff."""
    from conftest import spec_variant

    spec = spec_variant(tmp_path, SPECS / "secure_endpoint.tariff", "secure_endpoint",
                        [("rule r5_6_edr @第5条第6項", "rule r5_6_edr @第5条第7項")])
    tariff = catalog.load(spec)
    run = run_tests(tariff, load_test_file(SPECS / "secure_endpoint.tests.json", tariff))
    breaking = {c.index for c in load_cases(SPECS / "secure_endpoint.tests.json")
                if any(b.split(":")[0] == "r5_6_edr" for b in c.broken)}
    failed = {o.case.index for o in run.failures}
    assert breaking and failed == breaking
    for o in run.failures:
        assert o.got == "invalid" and o.actual == o.expected  # the ids agree; only the clause does not
        assert "第5条第6項" in o.case.clauses and "第5条第7項" in o.clauses
