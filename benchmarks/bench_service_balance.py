"""How `tariff serve --workers 2` splits 8 keep-alive connections, trial after trial, with the
workers rebalancing their connections (service/balance.py) and without (`--no-rebalance`).

    .venv/bin/python benchmarks/bench_service_balance.py --trials 8 --seconds 8 --json benchmarks/results/servicebal_trials.json

One server of this tree per mode, both started first and warmed (bench_service.warm); then, in
turn between the modes, `--trials` short wrk runs of `--phase` (8 connections, `--seconds` each):
each wrk run opens 8 new connections, so each trial is a new draw of the kernel's hash. For each
trial: the connections each worker holds 1 s in and 0.5 s before the end, the connections the
workers closed to rebalance (tariff_rebalanced_connections_total), wrk's errors (a reconnection
that failed would be one), p50/p99 and the server's CPU a request (bench_service.wrk_phase).
What it shows is the spread of the p99 from trial to trial, which the split drove.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_service as bs  # noqa: E402

PATHS = {"options": "partial", "explain": "invalid", "check": "orders"}


def start(rebalance: bool) -> tuple[subprocess.Popen, str]:
    port = bs.free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(x for x in (str(HERE.parent), os.environ.get("PYTHONPATH")) if x))
    server = subprocess.Popen([sys.executable, "-m", "tariffcheck.cli", "serve", "--port", str(port), "--workers", "2",
                               "--solver-queue", "64", "--log-level", "warning",
                               *([] if rebalance else ["--no-rebalance"])],
                              env=env, cwd=HERE.parent, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the service did not become ready")


def rebalanced(base: str) -> int:
    text = httpx.get(f"{base}/metrics", timeout=30).text
    return round(sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                     if line.startswith("tariff_rebalanced_connections_total")))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--phase", choices=sorted(PATHS), default="options")
    p.add_argument("--trials", type=int, default=8)
    p.add_argument("--seconds", type=float, default=8)
    p.add_argument("--json", metavar="PATH")
    args = p.parse_args(argv)
    orders, invalid, partial = bs.corpus(300, 20261203)
    bodies = {"orders": orders, "invalid": invalid, "partial": partial}[PATHS[args.phase]]
    work = bs.scratch("bench-service-balance-")
    modes = {"rebalance": True, "no-rebalance": False}
    servers = {}
    try:
        for mode, on in modes.items():
            servers[mode] = start(on)
            bs.warm(servers[mode][1], invalid, partial)
        out = {"phase": args.phase, "trials": {m: [] for m in modes}, "load_average_at_start": os.getloadavg()[0]}
        for trial in range(args.trials):
            for mode in (modes if trial % 2 == 0 else reversed(list(modes))):
                server, base = servers[mode]
                closed = rebalanced(base)
                res = bs.wrk_phase(base, args.phase, f"/v1/tariffs/{bs.TARIFF}/{args.phase}", "application/json",
                                   bodies, 8, args.seconds, server.pid, work,
                                   held_at=(1.0, args.seconds - 0.5))
                res.update(closed=rebalanced(base) - closed, load_average=round(os.getloadavg()[0], 1))
                out["trials"][mode].append(res)
                print(f"trial {trial} {mode:13} p50 {res['p50_ms']:7.1f} p99 {res['p99_ms']:7.1f} ms  "
                      f"CPU {res['server_cpu_us_per_order'] / 1000:5.1f} ms  held {res['connections_by_process']}  "
                      f"closed {res['closed']}  errors {res['errors'] or 0}  load {res['load_average']}", flush=True)
        out["load_average_at_end"] = os.getloadavg()[0]
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait(30)
    for mode, trials in out["trials"].items():
        p99 = [t["p99_ms"] for t in trials]
        print(f"{mode:13} p99 median {statistics.median(p99):7.1f} ms, min {min(p99):.1f}, max {max(p99):.1f}; "
              f"CPU a request median {statistics.median(t['server_cpu_us_per_order'] for t in trials) / 1000:.1f} ms; "
              f"closed {sum(t['closed'] for t in trials)}; errors {sum(sum(t['errors'].values()) for t in trials)}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
