"""Tariff test files: orders with the verdict and the broken rules a reader of the text expects.

A test file lives beside its spec (`specs/secure_endpoint.tests.json`) and reads:

    {
      "tariff": "secure_endpoint",
      "cases": [
        {"name": "第5条第2項: a tunnel on type L is accepted",
         "order": { ...an order, as in docs/orders.md... },
         "expect": "valid"},
        {"name": "第5条第2項: a tunnel on type O is rejected",
         "order": { ... },
         "expect": "invalid",
         "broken": ["r5_2_tunnel_direct:tunnel"]}
      ]
    }

`broken` lists rule instances as `RULE` or `RULE:OPTION`; the case passes when the check
breaks exactly those (a bare `RULE` matches any of its subjects). `expect` may also be
`error` with `codes`: the order must be rejected as bad input with those diagnostic codes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..api import Checker
from ..dsl.diagnostics import Diagnostic, DiagnosticError
from ..dsl.model import Tariff
from ..solver.verdict import Verdict


@dataclass
class Case:
    name: str
    order: object
    expect: str  # valid | invalid | error
    broken: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    index: int = 0


@dataclass
class CaseResult:
    case: Case
    passed: bool
    verdict: Verdict | None
    errors: list[Diagnostic]
    expected: set[str]
    actual: set[str]

    def diff(self) -> str:
        if self.passed:
            return ""
        lines = [f"expected {self.case.expect}" + (f" breaking {sorted(self.expected)}" if self.expected else "")]
        if self.errors:
            lines.append("got bad input: " + ", ".join(f"{d.code} {d.message}" for d in self.errors))
        else:
            lines.append(f"got {self.verdict.status}" + (f" breaking {sorted(self.actual)}" if self.actual else ""))
            for x in sorted(self.expected - self.actual):
                lines.append(f"  - {x}  (expected, not broken)")
            for x in sorted(self.actual - self.expected):
                lines.append(f"  + {x}  (broken, not expected)")
        return "\n".join(lines)


def tests_path(spec: Path) -> Path:
    return spec.with_name(spec.stem + ".tests.json")


def load_cases(path: Path) -> list[Case]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DiagnosticError([Diagnostic("O001", f"cannot read the test file `{path}`: {exc}", field="")]) from None
    out = []
    for i, c in enumerate(data.get("cases", [])):
        out.append(Case(c["name"], c["order"], c.get("expect", "valid"), list(c.get("broken", [])),
                        list(c.get("codes", [])), i))
    return out


def instance_names(verdict: Verdict) -> set[str]:
    return {f"{v.key.rule}:{v.key.subject}" if v.key.subject else v.key.rule for v in verdict.violations}


def _covers(pattern: str, name: str) -> bool:
    """`RULE` covers every instance of the rule; `RULE:OPTION` just that one."""
    return pattern == name or (":" not in pattern and name.split(":", 1)[0] == pattern)


def _matches(expected: set[str], actual: set[str]) -> bool:
    return all(any(_covers(p, a) for a in actual) for p in expected) and \
        all(any(_covers(p, a) for p in expected) for a in actual)


def run_case(checker: Checker, case: Case, engine: str = "concrete") -> CaseResult:
    expected = set(case.broken)
    try:
        verdict = checker.check(case.order, engine=engine)
    except DiagnosticError as exc:
        codes = sorted({d.code for d in exc.diagnostics})
        passed = case.expect == "error" and (not case.codes or codes == sorted(set(case.codes)))
        return CaseResult(case, passed, None, exc.diagnostics, expected, set())
    if case.expect == "error":
        return CaseResult(case, False, verdict, [], expected, set())
    actual = instance_names(verdict)
    if case.expect == "valid":
        return CaseResult(case, verdict.status == "valid", verdict, [], expected, actual)
    return CaseResult(case, verdict.status == "invalid" and _matches(expected, actual), verdict, [], expected,
                      actual)


def run_file(tariff: Tariff, path: Path, engine: str = "concrete") -> list[CaseResult]:
    checker = Checker(tariff)
    return [run_case(checker, c, engine) for c in load_cases(path)]
