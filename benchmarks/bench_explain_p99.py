"""The latency of one explanation, order by order, old code beside new: the library under
`POST /v1/tariffs/{name}/explain`.

    .venv/bin/python benchmarks/bench_explain_p99.py --before 76fe0f6
    .venv/bin/python benchmarks/bench_explain_p99.py --before 76fe0f6 --orders 1000 --json benchmarks/results/explainp99.json
    .venv/bin/python benchmarks/bench_explain_p99.py --before 30f65b6 --why-not   # why-not as well

The orders are the service benchmark's (bench_service.py `corpus`: Secure Endpoint orders from
bench_check.py's generator, the invalid ones), by default with another seed than the service
benchmark's, so that neither tree has seen them; each is explained once (one conflict, as the
service's default), in sequence, by one kept Checker per tree, as a solver thread of the
service does. Each tree runs in a child process of its own (its code from `git archive`); the
parent hands both the same chunks of orders in turn, so both run under the same load. Per
order it records the CPU time of the explaining thread and the wall time; it prints the mean,
p50, p90, p99 and max of each, over the whole stream and over its last three quarters (by then
a tree that keeps anything across orders has kept it), and whether the trees gave the same
conflicts, and the same JSON result (report/explain_report.py), order by order. With
`--why-not`, each order is also asked why-not for an option its first continuing contract lacks
(picked by the order's size), timed and compared the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_service import TARIFF, corpus, scratch, source_tree  # noqa: E402

CHILD = r"""
import json, sys, time
from tariffcheck import Checker, catalog
from tariffcheck.report import explain_report
bodies = json.load(open(sys.argv[1], encoding="utf-8"))
tariff = catalog.load(sys.argv[2])
why_not = sys.argv[3] == "1"
checker = Checker(tariff)
orders = [checker.decode(b) for b in bodies]
checker.explain(orders[0])  # the encoding is built on the first call: not an order's latency


def question(order):
    # why-not's question: an option the first continuing contract lacks, picked by the order's size
    entry = next((e for e in order.contracts if not e.cancelled), None)
    lacks = [] if entry is None else [o for o in tariff.contracts[entry.kind].options if o not in entry.new.options]
    return (entry.id, lacks[7 * len(order.contracts) % len(lacks)]) if lacks else None


first = next((o for o in orders if question(o)), None) if why_not else None
if first is not None:  # the same for why-not's first call
    checker.why_not(first, question(first)[1], question(first)[0])
print("ready", flush=True)
for line in sys.stdin:
    start, n = map(int, line.split())
    out = []
    for order in orders[start:start + n]:
        t0, c0 = time.perf_counter(), time.thread_time()
        e = checker.explain(order)
        cpu, wall = time.thread_time() - c0, time.perf_counter() - t0
        sig = [e.status, e.complete, [[sorted([str(c.path), repr(c.value)] for c in k.choices),
                                       sorted(str(r.key) for r in k.rules)] for k in e.conflicts]]
        row = [cpu, wall, sig, explain_report.to_json(tariff, order, e)]
        q = question(order) if why_not else None
        if q is not None:
            c0 = time.thread_time()
            w = checker.why_not(order, q[1], q[0])
            row += [time.thread_time() - c0, explain_report.to_json(tariff, order, w)]
        out.append(row)
    print(json.dumps(out), flush=True)
