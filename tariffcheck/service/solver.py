"""Bounded parallelism for the Z3 work (explain, why-not, repair, options, check on z3).

A Z3 context must never be used by two threads at once, so this work runs on a few long-lived
threads, each with its own contexts (the Checker builds them per thread on first use and keeps
them while the thread lives); the event loop only waits. At most `threads` requests solve at
once and at most `queue` more wait; past that the service answers 503 with `Retry-After`
instead of queueing without bound. Why threads and not processes: docs/service.md.

A request counts against the bound until its solver call ends, not until its client goes away:
a client that hangs up does not stop Z3, so its thread is still busy.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from .problems import saturated


class SolverPool:
    def __init__(self, threads: int, queue: int, retry_after_s: int, on_change: Callable[[int], None] | None = None):
        self.threads = threads
        self.on_change = on_change  # told the number admitted whenever it changes (a gauge's `set`)
        self.capacity = threads + queue
        self.retry_after_s = retry_after_s
        self._executor: ThreadPoolExecutor | None = None  # made on first use: an app may start and stop twice
        self._lock = threading.Lock()
        self._admitted = 0  # running or waiting
        self.rejected = 0

    @property
    def admitted(self) -> int:
        return self._admitted

    async def run(self, fn: Callable, *args):
        with self._lock:
            if self._admitted >= self.capacity:
                self.rejected += 1
                raise saturated(self.retry_after_s)
            self._admitted += 1
            self._tell()
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="tariff-solver")
            executor = self._executor
        try:
            future = executor.submit(fn, *args)
        except BaseException:
            self._release(None)
            raise
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _release(self, _future) -> None:
        with self._lock:
            self._admitted -= 1
            self._tell()

    def _tell(self) -> None:
        if self.on_change is not None:
            self.on_change(self._admitted)

    def shutdown(self) -> None:
        """Let the threads end (and their Z3 contexts go) once their calls are done."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
