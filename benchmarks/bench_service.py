"""Load on `tariff serve`, over loopback: throughput, p50/p99 and errors per endpoint.

    .venv/bin/python benchmarks/bench_service.py                       # about two minutes
    .venv/bin/python benchmarks/bench_service.py --quick               # a look in half a minute
    .venv/bin/python benchmarks/bench_service.py --soak 600            # and a 10-minute soak (memory)
    .venv/bin/python benchmarks/bench_service.py --json benchmarks/results/service.json
    .venv/bin/python benchmarks/bench_service.py --generator wrk --workers 2 --phases check,check:batch
    .venv/bin/python benchmarks/bench_service.py --in-process --before dad4fc1   # CPU per order, old and new

It starts `tariff serve` itself on a free port of 127.0.0.1 (`--workers`, default 1), waits for
/readyz, and drives it with an async httpx client, each phase bounded in requests and in time:

| phase | what | clients |
| --- | --- | --- |
| check | one Secure Endpoint order a request, from bench_check.py's seeded corpus | `--clients` (default 32) |
| check:batch | batches of `--batch` orders (default 500), the same corpus | 4 |
| explain | an invalid order, one conflict | 8 |
| options | the corpus's orders with their options left open (bench_explain.py's partial orders) | 8 |

An error is any answer but 200 (or a transport failure).

The batch size matters to check:batch's figures. Each request costs the server something
whatever its size (HTTP, the middleware, the hand-off to a worker thread, the result's head),
spread over its orders; and before the batch wrote each result as it was made (routes.check_all),
the 500 results a batch kept alive as objects were walked by the garbage collector over and over,
so the CPU per order grew with the batch (168 us at 50 orders, 229 us at 500, in one process,
at 76fe0f6; after: about the same at 50 and 500).
The network phases send `--batch` orders a request (default 500, as NDJSON, over 4 connections);
`--in-process` sends `--in-process-batch` (default 100). Say which when you quote a figure.

`--generator wrk` drives the server with wrk (Debian's `wrk`, a load generator in C, one thread)
instead of the Python client, so the client is not what limits the figures: each phase runs for
`--seconds` with the same bodies (a Lua script sends them in turn), and reports the requests
answered below 400, wrk's p50/p90/p99 latency (closed loop: each connection waits for its answer),
the errors (any status from 400 up, and socket errors), and the server's CPU per order: its
processes' user + system time from /proc over the phase, until the server is idle again, over
the orders its own /metrics say it answered (the requests in flight when wrk stops included),
and how that CPU fell on the server's processes (with 2 workers, 4 connections may all land on
one worker: it then answers every batch on one core), and how many of wrk's connections each
server process held a second into the phase (`--held-at 1,8,14`: at each of these seconds; with
more than one worker rebalancing, the split a second in is the kernel's, later ones the
workers'). `--phases` picks the phases (either generator).

`--before REV` runs everything also on the code of git revision REV (`git archive` into a
temporary folder), side by side: the network phases serve each tree in turn; `--in-process` asks
both trees round by round.

`--in-process` measures what check and check:batch cost the service itself: each tree's ASGI
app is started (its lifespan) and called directly in a child process of its own (no client, no
network, no uvicorn), 300
orders a round (check:batch: `--in-process-batch` orders a request, default 100), `--rounds` rounds, interleaved between the
trees; it prints the medians of CPU and wall time per order, and whether the trees answered
byte for byte alike over the whole corpus. The soak repeats a mix of check, explain and options
(100 to 1 to 1) for `--soak` seconds and reports the server's resident memory (VmRSS of the server and its
worker processes, from /proc) after one warm-up pass of every explain and options order, after
every round, and at the end.
"""

from __future__ import annotations

import argparse
import atexit
import asyncio
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
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


