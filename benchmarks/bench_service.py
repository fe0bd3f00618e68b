"""Load on `tariff serve`, over loopback: throughput, p50/p99 and errors per endpoint.

    .venv/bin/python benchmarks/bench_service.py                       # about two minutes
    .venv/bin/python benchmarks/bench_service.py --quick               # a look in half a minute
    .venv/bin/python benchmarks/bench_service.py --soak 600            # and a 10-minute soak (memory)
    .venv/bin/python benchmarks/bench_service.py --json benchmarks/results/service.json

It starts `tariff serve` itself on a free port of 127.0.0.1 (`--workers`, default 1), waits for
/readyz, and drives it with an async httpx client, each phase bounded in requests and in time:

| phase | what | clients |
| --- | --- | --- |
| check | one Secure Endpoint order a request, from bench_check.py's seeded corpus | `--clients` (default 32) |
| check:batch | batches of `--batch` orders (default 500), the same corpus | 4 |
| explain | an invalid order, one conflict | 8 |
| options | the corpus's orders with their options left open (bench_explain.py's partial orders) | 8 |

An error is any answer but 200 (or a transport failure).

`--in-process` instead measures what one check request costs the service itself: the app is
called through httpx's ASGI transport in this process (no network, no uvicorn), 300 requests a
round, 7 rounds, and the medians of the rounds' wall and CPU time per request are printed (the
client's share included). Run it on two checkouts to compare them side by side. The soak repeats the check and explain
mix for `--soak` seconds and reports the server's resident memory (VmRSS of the server and its
worker processes, from /proc) at the start and at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_check import make_order  # noqa: E402
from bench_explain import partial_of  # noqa: E402

from tariffcheck import Checker, DiagnosticError, catalog  # noqa: E402
from tariffcheck.orders.decode import decode_partial_order  # noqa: E402

TARIFF = "secure-endpoint"


def corpus(n: int, seed: int) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """Orders as JSON bytes: all, the invalid ones, and partial orders."""
    tariff = catalog.load(TARIFF)
    checker = Checker(tariff)
    rng = random.Random(seed)
    orders, invalid, partial = [], [], []
    while len(orders) < n:
        data, _ = make_order(rng, tariff, len(orders))
        try:
            verdict = checker.check(data)
        except DiagnosticError:
            continue
        text = json.dumps(data, ensure_ascii=False).encode()
        orders.append(text)
        if verdict.status == "invalid":
            invalid.append(text)
        try:  # a change request's partial order may not read as a new one: leave it out
            decode_partial_order(partial_of(data), tariff)
        except DiagnosticError:
            continue
        partial.append(json.dumps(partial_of(data), ensure_ascii=False).encode())
    return orders, invalid, partial


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    total = 0
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def quantile(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


async def phase(client: httpx.AsyncClient, name: str, requests: list[tuple[str, bytes, dict]], clients: int,
                seconds: float, orders_per_request: int = 1) -> dict:
    """Send `requests` (each at most once) from `clients` tasks until done or `seconds` pass."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    queue = list(reversed(requests))
    deadline = time.perf_counter() + seconds

    async def worker():
        while queue and time.perf_counter() < deadline:
            url, body, headers = queue.pop()
            t0 = time.perf_counter()
            try:
                r = await client.post(url, content=body, headers=headers)
                code = r.status_code
            except httpx.HTTPError as exc:
                code = type(exc).__name__
            dt = time.perf_counter() - t0
            if code == 200:
                latencies.append(dt)
            else:
                errors[str(code)] = errors.get(str(code), 0) + 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    wall = time.perf_counter() - t0
    done = len(latencies)
    return {"phase": name, "requests": done, "errors": errors, "clients": clients, "seconds": round(wall, 2),
            "requests_per_s": round(done / wall, 1), "orders_per_s": round(done * orders_per_request / wall, 1),
            "p50_ms": round(quantile(latencies, 0.5) * 1000, 2), "p99_ms": round(quantile(latencies, 0.99) * 1000, 2)}


