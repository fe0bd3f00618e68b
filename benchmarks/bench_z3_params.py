"""Z3's own parameters on `options`' solvers: the solver time of the slowest orders under each
setting, and whether every order's JSON stays the same.

    .venv/bin/python benchmarks/bench_z3_params.py
    .venv/bin/python benchmarks/bench_z3_params.py --settings default,relevancy0,simple --slowest 20 --rounds 3

The corpus is bench_options_tail.py's `service` one (bench_service.py's 300 partial Secure
Endpoint orders). Each setting gets a Checker of its own in this process, whose workspaces'
solvers (smt/standing.py's `StandingWorkspace`, options' only) are given the setting's
parameters as they are made (before any check: the SMT kernel reads most of them at its first
check), or are made as another kind of solver (`simple`, `qf_lia`). Nothing in the package is
changed: `StandingWorkspace.__init__` is wrapped here.

Each setting's Checker answers the whole corpus once (warm-up: the service's threads are warm,
every shape seen), and its JSON is compared byte for byte with the default's. The `--slowest`
orders of the default's warm pass (a second pass, after the warm-up) are then timed, each round
every setting in turn (rotated by order and round), in CPU time of the thread: the whole service
path (decode, `Checker.options` with the service's 10 s budget, JSON), the solver checks
(`OrderProblem.check`) and the models read (`Solver.model`). Per setting: the medians over the
slow orders of each order's median over the rounds, and the ratio to the default's.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import z3

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_options_tail import service_corpus  # noqa: E402

from tariffcheck.api import Checker  # noqa: E402
from tariffcheck.orders.decode import decode_partial_order  # noqa: E402
from tariffcheck.report import options_report  # noqa: E402
from tariffcheck.smt import problem, standing  # noqa: E402

TARIFF = "secure-endpoint"

# name -> parameters given to each workspace solver (Solver.set), or a kind of solver to make.
# smt.phase_selection is not among them: propagate.py sets it around its questions itself.
SETTINGS: dict[str, dict] = {
    "default": {},  # as the package makes them (since stop 26: smt.arith.solver 2)
    "arith6": {"smt.arith.solver": 6},  # Z3's default arithmetic solver (the package's before stop 26)
    "relevancy0": {"smt.relevancy": 0},
    "relevancy1": {"smt.relevancy": 1},
    "case_split0": {"smt.case_split": 0},
    "case_split3": {"smt.case_split": 3},
    "case_split5": {"smt.case_split": 5},
    "phase_caching0": {"smt.phase_caching_on": 0, "smt.phase_caching_off": 0},
    "arith2": {"smt.arith.solver": 2},
    "arith2_case_split0": {"smt.arith.solver": 2, "smt.case_split": 0},
    "arith_prop0": {"smt.arith.propagation_mode": 0},
    "arith_prop2": {"smt.arith.propagation_mode": 2},
    "arith_eager_eq0": {"smt.arith.eager_eq_axioms": False},
    "arith_simplex1": {"smt.arith.simplex_strategy": 1},
    "theory_branching": {"smt.theory_aware_branching": True},
    "restart0": {"smt.restart_strategy": 0},
    "restart_factor": {"smt.restart_factor": 2.0},
    "no_auto_config": {"smt.auto_config": False},
    "core_extend0": {"smt.core.extend_patterns": False, "smt.core.minimize": False},
    "simple": {"solver": "simple"},
    "qf_lia": {"solver": "QF_LIA"},
    "qf_fd": {"solver": "QF_FD"},  # (not by default: minutes, and its answers change from run to run)
}
DEFAULT_SETTINGS = [n for n in SETTINGS if n != "qf_fd"]


class Timers:
    """CPU time of the solver checks and of the models read, accumulated while `on`."""

    def __init__(self):
        self.check = self.model = 0.0
        self.checks = 0


TIMERS = Timers()


def _install_timers() -> None:
    check, model = problem.OrderProblem.check, z3.Solver.model

    def timed_check(self, assumptions):
        t0 = time.thread_time()
        try:
            return check(self, assumptions)
        finally:
            TIMERS.check += time.thread_time() - t0
            TIMERS.checks += 1

    def timed_model(self):
        t0 = time.thread_time()
        try:
            return model(self)
        finally:
            TIMERS.model += time.thread_time() - t0

    problem.OrderProblem.check = timed_check
    z3.Solver.model = timed_model


@contextlib.contextmanager
def solvers_made(setting: dict):
    """While inside, each StandingWorkspace's solver is made as `setting` says, and given its
    parameters once the workspace has set its own (the setting's win)."""
    init = standing.StandingWorkspace.__init__
    kind = setting.get("solver")
    params = {k: v for k, v in setting.items() if k != "solver"}
    plain = z3.Solver

    class Made(plain):
        def __init__(self, solver=None, ctx=None, logFile=None):
            if solver is None and kind is not None:
                ctx = z3.get_ctx(ctx)
                solver = (z3.Z3_mk_simple_solver(ctx.ref()) if kind == "simple"
                          else z3.Z3_mk_solver_for_logic(ctx.ref(), z3.to_symbol(kind, ctx)))
            super().__init__(solver, ctx, logFile)

        def set(self, *args, **keys):
            if kind == "simple" and args[:1] == ("model.compact",):
                return  # the SMT kernel alone has no such parameter (it is the solver front's)
            if kind == "QF_FD" and args[:1] == ("phase_selection",):
                # the SAT solver's phases: always false (0), always true (1), the last used (3)
                args = ("sat.phase", {0: "always_false", 1: "always_true"}.get(args[1], "caching"))
            super().set(*args, **keys)

    def wrapped(self, *a, **k):
        problem.z3.Solver = Made
        try:
            init(self, *a, **k)
        finally:
            problem.z3.Solver = plain
        if isinstance(self.solver, z3.Solver):
            for name, value in params.items():
                self.solver.set(name, value)

    standing.StandingWorkspace.__init__ = wrapped
    try:
        yield
    finally:
        standing.StandingWorkspace.__init__ = init


class Side:
    """One setting's Checker (its solvers made under the setting) and its answers."""

    def __init__(self, name: str, setting: dict):
        self.name, self.setting = name, setting
        self.checker = Checker(TARIFF)

    def answer(self, data: dict) -> str:
        with solvers_made(self.setting):
            order = decode_partial_order(data, self.checker.tariff)
            got = self.checker.options(order, budget_ms=10_000)
            return json.dumps(options_report.to_json(self.checker.tariff, order, got), ensure_ascii=False)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--settings", default=",".join(DEFAULT_SETTINGS))
    ap.add_argument("--slowest", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    names = args.settings.split(",")
    if names[0] != "default":
        names = ["default"] + [n for n in names if n != "default"]
    _install_timers()
    corpus = service_corpus()
    print(f"z3 {z3.get_version_string()}; {len(corpus)} orders; load average {os.getloadavg()[0]:.1f}", flush=True)
    sides = {n: Side(n, SETTINGS[n]) for n in names}
    answers = {n: [s.answer(d) for d in corpus] for n, s in sides.items()}  # the warm-up
    differ = {n: sum(1 for a, b in zip(answers["default"], answers[n]) if a != b) for n in names}
    ranked = []
    for i, d in enumerate(corpus):  # the default's warm pass, to find the slowest orders
        t0 = time.thread_time()
        sides["default"].answer(d)
        ranked.append(((time.thread_time() - t0) * 1000, i))
    slow = [i for _, i in sorted(ranked, reverse=True)[:args.slowest]]
    cpu = {n: {i: {"total": [], "check": [], "model": [], "checks": []} for i in slow} for n in names}
    unstable = {n: 0 for n in names}  # answers of the timed rounds unlike the warm-up's
    for r in range(args.rounds):
        for j, i in enumerate(slow):
            k = (j + r) % len(names)
            for n in names[k:] + names[:k]:
                TIMERS.check = TIMERS.model = 0.0
                TIMERS.checks = 0
                t0 = time.thread_time()
                text = sides[n].answer(corpus[i])
                row = cpu[n][i]
                row["total"].append((time.thread_time() - t0) * 1000)
                row["check"].append(TIMERS.check * 1000)
                row["model"].append(TIMERS.model * 1000)
                row["checks"].append(TIMERS.checks)
                unstable[n] += text != answers[n][i]
    out = {"machine": {"python": platform.python_version(), "z3": z3.get_version_string(), "cpus": os.cpu_count(),
                       "load_average_end": os.getloadavg()[0]},
           "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "orders": len(corpus),
           "slowest": slow, "rounds": args.rounds, "settings": {}}
    base = None
    print(f"{'setting':>15} {'JSON differ':>11} {'unstable':>8} {'total ms':>9} {'check ms':>9} {'model ms':>9} {'checks':>6}"
          f" {'total/default':>13} {'check/default':>13}")
    for n in names:
        med = {q: statistics.median(statistics.median(cpu[n][i][q]) for i in slow)
               for q in ("total", "check", "model", "checks")}
        if base is None:
            base = med
        ratio = {q: round(med[q] / base[q], 3) if base[q] else None for q in ("total", "check")}
        out["settings"][n] = {"parameters": SETTINGS[n], "json_differ": differ[n], "json_unstable": unstable[n],
                              "median_ms": {q: round(v, 2) for q, v in med.items()}, "ratio_to_default": ratio,
                              "per_order_total_ms": {i: round(statistics.median(cpu[n][i]["total"]), 2) for i in slow}}
        print(f"{n:>15} {differ[n]:>11} {unstable[n]:>8} {med['total']:>9.1f} {med['check']:>9.1f} {med['model']:>9.1f}"
              f" {med['checks']:>6.0f} {ratio['total']:>13} {ratio['check']:>13}", flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
