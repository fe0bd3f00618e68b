"""Explain and repair (K=3) at synthetic scales, old and new code side by side in one run.

    .venv/bin/python benchmarks/bench_explain_scale.py                        # 1x and 10x, old (76fe0f6) and new
    .venv/bin/python benchmarks/bench_explain_scale.py --scales 100 --sides new --orders 1
    .venv/bin/python benchmarks/bench_explain_scale.py --json benchmarks/results/explain_scale.json

The old side is the package at a commit (`git archive` into a temporary folder), the new side
the working tree; one fresh process per (scale, side), the sides alternating within a scale so
that a change of load on the shared machine hits both. Each process generates the synthetic
tariff (synthetic.py), builds bench_explain.py's corpus (`invalid_order(text, n)` for n = 1..5
broken rule instances, `--orders` of each), and for every order calls explain and repair K=3
once to warm up (what a kept Explainer and Repairer have done before), then `--rounds` times
each, timed: CPU (`time.process_time`, which a busy neighbour does not inflate) and wall. An
order's time is its median over the rounds; the figures are the median and p99 (nearest rank;
of fewer than 100 orders, the slowest) over the orders, and how many answers a time limit cut
short (`complete` false) in the timed calls. Both sides' answers are written out and compared:
the sets of choices of each conflict, and the cost and distance of each repair.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def worker(scale: int, per_count: int, rounds: int, seed: int, only: str = "explain,repair", warm: bool = False) -> dict:
    """Run in the child process, with PYTHONPATH pointing at one side's package."""
    sys.path.insert(0, str(HERE))
    import synthetic  # noqa: PLC0415

    from tariffcheck.orders.decode import decode_order  # noqa: PLC0415
    from tariffcheck.smt.explain import Explainer  # noqa: PLC0415
    from tariffcheck.smt.repair import Repairer  # noqa: PLC0415

    c0 = time.process_time()
    text = synthetic.generate(scale, seed=0)
    tariff = synthetic.load(text, f"<synthetic x{scale}>")
    load_cpu = time.process_time() - c0
    orders = [decode_order(synthetic.invalid_order(text, n, seed=seed + 100 * n + i), tariff)
              for n in range(1, 6) for i in range(per_count)]
    explainer, repairer = (Explainer(tariff, warm=True) if warm else Explainer(tariff)), Repairer(tariff)
    ops = {"explain": explainer.explain, "repair K=3": lambda o: repairer.repair(o, k=3)}
    ops = {op: fn for op, fn in ops.items() if op.split()[0] in only.split(",")}
    out: dict = {"scale": scale, "rules": len(tariff.rules), "orders": len(orders), "rounds": rounds,
                 "load_cpu_s": load_cpu, "ops": {}, "answers": []}
    per_op = {op: {"cpu_ms": [], "wall_ms": [], "cut_short": 0, "first_cpu_ms": [], "first_cut_short": 0} for op in ops}
    for order in orders:
        answer = {}
        for op, fn in ops.items():
            c0 = time.process_time()
            first = fn(order)  # the warm-up: what a kept Explainer or Repairer has done before
            per_op[op]["first_cpu_ms"].append((time.process_time() - c0) * 1e3)
            per_op[op]["first_cut_short"] += not first.complete
            cpu, wall = [], []
            for _ in range(rounds):
                c0, w0 = time.process_time(), time.perf_counter()
                r = fn(order)
                cpu.append((time.process_time() - c0) * 1e3)
                wall.append((time.perf_counter() - w0) * 1e3)
                per_op[op]["cut_short"] += not r.complete
            per_op[op]["cpu_ms"].append(statistics.median(cpu))
            per_op[op]["wall_ms"].append(statistics.median(wall))
            if op == "explain":
                answer["explain"] = [first.status, first.complete,
                                     [sorted(str(c.path) for c in x.choices) for x in first.conflicts]]
            else:
                answer["repair"] = [first.status, first.complete, [[x.cost, x.distance] for x in first.repairs]]
        out["answers"].append(answer)
        print(f"    x{scale} order {len(out['answers'])}/{len(orders)}: "
              + ", ".join(f"{op} {per_op[op]['cpu_ms'][-1]:.0f} ms" for op in ops), file=sys.stderr, flush=True)
    for op, d in per_op.items():
        out["ops"][op] = {"cpu_median_ms": statistics.median(d["cpu_ms"]), "cpu_p99_ms": percentile(d["cpu_ms"], 99),
                          "wall_median_ms": statistics.median(d["wall_ms"]), "wall_p99_ms": percentile(d["wall_ms"], 99),
                          "cut_short": d["cut_short"], "calls": len(orders) * rounds,
                          # each order's first call, after the orders before it (the first order's
                          # builds the encoding, so it is left out): an order not seen before
                          "first_cpu_median_ms": statistics.median(d["first_cpu_ms"][1:] or d["first_cpu_ms"]),
                          "first_cpu_p99_ms": percentile(d["first_cpu_ms"][1:] or d["first_cpu_ms"], 99), **d}
    return out