def warm(base: str, invalid: list[bytes], partial: list[bytes], orders: int = 32, clients: int = 8) -> None:
    """Warm every solver thread of every worker before timing. A thread builds its Z3 encoding of
    the tariff on its first explain, and of each shape of order (how many contracts, of which
    kinds) on the first order of that shape: 0.1-0.3 s of CPU each. The pool only starts its
    second thread when two requests solve at once, and one keep-alive connection stays with one
    worker, so sequential requests warmed one thread of one worker and left the rest to the timed
    phases (a few seconds of CPU in a 15 s phase). Here `clients` at once send the first `orders`
    explain and options bodies, each on a new connection, so that both workers take some and
    each keeps both its threads busy."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = [("explain", b) for b in invalid[:orders]] + [("options", b) for b in partial[:orders]]

    def post(job) -> int:
        what, body = job
        return httpx.post(f"{base}/v1/tariffs/{TARIFF}/{what}", content=body,
                          headers={"content-type": "application/json"}, timeout=120).status_code

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(post, jobs))


async def run(base: str, args, orders, invalid, partial, server_pid: int) -> dict:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    out = {"phases": []}
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        check = f"/v1/tariffs/{TARIFF}/check"
        json_h = {"content-type": "application/json"}
        await asyncio.to_thread(warm, base, invalid, partial)
        if "check" in args.phases:
            reqs = [(check, orders[i % len(orders)], json_h) for i in range(args.check_requests)]
            out["phases"].append(await phase(client, "check", reqs, args.clients, args.seconds))
        if "check:batch" in args.phases:
            nd = {"content-type": "application/x-ndjson"}
            batch = [(f"/v1/tariffs/{TARIFF}/check:batch",
                      b"\n".join(orders[(k * args.batch + j) % len(orders)] for j in range(args.batch)), nd)
                     for k in range(args.batches)]
            out["phases"].append(await phase(client, "check:batch", batch, 4, args.seconds, args.batch))
        if "explain" in args.phases:
            reqs = [(f"/v1/tariffs/{TARIFF}/explain", invalid[i % len(invalid)], json_h)
                    for i in range(args.solver_requests)]
            out["phases"].append(await phase(client, "explain", reqs, 8, args.seconds))
        if "options" in args.phases:
            reqs = [(f"/v1/tariffs/{TARIFF}/options", partial[i % len(partial)], json_h)
                    for i in range(args.solver_requests)]
            out["phases"].append(await phase(client, "options", reqs, 8, args.seconds))
        if args.soak:
            # check, explain and options mixed (the solver paths keep per-tariff caches: a soak
            # without them would not see those grow); memory sampled after every round. The start
            # is taken after one pass of every explain and options order of the corpus, so that
            # what the soak reports is growth once warm; the memory before that pass is kept too.
            cold = rss_mb(server_pid)
            await phase(client, "soak warm-up", [(f"/v1/tariffs/{TARIFF}/explain", b, json_h) for b in invalid]
                        + [(f"/v1/tariffs/{TARIFF}/options", b, json_h) for b in partial], 8, 600)
            start = rss_mb(server_pid)
            began = time.perf_counter()
            end_at = began + args.soak
            rounds, requests, errors, samples = 0, 0, {}, [(0.0, round(start, 1))]
            while time.perf_counter() < end_at:
                mix = [(check, orders[i % len(orders)], json_h) for i in range(2000)] + \
                      [(f"/v1/tariffs/{TARIFF}/explain", invalid[(rounds * 20 + i) % len(invalid)], json_h)
                       for i in range(20)] + \
                      [(f"/v1/tariffs/{TARIFF}/options", partial[(rounds * 20 + i) % len(partial)], json_h)
                       for i in range(20)]
                got = await phase(client, "soak", mix, 16, max(1.0, end_at - time.perf_counter()))
                requests += got["requests"]
                for code, n in got["errors"].items():
                    errors[code] = errors.get(code, 0) + n
                rounds += 1
                samples.append((round(time.perf_counter() - began, 1), round(rss_mb(server_pid), 1)))
            end = rss_mb(server_pid)
            out["soak"] = {"seconds": args.soak, "rss_start_mb": round(start, 1), "rss_end_mb": round(end, 1),
                           "growth_pct": round(100 * (end - start) / start, 1), "rounds": rounds,
                           "rss_before_warm_up_mb": round(cold, 1),
                           "requests": requests, "errors": errors, "rss_samples_s_mb": samples}
    return out


# One child process per source tree serves requests straight into the ASGI app (no client, no
# network: the CPU is the service's alone); the parent asks each in turn, round by round, so the
# trees are measured side by side under the same load.
CHILD = r"""
import asyncio, hashlib, json, sys, time
from tariffcheck.service import ServiceConfig, create_app
bodies = {k: [b.encode() for b in v] for k, v in json.load(open(sys.argv[1], encoding="utf-8")).items()}
app = create_app(ServiceConfig(sighup=False))
paths = {"check": ("/v1/tariffs/%s/check", b"application/json"),
         "check:batch": ("/v1/tariffs/%s/check:batch", b"application/x-ndjson")}

