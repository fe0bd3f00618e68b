"""`options`' tail, order by order: which orders are slow, what they have in common, how many
solver calls they take; a commit's tree against this one, with their JSON compared byte for byte.

    .venv/bin/python benchmarks/bench_options_tail.py --before 30f65b6
    .venv/bin/python benchmarks/bench_options_tail.py --before 30f65b6 --corpora service --rounds 1 --slowest 20

Corpora (Secure Endpoint):

  service  bench_service.py's partial orders (`corpus(300, 20261203)`): what the service's
           `options` phase sends
  parent   the 40 parent orders of bench_solver_before_after.py's "options (parent)" (seed 20251001)
  keys     an order-entry screen filling orders in, one request a keystroke: each of the first 8
           service orders with a parent and three service contracts, entered one field at a
           time (every prefix: the contracts and their parents first, then each contract's
           fields in the order's own order), the orders of one in a row (not in --corpora's
           default: add it)

Both trees are imported in this process (the commit's package as `tariffcheck_before`, as
bench_solver_before_after.py does), each with its own `Checker`. The service's path is timed:
decode, `Checker.options` with the service's budget (10 s), `options_report.to_json` and the JSON
written. A warm-up pass answers the whole corpus on each side first (the service's solver threads
are warm: each shape of order and each standing has been seen), then each round times every order
on both sides, which goes first alternating by order, in CPU time of the thread
(time.thread_time: the machine is shared). An order's figure is its median over the rounds.
The warm-up's own CPU is reported too ("at first sight": each order answered for the first time,
after the orders before it in the corpus, the first orders of each shape paying its encodings).
Printed: mean, median, p90, p99 (nearest rank) and the slowest orders with their shape (the
contract kinds), how many fields are open, the solver calls and the JSON's size; and how many
orders' JSON differ between the trees (the warm-up's and every round's answers are compared).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import z3

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_explain import partials, percentile  # noqa: E402
from bench_solver_before_after import load_before  # noqa: E402

from tariffcheck import catalog  # noqa: E402

TARIFF = "secure-endpoint"


class Side:
    """One tree's service path for options."""

    def __init__(self, pkg: str):
        mod = lambda name: __import__(f"{pkg}.{name}", fromlist=["_"])  # noqa: E731
        self.checker = mod("api").Checker(mod("catalog").load(TARIFF))
        self.decode = mod("orders.decode").decode_partial_order
        self.report = mod("report.options_report")

    def answer(self, data: dict) -> tuple[str, object]:
        order = self.decode(data, self.checker.tariff)
        got = self.checker.options(order, budget_ms=10_000)
        return json.dumps(self.report.to_json(self.checker.tariff, order, got), ensure_ascii=False), got


def service_corpus(n: int = 300, seed: int = 20261203) -> list[dict]:
    """bench_service.py's partial orders (the same draw, as dicts)."""
    from bench_service import corpus

    return [json.loads(b) for b in corpus(n, seed)[2]]


def parent_corpus(count: int = 40, seed: int = 20251001) -> list[dict]:
    """bench_solver_before_after.py's "options (parent)" orders."""
    return partials(catalog.load(TARIFF), count, seed)


def keys_corpus(count: int = 8) -> list[dict]:
    """`keys` (above): the service corpus's first `count` four-contract orders, field by field."""
    out = []
    for d in [d for d in service_corpus() if len(d["contracts"]) == 4][:count]:
        head = {k: v for k, v in d.items() if k != "contracts"}
        entered = [{k: v for k, v in c.items() if k in ("id", "contract", "parent")} for c in d["contracts"]]
        for c, now in zip(d["contracts"], entered):
            for k, v in c.items():
                if k not in now:
                    now[k] = v
                    out.append(dict(head, contracts=json.loads(json.dumps(entered))))
    return out


def summary(xs: list[float]) -> dict:
    return {"mean": round(statistics.fmean(xs), 2), "p50": round(percentile(xs, 50), 2),
            "p90": round(percentile(xs, 90), 2), "p99": round(percentile(xs, 99), 2), "max": round(max(xs), 2)}


