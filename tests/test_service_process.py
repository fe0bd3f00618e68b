"""`tariff serve` as users start it: a real uvicorn process on a free loopback port, checked over
HTTP, reloaded by SIGHUP, and stopped by SIGTERM."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, SPECS, run_cli, run_cli_process, run_python, spec_variant

try:
    import httpx
    import uvicorn  # noqa: F401
except ImportError:  # the service extra is not installed: only the test of that case runs
    httpx = None
needs_service = pytest.mark.skipif(httpx is None, reason="the service extra is not installed")

SE = "secure-endpoint"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, proc: subprocess.Popen, seconds: float = 60, log=None) -> None:
    """Until `/readyz` answers 200; `log()` is the service's output (its stderr by default)."""
    given, log = log, log or proc.stderr.read
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"the service exited with {proc.returncode}: {log()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the service did not become ready" + (f": {log()}" if given else ""))


@pytest.fixture
def served(tmp_path):
    if httpx is None:
        pytest.skip("the service extra is not installed")
    spec_variant(tmp_path, SPECS / "secure_endpoint.tariff", "secure_endpoint", [])
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
               TARIFFCHECK_API_KEYS="k1")
    proc = subprocess.Popen([sys.executable, "-m", "tariffcheck.cli", "serve", "--port", str(port),
                             "--tariffs", str(tmp_path)], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc)
        yield base, proc, tmp_path / "secure_endpoint.tariff"
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it has not ended in 30 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def test_a_real_uvicorn_process_answers_reloads_on_sighup_and_stops_on_sigterm(served):
    base, proc, spec = served
    order = (EXAMPLES / "secure_endpoint_invalid.json").read_bytes()
    key = {"x-api-key": "k1"}
    r = httpx.post(f"{base}/v1/tariffs/{SE}/check", content=order, headers=key, timeout=30)
    assert r.status_code == 200
    code, out, _ = run_cli(["check", "--tariff", str(spec), str(EXAMPLES / "secure_endpoint_invalid.json"),
                            "--format", "json"])
    assert r.json() == json.loads(out)
    assert httpx.post(f"{base}/v1/tariffs/{SE}/check", content=order, timeout=30).status_code == 401
    old = r.json()["tariff"]["content_hash"]

    spec.write_text(spec.read_text(encoding="utf-8") + "\n# reloaded by SIGHUP\n", encoding="utf-8")
    proc.send_signal(signal.SIGHUP)
    end = time.monotonic() + 30
    while time.monotonic() < end:
        now = httpx.get(f"{base}/readyz", timeout=5).json()["tariffs"][SE]["content_hash"]
        if now != old:
            break
        time.sleep(0.2)
    assert now != old and proc.poll() is None
    r = httpx.post(f"{base}/v1/tariffs/{SE}/check", content=order, headers=key, timeout=30)
    assert r.json()["tariff"]["content_hash"] == now == r.headers["tariff-content-hash"]

    proc.terminate()
    assert proc.wait(20) in (0, -signal.SIGTERM)  # uvicorn shuts down, then dies of the signal it caught
    log = proc.stderr.read()
    assert "Application shutdown complete" in log
    assert '"endpoint": "/v1/tariffs/{name}/check"' in log and "k1" not in log  # access log, without the key
    assert "reload (SIGHUP)" in log


@needs_service
def test_serve_refuses_a_folder_without_a_loadable_tariff(tmp_path):
    (tmp_path / "broken.tariff").write_text("tariff broken {\n", encoding="utf-8")
    code, _, err = run_cli(["serve", "--tariffs", str(tmp_path), "--port", str(free_port())])
    assert code == 2 and "error[E012]: no tariff could be loaded" in err and "`broken`" in err


def test_serve_without_the_service_extra_says_what_to_install():
    code = """
import sys


class NoWeb:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("fastapi", "uvicorn", "starlette"):
            raise ImportError(f"no module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NoWeb())
from tariffcheck.cli import main
sys.exit(main(["serve", "--port", "0"]))
"""
    done = run_python(["-c", code])
    assert done.returncode == 2, done.stderr
    assert "error[S000]: `tariff serve` needs a package that is not installed" in done.stderr
    assert "pip install 'tariffcheck[service]'" in done.stderr and "Traceback" not in done.stderr


