"""Running a tariff's test cases through both evaluation paths, and the clauses they cover.

Each case's order is decoded, then validated by the concrete validator and through Z3. A case
passes when the verdict and the broken rule instances are the ones it expects; when the two
paths disagree, that is reported on its own, as a fault of tariffcheck rather than of the spec.

Coverage is per rule. A rule is *rejected* by a case that expects it broken and breaks it, and
*accepted* by a case that does not expect it broken while, in that case's order, at least one
instance of the rule is exercised (its guard holds) and holds (its requirement holds). Guard
and requirement are evaluated apart from the verdict: their own Z3 terms, read in the model of
the order's facts. An instance that reads a date the order does not give is not checked, so it
exercises nothing (the date rule of evaluate/concrete.py).

A case that lists `expect_clauses` passes only when the clauses the broken rules cite are
exactly those, so a rule cited to the wrong paragraph fails though its id is right. An `invalid`
case that does not list them tests no citation: `unstated` names such cases, and
`tariff test --require-coverage` fails on them.

A case that lists `effective` days passes only when the request takes effect on exactly those
days: the ones `Checker.check` reports (derived by evaluate/derived_dates.py, whose expressions
tests/test_derived_differential.py holds to their Z3 terms).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from ..api import Checker
from ..model import ir
from ..model import tariff as M
from ..common.diagnostics import Diagnostic, DiagnosticError
from ..orders.order import Order
from ..smt.check import Z3Validator, read_verdict
from ..smt.encode import Instance
from ..evaluate.verdict import UNKNOWN, Verdict
from .cases import Case

PASS, FAIL, DISAGREEMENT = "pass", "fail", "disagreement"


@dataclass
class CaseOutcome:
    case: Case
    result: str  # pass | fail | disagreement
    got: str  # valid | invalid | error (bad input) | unknown (no verdict from Z3)
    expected: set[str]  # the broken instances the case lists, `RULE` or `RULE:OPTION`
    actual: set[str]  # the instances broken, written at the granularity the case uses
    errors: list[Diagnostic] = field(default_factory=list)  # why the order is bad input
    # on a disagreement: what each path broke, as `RULE[:OPTION] @CONTRACT`, and its verdict
    engines: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    reason: str | None = None  # why Z3 gave no verdict
    # for each `effective` key of the case, the days the request takes effect on (None: not known)
    effective: dict[str, list[str | None]] = field(default_factory=dict)
    clauses: set[str] = field(default_factory=set)  # the clauses the broken rules cite

    @property
    def clauses_ok(self) -> bool:
        """The clauses the case lists are the ones broken (a case that lists none: nothing to compare)."""
        return self.case.clauses is None or set(self.case.clauses) == self.clauses

    @property
    def effective_ok(self) -> bool:
        """Each day the case expects is the one every matching takes-effect day has."""
        return all(self.effective.get(k) == [day] for k, day in self.case.effective.items())

    @property
    def passed(self) -> bool:
        return self.result == PASS

    @property
    def codes(self) -> list[str]:
        return sorted({d.code for d in self.errors})


@dataclass
class RuleCoverage:
    rule: M.Rule
    accepted_by: list[int] = field(default_factory=list)  # indices of the cases
    rejected_by: list[int] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return bool(self.accepted_by and self.rejected_by)


@dataclass
class TestRun:
    __test__ = False  # not a pytest test class, though its name starts with Test
    tariff: M.Tariff
    outcomes: list[CaseOutcome]
    coverage: list[RuleCoverage]
    tests_file: str | None = None  # as the user should see it

    @property
    def failures(self) -> list[CaseOutcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def uncovered(self) -> list[RuleCoverage]:
        return [c for c in self.coverage if not c.covered]

    @property
    def unstated(self) -> list[CaseOutcome]:
        """The `invalid` cases that do not say which clauses they break: their citations go untested."""
        return [o for o in self.outcomes if o.case.expect == "invalid" and o.case.clauses is None]


def run_tests(tariff: M.Tariff, cases: list[Case], tests_file: str | None = None,
              checker: Checker | None = None) -> TestRun:
    checker = checker or Checker(tariff)
    z3_path = _ModelReader(checker.z3)
    coverage = {r.id: RuleCoverage(r) for r in tariff.rules}
    outcomes = []
    for case in cases:
        outcome, accepted = _run_case(checker, z3_path, case)
        outcomes.append(outcome)
        expected_rules = {_rule_of(b) for b in case.broken}
        for rule_id in accepted - expected_rules:
            coverage[rule_id].accepted_by.append(case.index)
        if outcome.got == "invalid" and not outcome.engines:
            for b in case.broken:
                if b in outcome.actual and _rule_of(b) in coverage:
                    by = coverage[_rule_of(b)].rejected_by
                    if case.index not in by:
                        by.append(case.index)
    return TestRun(tariff, outcomes, list(coverage.values()), tests_file)


def _run_case(checker: Checker, z3_path: "_ModelReader", case: Case) -> tuple[CaseOutcome, set[str]]:
    """The case's outcome, and the ids of the rules its order accepts."""
    expected = set(case.broken)
    try:
        order = checker.decode(case.order)
    except DiagnosticError as exc:
        outcome = CaseOutcome(case, FAIL, "error", expected, set(), exc.diagnostics)
        if case.expect == "error" and (not case.codes or set(case.codes) == set(outcome.codes)):
            outcome.result = PASS
        return outcome, set()
    concrete = checker.concrete.validate(order)
    by_z3, accepted = z3_path.check(order)
    actual = _as_written(_names(concrete), expected)
    outcome = CaseOutcome(case, FAIL, concrete.status, expected, actual,
                          clauses={str(v.rule.citation) for v in concrete.violations})
    if by_z3.status != concrete.status or by_z3.keys != concrete.keys:
        outcome.result = DISAGREEMENT
        outcome.reason = by_z3.reason
        outcome.engines = {"concrete": _engine(concrete, order), "z3": _engine(by_z3, order)}
        return outcome, set()
    if case.effective:
        outcome.effective = _effective(checker, order, case.effective)
    if case.expect == concrete.status and actual == expected and outcome.effective_ok and outcome.clauses_ok:
        outcome.result = PASS
    return outcome, accepted


