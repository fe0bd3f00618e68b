"""Questions to a CDCL SAT solver (python-sat's MiniSat 2.2) over a tariff's rule clauses.

Two incremental solvers, each made on first use:

- **every rule**: the clauses with every selector a unit clause, so the rules' consequences are
  settled once, at level 0, and each question assumes one literal or none. Whether any order is
  valid and the backbone are asked here.
- **rules by selector**: the same clauses, a question assuming the selectors of the rules it
  keeps; an unsat core over them is a set of rules. The reasons are asked here.

(One solver assuming every selector on every call would do, but it propagates all of them again
on each call: 0.6 ms a call on a model of 1,500 rules, against tens of microseconds.)

- `backbone`: of the given variables, those that have one value in every model (dead options
  are false in all, forced ones true), in few calls: unit propagation settles many (a mandatory
  feature's chain) without a search; a model leaning the other way refutes most of the rest;
  a candidate whose flip alone propagates to a conflict (a failed literal) is proved without a
  search either, and kept as a unit clause for what follows; then the candidates left are asked
  together, under a clause "one of them flips" (no model proves them all; a model refutes every
  candidate it flips, the solver leaning to flip them).
- `reason`: a minimal set of rules that, with some literals, admit no model: the solver's core
  over the selectors, shrunk by deletion in the rules' order (each unsat trial narrows the set
  to its own core), as lint does with Z3 (smt/problem.py `OrderProblem.shrink`); the shrinking
  asks a small solver of the core's rules alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from .cnf import RuleClauses

try:  # python-sat is an extra (`tariffcheck[sat]`); without it lint asks Z3
    from pysat.solvers import Minisat22
except ImportError:  # pragma: no cover - exercised where the extra is not installed
    Minisat22 = None
try:  # its C module: a clause added without the wrapper's Python call (see `minisat`)
    import pysolvers as _c
except ImportError:  # pragma: no cover - another build of python-sat
    _c = None


def available() -> bool:
    return Minisat22 is not None


def minisat(clauses: list[list[int]]):
    """A MiniSat 2.2 holding `clauses`. The clauses go straight to python-sat's C function, one
    `map` over them, not through `Minisat22.add_clause` (a Python call and a check each, a
    quarter of the set-up: pc-richmond's 617 clauses 0.17 against 0.12 ms, paired). What the
    wrapper does with the answers is done too: a clause that makes the formula false at level 0
    leaves the solver's status false."""
    if _c is None or not hasattr(_c, "minisat22_add_cl"):  # pragma: no cover - another build
        return Minisat22(bootstrap_with=clauses)
    s = Minisat22()
    added = list(map(partial(_c.minisat22_add_cl, s.minisat), clauses))  # every one, even after a False
    if False in added:
        s.status = False
    return s


class RuleSolver:
    def __init__(self, rules: RuleClauses):
        if Minisat22 is None:
            raise RuntimeError("python-sat is not installed")
        self.rules = rules
        self._every = None  # every rule holds
        self._each = None  # a rule holds when its selector is assumed
        self.calls = 0

    def close(self) -> None:
        for s in (self._every, self._each):
            if s is not None:
                s.delete()
        self._every = self._each = None

    def __enter__(self) -> "RuleSolver":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def every(self):
        if self._every is None:
            self._every = minisat(self.rules.clauses)
            for s in self.rules.selectors:
                self._every.add_clause([s])
        return self._every

    @property
    def each(self):
        if self._each is None:
            self._each = minisat(self.rules.clauses)
        return self._each

    # ---- every rule --------------------------------------------------------------------------
    def satisfiable(self) -> bool:
        self.calls += 1
        return self.every.solve()

    def backbone(self, variables: list[int], value: bool | None = None) -> dict[int, bool] | None:
        """variable -> its value in every model, for the variables that have one (only those whose
        value is `value`, when it is given: the others may be missing); None when there is no
        model at all."""
        found = backbone_of(self.every, variables, value)
        self.calls += found.calls
        return found.fixed if found.satisfiable else None

    # ---- rules by selector -----------------------------------------------------------------
    def reason(self, selectors: list[int], literals: list[int]) -> list[int] | None:
        """A minimal subset of `selectors` (kept in their order) that with `literals` admits no
        model; None when all of them together admit one."""
        s = self.each
        self.calls += 1
        # the literals first: the search stops at the first rule that conflicts with them, not
        # after propagating every rule of the tariff
        if s.solve(assumptions=literals + selectors):
            return None
        core = set(s.get_core() or ())
        current = [x for x in selectors if x in core]
        # the rest is asked of a solver that holds only the core's rules: a model of the whole
        # tariff costs a decision for each of its thousands of variables, one of a few rules none
        small = Minisat22(bootstrap_with=self.rules.clauses_for(current))
        try:
            i = 0
            while i < len(current):
                trial = current[:i] + current[i + 1:]
                self.calls += 1
                if small.solve(assumptions=trial + literals):
                    i += 1
                    continue
                core = set(small.get_core() or ())
                current = [x for x in trial if x in core]
        finally:
            small.delete()
        return current


@dataclass
class Backbone:
    satisfiable: bool
    fixed: dict[int, bool] = field(default_factory=dict)  # variable -> its value in every model
    calls: int = 0  # solve calls (propagations not counted)
    probed: int = 0  # candidates settled by a failed-literal probe, without a search


def backbone_of(s, variables: list[int], value: bool | None = None,
                keep_models: list[list[int]] | None = None, rotate=None, known: list[int] = (),
                rest: list[int] = ()) -> Backbone:
    """The backbone among `variables` of the clauses in solver `s` (only the variables whose value
    is `value`, when given: the others may be missing), in few calls (the module's docstring).
    What it proves is added to `s` as unit clauses (consequences: no model is lost). The models
    it meets are appended to `keep_models` when given. `rotate(model, cand, refuted)`, when
    given, is shown each model of the last stage with the candidates left after it and how many
    it refuted, and refutes more without the solver (it drops them from `cand` and returns their
    literals): it must only drop a candidate that some model of the clauses flips. `known` are
    variables the caller knows true in every model (taken without a probe); `rest`, phases for the
    last stage's variables that are no candidate (a candidate's own phase is set over it)."""
    out = Backbone(False)
    out.calls += 1
    if not s.solve():
        return out
    out.satisfiable = True
    model = s.get_model()
    if keep_models is not None:
        keep_models.append(model)
    # variable -> the literal every model so far has (a variable no clause names is free)
    cand = {v: model[v - 1] for v in variables
            if v <= len(model) and (value is None or (model[v - 1] > 0) == value)}
    fixed = out.fixed
    for v in known:
        if cand.pop(v, None) is not None:
            fixed[v] = True
    _, implied = s.propagate(assumptions=[])
    for lit in implied or ():
        if abs(lit) in cand:
            fixed[abs(lit)] = lit > 0
            del cand[abs(lit)]
    # a model leaning the other way refutes most candidates at once; the variables that are no
    # candidate lean to `value`, so that one of them, not a candidate, fills an `or` group
    lean = [-x for x in cand.values()]
    if value is not None:
        lean += [v if value else -v for v in variables if v not in cand and v not in fixed]
    s.set_phases(lean)
    out.calls += 1
    if cand and s.solve():
        model = s.get_model()
        if keep_models is not None:
            keep_models.append(model)
        s.set_phases(_refute(cand, model))
    # failed literals: a candidate whose flip propagates to a conflict is proved without a search
    # (a mandatory child of a core feature, an excluded one of a chosen alternative); each proof
    # is a unit clause, which the next probes and searches propagate
    calls = _Calls(s)
    fails, add = calls.fails, calls.add
    for v, lit in list(cand.items()):
        if fails(-lit):
            fixed[v] = lit > 0
            del cand[v]
            add([lit])
            out.probed += 1
    # then the candidates left are asked together: one clause "one of them flips", switched on
    # by an assumed fresh literal, and the solver leaning to flip them all. A model refutes at
    # least one (most often many: it flips one child of each alternative group at once, and
    # leans the ones it flipped back, so that the next model picks another child); no model
    # proves every candidate left. So at most one call more than there are candidates that are
    # no backbone, where asking them one at a time costs a call per candidate (cnn_light: 30
    # calls against 417). The switch is turned off for good after each call
    back: list[int] = []
    rest = list(rest)
    top = s.nof_vars()
    phases, model_under = calls.phases, calls.model_under
    while cand:
        top += 1
        add([-top] + [-x for x in cand.values()])
        phases(rest + [-x for x in cand.values()] + back)
        out.calls += 1
        model = model_under([top])
        if model is not None:
            if keep_models is not None:
                keep_models.append(model)
            back = _refute(cand, model)
            if rotate is not None:
                back += rotate(model, cand, len(back))
        else:
            for v, lit in cand.items():
                fixed[v] = lit > 0
                add([lit])
            cand = {}
        add([-top])
    return out


class _Calls:
    """The calls `backbone_of` makes of solver `s` once per candidate or per model: on a
    `Minisat22`, python-sat's C functions called directly (each wrapper call pays a Python frame
    and a main-thread check: pc-richmond's 112 probes and 23 models in the last stage); on any
    other solver, its methods. `model_under` leaves the wrapper's status as its `solve` would,
    so that the caller's later `get_model` or `get_core` read what they would."""

    def __init__(self, s):
        self.s = s
        handle = getattr(s, "minisat", None) if _c is not None and type(s) is Minisat22 else None
        if handle:
            from pysat._utils import MainThread

            main = int(MainThread.check())
            propagate, solve, model = _c.minisat22_propagate, _c.minisat22_solve, _c.minisat22_model
            self.fails = lambda lit: not propagate(handle, [lit], 0, main)[0]
            self.add = partial(_c.minisat22_add_cl, handle)
            self.phases = partial(_c.minisat22_setphases, handle)

            def model_under(assumptions: list[int]) -> list[int] | None:
                s.status = solve(handle, assumptions, main)
                return (model(handle) or []) if s.status else None

            self.model_under = model_under
        else:  # pragma: no cover - another solver or build of python-sat
            self.fails = lambda lit: not s.propagate(assumptions=[lit])[0]
            self.add = s.add_clause
            self.phases = s.set_phases
            self.model_under = lambda assumptions: s.get_model() if s.solve(assumptions=assumptions) else None


def _refute(cand: dict[int, int], model: list[int]) -> list[int]:
    """Drop the candidates whose value the model flips; their literals."""
    gone = [lit for v, lit in cand.items() if model[v - 1] != lit]
    for lit in gone:
        del cand[abs(lit)]
    return gone