"""


def stats(xs: list[float]) -> dict:
    xs = sorted(xs)
    q = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))] * 1000  # noqa: E731
    return {"n": len(xs), "mean_ms": round(sum(xs) / len(xs) * 1000, 2), "p50_ms": round(q(0.5), 2),
            "p90_ms": round(q(0.9), 2), "p99_ms": round(q(0.99), 2), "max_ms": round(xs[-1] * 1000, 2)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="explain latency per order, old and new side by side")
    p.add_argument("--before", metavar="REV", help="also the code of git revision REV")
    p.add_argument("--orders", type=int, default=600, help="orders generated (about three in four are invalid)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--chunk", type=int, default=20, help="orders a tree explains before the other's turn")
    p.add_argument("--why-not", action="store_true",
                   help="also ask each order why-not for an option its first continuing contract lacks")
    p.add_argument("--json", metavar="PATH")
    args = p.parse_args(argv)
    _, invalid, _ = corpus(args.orders, args.seed)
    work = scratch("bench-explain-p99-")
    (work / "child.py").write_text(CHILD, encoding="utf-8")
    (work / "bodies.json").write_text(json.dumps([b.decode() for b in invalid], ensure_ascii=False), encoding="utf-8")
    trees = {"after": HERE.parent}
    if args.before:
        trees = {f"before ({args.before})": source_tree(args.before), "after": HERE.parent}
    children = {}
    for name, tree in trees.items():
        env = dict(os.environ, PYTHONPATH=str(tree))
        children[name] = subprocess.Popen([sys.executable, str(work / "child.py"), str(work / "bodies.json"), TARIFF,
                                           "1" if args.why_not else "0"],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=tree)
    got: dict[str, list] = {name: [] for name in trees}
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    try:
        for child in children.values():
            assert child.stdout.readline().strip() == "ready"
        for start in range(0, len(invalid), args.chunk):
            for name, child in children.items():
                child.stdin.write(f"{start} {args.chunk}\n")
                child.stdin.flush()
                got[name] += json.loads(child.stdout.readline())
    finally:
        for child in children.values():
            child.stdin.close()
            child.wait(60)
    out = {"tariff": TARIFF, "orders": len(invalid), "seed": args.seed, "load_average_at_start": round(load, 1),
           "seconds": round(time.perf_counter() - t0, 1), "cpus": os.cpu_count(), "trees": {}}
    skip = len(invalid) // 4
    print(f"explain, one conflict, {len(invalid)} invalid {TARIFF} orders (seed {args.seed}), each once, in "
          f"sequence; load average {load:.1f} at the start")
    print(f"{'tree':22} {'part':10} {'what':5} {'mean':>8} {'p50':>8} {'p90':>8} {'p99':>8} {'max':>8}  (ms)")
    for name, rows in got.items():
        res = {"all": {"cpu": stats([r[0] for r in rows]), "wall": stats([r[1] for r in rows])},
               "last_3_quarters": {"cpu": stats([r[0] for r in rows[skip:]]), "wall": stats([r[1] for r in rows[skip:]])}}
        asked = [r[4] for r in rows if len(r) > 4]
        if asked:
            res["why_not"] = {"cpu": stats(asked)}  # printed below with the rest
        out["trees"][name] = res
        for part, by in res.items():
            for what, s in by.items():
                print(f"{name:22} {part:10} {what:5} {s['mean_ms']:8.2f} {s['p50_ms']:8.2f} {s['p90_ms']:8.2f} "
                      f"{s['p99_ms']:8.2f} {s['max_ms']:8.2f}")
    if len(got) > 1:
        a, b = got.values()
        differ = [i for i, (x, y) in enumerate(zip(a, b)) if x[2] != y[2]]
        out["same_conflicts"] = len(differ) == 0
        out["orders_with_other_conflicts"] = len(differ)
        print(f"the same conflicts order by order: {len(invalid) - len(differ)} of {len(invalid)}")
        # the whole JSON result (report/explain_report.py), and why-not's where asked
        same_json = sum(1 for x, y in zip(a, b) if x[3:4] == y[3:4] and x[5:] == y[5:])
        asked = sum(1 for x in a if len(x) > 4)
        out["same_json"] = same_json
        out["why_not_asked"] = asked
        print(f"the same JSON order by order (explain{', why-not' if asked else ''}): {same_json} of {len(invalid)}"
              + (f"; why-not asked of {asked}" if asked else ""))
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
