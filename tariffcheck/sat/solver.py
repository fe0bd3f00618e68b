"""Questions to a CDCL SAT solver (python-sat's MiniSat 2.2) over a tariff's rule clauses.

One incremental solver holds every clause; a question assumes selectors (which rules hold) and
literals, so nothing is ever added that a later question would have to take back, except the
backbone's "one of these flips" clauses, each behind an activation literal retired after use.

- `backbone`: of the given variables, those that have one value in every model (dead options
  are false in all, forced ones true), in a few calls: unit propagation from the rules alone
  settles many (a mandatory feature's chain), two models leaning opposite ways refute most of
  the rest, and then one call asks whether any remaining candidate can flip, the solver leaning
  to flip them all; its model refutes those it flips, and an unsat answer proves the rest.
- `reason`: a minimal set of rules that, with some literals, admit no model: the solver's core
  over the selectors, shrunk by deletion in the rules' order (each unsat trial narrows the set
  to its own core), as lint does with Z3 (smt/problem.py `OrderProblem.shrink`).
"""

from __future__ import annotations

from .cnf import RuleClauses

try:  # python-sat is an extra (`tariffcheck[sat]`); without it lint asks Z3
    from pysat.solvers import Minisat22
except ImportError:  # pragma: no cover - exercised where the extra is not installed
    Minisat22 = None


def available() -> bool:
    return Minisat22 is not None


class RuleSolver:
    def __init__(self, rules: RuleClauses):
        if Minisat22 is None:
            raise RuntimeError("python-sat is not installed")
        self.rules = rules
        self.top = rules.top
        self.solver = Minisat22(bootstrap_with=rules.clauses)
        self.calls = 0

    def close(self) -> None:
        self.solver.delete()

    def __enter__(self) -> "RuleSolver":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def solve(self, assumptions: list[int]) -> bool:
        self.calls += 1
        return self.solver.solve(assumptions=assumptions)

    def model(self) -> list[int]:
        """The last model: literal of variable v at index v - 1."""
        return self.solver.get_model()

    def core(self) -> set[int]:
        return set(self.solver.get_core() or ())

    def backbone(self, assumptions: list[int], variables: list[int], value: bool | None = None
                 ) -> dict[int, bool] | None:
        """variable -> its value in every model under the assumptions, for the variables that have
        one (only those whose value is `value`, when it is given: the others may be missing);
        None when there is no model at all."""
        if not self.solve(assumptions):
            return None
        model = self.model()
        # variable -> the literal every model so far has
        cand = {v: model[v - 1] for v in variables if value is None or (model[v - 1] > 0) == value}
        fixed: dict[int, bool] = {}
        ok, implied = self.solver.propagate(assumptions=assumptions)
        for lit in implied or ():
            if abs(lit) in cand:
                fixed[abs(lit)] = lit > 0
                del cand[abs(lit)]
        first = True
        while cand:
            lits = list(cand.values())
            self.solver.set_phases([-x for x in lits])  # lean to flip every candidate at once
            if first:  # a model that leans the other way, before any clause is added
                first = False
                if self.solve(assumptions):
                    self._refute(cand)
                    continue
            self.top += 1
            act = self.top
            self.solver.add_clause([-act] + [-x for x in lits])
            sat = self.solve(assumptions + [act])
            self.solver.add_clause([-act])  # retired: the clause holds no more
            if not sat:
                fixed.update((abs(x), x > 0) for x in lits)
                break
            self._refute(cand)
        return fixed

    def _refute(self, cand: dict[int, int]) -> None:
        model = self.model()
        for v in [v for v, lit in cand.items() if model[v - 1] != lit]:
            del cand[v]

    def reason(self, selectors: list[int], literals: list[int]) -> list[int] | None:
        """A minimal subset of `selectors` (kept in their order) that with `literals` admits no
        model; None when all of them together admit one."""
        if self.solve(selectors + literals):
            return None
        core = self.core()
        current = [s for s in selectors if s in core]
        i = 0
        while i < len(current):
            trial = current[:i] + current[i + 1:]
            if self.solve(trial + literals):
                i += 1
                continue
            core = self.core()
            current = [s for s in trial if s in core]
        return current
