"""How `tariff serve --workers 2` splits 8 keep-alive connections, trial after trial, with the
workers rebalancing their connections (service/balance.py) and without (`--no-rebalance`).

    .venv/bin/python benchmarks/bench_service_balance.py --trials 16 --seconds 8 --warm 300 --json OUT.json
    .venv/bin/python benchmarks/bench_service_balance.py --client httpx --trials 3 --seconds 5
    .venv/bin/python benchmarks/bench_service_balance.py --overhead

One server of this tree per mode, both started first and warmed (bench_service.warm, on the
first `--warm` bodies); then, in
turn between the modes, `--trials` short wrk runs of `--phase` (8 connections, `--seconds` each):
each wrk run opens 8 new connections, so each trial is a new draw of the kernel's hash. For each
trial: the connections each worker holds 1 s in and 0.5 s before the end, the connections the
workers closed to rebalance (tariff_rebalanced_connections_total), wrk's errors (a reconnection
that failed would be one), p50/p99 and the server's CPU a request (bench_service.wrk_phase).
What it shows is the spread of the p99 from trial to trial, which the split drove.

`--overhead` measures instead what the rebalancing middleware adds to each response when the
shares are fair (the check path's case): CPU per call of a minimal ASGI app, with and without
balance.Rebalance around it, in rounds interleaved, in this process.
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


def httpx_phase(base: str, path: str, bodies: list[bytes], seconds: float, server_pid: int) -> dict:
    """8 httpx clients (a pool each, as an order-entry system keeps one) in threads, each posting
    `bodies` in turn for `seconds`: the answers that said `Connection: close`, the errors (any
    answer but 200, or a transport failure: a reconnection that failed), and the split at the end."""
    from concurrent.futures import ThreadPoolExecutor

    deadline = time.perf_counter() + seconds

    def client(k: int) -> tuple[int, int, int, list[int]]:
        ok = closes = errors = 0
        with httpx.Client(base_url=base, timeout=60, headers={"content-type": "application/json"}) as c:
            i = k
            while time.perf_counter() < deadline:
                try:
                    r = c.post(path, content=bodies[i % len(bodies)])
                    ok += r.status_code == 200
                    errors += r.status_code != 200
                    closes += r.headers.get("connection") == "close"
                except httpx.HTTPError:
                    errors += 1
                i += 8
            held = sorted(bs.connections_by_process(server_pid, int(base.rsplit(":", 1)[1])).values(), reverse=True)
        return ok, closes, errors, held

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(client, range(8)))
    return {"requests": sum(r[0] for r in results), "closes_seen": sum(r[1] for r in results),
            "errors": sum(r[2] for r in results), "connections_by_process_at_end": results[0][3]}


def overhead(rounds: int = 9, calls: int = 50_000) -> dict:
    """CPU per call of a minimal ASGI app, bare and inside Rebalance (fair shares: 16 and 16)."""
    import asyncio

    from tariffcheck.service.balance import Rebalance, Seat

    async def plain(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        pass

    seat = Seat([16, 16], 0)
    seat.listening(16)
    apps = {"bare": plain, "rebalance": Rebalance(plain, seat)}
    scope = {"type": "http", "method": "POST", "path": "/v1/tariffs/x/check", "headers": []}

    async def many(app) -> float:
        t0 = time.process_time()
        for _ in range(calls):
            await app(scope, receive, send)
        return (time.process_time() - t0) / calls * 1e6

    per_call = {name: [] for name in apps}
    for _ in range(rounds):
        for name, app in apps.items():
            per_call[name].append(asyncio.run(many(app)))
    out = {name: round(statistics.median(xs), 3) for name, xs in per_call.items()}
    out["added_us"] = round(out["rebalance"] - out["bare"], 3)
    print(f"CPU per call, medians of {rounds} rounds of {calls:,}: bare {out['bare']} us, inside Rebalance "
          f"{out['rebalance']} us: {out['added_us']} us added a response")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--phase", choices=sorted(PATHS), default="options")
    p.add_argument("--trials", type=int, default=8)
    p.add_argument("--seconds", type=float, default=8)
    p.add_argument("--warm", type=int, default=32,
                   help="explain and options bodies each server answers before the trials (bench_service.warm; "
                        "a solver thread encodes each new shape of order once, 0.1 s each)")
    p.add_argument("--json", metavar="PATH")
    p.add_argument("--client", choices=("wrk", "httpx"), default="wrk",
                   help="httpx: 8 httpx clients in threads instead of wrk (do they reconnect without errors?)")
    p.add_argument("--overhead", action="store_true", help="the middleware's CPU a response, in this process")
    args = p.parse_args(argv)
    if args.overhead:
        out = overhead()
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        return 0
    orders, invalid, partial = bs.corpus(300, 20261203)
    bodies = {"orders": orders, "invalid": invalid, "partial": partial}[PATHS[args.phase]]
    work = bs.scratch("bench-service-balance-")
    modes = {"rebalance": True, "no-rebalance": False}
    servers = {}
    try:
        for mode, on in modes.items():
            servers[mode] = start(on)
            bs.warm(servers[mode][1], invalid, partial, orders=args.warm)
        out = {"phase": args.phase, "trials": {m: [] for m in modes}, "load_average_at_start": os.getloadavg()[0]}
        for trial in range(args.trials):
            for mode in (modes if trial % 2 == 0 else reversed(list(modes))):
                server, base = servers[mode]
                closed = rebalanced(base)
                if args.client == "httpx":
                    res = httpx_phase(base, f"/v1/tariffs/{bs.TARIFF}/{args.phase}", bodies, args.seconds, server.pid)
                    res.update(closed=rebalanced(base) - closed)
                    out["trials"][mode].append(res)
                    print(f"trial {trial} {mode:13} httpx: {res}", flush=True)
                    continue
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
        if args.client == "httpx":
            continue
        p99 = [t["p99_ms"] for t in trials]
        print(f"{mode:13} p99 median {statistics.median(p99):7.1f} ms, min {min(p99):.1f}, max {max(p99):.1f}; "
              f"CPU a request median {statistics.median(t['server_cpu_us_per_order'] for t in trials) / 1000:.1f} ms; "
              f"closed {sum(t['closed'] for t in trials)}; errors {sum(sum(t['errors'].values()) for t in trials)}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
