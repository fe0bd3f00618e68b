"""What operations sees: Prometheus metrics, one structured access-log line per request, and the
last guard that turns any unforeseen error into a problem+json 500 (logged with its traceback,
never sent).

This is a plain ASGI middleware (not Starlette's BaseHTTPMiddleware, which costs a task per
request): it wraps `send` to learn the status and times the call. The access log is JSON, one
object a line, on the logger `tariffcheck.access`; it names the method, path, route, tariff,
status, duration and request id, and never a header (API keys and tokens travel in headers).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess

from .problems import PROBLEM_JSON, internal

access_log = logging.getLogger("tariffcheck.access")
error_log = logging.getLogger("tariffcheck.service")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")  # a client's X-Request-ID, if it looks like one
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"  # set by `tariff serve --workers N` for N > 1


class Metrics:
    """The service's metrics, in a registry of its own (a process may run several apps: tests).

    With several worker processes (`PROMETHEUS_MULTIPROC_DIR` set before prometheus_client is
    imported, as `tariff serve` does), each process writes its values to files in that folder and
    `/metrics` answers the sum over the workers, whichever worker is asked."""

    def __init__(self):
        self.registry = CollectorRegistry()
        self.multiprocess_dir = os.environ.get(MULTIPROCESS_ENV) or None
        labels = ("endpoint", "tariff")
        self.requests = Counter("tariff_requests_total", "requests answered", labels + ("status",),
                                registry=self.registry)
        self.latency = Histogram("tariff_request_seconds", "time to answer a request", labels,
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.timeouts = Counter("tariff_solver_timeouts_total",
                                "results the solver's time limit left unknown or incomplete", labels,
                                registry=self.registry)
        self.orders = Counter("tariff_batch_orders_total", "orders checked in check:batch requests",
                              ("tariff",), registry=self.registry)
        self.saturated = Counter("tariff_saturated_total", "requests answered 503 because every solver was busy",
                                 ("endpoint",), registry=self.registry)
        self.solver_admitted = Gauge("tariff_solver_requests", "solver requests running or waiting",
                                     multiprocess_mode="livesum", registry=self.registry)
        self.reloads = Counter("tariff_reloads_total", "reloads, by outcome", ("outcome",), registry=self.registry)
        self.rebalanced = Counter("tariff_rebalanced_connections_total",
                                  "connections a worker over its fair share closed after a response, for the "
                                  "client to reconnect to another (balance.py)", registry=self.registry)


    def exposition(self) -> tuple[bytes, str]:
        """The text `/metrics` answers, and its content type."""
        if self.multiprocess_dir is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        every_worker = CollectorRegistry()
        multiprocess.MultiProcessCollector(every_worker, path=self.multiprocess_dir)
        return generate_latest(every_worker), CONTENT_TYPE_LATEST

    def close(self) -> None:
        """A worker that stops takes its live gauges out of the sum."""
        if self.multiprocess_dir is not None:
            multiprocess.mark_process_dead(os.getpid(), self.multiprocess_dir)


def request_id_of(scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.match(text):
                return text
    return uuid.uuid4().hex


class Observe:
    """ASGI middleware: request id, metrics, access log, and the catch-all 500."""

    def __init__(self, app, metrics: Metrics, served_names):
        self.app = app
        self.metrics = metrics
        self.served_names = served_names  # () -> the names a label may take (bounded cardinality)
        # (endpoint, tariff, status) -> the request counter's and latency histogram's children:
        # prometheus_client's labels() takes a lock and checks its labels on every call
        self._children: dict[tuple[str, str, int], tuple] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = rid
        started = time.perf_counter()
        status = {"code": 500, "sent": False}

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["sent"] = True
                message["headers"] = list(message.get("headers", ())) + [(b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            error_log.exception("request %s failed: %s %s", rid, scope.get("method"), scope.get("path"))
            if not status["sent"]:
                body = internal(rid).body()
                await send_with_id({"type": "http.response.start", "status": 500,
                                    "headers": [(b"content-type", PROBLEM_JSON.encode()),
                                                (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
        finally:
            self._record(scope, rid, status["code"], time.perf_counter() - started)

    def _record(self, scope, rid: str, code: int, seconds: float) -> None:
        route = scope.get("route")
        endpoint = getattr(route, "path", None) or "unmatched"
        name = (scope.get("path_params") or {}).get("name")
        tariff = name if name in self.served_names() else "-"
        children = self._children.get((endpoint, tariff, code))
        if children is None:  # a few dozen at most: routes x served tariffs x statuses
            children = self._children[endpoint, tariff, code] = (
                self.metrics.requests.labels(endpoint, tariff, str(code)), self.metrics.latency.labels(endpoint, tariff))
        children[0].inc()
        children[1].observe(seconds)
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(json.dumps({
                "ts": round(time.time(), 3), "request_id": rid, "method": scope.get("method"),
                "path": scope.get("path"), "endpoint": endpoint, "tariff": tariff, "status": code,
                "ms": round(seconds * 1000, 3),
                "client": (scope.get("client") or ("-",))[0]}, ensure_ascii=False))