def run_corpus(name: str, corpus: list[dict], sides: dict[str, Side], rounds: int, slowest: int) -> dict:
    differ = 0
    first: dict[str, list[str]] = {k: [] for k in sides}
    info = []
    seen: dict[str, list[float]] = {k: [] for k in sides}  # the warm-up's CPU: each order at first sight
    for i, data in enumerate(corpus):  # warm-up: every order once on each side
        for k in (list(sides) if i % 2 == 0 else list(reversed(sides))):
            t0 = time.thread_time()
            text, got = sides[k].answer(data)
            seen[k].append((time.thread_time() - t0) * 1000)
            first[k].append(text)
            if k == "after":
                info.append({"kinds": [c.get("contract") for c in data["contracts"]], "calls": got.calls,
                             "fields": len(got.fields), "impossible": sum(1 for f in got.fields for v in f.values
                                                                          if not v.possible),
                             "json_kb": round(len(text.encode()) / 1024, 1), "status": got.status})
    if "before" in sides:
        differ = sum(1 for a, b in zip(first["before"], first["after"]) if a != b)
    cpu: dict[str, list[list[float]]] = {k: [[] for _ in corpus] for k in sides}
    for r in range(rounds):
        for i, data in enumerate(corpus):
            order = list(sides) if (i + r) % 2 == 0 else list(reversed(sides))
            for k in order:
                t0 = time.thread_time()
                text, _ = sides[k].answer(data)
                cpu[k][i].append((time.thread_time() - t0) * 1000)
                if text != first[k][i]:
                    raise SystemExit(f"{name} order {i}: {k}'s JSON changed between runs")
    med = {k: [statistics.median(x) for x in v] for k, v in cpu.items()}
    out = {"orders": len(corpus), "json_differ": differ if "before" in sides else None,
           "cpu_ms": {k: summary(v) for k, v in med.items()},
           "first_sight_cpu_ms": {k: summary(v) for k, v in seen.items()}}
    ranked = sorted(range(len(corpus)), key=lambda i: -med["after"][i])
    out["slowest"] = [dict(info[i], order=i, **{f"{k}_ms": round(med[k][i], 2) for k in sides})
                      for i in ranked[:slowest]]
    print(f"\n{name}: {len(corpus)} orders, JSON differ: {out['json_differ']}")
    for k, s in out["cpu_ms"].items():
        print(f"  {k:>6} CPU ms: " + "  ".join(f"{q} {v:.1f}" for q, v in s.items()))
    for k, s in out["first_sight_cpu_ms"].items():
        print(f"  {k:>6} CPU ms at first sight: " + "  ".join(f"{q} {v:.1f}" for q, v in s.items()))
    print("  slowest (after):")
    for row in out["slowest"]:
        print("   ", json.dumps(row, ensure_ascii=False))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", help="the commit to compare with (e.g. 30f65b6); this tree alone without it")
    ap.add_argument("--corpora", default="service,parent")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--slowest", type=int, default=12)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    sides: dict[str, Side] = {}
    if args.before:
        tmp = tempfile.TemporaryDirectory()
        load_before(args.before, Path(tmp.name))
        sides["before"] = Side("tariffcheck_before")
    sides["after"] = Side("tariffcheck")
    results = {"machine": {"python": platform.python_version(), "z3": z3.get_version_string(),
                           "cpus": os.cpu_count(), "load_average_start": os.getloadavg()[0]},
               "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "before": args.before,
               "rounds": args.rounds, "corpora": {}}
    print(f"before {args.before}; {args.rounds} rounds; load average {os.getloadavg()[0]:.1f}", flush=True)
    for name in args.corpora.split(","):
        corpus = {"service": service_corpus, "parent": parent_corpus, "keys": keys_corpus}[name]()
        results["corpora"][name] = run_corpus(name, corpus, sides, args.rounds, args.slowest)
    results["machine"]["load_average_end"] = os.getloadavg()[0]
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
