"""Full garbage collections in a process that answers explain and options as the service does,
with and without service/heap.py's `FreezeAfterSlowCollections`, side by side.

    .venv/bin/python benchmarks/bench_service_gc.py [--passes 5] [--json benchmarks/results/gcfreeze_probe.json]

Each side is a child process (a fresh heap): a Secure Endpoint `Checker`, `heap.settle()` as the
service does when its tariffs are loaded, then `--passes` passes over bench_service.py's corpus
(seed 20261203: its invalid orders explained, its partial orders' options), one explain and one
options a step, in one thread. A `gc.callbacks` entry times every generation-2 collection in CPU
time of the thread that runs it (time.thread_time). Printed per pass: the requests, their CPU,
the full collections, their CPU in all and the longest, and how many objects are frozen. The
first pass is the solver workspaces' warm-up (the service's first requests).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(policy: bool, passes: int) -> list[dict]:
    sys.path.insert(0, str(HERE))
    from bench_service import corpus

    from tariffcheck import catalog
    from tariffcheck.api import Checker
    from tariffcheck.orders.decode import decode_partial_order
    from tariffcheck.service import heap

    _, invalid, partial = corpus(300, 20261203)
    checker = Checker(catalog.load("secure-endpoint"))
    full: list[float] = []
    began: list[float] = [0.0]

    def timer(phase: str, info: dict) -> None:
        if info["generation"] == 2:
            if phase == "start":
                began[0] = time.thread_time()
            else:
                full.append(time.thread_time() - began[0])

    heap.settle()
    gc.callbacks.append(timer)
    if policy:
        heap.FreezeAfterSlowCollections().install()
    steps = max(len(invalid), len(partial))
    out = []
    for p in range(passes):
        full.clear()
        cpu0 = time.thread_time()
        for i in range(steps):
            checker.explain(invalid[i % len(invalid)], budget_ms=10_000)
            order = decode_partial_order(json.loads(partial[i % len(partial)]), checker.tariff)
            checker.options(order, budget_ms=10_000)
        out.append({"pass": p, "requests": 2 * steps, "cpu_s": round(time.thread_time() - cpu0, 2),
                    "full_collections": len(full), "full_ms": round(sum(full) * 1000, 1),
                    "longest_ms": round(max(full, default=0) * 1000, 1), "frozen": gc.get_freeze_count()})
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--passes", type=int, default=5)
    p.add_argument("--json", metavar="PATH")
    p.add_argument("--child", choices=("off", "on"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child == "on", args.passes)))
        return 0
    result: dict = {"load_average_start": os.getloadavg()}
    for side in ("off", "on"):
        run = subprocess.run([sys.executable, __file__, "--child", side, "--passes", str(args.passes)],
                             capture_output=True, text=True, check=True)
        result[side] = json.loads(run.stdout.strip().splitlines()[-1])
        print(f"policy {side}:")
        for row in result[side]:
            print(f"  pass {row['pass']}: {row['requests']} requests, {row['cpu_s']} CPU s, {row['full_collections']} full "
                  f"collection(s), {row['full_ms']} ms in all, longest {row['longest_ms']} ms, {row['frozen']} frozen")
    result["load_average_end"] = os.getloadavg()
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