def serve_two_workers(folder, log_path, **env_extra):
    """`tariff serve --workers 2` on the specs in `folder`, on a free loopback port, its output in
    `log_path`: the process, the port and the base URL (not yet ready: `wait_ready`)."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
               **env_extra)
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.Popen([sys.executable, "-m", "tariffcheck.cli", "serve", "--port", str(port), "--workers",
                                 "2", "--tariffs", str(folder)], env=env, cwd=folder, stdout=log, stderr=log,
                                text=True)
    return proc, port, f"http://127.0.0.1:{port}"


@needs_service
def test_the_workers_of_one_service_reload_together_keep_a_failing_specs_old_version_and_share_metrics(tmp_path):
    """With `--workers 2` each worker holds its own tariffs: a reload asked of one (the admin
    endpoint, answered by whichever worker the kernel picks) or SIGHUP to uvicorn's parent must
    reach both, and a spec that fails must leave both serving the old version, not restart them.
    `/metrics` counts the requests of both workers, whichever answers it."""
    spec_variant(tmp_path, SPECS / "secure_endpoint.tariff", "secure_endpoint", [])
    spec = tmp_path / "secure_endpoint.tariff"
    log_path = tmp_path / "serve.log"
    proc, port, base = serve_two_workers(tmp_path, log_path, TARIFFCHECK_ADMIN_TOKEN="admin-secret")
    try:
        wait_ready(base, proc, 90, log=lambda: log_path.read_text(encoding="utf-8"))

        def hashes(n=12) -> set[str]:  # a new connection each time, so that both workers answer
            return {httpx.get(f"{base}/readyz", timeout=10).json()["tariffs"][SE]["content_hash"] for _ in range(n)}

        (first,) = hashes()
        order = (EXAMPLES / "secure_endpoint_invalid.json").read_bytes()
        for _ in range(20):  # a new connection each: both workers check some
            assert httpx.post(f"{base}/v1/tariffs/{SE}/check", content=order, timeout=30).status_code == 200
        counted = {checks_counted(httpx.get(f"{base}/metrics", timeout=10).text) for _ in range(8)}
        assert counted == {20.0}  # every worker's /metrics sums the workers

        spec.write_text(spec.read_text(encoding="utf-8") + "\n# reloaded through the admin endpoint\n",
                        encoding="utf-8")
        r = httpx.post(f"{base}/v1/admin/reload", headers={"authorization": "Bearer admin-secret"}, timeout=60)
        assert r.status_code == 200, r.text
        second = until(lambda: hashes(), lambda seen: len(seen) == 1 and first not in seen)
        assert until(lambda: log_path.read_text(encoding="utf-8").count("reload (another worker)"), lambda n: n >= 1)

        spec.write_text(spec.read_text(encoding="utf-8") + "\n# reloaded by SIGHUP to the parent\n", encoding="utf-8")
        proc.send_signal(signal.SIGHUP)
        third = until(lambda: hashes(), lambda seen: len(seen) == 1 and not seen & ({first} | second))
        assert until(lambda: log_path.read_text(encoding="utf-8").count("reload (another worker)"), lambda n: n >= 3)

        spec.write_text("tariff broken {\n", encoding="utf-8")
        proc.send_signal(signal.SIGHUP)
        until(lambda: log_path.read_text(encoding="utf-8").count("reload (another worker)"), lambda n: n >= 5)
        assert hashes() == third  # both workers still serve the version before the broken one
        ready = {tuple(httpx.get(f"{base}/readyz", timeout=10).json()["failed"]) for _ in range(12)}
        assert ready == {(SE,)}
        assert proc.poll() is None
    finally:
        stop(proc)
    text = log_path.read_text(encoding="utf-8")
    assert "Received SIGHUP, restarting processes" not in text  # reloaded, never restarted
    assert "admin-secret" not in text


@needs_service
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT spreads connections on Linux")
def test_each_worker_listens_on_a_socket_of_its_own_so_connections_spread_and_a_dead_worker_is_replaced(tmp_path):
    """uvicorn's workers shared one socket, and the first to wake accepted every connection a
    client opened at once. Each worker now listens on a socket of its own (SO_REUSEPORT), and the
    kernel spreads new connections over them; a worker killed is replaced on a socket of its own."""
    spec_variant(tmp_path, SPECS / "secure_endpoint.tariff", "secure_endpoint", [])
    log_path = tmp_path / "serve.log"
    proc, port, base = serve_two_workers(tmp_path, log_path)
    try:
        wait_ready(base, proc, 90, log=lambda: log_path.read_text(encoding="utf-8"))
        workers = until(lambda: listening(proc.pid, port), lambda pids: len(pids) == 2)
        first, second = sockets_on(workers, port, "0A").values()
        assert first and second and not first & second  # not one socket shared
        clients = [httpx.Client(base_url=base, timeout=30) for _ in range(16)]
        closed = 0  # by a worker over its share after the answer (balance.py; the next test)
        try:
            for client in clients:  # 16 connections, open together: each worker holds some
                r = client.get("/healthz")
                assert r.status_code == 200
                closed += r.headers.get("connection") == "close"
            held = established(workers, port)
        finally:
            for client in clients:
                client.close()
        assert sum(held.values()) == 16 - closed and min(held.values()) >= 1, held  # all on one: 1 chance in 32,768

        os.kill(workers[0], signal.SIGKILL)
        now = until(lambda: listening(proc.pid, port), lambda pids: len(pids) == 2 and workers[0] not in pids, 90)
        assert workers[1] in now
        wait_ready(base, proc, 90, log=lambda: log_path.read_text(encoding="utf-8"))
        order = (EXAMPLES / "secure_endpoint_invalid.json").read_bytes()
        for _ in range(8):  # a new connection each: both workers answer again
            assert httpx.post(f"{base}/v1/tariffs/{SE}/check", content=order, timeout=30).status_code == 200
    finally:
        stop(proc)
    text = log_path.read_text(encoding="utf-8")
    assert f"worker 0 [{workers[0]}] ended (exit code -9): starting another" in text
    assert text.count("Application shutdown complete") == 2  # SIGTERM: both workers shut down gracefully


class Connection:
    """One keep-alive HTTP/1.1 connection to the service, as a client's pool keeps it, that opens
    a new one when an answer says `Connection: close` (as wrk, httpx and browsers do)."""

    def __init__(self, port: int):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.closes = 0  # answers that said `Connection: close`

    @property
    def client_port(self) -> int:
        return self.sock.getsockname()[1]

    def get(self, path: str) -> int:
        """The status of `GET path`; reconnects for the next request if the answer closes."""
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            data += self.sock.recv(65536) or self._eof()
        head, body = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:])
        while len(body) < int(headers.get("content-length", "0")):
            body += self.sock.recv(65536) or self._eof()
        if headers.get("connection") == "close":
            self.closes += 1
            self.sock.close()
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        return int(lines[0].split()[1])

    def _eof(self):
        raise AssertionError("the service closed a connection without saying so")

    def close(self) -> None:
        self.sock.close()


def holder(workers: list[int], port: int, client_port: int) -> int | None:
    """The worker that accepted the connection from `client_port` (None: not accepted yet)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if (int(fields[1].rsplit(":", 1)[1], 16) == port and int(fields[2].rsplit(":", 1)[1], 16) == client_port
                        and fields[3] == "01"):
                    inodes.add(f"socket:[{fields[9]}]")
    for pid, held in sockets_on(workers, port, "01").items():
        if held & inodes:
            return pid
    return None


