"""What repair costs on everyday orders: the bundled tariffs' invalid orders, CPU per repair in
two or more trees side by side.

    .venv/bin/python benchmarks/bench_repair_cost.py --sides 30f65b6,a82a8c7,. --rounds 3 \\
        --json benchmarks/results/repaircost_everyday.json
    .venv/bin/python benchmarks/bench_repair_cost.py --sides a82a8c7,. --drawn 10 --se 2 --rounds 1   # quick

bench_explain_scale.py times repair at synthetic 10x and 100x, where the least repair changes
many fields; this times it where most users are: small orders of the five bundled tariffs, whose
least repair changes one to a few fields, so that a change made for the large orders (a lower
bound from unsat cores, smt/repair_bound.py) can be seen to cost nothing here, or what it does.

The corpus, built once in this process and given to every side as JSON (each side decodes it
with its own package):

- every invalid golden case of the five bundled tariffs (specs/*.tests.json), K=1 and K=3;
- `--drawn` orders per bundled tariff drawn as bench_repair_same.py draws them (Hypothesis,
  derandomized, up to two contracts, up to three random locks), invalid ones only, duplicates
  dropped, K=1 and K=3 under their locks;
- `--se` Secure Endpoint orders per number of broken rule instances (1..5), drawn as
  bench_explain.py's `se_corpus` draws them (bench_check.py's realistic orders, seed 20251204),
  K=1 and K=3.

A side is a commit (`git archive`, unpacked into a temporary folder) or `.` (this tree). Each
round runs every side in a process of its own, all at the same time (so each sees the same load
and the same contention for caches); a process repairs every order once with K=3 to warm up
(compiling the tariff's rules, the cone's first encodings), then once timed per K, in CPU time
of the process (time.process_time: the machine is shared), the garbage collector off while
timed. An order's figure is its median over the rounds; the table gives the median, p90 and p99
(nearest rank) over orders, per tariff and in all, and the solver calls per repair (counted by
wrapping repair.py's `within_budget`). The answers (status, complete, cost and distance per
repair) are compared between sides: a side that differs is reported.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KS = (1, 3)


def percentile(xs: list[float], q: float) -> float:
    """The nearest-rank percentile q (0..100) of xs."""
    s = sorted(xs)
    return s[max(0, min(len(s) - 1, -(-len(s) * q // 100) - 1))] if s else float("nan")


# ---- the corpus (this tree) -------------------------------------------------------------------
def corpus(drawn: int, se: int) -> list[dict]:
    """Every order as {key, tariff, data, locks}: the same on every run."""
    sys.path.insert(0, str(HERE))
    from bench_check import make_order  # noqa: PLC0415

    from tariffcheck import catalog  # noqa: PLC0415
    from tariffcheck.common.diagnostics import DiagnosticError  # noqa: PLC0415
    from tariffcheck.evaluate.concrete import ConcreteValidator  # noqa: PLC0415
    from tariffcheck.evaluate.verdict import VALID  # noqa: PLC0415
    from tariffcheck.orders.decode import decode_order  # noqa: PLC0415
    from tariffcheck.testing.case_file import load_test_file  # noqa: PLC0415

    out: list[dict] = []
    specs = ROOT / "specs"
    for path in sorted(specs.glob("*.tariff")):
        name = path.name[: -len(".tariff")]
        tariff = catalog.load(name)
        concrete = ConcreteValidator(tariff)
        for case in load_test_file(specs / f"{name}.tests.json", tariff):
            if case.expect != "invalid" or not isinstance(case.order, dict):
                continue
            try:
                order = decode_order(case.order, tariff)
            except DiagnosticError:
                continue
            if concrete.validate(order).status != VALID:
                out.append({"key": f"{name}/golden/{case.name}", "tariff": name, "data": case.order, "locks": []})
        for i, (data, locks) in enumerate(_drawn(tariff, drawn) if drawn else []):
            out.append({"key": f"{name}/drawn/{i}", "tariff": name, "data": data, "locks": locks})
    if se:
        tariff = catalog.load("secure_endpoint")
        concrete = ConcreteValidator(tariff)
        rng = random.Random(20251204)
        groups: dict[int, int] = {n: 0 for n in range(1, 6)}
        n = 0
        while min(groups.values()) < se and n < 20000:
            n += 1
            data, _ = make_order(rng, tariff, n)
            try:
                order = decode_order(data, tariff)
            except DiagnosticError:
                continue
            broken = len(concrete.validate(order).violations)
            if 1 <= broken <= 5 and groups[broken] < se:
                groups[broken] += 1
                out.append({"key": f"secure_endpoint/se{broken}/{groups[broken]}", "tariff": "secure_endpoint",
                            "data": data, "locks": []})
    # every order goes through JSON: what a side decodes is what this process checked
    return json.loads(json.dumps(out, default=str))


def _drawn(tariff, n: int) -> list[tuple[dict, list[str]]]:
    """Invalid generated orders with up to three random locks (as bench_repair_same.py draws them)."""
    from hypothesis import HealthCheck, Phase, given, settings  # noqa: PLC0415
    from hypothesis import strategies as st  # noqa: PLC0415

    from tariffcheck.api import Checker  # noqa: PLC0415
    from tariffcheck.common.diagnostics import DiagnosticError  # noqa: PLC0415
    from tariffcheck.smt.encode import Encoder  # noqa: PLC0415
    from tariffcheck.smt.problem import Workspace  # noqa: PLC0415
    from tariffcheck.testing.strategies import order_dicts  # noqa: PLC0415

    checker, own = Checker(tariff), Workspace(Encoder(tariff))
    got: list[tuple[dict, list[str]]] = []

    @settings(max_examples=n, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    @given(order_dicts(tariff, max_contracts=2), st.randoms(use_true_random=False))
    def draw(data, rnd):
        try:
            order = checker.decode(json.loads(json.dumps(data, default=str)))
        except DiagnosticError:
            return
        if checker.check(order).status != "invalid":
            return
        with own.open(order) as p:
            paths = [str(c.path) for c in p.choices]
        got.append((json.loads(json.dumps(data, default=str)), rnd.sample(paths, min(len(paths), rnd.randint(0, 3)))))

    draw()
    seen, out = set(), []
    for data, locks in got:
        key = (json.dumps(data, sort_keys=True), tuple(locks))
        if key not in seen:
            seen.add(key)
            out.append((data, locks))
    return out


# ---- one side, in a process of its own --------------------------------------------------------
def worker(path: str) -> dict:
    """Repair every order of the corpus in `path` once to warm up, then once timed, per K."""
    from tariffcheck import catalog  # noqa: PLC0415
    from tariffcheck.orders.decode import decode_order  # noqa: PLC0415
    from tariffcheck.smt import repair as repair_module  # noqa: PLC0415

    calls = [0]
    counted = repair_module.within_budget

    def within_budget(*args, **kwargs):
        calls[0] += 1
        return counted(*args, **kwargs)

    repair_module.within_budget = within_budget  # every solver call of the search goes through it
    orders = json.loads(Path(path).read_text(encoding="utf-8"))
    repairers: dict = {}
    out: dict = {}
    for item in orders:
        if item["tariff"] not in repairers:
            tariff = catalog.load(item["tariff"])
            repairers[item["tariff"]] = (tariff, repair_module.Repairer(tariff))
        tariff, repairer = repairers[item["tariff"]]
        order = decode_order(item["data"], tariff)
        repairer.repair(order, k=max(KS), locks=item["locks"])  # warm-up
        for k in KS:
            gc.collect()
            gc.disable()
            calls[0] = 0
            c0 = time.process_time()
            result = repairer.repair(order, k=k, locks=item["locks"])
            cpu = time.process_time() - c0
            gc.enable()
            out[f"{item['key']}|k{k}"] = {
                "cpu_ms": round(cpu * 1000, 3), "calls": calls[0],
                "answer": [result.status, result.complete, [[r.cost, r.distance] for r in result.repairs]]}
    return out


# ---- the run ----------------------------------------------------------------------------------
def _unpack(commit: str, into: Path) -> Path:
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], stdout=subprocess.PIPE, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def summary(per_order: dict[str, float], calls: dict[str, float]) -> dict:
    """Median, p90, p99 of CPU ms over orders, per tariff and K, and in all per K."""
    groups: dict[str, list[str]] = {}
    for key in per_order:
        name, k = key.split("/")[0], key.rsplit("|", 1)[1]
        groups.setdefault(f"{name} {k}", []).append(key)
        groups.setdefault(f"all {k}", []).append(key)
    out = {}
    for g, keys in sorted(groups.items()):
        xs = [per_order[x] for x in keys]
        out[g] = {"orders": len(xs), "median_ms": round(statistics.median(xs), 2),
                  "p90_ms": round(percentile(xs, 90), 2), "p99_ms": round(percentile(xs, 99), 2),
                  "total_ms": round(sum(xs), 1), "calls_median": statistics.median(calls[x] for x in keys),
                  "calls_total": sum(calls[x] for x in keys)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sides", default="30f65b6,a82a8c7,.", help="commits to compare, `.` for this tree")
    ap.add_argument("--drawn", type=int, default=40, help="Hypothesis-drawn orders per bundled tariff")
    ap.add_argument("--se", type=int, default=10, help="Secure Endpoint orders per number of broken instances")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(worker(args.child)))
        return 0
    sides = args.sides.split(",")
    results: dict = {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "sides": sides,
                     "rounds": args.rounds, "drawn": args.drawn, "se": args.se, "load_average": [os.getloadavg()[0]]}
    orders = corpus(args.drawn, args.se)
    results["orders"] = len(orders)
    print(f"{len(orders)} orders, K in {KS}", file=sys.stderr, flush=True)
    runs: dict[str, list[dict]] = {s: [] for s in sides}
    with tempfile.TemporaryDirectory() as tmp:
        roots = {s: ROOT if s == "." else _unpack(s, Path(tmp) / s) for s in sides}
        path = Path(tmp) / "orders.json"
        path.write_text(json.dumps(orders), encoding="utf-8")
        for r in range(args.rounds):
            # the sides run at the same time, so that each sees the same machine (load, caches)
            c0 = time.time()
            procs = {side: subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child", str(path)],
                                            env=dict(os.environ, PYTHONPATH=str(roots[side])),
                                            stdout=subprocess.PIPE, text=True) for side in sides}
            for side, proc in procs.items():
                stdout, _ = proc.communicate()
                if proc.returncode:
                    raise SystemExit(f"side {side} failed (exit {proc.returncode})")
                runs[side].append(json.loads(stdout))
            results["load_average"].append(os.getloadavg()[0])
            print(f"  round {r + 1}: {time.time() - c0:.0f} s wall, load {os.getloadavg()[0]:.1f}",
                  file=sys.stderr, flush=True)
    results["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    keys = sorted(runs[sides[0]][0])
    results["per_order_ms"], results["summary"], results["differ"] = {}, {}, {}
    for side in sides:
        cpu = {x: statistics.median(run[x]["cpu_ms"] for run in runs[side]) for x in keys}
        calls = {x: statistics.median(run[x]["calls"] for run in runs[side]) for x in keys}
        results["per_order_ms"][side] = cpu
        results["summary"][side] = summary(cpu, calls)
        first = runs[sides[0]][0]
        results["differ"][side] = [x for x in keys if any(run[x]["answer"] != first[x]["answer"] for run in runs[side])]
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    groups = list(results["summary"][sides[0]])
    print(f"{len(orders)} orders; CPU ms per repair, median / p90 / p99 (calls median) per side: " + " | ".join(sides))
    for g in groups:
        cells = [results["summary"][s][g] for s in sides]
        print(f"  {g:28} n={cells[0]['orders']:4}  " + "  |  ".join(
            f"{c['median_ms']:7.2f} {c['p90_ms']:7.2f} {c['p99_ms']:7.2f} ({c['calls_median']:g})" for c in cells))
    for side in sides:
        if results["differ"][side]:
            print(f"  {side}: answers differ from {sides[0]}'s on {len(results['differ'][side])}: "
                  f"{results['differ'][side][:5]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
