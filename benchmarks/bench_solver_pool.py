"""Which pool should run the service's Z3 work: threads with a Z3 context each, or processes?

    .venv/bin/python benchmarks/bench_solver_pool.py                 # 48 orders per pool (about a minute)
    .venv/bin/python benchmarks/bench_solver_pool.py --orders 16     # a quick look

Both pools get the same work the service gives them: a seeded corpus of Secure Endpoint orders
(bench_check.py's), each explained (`Checker.explain`, one conflict) and turned into the JSON
result, submitted by 8 clients at once to a pool of 2 workers (this machine has 2 cores). The
thread pool shares one Checker, whose Z3 tools are per thread; the process pool builds a Checker
in each process and sends the order's dict in and the result's dict back. Each pool is warmed
(every worker has built its Z3 tools) before timing. Reported: orders per second, p50 and p99
latency per call as the client sees it, and the results must be the same in both pools.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_check import make_order  # noqa: E402

from tariffcheck import Checker, DiagnosticError, catalog  # noqa: E402
from tariffcheck.report import explain_report  # noqa: E402

TARIFF = "secure-endpoint"
_checker: Checker | None = None


def _process_init() -> None:
    global _checker
    _checker = Checker(TARIFF)


def explain_json(checker: Checker, data: dict) -> dict:
    order = checker.decode(data)
    return explain_report.to_json(checker.tariff, order, checker.explain(order, 1))


def in_process(data: dict) -> dict:
    return explain_json(_checker, data)


def corpus(n: int, seed: int) -> list[dict]:
    tariff = catalog.load(TARIFF)
    rng = random.Random(seed)
    checker = Checker(tariff)
    out = []
    while len(out) < n:
        data, _ = make_order(rng, tariff, len(out))
        try:
            checker.decode(data)
        except DiagnosticError:
            continue
        out.append(data)
    return out


def drive(submit, orders: list[dict], clients: int) -> tuple[list[float], list[dict], float]:
    """`clients` threads, each submitting its share of the orders one after another."""
    latencies: list[float] = []
    results: dict[int, dict] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client(k: int) -> None:
        barrier.wait()
        for i in range(k, len(orders), clients):
            t0 = time.perf_counter()
            res = submit(orders[i]).result()
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                results[i] = res
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, [results[i] for i in range(len(orders))], time.perf_counter() - t0


def quantile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=48)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seed", type=int, default=20261203)
    args = p.parse_args(argv)
    orders = corpus(args.orders, args.seed)
    figures = {}
    answers = {}

    shared = Checker(TARIFF)
    with ThreadPoolExecutor(args.workers) as pool:
        list(pool.map(lambda d: explain_json(shared, d), orders[: args.workers * 2]))  # warm every thread
        cpu0 = time.process_time()
        lat, res, wall = drive(lambda d: pool.submit(explain_json, shared, d), orders, args.clients)
        figures["threads"] = (lat, wall, time.process_time() - cpu0)
        answers["threads"] = res

    with ProcessPoolExecutor(args.workers, initializer=_process_init) as pool:
        list(pool.map(in_process, orders[: args.workers * 2]))
        lat, res, wall = drive(lambda d: pool.submit(in_process, d), orders, args.clients)
        figures["processes"] = (lat, wall, None)
        answers["processes"] = res

    same = [json.dumps(a, sort_keys=True) for a in answers["threads"]] == \
        [json.dumps(a, sort_keys=True) for a in answers["processes"]]
    print(f"{len(orders)} orders, {args.clients} clients, {args.workers} workers, "
          f"load average {os.getloadavg()[0]:.1f}; same results in both pools: {same}")
    print(f"{'pool':10} {'orders/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, (lat, wall, _) in figures.items():
        print(f"{name:10} {len(lat) / wall:9.1f} {quantile(lat, 0.5) * 1000:8.1f} {quantile(lat, 0.99) * 1000:8.1f} "
              f"{statistics.mean(lat) * 1000:8.1f}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
