"""The contradiction, dead, forced and false-optional checks of a purely Boolean tariff, on a SAT
solver (sat/): the same findings as semantics.py reaches through Z3, in a few solver calls.

Used by SemanticLint for these four checks when the tariff's rules speak of options alone
(sat/cnf.py says which tariffs; a feature model imported from UVL is one) and python-sat is
installed; every other tariff, and every other check, is Z3's. For such a tariff:

- a new order is valid exactly when its options satisfy the rule clauses, and so is a change
  request (its new state obeys the same rules; no rule reads its old state): L001 is "the
  clauses with every rule have no model", its reason a minimal core over the rule selectors;
- L002 (no valid new order or change request has the option) is "false in the backbone", L004
  (every valid new order has it) "true in the backbone", one backbone for both;
- each finding's reason is a minimal set of rules that, with the option (L002) or without it
  (L004), admit no model: a core shrunk by deletion in the tariff's order of rules, as
  semantics.py shrinks Z3's. Where more than one minimal reason exists the two solvers may
  start from different cores and name different ones, each minimal and each a true reason
  (tests/test_boolean_lint.py checks both against the Z3 path);
- L005 (an option in every valid new order of one item, a dimension's value) needs a
  dimension, which such a tariff has none of: it finds nothing.

The solver calls take no time limit: these are propositional questions a CDCL solver answers
in milliseconds on models of thousands of options, and none is ever reported as cut short (L014).
"""

from __future__ import annotations

import weakref

from ..model import tariff as M
from ..sat import solver as sat_solver
from ..sat.cnf import NotBoolean, RuleClauses, compile_rules
from . import option_findings
from .finding import Finding

STEPS = ("contradiction", "dead", "forced", "false-optional")

# The clauses of each tariff object, made on its first lint: a resolved tariff is not changed
# afterwards, and writing the clauses is most of a small model's time (flamapy, likewise, makes
# its CNF once for all the operations asked of a model). Dropped with the tariff.
_compiled: dict[int, tuple[weakref.ref, RuleClauses | None]] = {}


def _clauses_of(tariff: M.Tariff) -> RuleClauses | None:
    known = _compiled.get(id(tariff))
    if known is not None and known[0]() is tariff:
        return known[1]
    try:
        clauses = compile_rules(tariff)
    except NotBoolean:
        clauses = None
    _compiled[id(tariff)] = (weakref.ref(tariff), clauses)
    weakref.finalize(tariff, _compiled.pop, id(tariff), None)
    return clauses


class BooleanLint:
    def __init__(self, clauses: RuleClauses):
        self.clauses = clauses
        self.solver = sat_solver.RuleSolver(clauses)
        self._rule_of = clauses.rule_of()
        self._satisfiable: bool | None = None
        self._fixed: dict[int, bool] = {}  # option variable -> its value in every valid order
        self._asked: set[bool] = set()  # the values the backbone was asked for so far
        self.dead_ids: set[str] = set()

    @classmethod
    def of(cls, tariff: M.Tariff) -> "BooleanLint | None":
        """The Boolean checks of a tariff, or None when they do not apply (python-sat missing, or
        the tariff says more than which options a contract has)."""
        if not sat_solver.available():
            return None
        clauses = _clauses_of(tariff)
        return None if clauses is None else cls(clauses)

    def close(self) -> None:
        self.solver.close()

    def run(self, step: str) -> list[Finding]:
        return {"contradiction": self.contradictions, "dead": self.dead, "forced": self.forced,
                "false-optional": self.false_optional}[step]()

    # ---- the questions ---------------------------------------------------------------------
    def satisfiable(self) -> bool:
        if self._satisfiable is None:
            self._satisfiable = self.solver.satisfiable()
        return self._satisfiable

    def _backbone(self, value: bool) -> dict[int, bool]:
        """The options' variables whose value is `value` in every valid order (among others)."""
        if value not in self._asked:
            found = self.solver.backbone(list(self.clauses.options.values()), value)
            self._fixed.update(found or {})
            self._asked.add(value)
        return {v: b for v, b in self._fixed.items() if b == value}

    def _reason(self, literals: list[int]) -> list[M.Rule]:
        chosen = self.solver.reason(self.clauses.selectors, literals)
        return [self._rule_of[s] for s in chosen or ()]

    # ---- the checks ------------------------------------------------------------------------
    def contradictions(self) -> list[Finding]:
        if self.satisfiable():
            return []
        return [option_findings.contradiction(self.clauses.kind, self._reason([]))]

    def dead(self) -> list[Finding]:
        if not self.satisfiable():
            return []  # no valid order at all: L001 says so
        never = self._backbone(False)
        out = []
        for opt in self.clauses.kind.options.values():
            var = self.clauses.options[opt.id]
            if var in never:
                out.append(option_findings.dead_option(opt, self._reason([var])))
                self.dead_ids.add(opt.id)
        return out

    def forced(self) -> list[Finding]:
        if not self.satisfiable():
            return []
        always = self._backbone(True)
        out = []
        for opt in self.clauses.kind.options.values():
            var = self.clauses.options[opt.id]
            if var in always and opt.id not in self.dead_ids:
                out.append(option_findings.forced_option(opt, self._reason([-var])))
        return out

    def false_optional(self) -> list[Finding]:
        return []  # a false-optional option is so for a dimension's value; this contract has no dimension
