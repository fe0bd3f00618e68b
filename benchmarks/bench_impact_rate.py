"""The impact job's verdict rate per worker, old code against new in one run: in this process and
on Dask with 1 and 2 workers, on a Secure Endpoint base judged under two versions.

    .venv/bin/python benchmarks/bench_impact_rate.py [--rows 100000] [--before 30f65b6] [--runs 1]
        [--modes here,dask1,dask2] [--json benchmarks/results/impact_rate.json]

The base comes from make_base.py (seed 0) as Parquet; the new version is
examples/secure_endpoint_next.tariff, the old one the bundled spec (as bench_impact.py). "Before"
is the whole package at `--before`, from git (`git archive`), "after" this working tree. Each
measurement is a child process with PYTHONPATH set to one of the two trees, so a Dask cluster it
starts runs that tree's code in its workers too. The two sides run alternately, `--runs` times
each.

What is counted, per run (CPU time is time.process_time, every thread of the process):

- `here`: `tariffcheck.impact(..., workers=0)`, the CPU time of the child around that call, the
  two versions compiled before the clock: planning, reading, judging, writing and the summary,
  warm.
- `daskN`: a LocalCluster of N worker processes of one thread each is started before the clock,
  as `tariff impact` starts it (`tariffcheck.impact.local_cluster` where the tree has it), and
  the modules are imported in the workers. Then the same job runs twice on it, into two folders:
  `cold`, the first, whose workers' CPU time holds each worker's one-time costs (receiving,
  loading and compiling the two versions, the first use of pyarrow and of each code path) beside
  its rows, and `warm`, the second, on workers that keep their compiled versions, which counts
  the rows alone as `here` does. `start` is cold less warm: the one-time cost, summed over the
  workers. The workers' CPU time is read in the workers before and after each job (the Dask
  worker's own threads included); the client's and the scheduler's (this child) are not in it.
  Wall time is around each job. Each worker's resident memory is sampled as partitions finish
  (first, last, largest), in the cold job.

The issue's "contracts per second per worker" is a 1,000,000-row run's rows over its workers'
CPU time, one-time costs included (benchmarks/bench_impact.py, which counts as `cold` does). At
`--rows 100000` those one-time costs weigh ten times more than at 1,000,000: `cold` at 100,000
rows understates the 1,000,000-row figure, and `warm` overstates it by the start's share. The
results of the two sides must be equal byte for byte (after sorting), every mode and job.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NEW = str(ROOT / "examples" / "secure_endpoint_next.tariff")
OLD = "secure-endpoint"


def child(mode: str, base: str, out: str, partition_size: int) -> dict:
    """One measured run, in a process whose PYTHONPATH is the tree under test."""
    import tariffcheck
    from tariffcheck.impact import judge

    if mode == "here":
        for name in (NEW, OLD):
            judge.checker(judge.Spec.of(name))
        if hasattr(judge, "Judge"):  # what the two versions share, worked out once per process
            judge.Judge(judge.Spec.of(NEW), judge.Spec.of(OLD), judge.Options())
        cpu0, wall0 = time.process_time(), time.perf_counter()
        r = tariffcheck.impact(NEW, base, old=OLD, out=out, workers=0, partition_size=partition_size)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        import resource

        return {"rows": r.summary["rows"], "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
                "rss_mb_max": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    import logging

    from distributed import Client, LocalCluster

    impact_package = importlib.import_module("tariffcheck.impact")  # the package, not the function

    workers = int(mode.removeprefix("dask"))
    if hasattr(impact_package, "local_cluster"):  # the cluster `tariff impact` starts itself
        cluster = impact_package.local_cluster(workers)
    else:  # a tree from before local_cluster: the LocalCluster it started
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                               silence_logs=logging.ERROR)
    with cluster, Client(cluster) as client:
        client.run(lambda: __import__("tariffcheck.impact.judge"))  # imports are not the job's
        rss: dict[str, list[int]] = {}

        def progress(total, done):
            def tick(rows):
                for w, v in client.run(lambda: __import__("psutil").Process().memory_info().rss).items():
                    rss.setdefault(w, []).append(v)
            return tick

        jobs = {}
        for job in ("cold", "warm"):
            cpu0 = client.run(time.process_time)
            wall0 = time.perf_counter()
            r = tariffcheck.impact(NEW, base, old=OLD, out=f"{out}-{job}" if job == "warm" else out, client=client,
                                   partition_size=partition_size, progress=progress if job == "cold" else None)
            wall = time.perf_counter() - wall0
            cpu1 = client.run(time.process_time)
            jobs[job] = {"rows": r.summary["rows"], "cpu_s": round(sum(cpu1[w] - cpu0[w] for w in cpu1), 2),
                         "wall_s": round(wall, 2),
                         "cpu_s_per_worker": [round(cpu1[w] - cpu0[w], 2) for w in sorted(cpu1)]}
        # the versions each worker compiled (once each, kept for the worker's life)
        compiled = client.run(lambda: list(__import__("tariffcheck.impact.judge", fromlist=["x"]).compiled))
    start = round(jobs["cold"]["cpu_s"] - jobs["warm"]["cpu_s"], 2)
    return {**jobs["cold"], "warm": jobs["warm"], "start_cpu_s": start,
            "compiled_per_worker": [len(compiled[w]) for w in sorted(compiled)],
            "rss_mb_per_worker_first_last_max": [[round(x / 2**20) for x in (v[0], v[-1], max(v))]
                                                 for _, v in sorted(rss.items())]}


def results(out: Path) -> list[bytes]:
    return sorted(line for p in sorted((out / "parts").glob("part-*.jsonl")) for line in p.read_bytes().splitlines())


def measure(tree: Path, mode: str, base: Path, out: Path, partition_size: int) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(f"{out}-warm", ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(tree))
    code = (f"import sys, json; sys.path.insert(0, {str(HERE)!r}); import bench_impact_rate as b; "
            f"print(json.dumps(b.child({mode!r}, {str(base)!r}, {str(out)!r}, {partition_size})))")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=str(tree), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{mode} in {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=1, help="runs of each side and mode (default 1)")
    ap.add_argument("--before", default="30f65b6")
    ap.add_argument("--modes", default="here,dask1,dask2")
    ap.add_argument("--partition-size", type=int, default=10_000)
    ap.add_argument("--work", help="a folder for the base, the old tree and the results (default: temporary)")
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args(argv)
    modes = args.modes.split(",")

    work = Path(args.work or tempfile.mkdtemp(prefix="bench-impact-rate-"))
    work.mkdir(parents=True, exist_ok=True)
    old_tree = work / f"tree-{args.before}"
    if not old_tree.exists():
        old_tree.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(old_tree)], input=archive.stdout, check=True)
    base = work / f"base-{args.rows}.parquet"
    if not base.exists():
        sys.path.insert(0, str(ROOT))
        sys.path.insert(0, str(HERE))
        from make_base import iter_rows, write_base

        t0 = time.perf_counter()
        write_base(base, iter_rows(OLD, args.rows, seed=0))
        print(f"base: {args.rows:,} rows ({time.perf_counter() - t0:.0f} s to generate)", flush=True)
    sides = {"before": old_tree, "after": ROOT}
    runs: dict[str, dict[str, list[dict]]] = {m: {s: [] for s in sides} for m in modes}
    for r in range(args.runs):
        for mode in modes:
            order = list(sides.items()) if r % 2 == 0 else list(sides.items())[::-1]
            for side, tree in order:
                got = measure(tree, mode, base, work / f"out-{side}-{mode}", args.partition_size)
                runs[mode][side].append(got)
                print(f"  run {r + 1} {mode:<6} {side:<7} {json.dumps(got)}", flush=True)
    reference = results(work / f"out-before-{modes[0]}")
    for mode in modes:
        for side in sides:
            folders = [work / f"out-{side}-{mode}"] + ([work / f"out-{side}-{mode}-warm"] if mode != "here" else [])
            for folder in folders:
                if results(folder) != reference:
                    raise SystemExit(f"the results of {side} {mode} ({folder.name}) differ from before {modes[0]}")
    summary = {}
    print(f"\n{args.rows:,} contracts, two versions; CPU time of the job (workers' on Dask), median of {args.runs}:")
    for mode in modes:
        summary[mode] = {}
        for side in sides:
            got = runs[mode][side]
            cpu = statistics.median(x["cpu_s"] for x in got)
            wall = statistics.median(x["wall_s"] for x in got)
            summary[mode][side] = {"cpu_s": cpu, "wall_s": wall, "contracts_per_cpu_s": round(args.rows / cpu)}
            label = "here" if mode == "here" else "cold"
            print(f"  {mode:<6} {side:<7} {label}  {cpu:6.2f} CPU s {args.rows / cpu:>9,.0f} contracts/CPU s   "
                  f"wall {wall:6.2f} s")
            if mode != "here":
                warm = statistics.median(x["warm"]["cpu_s"] for x in got)
                warm_wall = statistics.median(x["warm"]["wall_s"] for x in got)
                start = statistics.median(x["start_cpu_s"] for x in got)
                summary[mode][side].update(warm_cpu_s=warm, warm_wall_s=warm_wall, start_cpu_s=start,
                                           warm_contracts_per_cpu_s=round(args.rows / warm))
                print(f"  {'':<6} {side:<7} warm  {warm:6.2f} CPU s {args.rows / warm:>9,.0f} contracts/CPU s   "
                      f"wall {warm_wall:6.2f} s   start (cold - warm, all workers) {start:.2f} CPU s")
        b, a = summary[mode]["before"], summary[mode]["after"]
        summary[mode]["after/before"] = round(b["cpu_s"] / a["cpu_s"], 2)
        line = f"  {mode:<6} after/before (CPU): {summary[mode]['after/before']:.2f}x"
        if mode != "here":
            summary[mode]["after/before_warm"] = round(b["warm_cpu_s"] / a["warm_cpu_s"], 2)
            line += f" cold, {summary[mode]['after/before_warm']:.2f}x warm"
        print(line)
    for side in sides:
        if "dask1" in summary and "dask2" in summary:
            for job, key in (("cold", "wall_s"), ("warm", "warm_wall_s")):
                s = summary["dask1"][side][key] / summary["dask2"][side][key]
                summary.setdefault(f"speedup_2_workers_wall_{job}", {})[side] = round(s, 2)
                print(f"  {side}: 2 workers / 1 worker, wall, {job}: {s:.2f}x")
    print("  results equal byte for byte (sorted), every side, mode and job")
    if args.json:
        import platform

        out = {"benchmark": "impact_rate", "rows": args.rows, "runs": args.runs, "before": args.before,
               "partition_size": args.partition_size, "modes": modes, "measurements": runs, "summary": summary,
               "python": platform.python_version(), "cpus": os.cpu_count(), "load_average_end": os.getloadavg()}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