@needs_service
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT spreads connections on Linux")
def test_a_worker_holding_more_than_its_share_of_connections_closes_them_until_the_workers_hold_4_and_4(tmp_path):
    """8 keep-alive connections all on one worker (the kernel's hash gives 8/0 once in 128, 6/2
    or worse three times in ten): the worker over its share answers with `Connection: close`,
    the client reconnects, and after a few requests the workers hold 4 and 4, with every answer a
    200; then no connection closes any more, and /metrics counted the closes."""
    spec_variant(tmp_path, SPECS / "secure_endpoint.tariff", "secure_endpoint", [])
    log_path = tmp_path / "serve.log"
    proc, port, base = serve_two_workers(tmp_path, log_path)
    connections: list[Connection] = []
    try:
        wait_ready(base, proc, 90, log=lambda: log_path.read_text(encoding="utf-8"))
        workers = until(lambda: listening(proc.pid, port), lambda pids: len(pids) == 2)
        heavy = workers[0]
        for _ in range(400):  # keep the connections the kernel gives the first worker, until 8
            c = Connection(port)
            where = until(lambda: holder(workers, port, c.client_port), lambda pid: pid is not None, 10)
            if where == heavy:
                connections.append(c)
                if len(connections) == 8:
                    break
            else:
                c.close()
        assert established(workers, port) == {heavy: 8, workers[1]: 0}

        statuses, rounds = [], 0
        while established(workers, port) != {heavy: 4, workers[1]: 4} and rounds < 200:
            statuses += [c.get("/healthz") for c in connections]
            rounds += 1
            time.sleep(0.05)
        assert established(workers, port) == {heavy: 4, workers[1]: 4}, f"not balanced after {rounds} rounds"
        closes = sum(c.closes for c in connections)
        assert 4 <= closes <= 40, closes  # 4 had to move; each lands on the other worker half the time
        for _ in range(20):  # balanced: nothing more closes
            statuses += [c.get("/healthz") for c in connections]
            time.sleep(0.02)
        assert sum(c.closes for c in connections) == closes
        assert set(statuses) == {200}
        counted = httpx.get(f"{base}/metrics", timeout=10).text
        assert f"tariff_rebalanced_connections_total {float(closes)}" in counted
    finally:
        for c in connections:
            c.close()
        stop(proc)


