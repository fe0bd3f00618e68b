"""Where the service's explain and options CPU goes: the library call against the service's ASGI
app, one request at a time or 8 at once, with 1 or 2 solver threads (no client, no network).

    .venv/bin/python benchmarks/bench_service_cpu.py                  # explain and options, every setup
    .venv/bin/python benchmarks/bench_service_cpu.py --what explain --json benchmarks/results/x.json

Each setup runs in a child process of its own with a fresh Checker (or app), over bench_service.py's
corpus (its invalid orders for explain, its partial orders for options), twice through: round 0
pays each solver thread's encodings (per tariff and per shape of order) and fills the explainer's
known answers, round 1 is the warm service. It prints the process's CPU per request (every
thread's: time.process_time), the requests per second and the latency of each request from the
app's call to its answer:

| setup | what |
| --- | --- |
| library | `Checker.explain` / `options` with the service's budget, `to_json`, the JSON written, in one thread |
| app 1×1 | the ASGI app, one request at a time, 1 solver thread |
| app 8×1 | the ASGI app, 8 requests at once, 1 solver thread |
| app 8×2 | the ASGI app, 8 requests at once, 2 solver threads |
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r"""
import asyncio, json, sys, time
sys.path.insert(0, sys.argv[1])
from bench_service import corpus, TARIFF
setup, what, concurrency, threads = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
orders, invalid, partial = corpus(300, 20261203)
bodies = invalid if what == "explain" else partial
rounds = []

def record(cpu_s, wall_s, latencies):
    latencies = sorted(latencies)
    rounds.append({"cpu_ms_per_request": round(cpu_s * 1000 / len(latencies), 2),
                   "requests_per_s": round(len(latencies) / wall_s, 1),
                   "latency_ms": {"mean": round(sum(latencies) / len(latencies), 2),
                                  "p50": round(latencies[len(latencies) // 2], 2),
                                  "p99": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 2)}})

if setup == "library":
    from tariffcheck import Checker, catalog
    from tariffcheck.orders.decode import decode_partial_order
    from tariffcheck.report import explain_report, options_report
    from tariffcheck.service.plain_json import write
    from tariffcheck.service.requests import parse_order
    checker = Checker(catalog.load(TARIFF))
    for _ in range(2):
        latencies, c0, t0 = [], time.process_time(), time.perf_counter()
        for body in bodies:
            s = time.perf_counter()
            data = parse_order(body, 32)
            if what == "explain":
                order = checker.decode(data)
                write(explain_report.to_json(checker.tariff, order, checker.explain(order, 1, budget_ms=10_000)))
            else:
                order = decode_partial_order(data, checker.tariff)
                write(options_report.to_json(checker.tariff, order, checker.options(order, budget_ms=10_000)))
            latencies.append((time.perf_counter() - s) * 1000)
        record(time.process_time() - c0, time.perf_counter() - t0, latencies)
else:
    from tariffcheck.service import ServiceConfig, create_app
    app = create_app(ServiceConfig(sighup=False, solver_threads=threads, solver_queue=64))
    path = f"/v1/tariffs/{TARIFF}/{what}"

    async def call(body):
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
                 "headers": [(b"host", b"bench"), (b"content-type", b"application/json"),
                             (b"content-length", str(len(body)).encode())],
                 "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
        given, status = [], []

        async def receive():
            if given:
                await asyncio.sleep(3600)
            given.append(1)
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message):
            if message["type"] == "http.response.start":
                status.append(message["status"])
        await app(scope, receive, send)
        assert status == [200], status

    async def main():
        started, messages = asyncio.Event(), asyncio.Queue()
        messages.put_nowait({"type": "lifespan.startup"})

        async def send(message):
            if message["type"].startswith("lifespan.startup"):
                started.set()
        lifespan = asyncio.get_running_loop().create_task(
            app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, messages.get, send))
        await started.wait()
        for _ in range(2):
            queue, latencies = list(bodies), []
            c0, t0 = time.process_time(), time.perf_counter()

            async def client():
                while queue:
                    body = queue.pop(0)
                    s = time.perf_counter()
                    await call(body)
                    latencies.append((time.perf_counter() - s) * 1000)
            await asyncio.gather(*(client() for _ in range(concurrency)))
            record(time.process_time() - c0, time.perf_counter() - t0, latencies)
        messages.put_nowait({"type": "lifespan.shutdown"})
        await lifespan
    asyncio.run(main())
print(json.dumps(rounds))
"""

SETUPS = {"library": (1, 1), "app 1x1": (1, 1), "app 8x1": (8, 1), "app 8x2": (8, 2)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="the service's explain and options CPU against the library's")
    p.add_argument("--what", default="explain,options")
    p.add_argument("--setups", default=",".join(SETUPS))
    p.add_argument("--json", metavar="PATH")
    args = p.parse_args(argv)
    out = {}
    print(f"load average {os.getloadavg()[0]:.1f} at the start")
    for what in args.what.split(","):
        for setup in args.setups.split(","):
            concurrency, threads = SETUPS[setup]
            done = subprocess.run([sys.executable, "-c", CHILD, str(HERE), setup.split()[0], what, str(concurrency),
                                   str(threads)], capture_output=True, text=True, cwd=HERE.parent)
            if done.returncode:
                raise SystemExit(done.stderr)
            rounds = json.loads(done.stdout.strip().splitlines()[-1])
            out[f"{what} / {setup}"] = rounds
            print(f"{what:8} {setup:8} " + "  ".join(
                f"round {i}: CPU {r['cpu_ms_per_request']:.2f} ms/request, {r['requests_per_s']}/s, latency p50 "
                f"{r['latency_ms']['p50']} p99 {r['latency_ms']['p99']} ms" for i, r in enumerate(rounds)), flush=True)
    out["load_average_at_end"] = round(os.getloadavg()[0], 1)
    print(f"load average {out['load_average_at_end']} at the end")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