async def run(base: str, args, orders, invalid, partial, server_pid: int) -> dict:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    out = {"phases": []}
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        check = f"/v1/tariffs/{TARIFF}/check"
        json_h = {"content-type": "application/json"}
        # warm every solver thread before timing
        for _ in range(4):
            await client.post(f"/v1/tariffs/{TARIFF}/explain", content=invalid[0], headers=json_h)
            await client.post(f"/v1/tariffs/{TARIFF}/options", content=partial[0], headers=json_h)
        reqs = [(check, orders[i % len(orders)], json_h) for i in range(args.check_requests)]
        out["phases"].append(await phase(client, "check", reqs, args.clients, args.seconds))
        nd = {"content-type": "application/x-ndjson"}
        batch = [(f"/v1/tariffs/{TARIFF}/check:batch",
                  b"\n".join(orders[(k * args.batch + j) % len(orders)] for j in range(args.batch)), nd)
                 for k in range(args.batches)]
        out["phases"].append(await phase(client, "check:batch", batch, 4, args.seconds, args.batch))
        reqs = [(f"/v1/tariffs/{TARIFF}/explain", invalid[i % len(invalid)], json_h)
                for i in range(args.solver_requests)]
        out["phases"].append(await phase(client, "explain", reqs, 8, args.seconds))
        reqs = [(f"/v1/tariffs/{TARIFF}/options", partial[i % len(partial)], json_h)
                for i in range(args.solver_requests)]
        out["phases"].append(await phase(client, "options", reqs, 8, args.seconds))
        if args.soak:
            start = rss_mb(server_pid)
            end_at = time.perf_counter() + args.soak
            rounds = 0
            while time.perf_counter() < end_at:
                mix = [(check, orders[i % len(orders)], json_h) for i in range(2000)] + \
                      [(f"/v1/tariffs/{TARIFF}/explain", invalid[i % len(invalid)], json_h) for i in range(20)]
                await phase(client, "soak", mix, 16, max(1.0, end_at - time.perf_counter()))
                rounds += 1
            end = rss_mb(server_pid)
            out["soak"] = {"seconds": args.soak, "rss_start_mb": round(start, 1), "rss_end_mb": round(end, 1),
                           "growth_pct": round(100 * (end - start) / start, 1), "rounds": rounds}
    return out


def in_process(orders: list[bytes], rounds: int = 7, per_round: int = 300) -> dict:
    import statistics

    from tariffcheck.service import ServiceConfig, create_app

    app = create_app(ServiceConfig(sighup=False))

    async def send(n: int) -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as c:
            for i in range(n):
                r = await c.post(f"/v1/tariffs/{TARIFF}/check", content=orders[i % len(orders)])
                assert r.status_code == 200, r.text

    asyncio.run(send(100))
    walls, cpus = [], []
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        asyncio.run(send(per_round))
        walls.append((time.perf_counter() - t0) / per_round * 1000)
        cpus.append((time.process_time() - c0) / per_round * 1000)
    return {"wall_ms": round(statistics.median(walls), 3), "cpu_ms": round(statistics.median(cpus), 3),
            "rounds": rounds, "per_round": per_round}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="load on tariff serve over loopback")
    p.add_argument("--in-process", action="store_true", help="the cost of one check request, without a network")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--solver-threads", type=int, default=2)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--orders", type=int, default=300, help="the corpus size")
    p.add_argument("--check-requests", type=int, default=6000)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--batches", type=int, default=40)
    p.add_argument("--solver-requests", type=int, default=160)
    p.add_argument("--seconds", type=float, default=30, help="the most each phase may take")
    p.add_argument("--soak", type=float, default=0, help="seconds of soak after the phases (0: none)")
    p.add_argument("--quick", action="store_true", help="fewer requests, 10 s a phase")
    p.add_argument("--seed", type=int, default=20261203)
    p.add_argument("--json", metavar="PATH")
    args = p.parse_args(argv)
    if args.quick:
        args.check_requests, args.batches, args.solver_requests, args.seconds = 1500, 10, 40, 10
    orders, invalid, partial = corpus(args.orders, args.seed)
    if args.in_process:
        res = in_process(orders)
        print(f"check through the ASGI app, median per request: wall {res['wall_ms']} ms, CPU {res['cpu_ms']} ms "
              f"(load average {os.getloadavg()[0]:.1f})")
        return 0
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(x for x in (str(HERE.parent), os.environ.get("PYTHONPATH"))
                                                      if x))
    server = subprocess.Popen([sys.executable, "-m", "tariffcheck.cli", "serve", "--port", str(port),
                               "--workers", str(args.workers), "--solver-threads", str(args.solver_threads),
                               "--solver-queue", "64", "--log-level", "warning"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        load = os.getloadavg()[0]
        results = asyncio.run(run(base, args, orders, invalid, partial, server.pid))
    finally:
        server.terminate()
        server.wait(30)
    results.update(workers=args.workers, solver_threads=args.solver_threads, cpus=os.cpu_count(),
                   load_average_at_start=round(load, 1), python=sys.version.split()[0])
    print(f"tariff serve, {args.workers} worker(s), {args.solver_threads} solver threads, "
          f"{os.cpu_count()} CPUs, load average {load:.1f} at the start")
    print(f"{'phase':12} {'requests':>8} {'orders/s':>9} {'p50 ms':>8} {'p99 ms':>8}  errors")
    for ph in results["phases"]:
        print(f"{ph['phase']:12} {ph['requests']:8} {ph['orders_per_s']:9.1f} {ph['p50_ms']:8.2f} {ph['p99_ms']:8.2f}  "
              f"{ph['errors'] or 0}")
    if "soak" in results:
        s = results["soak"]
        print(f"soak {s['seconds']:.0f} s: RSS {s['rss_start_mb']} MB -> {s['rss_end_mb']} MB "
              f"({s['growth_pct']:+.1f} %)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
