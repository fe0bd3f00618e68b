"""How fast `tariff impact` judges an installed base: per worker, with 1 and 2 workers, with repairs,
and on an explicitly started `dask scheduler` with two `dask worker` processes.

    .venv/bin/python benchmarks/bench_impact.py --rows 100000 --json benchmarks/results/impact.json
    .venv/bin/python benchmarks/bench_impact.py --rows 5000 --repair-rows 20     # a quick look

The base is Secure Endpoint's, from benchmarks/make_base.py (seed 0), as Parquet; the new version is
examples/secure_endpoint_next.tariff (tunnels capped at 3), the old one the bundled spec, so every
contract is judged twice. For each worker count a LocalCluster of that many processes (one thread
each) is started first, as `tariff impact` starts it, and kept out of the timing; the run's wall
time is measured around `tariffcheck.impact(..., client=...)`, and the workers' CPU time is read in
the workers (`time.process_time` before and after). Their resident memory is sampled as partitions
finish. Then the newly broken contracts (up to --repair-rows) are run again with --repair, and last
the same job goes to a `dask scheduler` and two `dask worker` processes started here, whose results
must equal the LocalCluster's byte for byte.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import tariffcheck  # noqa: E402
from make_base import iter_rows, write_base  # noqa: E402

NEW = str(ROOT / "examples" / "secure_endpoint_next.tariff")
OLD = "secure-endpoint"


def _cpu() -> float:
    return time.process_time()


def _rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def sorted_results(out: Path) -> list[bytes]:
    lines = []
    for p in sorted((out / "parts").glob("part-*.jsonl")):
        lines += p.read_bytes().splitlines()
    return sorted(lines)


def run_local(base: Path, workers: int, work: Path, partition_size: int) -> dict:
    from distributed import Client

    from tariffcheck.impact import local_cluster  # the cluster `tariff impact` starts itself

    out = work / f"w{workers}"
    shutil.rmtree(out, ignore_errors=True)
    with local_cluster(workers) as cluster, Client(cluster) as client:
        client.run(lambda: __import__("tariffcheck.impact.judge"))  # imports, not compiling, are out of the timing
        cpu0 = client.run(_cpu)
        rss = []

        def progress(total, done):
            count = [0]

            def tick(rows):
                count[0] += 1
                if count[0] % 4 == 0:
                    rss.append(max(client.run(_rss).values()))
            return tick

        started = time.perf_counter()
        r = tariffcheck.impact(NEW, base, old=OLD, out=out, client=client, partition_size=partition_size,
                               progress=progress)
        wall = time.perf_counter() - started
        cpu1 = client.run(_cpu)
    cpu = sum(cpu1[w] - cpu0[w] for w in cpu1)
    rows = r.summary["rows"]
    return {"workers": workers, "rows": rows, "partitions": r.summary["partitions"], "wall_s": round(wall, 2),
            "worker_cpu_s": round(cpu, 2), "rows_per_s": round(rows / wall), "rows_per_cpu_s": round(rows / cpu),
            "rss_mb_first_last_max": [round(x / 2**20) for x in (rss[0], rss[-1], max(rss))] if rss else None,
            "rss_mb_samples": [round(x / 2**20) for x in rss],
            "classes": r.summary["classes"], "out": str(out)}


def run_repairs(out: Path, limit: int, work: Path) -> dict:
    broken = []
    for line in sorted_results(out):
        r = json.loads(line)
        if r["class"] == "newly_broken":
            broken.append(r)
        if len(broken) >= limit:
            break
    import pyarrow.parquet as pq

    # the rows themselves, from the base: the results name their row numbers
    base = pq.read_table(work / "base.parquet", columns=["order"]).column("order")
    path = work / "broken.jsonl"
    path.write_text("".join(base[r["row"] - 1].as_py() + "\n" for r in broken), encoding="utf-8")
    shutil.rmtree(work / "repair", ignore_errors=True)
    started = time.perf_counter()
    cpu0 = time.process_time()
    res = tariffcheck.impact(NEW, path, old=OLD, out=work / "repair", workers=0, repair=True,
                             partition_size=len(broken) or 1)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    n = res.summary.get("repairs", {}).get("status", {}).get("repaired", 0)
    return {"contracts": len(broken), "repaired": n, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
            "repaired_per_s": round(n / wall, 2), "status": res.summary.get("repairs", {}).get("status")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_scheduler(base: Path, work: Path, partition_size: int, reference: Path) -> dict:
    """`dask scheduler` and two `dask worker` processes, started here; the job through --scheduler."""
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    worker = [sys.executable, "-m", "distributed.cli.dask_worker"]
    procs = [subprocess.Popen(dask + ["--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    time.sleep(3)
    procs += [subprocess.Popen(worker + [f"tcp://127.0.0.1:{port}", "--nthreads", "1", "--no-dashboard"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        from distributed import Client

        with Client(f"tcp://127.0.0.1:{port}", timeout="60s") as c:
            c.wait_for_workers(2, timeout=120)
        out = work / "scheduler"
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        code = subprocess.run([sys.executable, "-m", "tariffcheck.cli", "impact", "--tariff", NEW, "--old", OLD,
                               str(base), "-o", str(out), "--scheduler", f"tcp://127.0.0.1:{port}",
                               "--partition-size", str(partition_size), "--format", "json"],
                              env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        same = sorted_results(out) == sorted_results(reference)
        return {"address": f"tcp://127.0.0.1:{port}", "exit": code.returncode, "wall_s": round(wall, 2),
                "results_equal_local": same, "rows": json.loads(code.stdout)["rows"] if code.stdout else None}
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--partition-size", type=int, default=5_000)
    p.add_argument("--workers", default="1,2", help="worker counts to time, comma-separated (default 1,2)")
    p.add_argument("--repair-rows", type=int, default=200, help="newly broken contracts to repair (0: none)")
    p.add_argument("--no-scheduler", action="store_true", help="skip the run on `dask scheduler` + `dask worker`")
    p.add_argument("--work", help="a folder for the base and the results (default: a temporary one)")
    p.add_argument("--json", help="write the figures to this file")
    args = p.parse_args(argv)
    work = Path(args.work or tempfile.mkdtemp(prefix="bench-impact-"))
    work.mkdir(parents=True, exist_ok=True)
    base = work / "base.parquet"
    started = time.perf_counter()
    if not base.exists() or int(os.environ.get("REBUILD", "0")):
        write_base(base, iter_rows(OLD, args.rows, seed=0))
    out = {"rows": args.rows, "partition_size": args.partition_size, "python": platform.python_version(),
           "cpus": os.cpu_count(), "load_average": os.getloadavg(), "base_s": round(time.perf_counter() - started, 1),
           "runs": []}
    print(f"base: {args.rows} rows in {base} ({out['base_s']} s)", flush=True)
    for n in [int(x) for x in args.workers.split(",")]:
        res = run_local(base, n, work, args.partition_size)
        out["runs"].append(res)
        print(json.dumps(res, ensure_ascii=False), flush=True)
    if len(out["runs"]) >= 2:
        out["speedup"] = round(out["runs"][0]["wall_s"] / out["runs"][1]["wall_s"], 2)
        print(f"speed-up {out['runs'][0]['workers']} → {out['runs'][1]['workers']} workers: {out['speedup']}x")
    if args.repair_rows:
        out["repair"] = run_repairs(Path(out["runs"][-1]["out"]), args.repair_rows, work)
        print(json.dumps(out["repair"], ensure_ascii=False), flush=True)
    if not args.no_scheduler:
        out["scheduler"] = run_scheduler(base, work, args.partition_size, Path(out["runs"][-1]["out"]))
        print(json.dumps(out["scheduler"], ensure_ascii=False), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