def percentile(xs: list[float], q: float) -> float:
    """The q-th percentile by the nearest rank (p99 of fewer than 100 orders is the slowest)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, -(-len(xs) * q // 100) - 1))] if xs else float("nan")


def run_side(root: Path, scale: int, args) -> dict:
    env = dict(os.environ, PYTHONPATH=str(root))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(scale), "--orders", str(args.orders),
           "--rounds", str(args.rounds), "--seed", str(args.seed), "--ops", args.ops]
    if args.warm and root == ROOT:  # the old side's Explainer may not know the switch
        cmd.append("--warm")
    done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,10")
    ap.add_argument("--sides", default="old,new")
    ap.add_argument("--old", default="76fe0f6", help="the commit of the old side")
    ap.add_argument("--orders", type=int, default=2, help="orders per count of broken instances (1..5)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--seed", type=int, default=20251001)
    ap.add_argument("--ops", default="explain,repair", help="which to time: explain, repair or both")
    ap.add_argument("--warm", action="store_true", help="the new side explains with Explainer(warm=True)")
    ap.add_argument("--json")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child is not None:
        print(json.dumps(worker(args.child, args.orders, args.rounds, args.seed, args.ops, args.warm)))
        return 0
    sides = args.sides.split(",")
    results: dict = {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "old": args.old,
                     "load_average": os.getloadavg()[0], "orders_per_count": args.orders, "rounds": args.rounds,
                     "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        roots = {"new": ROOT}
        if "old" in sides:
            old = Path(tmp) / "old"
            old.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.old], stdout=subprocess.PIPE, check=True)
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
            roots["old"] = old
        for scale in [int(s) for s in args.scales.split(",")]:
            got = {}
            for side in sides:
                print(f"x{scale} {side} ...", file=sys.stderr, flush=True)
                got[side] = run_side(roots[side], scale, args)
                results["runs"].append({"side": side, **got[side]})
                _save(args.json, results)
            for side, r in got.items():
                for op, d in r["ops"].items():
                    print(f"x{scale:<4} {side:<4} {op:<11} CPU median {d['cpu_median_ms']:9.1f} ms  p99 "
                          f"{d['cpu_p99_ms']:9.1f}  wall median {d['wall_median_ms']:9.1f}  p99 {d['wall_p99_ms']:9.1f}"
                          f"  cut short {d['cut_short']}/{d['calls']}  first sight CPU median "
                          f"{d['first_cpu_median_ms']:.1f} p99 {d['first_cpu_p99_ms']:.1f} cut short {d['first_cut_short']}", flush=True)
            if len(got) == 2:
                a, b = got["old"]["answers"], got["new"]["answers"]
                same_x = sum(x.get("explain") == y.get("explain") for x, y in zip(a, b))
                same_r = sum(x.get("repair") == y.get("repair") for x, y in zip(a, b))
                print(f"x{scale} answers the same as old: explain {same_x}/{len(a)}, repair {same_r}/{len(a)}")
                results.setdefault("same", {})[str(scale)] = {"explain": same_x, "repair": same_r, "orders": len(a)}
                _save(args.json, results)
    return 0


def _save(path: str | None, results: dict) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