@needs_service
def test_serve_with_workers_refuses_a_port_another_program_listens_on(tmp_path):
    spec_variant(tmp_path, SPECS / "secure_endpoint.tariff", "secure_endpoint", [])
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        done = run_cli_process(["serve", "--workers", "2", "--port", str(port), "--tariffs", str(tmp_path)])
    assert done.returncode == 2, done.stderr
    assert f"error[S005]: cannot listen on `127.0.0.1:{port}`: another program uses the port" in done.stderr
    assert "help: give `--port` a free port" in done.stderr and "Traceback" not in done.stderr


def listening(parent: int, port: int) -> list[int]:
    """The children of `parent` that hold a socket listening on `port`, by pid."""
    try:
        children = [int(p) for p in Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
    except OSError:
        return []
    return sorted(pid for pid, held in sockets_on(children, port, "0A").items() if held)


def established(pids: list[int], port: int) -> dict[int, int]:
    """How many connections to `port` each process holds open."""
    return {pid: len(held) for pid, held in sockets_on(pids, port, "01").items()}


def sockets_on(pids: list[int], port: int, state: str) -> dict[int, set[str]]:
    """Per process, its sockets on the local `port` in the TCP `state` (/proc/net/tcp's hex code)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                    inodes.add(f"socket:[{fields[9]}]")
    out = {}
    for pid in pids:
        held = out[pid] = set()
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    link = os.readlink(fd)
                    if link in inodes:
                        held.add(link)
    return out


def checks_counted(metrics: str) -> float:
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith("tariff_requests_total{") and 'endpoint="/v1/tariffs/{name}/check"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def until(probe, done, seconds: float = 60):
    """Probe until `done(value)`; the last value. Fails the test when time runs out."""
    end = time.monotonic() + seconds
    while True:
        value = probe()
        if done(value) or time.monotonic() > end:
            assert done(value), f"still {value!r} after {seconds} s"
            return value
        time.sleep(0.3)
