"""The worker processes of `tariff serve --workers N`, each listening on a socket of its own.

uvicorn's own supervisor binds one socket and hands it to every worker. They all wait on it, and
the worker that wakes first accepts every connection waiting (its event loop accepts until the
queue is empty), so the 8 keep-alive connections a client opens at once may all land on one
worker while the other idles (benchmarks/README.md, "This stop's branches together"). Here each
worker gets a socket of its own, bound to the same address with SO_REUSEPORT (Linux), and the
kernel hands each new connection to one of the listening sockets by a hash of its addresses:
the connections spread over the workers (by chance, not in turn: 8 connections split 4/4, 5/3,
6/2 ... between two workers).

The parent binds each worker's socket and the worker listens on it once its app has loaded, so
no connection waits in the queue of a worker that is still starting. The parent lets go of a
socket as soon as its worker holds it: a worker that dies takes its socket with it (the kernel
resets the connections waiting in its queue), new connections go to the workers alive, and the
parent starts another worker on a new socket. An anchor socket, bound and never listening,
keeps the port for the service while workers come and go.

The hash spreads connections by chance, and keep-alive clients hold theirs: 8 connections end
6/2 or worse three times in ten, and one worker then queues while the other idles. So the workers
publish how many connections each holds (in an array this supervisor shares with them), and a
worker over its fair share closes one after its next response, for the client to reconnect and
the kernel to hash again (balance.py). A worker that ends leaves its count out.

Where SO_REUSEPORT does not spread connections (not Linux), the workers share one socket, as
under uvicorn, and do not balance (a connection closed could come back to any of them).

Signals to the parent: SIGHUP bumps the reload generation (siblings.py), so every worker reloads
in place (uvicorn's supervisor would restart them, and a fresh worker has no old version to keep
serving when a spec fails). SIGINT and SIGTERM stop the workers gracefully (uvicorn's shutdown:
stop accepting, finish the requests in flight, run the app's lifespan end), then the parent; a
second one is passed on, and uvicorn's workers take a second SIGINT as "stop now".
"""

from __future__ import annotations

import errno
import logging
import multiprocessing
import os
import signal
import socket
import sys
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

from ..common.diagnostics import Diagnostic, DiagnosticError
from . import balance
from .siblings import Generation

log = logging.getLogger("tariffcheck.service")

REUSEPORT = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")
STARTUP_FAILURE = 3  # uvicorn's exit code for a worker whose app, or socket, failed before it served
POLL_S = 0.5  # how often the parent looks at its signals when no worker ends


