"""Benchmark explain, repair and propagation: Secure Endpoint orders with 1 to 5 broken rule
instances, and synthetic tariffs at 1x, 10x and 100x Secure Endpoint's size (1000x with
`--scales 1,10,100,1000`).

    .venv/bin/python benchmarks/bench_explain.py                     # about 5 minutes
    .venv/bin/python benchmarks/bench_explain.py --orders 10 --rounds 3 --scales 1,10   # quick look
    .venv/bin/python benchmarks/bench_explain.py --json benchmarks/results/explain.json

Operations, all through the solver modules that `tariff explain / repair / options` call:

  explain      Explainer(t).explain(order)               one minimal conflict
  repair K=1   Repairer(t).repair(order, k=1)            the nearest valid order
  repair K=3   Repairer(t).repair(order, k=3)            three distinct repairs
  propagate    Propagator(t).propagate(partial)          the order with its options left open

and, on its own corpus (`--parent-orders`, `parent_corpus`), propagation on partial orders with
a parent contract and 1 to 3 service contracts whose options are all open, in CPU time with
its p99 (the options target is p99 under 100 ms).

The Secure Endpoint corpus is bench_check.py's (seeded, realistic new orders, change and
cancellation requests); an order is put in group N when the concrete validator finds N broken
rule instances. The synthetic orders are synthetic.py's `invalid_order(text, n)` for n = 1..5.
Before timing, every repair found is re-checked by the concrete validator (the solver modules do
it too) and every explanation must be complete.

Each order is timed alone (time.perf_counter_ns, garbage collector off) in every round after a
warm-up call; an order's time is its median over the rounds; a group's figure is the median (and
90th percentile) over its orders. All figures of one run come from the same process, interleaved
order by order, so ratios between them are fair on a noisy machine.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import z3

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_check import make_order  # noqa: E402  (the Secure Endpoint corpus)
import synthetic  # noqa: E402

from tariffcheck import catalog  # noqa: E402
from tariffcheck.common.diagnostics import DiagnosticError  # noqa: E402
from tariffcheck.orders.decode import decode_order, decode_partial_order  # noqa: E402
from tariffcheck.evaluate.concrete import ConcreteValidator  # noqa: E402
from tariffcheck.smt.explain import Explainer  # noqa: E402
from tariffcheck.smt.propagate import Propagator  # noqa: E402
from tariffcheck.smt.repair import Repairer  # noqa: E402

TARGET_EXPLAIN_MS = 20.0
TARGET_REPAIR3_MS = 100.0
OPS = ("explain", "repair K=1", "repair K=3", "propagate")
SHORT = {"explain": "explain", "repair1": "repair K=1", "repair3": "repair K=3", "propagate": "propagate"}


class Suite:
    """The four operations on one tariff, each with its own warm workspace."""

    def __init__(self, tariff, ops=OPS):
        self.tariff = tariff
        self.ops = ops
        self.concrete = ConcreteValidator(tariff)
        self.explainer = Explainer(tariff)
        self.repairer = Repairer(tariff, concrete=self.concrete)
        self.propagator = Propagator(tariff)

    def run(self, op: str, order, partial):
        if op == "explain":
            return self.explainer.explain(order)
        if op == "repair K=1":
            return self.repairer.repair(order, k=1)
        if op == "repair K=3":
            return self.repairer.repair(order, k=3)
        return self.propagator.propagate(partial)

    def verify(self, order, partial, strict: bool = True) -> list[str]:
        """Checks the answers; returns the operations whose answer hit a solver time limit
        (an error when `strict`; at large synthetic scales they are counted and reported)."""
        incomplete = []

        def done(op, ok, why):
            if not ok:
                assert not strict, (op, why)
                incomplete.append(op)

        if "explain" in self.ops:
            e = self.explainer.explain(order)
            assert e.status in ("invalid", "unknown"), e.status
            done("explain", e.status == "invalid" and e.complete, e.reason)
        for k in (1, 3):
            if f"repair K={k}" not in self.ops:
                continue
            r = self.repairer.repair(order, k=k)
            assert r.status in ("repaired", "unknown"), r.status
            done(f"repair K={k}", r.complete and r.repairs, r.reason)
            for rep in r.repairs:
                assert self.concrete.validate(rep.order).status == "valid"
        if "propagate" in self.ops:
            p = self.propagator.propagate(partial)
            done("propagate", p.complete, p.reason)
        return incomplete


def partial_of(data: dict) -> dict:
    """The order with every option left open: what an order-entry screen asks about next."""
    out = json.loads(json.dumps(data))
    out["request"] = "new"
    for c in out["contracts"]:
        for key in ("current", "changes"):
            if key in c:
                c.update(c.pop(key))
        c.pop("options", None)
    out.pop("notice_arrived", None)
    out.pop("requested_date", None)
    return out


def partials(tariff, count: int, seed: int, parent: bool = True, tries: int = 20000) -> list[dict]:
    """Seeded partial orders (`partial_of` of make_order's orders) that decode as partial orders:
    with `parent`, only those with a parent contract (`unit`, 親たる契約), options' slowest. This
    is the "options (parent)" corpus of bench_solver_before_after.py, bench_options_tail.py,
    bench_options_first_sight.py and the tests that replay it."""
    rng, out, n = random.Random(seed), [], 0
    while len(out) < count and n < tries:
        n += 1
        data, _ = make_order(rng, tariff, n)
        if parent and not any(c.get("contract") in ("unit", "親たる契約") for c in data["contracts"]):
            continue
        try:
            decode_partial_order(partial_of(data), tariff)
        except DiagnosticError:
            continue
        out.append(partial_of(data))
    return out


def se_corpus(tariff, per_group: int, seed: int) -> dict[int, list]:
    """Secure Endpoint orders grouped by how many rule instances they break (1..5)."""
    rng = random.Random(seed)
    concrete = ConcreteValidator(tariff)
    groups: dict[int, list] = {n: [] for n in range(1, 6)}
    n = 0
    while min(len(g) for g in groups.values()) < per_group and n < 20000:
        n += 1
        data, _ = make_order(rng, tariff, n)
        try:
            order = decode_order(data, tariff)
            partial = decode_partial_order(partial_of(data), tariff)
        except DiagnosticError:
            continue
        broken = len(concrete.validate(order).violations)
        if 1 <= broken <= 5 and len(groups[broken]) < per_group:
            groups[broken].append((order, partial))
    return groups


def parent_corpus(tariff, count: int, seed: int) -> list:
    """Partial Secure Endpoint orders under a parent contract (親たる契約) with 1 to 3 service
    contracts whose options are all open: `partial_of` of bench_check.py's orders that have a
    parent, whatever they break. These are the orders on which propagation was slowest (0.3 to
    5 s, hundreds of solver calls: every option of every service is a question, and most are
    impossible for the item chosen, each with its reason); the grouped corpus above, drawn
    for its broken instances, rarely holds one. Each item is (None, partial)."""
    rng = random.Random(seed)
    out: list = []
    n = 0
    while len(out) < count and n < 20000:
        n += 1
        data, _ = make_order(rng, tariff, n)
        if not any(c.get("contract") in ("unit", "親たる契約") for c in data["contracts"]):
            continue
        try:
            out.append((None, decode_partial_order(partial_of(data), tariff)))
        except DiagnosticError:
            continue
    return out


def synthetic_corpus(tariff, text: str, per_group: int, seed: int) -> dict[int, list]:
    groups: dict[int, list] = {}
    for n in range(1, 6):
        groups[n] = []
        for i in range(per_group):
            data = synthetic.invalid_order(text, n, seed=seed + 100 * n + i)
            groups[n].append((decode_order(data, tariff), decode_partial_order(partial_of(data), tariff)))
    return groups


def time_groups(suite: Suite, groups: dict[int, list], rounds: int, strict: bool = True) -> dict[str, dict]:
    """Per operation: per-order medians over the rounds, then median and p90 over orders."""
    t0 = time.perf_counter()
    incomplete: dict[str, int] = {}
    for order, partial in (x for g in groups.values() for x in g):
        for op in suite.verify(order, partial, strict):  # also the warm-up
            incomplete[op] = incomplete.get(op, 0) + 1
    warm_s = time.perf_counter() - t0
    print(f"  verified and warmed up in {warm_s:.1f} s", flush=True)
    ops = suite.ops
    per_order: dict[str, list[float]] = {op: [] for op in ops}
    per_group: dict[str, dict[int, list[float]]] = {op: {n: [] for n in groups} for op in ops}
    for n, items in groups.items():
        for order, partial in items:
            samples: dict[str, list[int]] = {op: [] for op in ops}
            for _ in range(rounds):
                for op in ops:  # interleaved, so drift hits every operation alike
                    gc.disable()
                    t0 = time.perf_counter_ns()
                    suite.run(op, order, partial)
                    samples[op].append(time.perf_counter_ns() - t0)
                    gc.enable()
            for op in ops:
                ms = statistics.median(samples[op]) / 1e6
                per_order[op].append(ms)
                per_group[op][n].append(ms)
    out: dict = {"warm_up_s": warm_s}
    for op in ops:
        xs = sorted(per_order[op])
        out[op] = {"median_ms": statistics.median(xs), "p90_ms": xs[int(0.9 * (len(xs) - 1))],
                   "by_violations": {n: statistics.median(v) for n, v in per_group[op].items() if v},
                   "incomplete": incomplete.get(op, 0)}  # orders whose answer hit a solver time limit
    return out


def percentile(xs: list[float], q: float) -> float:
    """The q-th percentile by the nearest rank (p99 of fewer than 100 orders is the slowest)."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, -(-len(xs) * q // 100) - 1))] if xs else float("nan")


def time_parent(tariff, corpus: list, rounds: int) -> dict:
    """Propagation on `parent_corpus`, in CPU time (time.process_time: the machine is shared)
    and wall time; per order the median over the rounds, after a warm-up call that must be
    complete."""
    prop = Propagator(tariff)
    cpu, wall, calls = [], [], []
    for _, partial in corpus:
        first = prop.propagate(partial)
        assert first.complete, first.reason
        c, w = [], []
        for _ in range(rounds):
            gc.disable()
            t0, w0 = time.process_time(), time.perf_counter()
            r = prop.propagate(partial)
            c.append(time.process_time() - t0)
            w.append(time.perf_counter() - w0)
            gc.enable()
        cpu.append(statistics.median(c) * 1e3)
        wall.append(statistics.median(w) * 1e3)
        calls.append(r.calls)
    return {"orders": len(corpus), "rounds": rounds, "cpu_median_ms": statistics.median(cpu),
            "cpu_p90_ms": percentile(cpu, 90), "cpu_p99_ms": percentile(cpu, 99),
            "wall_median_ms": statistics.median(wall), "wall_p99_ms": percentile(wall, 99),
            "calls_median": statistics.median(calls), "cpu_ms": cpu}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=8, help="orders per violation count (1..5)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--scales", default="1,10,100", help="synthetic scales, comma-separated")
    ap.add_argument("--seed", type=int, default=20251001)
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--parent-orders", type=int, default=16,
                    help="partial orders with a parent and open services, for propagation (0: none)")
    ap.add_argument("--large-ops", default=",".join(SHORT),
                    help="operations timed at synthetic scales from 10 up (of " + ", ".join(SHORT) + ")")
    args = ap.parse_args(argv)

    results: dict = {"machine": {"python": platform.python_version(), "z3": z3.get_version_string(),
                                 "cpus": os.cpu_count(), "load_average": os.getloadavg()[0]},
                     "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                     "orders_per_group": args.orders, "rounds": args.rounds, "tariffs": {}}
    se = catalog.load("secure-endpoint")
    print(f"Secure Endpoint: {len(se.rules)} rules; {args.orders} orders per violation count, {args.rounds} rounds")
    res = time_groups(Suite(se), se_corpus(se, args.orders, args.seed), args.rounds)
    results["tariffs"]["secure_endpoint"] = {"rules": len(se.rules), **res}
    _print(res)
    if args.parent_orders:
        res = time_parent(se, parent_corpus(se, args.parent_orders, args.seed), args.rounds)
        results["tariffs"]["secure_endpoint"]["propagate, parent and open services"] = res
        print(f"  propagate, {res['orders']} partial orders with a parent and open services: CPU median "
              f"{res['cpu_median_ms']:.1f} ms, p90 {res['cpu_p90_ms']:.1f}, p99 {res['cpu_p99_ms']:.1f}; "
              f"wall median {res['wall_median_ms']:.1f} ms, p99 {res['wall_p99_ms']:.1f}; "
              f"solver calls median {res['calls_median']}", flush=True)
    _save(args.json, results)
    base = res
    for scale in [int(s) for s in args.scales.split(",") if s]:
        text = synthetic.generate(scale, seed=0)
        t0 = time.perf_counter()
        tariff = synthetic.load(text, f"<synthetic x{scale}>")
        load_s = time.perf_counter() - t0
        print(f"\nsynthetic x{scale}: {len(tariff.rules)} rules (load {load_s:.1f} s)")
        per_group = max(1, args.orders // (2 if scale >= 100 else 1))
        rounds = max(1, args.rounds // (2 if scale >= 100 else 1))
        ops = OPS if scale < 10 else tuple(SHORT[x] for x in args.large_ops.split(",") if x)
        res = time_groups(Suite(tariff, ops), synthetic_corpus(tariff, text, per_group, args.seed), rounds,
                          strict=False)
        results["tariffs"][f"synthetic_x{scale}"] = {"rules": len(tariff.rules), "load_s": load_s,
                                                    "orders_per_group": per_group, "rounds": rounds,
                                                    "not_measured": [op for op in OPS if op not in ops], **res}
        _print(res, base)
        _save(args.json, results)  # a larger scale that runs out of time keeps the smaller ones
    se_res = results["tariffs"]["secure_endpoint"]
    print(f"\ntargets on Secure Endpoint: explain median {se_res['explain']['median_ms']:.1f} ms "
          f"(target {TARGET_EXPLAIN_MS:.0f}); repair K=3 median {se_res['repair K=3']['median_ms']:.1f} ms "
          f"(target {TARGET_REPAIR3_MS:.0f})")
    _save(args.json, results)
    return 0


def _save(path: str | None, results: dict) -> None:
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def _print(res: dict, base: dict | None = None) -> None:
    print(f"  {'operation':<12} {'median ms':>10} {'p90 ms':>8}   by violations 1..5 (median ms)" +
          ("   vs SE" if base else ""))
    for op in OPS:
        if op not in res:
            print(f"  {op:<12} {'not measured':>10}")
            continue
        r = res[op]
        by = " ".join(f"{r['by_violations'].get(n, float('nan')):7.1f}" for n in range(1, 6))
        ratio = f"   {r['median_ms'] / base[op]['median_ms']:5.1f}x" if base else ""
        late = f"   ({r['incomplete']} incomplete)" if r.get("incomplete") else ""
        print(f"  {op:<12} {r['median_ms']:10.1f} {r['p90_ms']:8.1f}   {by}{ratio}{late}")


if __name__ == "__main__":
    sys.exit(main())
