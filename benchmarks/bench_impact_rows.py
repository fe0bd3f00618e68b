"""The impact job's verdict rate on one worker, before and after, in one run: CPU seconds per
contract of `tariffcheck.impact(..., workers=0)` (the partitions in this process, no Dask) on a
Secure Endpoint base judged under two versions.

    .venv/bin/python benchmarks/bench_impact_rows.py [--rows 100000] [--before dfa04a5] [--json PATH]

The base comes from make_base.py (seed 0) as Parquet; the new version is
examples/secure_endpoint_next.tariff, the old one the bundled spec, as in bench_impact.py. "Before"
is the code of `--before` for the order path (orders/decode.py, evaluate/derived_dates.py,
evaluate/concrete.py and api.py, loaded from git as bench_decode.py does) and for judging a row
(impact/judge.py, with the old Checker class). Everything else of the job (reading Parquet,
the summary, the result JSON, writing the parts) is the working tree's on both sides. The two sides run alternately, `--runs` times each,
into fresh output folders; the figure is the median of the runs' CPU time (time.process_time), and
the results of the two sides must be equal byte for byte.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import tariffcheck  # noqa: E402
from bench_decode import before, load_before  # noqa: E402
from bench_check import machine  # noqa: E402
from make_base import iter_rows, write_base  # noqa: E402
from tariffcheck import catalog  # noqa: E402
from tariffcheck.impact import judge  # noqa: E402
from tariffcheck.impact import run as impact_run  # noqa: E402

ROOT = HERE.parent
NEW = str(ROOT / "examples" / "secure_endpoint_next.tariff")
OLD = "secure-endpoint"


def results(out: Path) -> list[bytes]:
    return sorted(line for p in sorted((out / "parts").glob("part-*.jsonl")) for line in p.read_bytes().splitlines())


def run(base: Path, out: Path, checker_class, judging) -> float:
    """CPU seconds of one run of the job with Checkers of `checker_class` (compiled before the
    clock) and the rows judged by the module `judging` (impact/judge.py, before or after)."""
    judging._checkers.clear()
    for name in (NEW, OLD):
        spec = judging.Spec.of(name)
        judging._checkers[f"{spec.content_hash}:None"] = checker_class(catalog.load(judging._local_path(spec)))
    impact_run.judge = judging.judge
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.process_time()
    try:
        tariffcheck.impact(NEW, base, old=OLD, out=out, workers=0)
    finally:
        impact_run.judge = judge.judge
    return time.process_time() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=1, help="runs of each side (default 1)")
    ap.add_argument("--before", default="dfa04a5")
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)

    _, old_api = before(args.before)
    old_judge = load_before(args.before, "tariffcheck/impact/judge.py", "tariffcheck.impact._judge_before",
                            (("from ..api import Checker", "from .._api_before import Checker"),))
    work = Path(tempfile.mkdtemp(prefix="bench-impact-rows-"))
    try:
        base = work / "base.parquet"
        t0 = time.perf_counter()
        write_base(base, iter_rows(OLD, args.rows, seed=0))
        print(f"base: {args.rows:,} rows ({time.perf_counter() - t0:.0f} s to generate)", flush=True)
        sides = {"before": (old_api.Checker, old_judge), "after": (tariffcheck.Checker, judge)}
        cpu: dict[str, list[float]] = {s: [] for s in sides}
        for r in range(args.runs):
            for side, (cls, judging) in (list(sides.items()) if r % 2 == 0 else list(sides.items())[::-1]):
                cpu[side].append(run(base, work / side, cls, judging))
                print(f"  run {r + 1} {side}: {cpu[side][-1]:.1f} CPU s", flush=True)
        if results(work / "before") != results(work / "after"):
            raise SystemExit("the two sides' results differ")
        rate = {s: round(args.rows / statistics.median(xs)) for s, xs in cpu.items()}
        print(f"\n{args.rows:,} contracts, two versions, 1 worker (in process), CPU time, median of {args.runs}:")
        for s in sides:
            print(f"  {s:<7} {statistics.median(cpu[s]):8.1f} CPU s   {rate[s]:>8,} contracts/CPU s")
        print(f"  after/before: {rate['after'] / rate['before']:.2f}x; results equal byte for byte")
        if args.json:
            out = {"benchmark": "impact_rows", "rows": args.rows, "runs": args.runs, "before": args.before,
                   "cpu_s": cpu, "contracts_per_cpu_s": rate, "machine": machine()}
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
