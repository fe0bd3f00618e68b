"""The service's heap and Python's cyclic garbage collector.

Each request makes many short-lived objects, so the collector runs often, and a full (generation
2) collection walks every object the process keeps: the compiled tariffs, the app, the modules,
and the workspaces the solver threads build for explain, why-not, repair and options (one Z3
context each, with its encoders, facts and kept trials: some 220,000 objects once warm on Secure
Endpoint). Such a collection takes 30–80 ms of CPU, and the request it falls on waits for it, with
the requests queued behind it: with 8 clients on 2 workers about 1 % of explain and options requests, enough
to set their p99 by itself (benchmarks/README.md, optionsfast).

`gc.freeze()` moves what is alive out of the collector's sight; a full collection after it takes
1–2 ms. `settle()` does it when the tariffs are loaded and after each reload (which unfreezes
first, so the version it replaces is still collected). The solver threads' workspaces come
later, with their first requests, so `FreezeAfterSlowCollections` also watches full collections
(`gc.callbacks`): when one took more than `slow_ms` of CPU, what survived it is frozen too. Being
alive after a full collection, it is mostly what the process keeps; what the requests in flight
held at that moment is frozen with it and, if it ever becomes garbage in a cycle, is not
collected. That is why it happens at most `limit` times between two settles: a bounded amount,
paid during warm-up, for a tail without stalls afterwards.
"""

from __future__ import annotations

import gc
import time


def settle() -> None:
    """Collect, then freeze what is alive: the heap as the loaded tariffs leave it."""
    gc.collect()
    gc.freeze()


class FreezeAfterSlowCollections:
    """A `gc.callbacks` entry that freezes the heap after a slow full collection, at most
    `limit` times until `reset()`. `install()` and `remove()` add and take it off."""

    def __init__(self, slow_ms: float = 10.0, limit: int = 4):
        self.slow_s = slow_ms / 1000
        self.limit = limit
        self.freezes = 0  # since the last reset
        # the CPU clock of the thread that began the full collection under way: collections never
        # overlap (the interpreter runs one at a time, in the thread that allocated), so one slot
        # does, and no lock, which a collection inside its own critical section would deadlock on
        self._began: float | None = None

    def __call__(self, phase: str, info: dict) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._began = time.thread_time()
            return
        began, self._began = self._began, None
        if began is None or time.thread_time() - began < self.slow_s or self.freezes >= self.limit:
            return
        self.freezes += 1
        gc.freeze()  # the collection is over: freezing only moves the survivors' list

    def reset(self) -> None:
        """After a settle (a reload): the next slow collections may freeze again."""
        self.freezes = 0

    def install(self) -> None:
        if self not in gc.callbacks:
            gc.callbacks.append(self)

    def remove(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)