def _effective(checker: Checker, order: Order, wanted: dict[str, str]) -> dict[str, list[str | None]]:
    """For each `DERIVE[:OPTION]` the case lists, the distinct days the request takes effect on that
    it names (a bare DERIVE: every contract and option it is derived for), in order."""
    out: dict[str, list[str | None]] = {}
    days = checker.date_calculator.effective(order)
    for key in wanted:
        derive, _, subject = key.partition(":")
        found = [e.day.day for e in days if e.day.id == derive and (not subject or e.day.subject == subject)]
        out[key] = sorted({d.isoformat() if d is not None else None for d in found}, key=lambda x: x or "")
    return out


class _ModelReader:
    """The Z3 path with its model kept: one solver per tariff (the validator's own), the order's
    facts asserted between push and pop, and each instance's guard and requirement read in the
    model that decides the verdict."""

    def __init__(self, validator: Z3Validator):
        self.validator = validator
        self._accepts: dict[tuple[str, str | None, int], z3.BoolRef] = {}

    def check(self, order: Order) -> tuple[Verdict, set[str]]:
        v = self.validator
        # Z3Validator.validate's own steps, spelt out because the model must outlive the verdict
        instances = v.prepare(order)
        v.solver.push()
        try:
            v.solver.add([f.term for f in v.encoder.facts(order)])
            verdict = read_verdict(v.solver, instances, order, v.tariff)
            if verdict.status == UNKNOWN:
                return verdict, set()
            model = v.solver.model()
            accepted = set()
            for inst in instances:
                if inst.rule.id not in accepted and z3.is_true(model.eval(self._accepts_term(inst),
                                                                         model_completion=True)):
                    accepted.add(inst.rule.id)
            return verdict, accepted
        finally:
            v.solver.pop()

    def _accepts_term(self, inst: Instance) -> z3.BoolRef:
        """`the instance is checked, its guard holds and its requirement holds`, as one term."""
        key = (inst.rule.id, inst.subject, inst.slot)
        if key not in self._accepts:
            enc = self.validator.encoder
            slot = enc.slot(inst.rule.scope, inst.slot)
            rule, subject = inst.rule, inst.subject
            defined = ir.defined(rule.condition(subject))
            parts = [enc.term(defined, slot)] if defined != ir.TRUE else []
            parts += [enc.term(rule.guards[subject], slot), enc.term(rule.bodies[subject], slot)]
            self._accepts[key] = z3.And(parts)
        return self._accepts[key]


def _rule_of(instance: str) -> str:
    return instance.split(":", 1)[0]


def _names(verdict: Verdict) -> set[str]:
    return {v.rule.id if v.key.subject is None else f"{v.rule.id}:{v.key.subject}" for v in verdict.violations}


def _as_written(actual: set[str], expected: set[str]) -> set[str]:
    """Broken instances at the granularity of the case: `RULE:OPTION` becomes `RULE` where the
    case lists the bare rule (and not that instance)."""
    out = set()
    for name in actual:
        rule = _rule_of(name)
        out.add(rule if name not in expected and rule in expected else name)
    return out


def _engine(verdict: Verdict, order: Order) -> tuple[str, list[str]]:
    broken = []
    for v in verdict.violations:
        name = v.rule.id if v.key.subject is None else f"{v.rule.id}:{v.key.subject}"
        contract = order.contracts[v.key.contract].id if v.key.contract is not None else None
        broken.append(name + (f" @{contract}" if contract is not None else ""))
    return verdict.status, sorted(broken)
