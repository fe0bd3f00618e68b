"""`tariff lint`: everything the analyses notice about one tariff, in one result.

A spec that does not load gives its diagnostics as findings (L000, errors), so a lint run over
many specs reports every problem at once. A spec that loads gets the name checks (names.py),
the fee checks (fee_findings.py) and the solver's checks (semantics.py), sorted errors first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..model import tariff as M
from ..common.diagnostics import Diagnostic
from ..model.limits import DEFAULT_TIMEOUT_MS
from .finding import Finding, sort_key
from .citations import citation_findings
from .fee_findings import fee_findings
from .names import name_findings
from .semantics import SemanticLint

CHECKS = ("names", "fees", "citations", "contradiction", "dead", "forced", "false-optional", "redundant", "quantities", "disagreeing")


@dataclass
class LintResult:
    spec: str  # what was asked for: a bundled name or a path
    tariff: M.Tariff | None
    findings: list[Finding] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # per analysis

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def complete(self) -> bool:
        return not any(f.code == "L014" for f in self.findings)


def lint_tariff(tariff: M.Tariff, spec: str | None = None, timeout_ms: int = DEFAULT_TIMEOUT_MS,
                checks: tuple[str, ...] | None = None, sources: str | None = None) -> LintResult:
    """`sources`: the folder of the source texts, for the citation check (model/clauses.py finds
    them without it where it can)."""
    out = LintResult(spec or tariff.path, tariff)
    if checks is None or "names" in checks:
        t0 = time.perf_counter()
        out.findings += name_findings(tariff)
        out.seconds["names"] = time.perf_counter() - t0
    if checks is None or "fees" in checks:
        t0 = time.perf_counter()
        out.findings += fee_findings(tariff)
        out.seconds["fees"] = time.perf_counter() - t0
    if checks is None or "citations" in checks:
        t0 = time.perf_counter()
        out.findings += citation_findings(tariff, sources)
        out.seconds["citations"] = time.perf_counter() - t0
    sem = SemanticLint(tariff, timeout_ms)
    out.findings += sem.run(None if checks is None else tuple(checks))
    out.seconds.update(sem.timings)
    out.findings.sort(key=sort_key)
    return out


def load_failure(spec: str, diagnostics: list[Diagnostic]) -> LintResult:
    """A spec that did not load: its errors (and warnings) as findings."""
    out = LintResult(spec, None)
    for d in diagnostics:
        severity = "error" if d.severity == "error" else "warning"
        out.findings.append(Finding(
            "L000", severity, f"{d.code}: {d.message}", d.span, None,
            explanation=d.help or "", subject=d.field))
    out.findings.sort(key=sort_key)
    return out
