"""`options` on the parent corpus as an order-entry service sees it: every order once, the first
time, one after another, with what each side learnt from the orders before it (and nothing from
the order itself). A commit's code against this tree's, side by side in one process.

    .venv/bin/python benchmarks/bench_options_first_sight.py --before 76fe0f6
    .venv/bin/python benchmarks/bench_options_first_sight.py --before 76fe0f6 --passes 3 --json out.json

bench_solver_before_after.py times each order after a warm-up run of that same order, so what a
side keeps across orders (this tree's `Standing`, smt/propagate.py) already holds that order's own
answers; its `--cold` drops everything before each run. This is the case between the two: each
pass builds a fresh `Propagator` on each side (its tariff encoded before the timing by answering
the corpus's first order, which this tree's side then forgets: `Propagator.forget`) and answers
the corpus, each order timed on its first sight, before and after alternately
(which side goes first alternates by order), in CPU time of the process (time.process_time) and
wall time. A pass's orders are in a seeded shuffle of the corpus, another each pass; an order's
time is its median over the passes; the table gives the median and p99 (nearest rank) over
orders. The sets of possible and impossible values, forced values and bounds of both sides are
compared order by order.
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
import tempfile
import time
from pathlib import Path

import z3

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_explain import partials, percentile  # noqa: E402
from bench_solver_before_after import Side, answer, load_before  # noqa: E402

from tariffcheck import catalog  # noqa: E402


def parent_corpus(n: int, seed: int) -> list[dict]:
    """bench_solver_before_after.py's "options (parent)" corpus, as JSON."""
    return partials(catalog.load("secure-endpoint"), n, seed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="the commit to compare with (e.g. 76fe0f6)")
    ap.add_argument("--parent-orders", type=int, default=40)
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20251001)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)

    tmp = tempfile.TemporaryDirectory()
    load_before(args.before, Path(tmp.name))
    corpus = parent_corpus(args.parent_orders, args.seed)
    times = {name: ([[] for _ in corpus], [[] for _ in corpus]) for name in ("before", "after")}
    differ = 0
    print(f"before {args.before} against this tree; {len(corpus)} orders, {args.passes} passes; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    for r in range(args.passes):
        sides = {"before": Side("tariffcheck_before"), "after": Side("tariffcheck")}
        for side in sides.values():  # the encoding and the workspaces' slots, outside the timing
            side.run("options", corpus[0])
            forget = getattr(side.propagator, "forget", None)
            if forget is not None:
                forget()
        if hasattr(sides["before"].propagator, "forget"):
            raise SystemExit("the before side learns across orders too: forget both, or neither")
        order = list(range(len(corpus)))
        random.Random(args.seed + r).shuffle(order)
        for pos, k in enumerate(order):
            got = {}
            for name in (("before", "after") if (pos + r) % 2 == 0 else ("after", "before")):
                gc.disable()
                c0, w0 = time.process_time(), time.perf_counter()
                got[name] = sides[name].run("options", corpus[k])
                times[name][0][k].append(time.process_time() - c0)
                times[name][1][k].append(time.perf_counter() - w0)
                gc.enable()
            differ += answer(got["before"], reasons=False) != answer(got["after"], reasons=False)
    results = {"machine": {"python": platform.python_version(), "z3": z3.get_version_string(),
                           "cpus": os.cpu_count(), "load_average": os.getloadavg()[0]},
               "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "before": args.before,
               "passes": args.passes, "orders": len(corpus), "answers_differ_without_reasons": differ}
    print(f"{'side':<7} | {'CPU median ms':>13} | {'CPU p99 ms':>10} | {'wall median ms':>14} | {'wall p99 ms':>11}")
    for name, (cpu, wall) in times.items():
        cpu_ms = [statistics.median(x) * 1e3 for x in cpu]
        wall_ms = [statistics.median(x) * 1e3 for x in wall]
        row = results[name] = {"cpu_median_ms": statistics.median(cpu_ms), "cpu_p99_ms": percentile(cpu_ms, 99),
                               "wall_median_ms": statistics.median(wall_ms), "wall_p99_ms": percentile(wall_ms, 99)}
        print(f"{name:<7} | {row['cpu_median_ms']:13.1f} | {row['cpu_p99_ms']:10.1f} | {row['wall_median_ms']:14.1f} | "
              f"{row['wall_p99_ms']:11.1f}")
    print(f"answers differ (sets, forced values, bounds): {differ} of {len(corpus) * args.passes}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