def bind(host: str, port: int, reuseport: bool) -> socket.socket:
    """A TCP socket bound to `host`:`port`, not yet listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuseport:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def cannot_listen(host: str, port: int, exc: OSError) -> DiagnosticError:
    where = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return DiagnosticError([Diagnostic("S005", f"cannot listen on `{where}`: another program uses the port",
                                           help="give `--port` a free port, or stop the program that listens "
                                                "on it")])
    return DiagnosticError([Diagnostic("S005", f"cannot listen on `{where}`: {(exc.strerror or str(exc)).lower()}",
                                       help="give `--host` an address of this machine (127.0.0.1, or 0.0.0.0 "
                                            "for every interface)")])


def serve_one(config, sock: socket.socket, counts=None, slot: int = 0) -> None:
    """A worker process: uvicorn's server on `sock` (run in a fresh interpreter, see Supervisor),
    in `slot` of the shared connection `counts` (None: no balancing)."""
    import uvicorn

    class BalancedServer(uvicorn.Server):
        """Publishes its open connections in `counts` while it listens (balance.py)."""

        def __init__(self, config, seat: balance.Seat):
            super().__init__(config)
            self.seat = seat
            self.server_state.connections = balance.CountedConnections(seat)

        async def startup(self, sockets=None) -> None:
            await super().startup(sockets=sockets)  # the app's lifespan, then listening
            if not self.should_exit:
                self.seat.listening(len(self.server_state.connections))

        async def shutdown(self, sockets=None) -> None:
            self.seat.leaving()
            await super().shutdown(sockets=sockets)

    config.configure_logging()  # the parent's logging setup does not cross into a spawned process
    if counts is None:
        server = uvicorn.Server(config)
    else:
        seat = balance.Seat(counts, slot)
        balance.take(seat)  # before the app is built (in `run`): create_app finds it there
        server = BalancedServer(config, seat)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # the terminal's ^C reached the worker too; the parent stops the rest
        pass


class Supervisor:
    """Starts `workers` worker processes of the uvicorn `config`, each on a socket of its own (one
    shared socket where SO_REUSEPORT does not spread connections), starts another when one dies,
    and reloads or stops them on the parent's signals. `generation_path` is the workers' shared
    reload generation (siblings.py).

    `bind()` takes the address (and reports a port in use as a diagnostic, before any worker
    starts); `run()` serves until SIGINT or SIGTERM."""

    def __init__(self, config, workers: int, generation_path: str, reuseport: bool = REUSEPORT,
                 rebalance: bool = True):
        self.config = config
        self.workers = workers
        self.generation_path = generation_path
        self.reuseport = reuseport
        self.metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
        self.host, self.port = config.host, config.port
        self._anchor: socket.socket | None = None  # holds the port; the shared socket without SO_REUSEPORT
        self._processes: list[BaseProcess | None] = []
        self._signals: list[int] = []
        self._stopping = False
        self.failed = False  # a worker failed before it served, and the service stopped
        self._context = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or Z3 state forked
        # each worker's open connections, NOT_LISTENING until it listens (balance.py); one writer a
        # slot at a time (its worker, or this process once the worker is reaped): no lock
        self.counts = (self._context.Array("i", [balance.NOT_LISTENING] * workers, lock=False)
                       if rebalance and reuseport and workers > 1 else None)

    # ---- the address ---------------------------------------------------------------------------------
    def bind(self) -> int:
        """Take the address; the port (the one the system chose, for port 0)."""
        if self.reuseport and self.port != 0:
            # SO_REUSEPORT would let this service share the port with another program of the same
            # user that set it too: see first, without it, that nobody holds the port
            try:
                bind(self.host, self.port, reuseport=False).close()
            except OSError as exc:
                raise cannot_listen(self.host, self.port, exc) from None
        try:
            self._anchor = bind(self.host, self.port, self.reuseport)
        except OSError as exc:
            raise cannot_listen(self.host, self.port, exc) from None
        self.port = self._anchor.getsockname()[1]
        return self.port

    def _socket_for_worker(self) -> socket.socket:
        if not self.reuseport:
            return self._anchor
        return bind(self.host, self.port, reuseport=True)

    # ---- the workers -------------------------------------------------------------------------------
    def _start(self, slot: int) -> BaseProcess:
        sock = self._socket_for_worker()
        process = self._context.Process(target=serve_one, args=(self.config, sock, self.counts, slot),
                                        name=f"tariff-worker-{slot}")
        try:
            process.start()
        finally:
            if sock is not self._anchor:
                sock.close()  # the worker holds it now; it closes when the worker ends
        log.info("started worker %d [%s]", slot, process.pid)
        return process

    def run(self) -> None:
        if self._anchor is None:
            self.bind()
        scheme = "https" if self.config.is_ssl else "http"
        where = f"[{self.host}]" if ":" in self.host else self.host
        log.info("serving on %s://%s:%d with %d workers (%s)", scheme, where, self.port, self.workers,
                 "a socket each, SO_REUSEPORT" if self.reuseport else "one shared socket")
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            self._processes = [self._start(slot) for slot in range(self.workers)]
            while True:
                self._handle_signals()
                if self._stopping and not any(p is not None and p.is_alive() for p in self._processes):
                    break
                alive = [p.sentinel for p in self._processes if p is not None and p.is_alive()]
                wait(alive, timeout=POLL_S)
                self._reap()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for process in self._processes:
                if process is not None and process.is_alive():
                    process.kill()
                    process.join()
            self._anchor.close()

    def _on_signal(self, sig, _frame) -> None:
        self._signals.append(sig)

    def _handle_signals(self) -> None:
        while self._signals:
            sig = self._signals.pop(0)
            if sig == signal.SIGHUP:
                number = Generation(self.generation_path).bump()
                log.info("SIGHUP: the workers reload (generation %d)", number)
                continue
            if not self._stopping:
                log.info("%s: stopping the workers", signal.Signals(sig).name)
                self._stopping = True
                sig = signal.SIGTERM  # uvicorn's graceful shutdown
            for process in self._processes:
                if process is not None and process.is_alive():
                    os.kill(process.pid, sig)

    def _reap(self) -> None:
        """Start another worker in the place of each that ended (unless the service is stopping,
        or the worker failed before it served: its app or socket would fail the same way again)."""
        for slot, process in enumerate(self._processes):
            if process is None or process.is_alive():
                continue
            process.join()
            self._forget_metrics(process.pid)
            if self.counts is not None:  # its connections went with it
                self.counts[slot] = balance.NOT_LISTENING
            self._processes[slot] = None
            if self._stopping:
                continue
            if process.exitcode == STARTUP_FAILURE:
                log.error("worker %d [%s] failed to start: stopping the service", slot, process.pid)
                self.failed = True
                self._signals.append(signal.SIGTERM)
                continue
            log.error("worker %d [%s] ended (exit code %s): starting another", slot, process.pid, process.exitcode)
            self._processes[slot] = self._start(slot)

    def _forget_metrics(self, pid: int) -> None:
        """A worker that died without its lifespan's end leaves its live gauges counted: drop them."""
        if self.metrics_dir is None:
            return
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, self.metrics_dir)