async def call(path, ctype, body, digest):
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"bench"), (b"content-type", ctype), (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    given = []
    async def receive():
        if given:
            return {"type": "http.disconnect"}
        given.append(1)
        return {"type": "http.request", "body": body, "more_body": False}
    async def send(message):
        if message["type"] == "http.response.start":
            digest.update(str(message["status"]).encode())
        else:
            digest.update(message.get("body", b""))
    await app(scope, receive, send)

async def many(what, n):
    path, ctype = paths[what]
    path = path % sys.argv[2]
    digest = hashlib.sha256()
    for i in range(n):
        await call(path, ctype, bodies[what][i % len(bodies[what])], digest)
    return digest.hexdigest()

async def start():  # the app's lifespan startup, as uvicorn runs it; its task waits for the shutdown
    started, messages = asyncio.Event(), asyncio.Queue()
    messages.put_nowait({"type": "lifespan.startup"})
    async def send(message):
        if message["type"].startswith("lifespan.startup"):
            started.set()
    task = asyncio.get_running_loop().create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                                                      messages.get, send))
    await started.wait()
    return task, messages

loop = asyncio.new_event_loop()
lifespan, messages = loop.run_until_complete(start())
for line in sys.stdin:
    what, n = line.split()
    t0, c0 = time.perf_counter(), time.process_time()
    digest = loop.run_until_complete(many(what, int(n)))
    print(json.dumps({"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, "digest": digest}),
          flush=True)
messages.put_nowait({"type": "lifespan.shutdown"})
loop.run_until_complete(lifespan)
"""


def scratch(prefix: str) -> Path:
    """A temporary folder, removed when the benchmark ends."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def source_tree(rev: str) -> Path:
    """The package as it was at `rev`, from git, in a folder of its own."""
    folder = scratch(f"tariffcheck-{rev}-")
    archive = subprocess.run(["git", "-C", str(HERE.parent), "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def in_process(orders: list[bytes], trees: dict[str, Path], rounds: int, per_round: int, batch: int) -> dict:
    """CPU and wall time per order of check and of check:batch (`batch` orders a request) through
    each tree's ASGI app, the medians of `rounds` rounds; and whether the trees answered alike."""
    import statistics

    work = scratch("bench-service-")
    (work / "child.py").write_text(CHILD, encoding="utf-8")
    n_batches = max(1, len(orders) // batch)
    bodies = {"check": [o.decode() for o in orders],
              "check:batch": ["\n".join(orders[(k * batch + j) % len(orders)].decode() for j in range(batch))
                              for k in range(n_batches)]}
    (work / "bodies.json").write_text(json.dumps(bodies, ensure_ascii=False), encoding="utf-8")
    children = {}
    for name, tree in trees.items():
        env = dict(os.environ, PYTHONPATH=str(tree))
        children[name] = subprocess.Popen([sys.executable, str(work / "child.py"), str(work / "bodies.json"), TARIFF],
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=tree)

    def ask(name: str, what: str, n: int) -> dict:
        child = children[name]
        child.stdin.write(f"{what} {n}\n")
        child.stdin.flush()
        return json.loads(child.stdout.readline())

    plan = {"check": (per_round, 1), "check:batch": (max(1, per_round // batch), batch)}
    samples = {(name, what): {"cpu": [], "wall": []} for name in trees for what in plan}
    digests = {}
    try:
        for name in trees:  # warm, and one full pass over the corpus for the comparison of answers
            for what in plan:
                digests[name, what] = ask(name, what, len(bodies[what]))["digest"]
        for _ in range(rounds):
            for what, (n, per) in plan.items():
                for name in trees:
                    got = ask(name, what, n)
                    samples[name, what]["cpu"].append(got["cpu_s"] / (n * per) * 1e6)
                    samples[name, what]["wall"].append(got["wall_s"] / (n * per) * 1e6)
    finally:
        for child in children.values():
            child.stdin.close()
            child.wait(60)
    out = {"rounds": rounds, "orders_per_round": per_round, "batch": batch, "trees": {k: str(v) for k, v in trees.items()},
           "per_order_us": {}}
    for (name, what), xs in samples.items():
        out["per_order_us"].setdefault(what, {})[name] = {"cpu": round(statistics.median(xs["cpu"]), 1),
                                                          "wall": round(statistics.median(xs["wall"]), 1)}
    if len(trees) > 1:
        out["same_answers"] = {what: len({digests[name, what] for name in trees}) == 1 for what in plan}
    return out


# ---- wrk: a load generator in C (Debian's `wrk`), so the client is not what limits the figures --
WRK_SCRIPT = r"""
-- the bodies are one file, each ended by a NUL byte; each connection sends them in turn
local bodies, path, ctype, n = {}, nil, nil, 0
function init(args)
  path, ctype = args[1], args[2]
  local f = assert(io.open(args[3], "rb"))
  local data = f:read("*a")
  f:close()
  local start = 1
  while true do
    local stop = string.find(data, "\0", start, true)
    if not stop then break end
    bodies[#bodies + 1] = string.sub(data, start, stop - 1)
    start = stop + 1
  end
end
function request()
  n = n + 1
  return wrk.format("POST", path, {["Content-Type"] = ctype}, bodies[(n % #bodies) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def cpu_by_process(pid: int) -> dict[int, float]:
    """User and system CPU of a process and of each of its children (uvicorn's workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    out = {}
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[p] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return out


def connections_by_process(pid: int, port: int) -> dict[int, int]:
    """How many established connections on the local `port` each of the server's processes holds
    (from /proc/net/tcp and each process's open files; Linux)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # 01: established
                inodes.add(f"socket:[{fields[9]}]")
    out = {}
    for p in cpu_by_process(pid):
        n = 0
        try:
            for fd in Path(f"/proc/{p}/fd").iterdir():
                try:
                    n += os.readlink(fd) in inodes
                except OSError:
                    pass
        except OSError:
            pass
        if n:
            out[p] = n
    return out


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and its children (uvicorn's workers), from /proc."""
    return sum(cpu_by_process(pid).values())


def idle_cpu_seconds(pid: int, quiet: float = 0.02, most: float = 60) -> float:
    """The server's CPU once it has stopped working (less than `quiet` s of CPU in 0.5 s)."""
    last, deadline = cpu_seconds(pid), time.perf_counter() + most
    while time.perf_counter() < deadline:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        if now - last < quiet:
            return now
        last = now
    return last


def answered(base: str, phase: str) -> int:
    """How many orders the server has answered in `phase`, by its /metrics (every worker's)."""
    text = httpx.get(f"{base}/metrics", timeout=30).text
    if phase == "check:batch":
        wanted = "tariff_batch_orders_total{"
    else:
        wanted = f'tariff_requests_total{{endpoint="/v1/tariffs/{{name}}/{phase}"'
    return round(sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(wanted)))


def wrk_phase(base: str, name: str, path: str, ctype: str, bodies: list[bytes], connections: int, seconds: float,
              server_pid: int, work: Path, orders_per_request: int = 1, held_at: tuple[float, ...] = (1.0,)) -> dict:
    script, data = work / "post.lua", work / f"bodies-{len(bodies)}-{abs(hash(name))}.bin"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    data.write_bytes(b"".join(b + b"\0" for b in bodies))
    cpu0, done0, each0 = cpu_seconds(server_pid), answered(base, name), cpu_by_process(server_pid)
    wrk = subprocess.Popen(["wrk", "-t", "1", "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
                            "--timeout", "10s", "-s", str(script), base, "--", path, ctype, str(data)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # which server process holds wrk's connections, a second into the phase (`held_at`)
    started, splits = time.perf_counter(), []
    for at in held_at:
        time.sleep(max(0.0, min(at, max(seconds / 2, seconds - 0.5)) - (time.perf_counter() - started)))
        splits.append(sorted(connections_by_process(server_pid, int(base.rsplit(":", 1)[1])).values(), reverse=True))
    held = splits[0] if len(splits) == 1 else splits
    stdout, stderr = wrk.communicate(timeout=seconds + 60)
    run = subprocess.CompletedProcess(wrk.args, wrk.returncode, stdout, stderr)
    # the requests still in flight when wrk stops are answered all the same: count their CPU and
    # their orders too (from the server's own metrics), once the server is idle again
    cpu = idle_cpu_seconds(server_pid) - cpu0
    # how the work fell on the processes: the workers share one listening socket, and a worker
    # that wakes first may accept every connection wrk opens (then one worker, one core, does all)
    each = sorted((round(t - each0.get(p, 0.0), 2) for p, t in cpu_by_process(server_pid).items()), reverse=True)
    done = answered(base, name) - done0
    line = next((x for x in run.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise SystemExit(f"wrk did not report: {run.stdout}\n{run.stderr}")
    w = json.loads(line[4:])
    wall = w["duration_us"] / 1e6
    ok = w["requests"] - w["status"]
    errors = {k: w[k] for k in ("connect", "read", "write", "status", "timeout") if w[k]}
    return {"phase": name, "requests": ok, "errors": errors, "clients": connections, "seconds": round(wall, 2),
            "requests_per_s": round(ok / wall, 1), "orders_per_s": round(ok * orders_per_request / wall, 1),
            "p50_ms": round(w["p50_us"] / 1000, 2), "p90_ms": round(w["p90_us"] / 1000, 2),
            "p99_ms": round(w["p99_us"] / 1000, 2), "max_ms": round(w["max_us"] / 1000, 2),
            "server_cpu_s": round(cpu, 2), "server_cpu_s_by_process": each, "connections_by_process": held,
            "server_orders": done,
            "server_cpu_us_per_order": round(cpu / max(1, done) * 1e6, 1)}


def run_wrk(base: str, args, orders, invalid, partial, server_pid: int) -> dict:
    """The phases of `run`, each for `--seconds`, with wrk sending (its latency is per request,
    from the request written to the answer read, each connection waiting for its answer)."""
    work = scratch("bench-service-wrk-")
    json_t, nd = "application/json", "application/x-ndjson"
    warm(base, invalid, partial)
    batches = [b"\n".join(orders[(k * args.batch + j) % len(orders)] for j in range(args.batch))
               for k in range(max(4, len(orders) // args.batch))]
    plan = [("check", f"/v1/tariffs/{TARIFF}/check", json_t, orders, args.clients, 1),
            ("check:batch", f"/v1/tariffs/{TARIFF}/check:batch", nd, batches, 4, args.batch),
            ("explain", f"/v1/tariffs/{TARIFF}/explain", json_t, invalid, 8, 1),
            ("options", f"/v1/tariffs/{TARIFF}/options", json_t, partial, 8, 1)]
    out = {"phases": []}
    for name, path, ctype, bodies, conns, per in plan:
        if name in args.phases:
            out["phases"].append(wrk_phase(base, name, path, ctype, bodies, conns, args.seconds, server_pid, work, per,
                                           args.held_at))
    return out


def serve(tree: Path, args) -> tuple[subprocess.Popen, str]:
    """`tariff serve` from the source tree `tree` on a free loopback port, once it is ready."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(x for x in (str(tree), os.environ.get("PYTHONPATH")) if x))
    threads = ["--solver-threads", str(args.solver_threads)] if args.solver_threads else []
    server = subprocess.Popen([sys.executable, "-m", "tariffcheck.cli", "serve", "--port", str(port),
                               "--workers", str(args.workers), *threads, "--solver-queue", "64",
                               "--log-level", args.log_level],
                              env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    return server, base


def report_in_process(res: dict) -> None:
    print(f"through the ASGI app (no client, no network), per order, medians of {res['rounds']} rounds "
          f"(load average {os.getloadavg()[0]:.1f}):")
    for what, by_tree in res["per_order_us"].items():
        print("  " + what.ljust(12) + "  ".join(f"{name}: CPU {x['cpu']:.1f} us, wall {x['wall']:.1f} us"
                                                for name, x in by_tree.items()))
    if "same_answers" in res:
        print("  the same answers, byte for byte: " + ", ".join(f"{k} {v}" for k, v in res["same_answers"].items()))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="load on tariff serve over loopback")
    p.add_argument("--in-process", action="store_true", help="the cost of check and check:batch to the service, "
                                                             "without a client or a network")
    p.add_argument("--before", metavar="REV", help="also measure the code of git revision REV, side by side")
    p.add_argument("--generator", choices=("httpx", "wrk"), default="httpx",
                   help="the load generator: an async httpx client in this process, or wrk (a C program)")
    p.add_argument("--phases", default="check,check:batch,explain,options", help="the phases to run")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--solver-threads", type=int, help="per worker (default: each tree's own default)")
    p.add_argument("--log-level", default="warning", help="the server's (info writes the access log)")
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--orders", type=int, default=300, help="the corpus size")
    p.add_argument("--check-requests", type=int, default=6000)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--batches", type=int, default=40)
    p.add_argument("--solver-requests", type=int, default=160)
    p.add_argument("--seconds", type=float, default=30, help="the most each phase may take")
    p.add_argument("--rounds", type=int, default=7, help="with --in-process: rounds per tree")
    p.add_argument("--in-process-batch", type=int, default=100, help="with --in-process: orders per check:batch")
    p.add_argument("--soak", type=float, default=0, help="seconds of soak after the phases (0: none)")
    p.add_argument("--quick", action="store_true", help="fewer requests, 10 s a phase")
    p.add_argument("--seed", type=int, default=20261203)
    p.add_argument("--held-at", default="1", metavar="S,S...",
                   help="with wrk: the seconds into each phase at which to count the connections each server "
                        "process holds (default: %(default)s)")
    p.add_argument("--json", metavar="PATH")
    args = p.parse_args(argv)
    args.held_at = tuple(float(x) for x in args.held_at.split(","))
    args.phases = set(args.phases.split(","))
    if args.quick:
        args.check_requests, args.batches, args.solver_requests, args.seconds = 1500, 10, 40, 10
    orders, invalid, partial = corpus(args.orders, args.seed)
    trees = {"after": HERE.parent}
    if args.before:
        trees = {f"before ({args.before})": source_tree(args.before), "after": HERE.parent}
    if args.in_process:
        res = in_process(orders, trees, args.rounds, 300, args.in_process_batch)
        report_in_process(res)
        if args.json:
            Path(args.json).write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
        return 0
    if args.generator == "wrk" and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: `apt-get install wrk`)")
    everything = {}
    for name, tree in trees.items():
        server, base = serve(tree, args)
        try:
            load = os.getloadavg()[0]
            if args.generator == "wrk":
                results = run_wrk(base, args, orders, invalid, partial, server.pid)
            else:
                results = asyncio.run(run(base, args, orders, invalid, partial, server.pid))
        finally:
            server.terminate()
            server.wait(30)
        results.update(tree=name, generator=args.generator, workers=args.workers,
                       solver_threads=args.solver_threads or "the tree's default",
                       log_level=args.log_level, cpus=os.cpu_count(), load_average_at_start=round(load, 1),
                       python=sys.version.split()[0])
        everything[name] = results
        print(f"{name}: tariff serve, {args.workers} worker(s), {args.solver_threads or 'default'} solver threads, log level "
              f"{args.log_level}, {os.cpu_count()} CPUs, load average {load:.1f} at the start; load from "
              f"{args.generator}")
        print(f"{'phase':12} {'requests':>8} {'orders/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'srv CPU us/order':>17}  "
              f"errors  srv CPU s by process  connections by process")
        for ph in results["phases"]:
            cpu = ph.get("server_cpu_us_per_order")
            print(f"{ph['phase']:12} {ph['requests']:8} {ph['orders_per_s']:9.1f} {ph['p50_ms']:8.2f} "
                  f"{ph['p99_ms']:8.2f} {cpu if cpu is not None else '-':>17}  {ph['errors'] or 0}  "
                  f"{ph.get('server_cpu_s_by_process', '-')}  {ph.get('connections_by_process', '-')}")
        if "soak" in results:
            s = results["soak"]
            print(f"soak {s['seconds']:.0f} s: {s['requests']} requests, errors {s['errors'] or 0}; RSS "
                  f"{s['rss_start_mb']} MB -> {s['rss_end_mb']} MB ({s['growth_pct']:+.1f} %; before the "
                  f"warm-up pass of every explain and options order: {s['rss_before_warm_up_mb']} MB)")
    if args.json:
        out = everything["after"] if len(everything) == 1 else everything
        Path(args.json).write_text(json.dumps(out, indent=2, default=sorted) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
