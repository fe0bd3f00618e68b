"""Keep each worker of `tariff serve --workers N` at its fair share of the open connections.

Each worker listens on a socket of its own (workers.py) and the kernel hands each new connection
to one of them by a hash of its addresses: 8 keep-alive connections split 4/4 between two workers
only about a quarter of the time, 6/2 or worse three times in ten. A client keeps its connections
open for as long as it runs, and each worker answers its solver requests in turn, so the worker
holding 6 queues 6 requests while the other idles, and the same service's p99 moves by half from
run to run with the kernel's luck (benchmarks/README.md, servicebal).

So the workers publish how many connections each holds, in a shared array the supervisor made
(one int per worker slot; -1 for a slot whose worker is not listening: starting, stopped or
dead), and a worker holding more than its fair share, ceil(total / workers listening), answers
its next response with `Connection: close`. HTTP/1.1 clients (wrk, httpx, browsers, every
pool) then open a new connection for their next request, and the kernel hashes that one anew:
half the time, with two workers, it lands on the other. When the shares are fair nothing
happens, so the check path pays one read of N ints a response.

It must not churn. A worker closes at most one connection per `COOLDOWN_S`, which also gives the
client time to come back before the worker counts again (a connection on its way back counts
nowhere, and the totals it leaves would ask for one close too many); a worker alone, or whose
peers are not listening, never closes (a new connection could only come back to it).

Each slot has one writer at a time: its worker's event loop while the worker lives, the
supervisor once it has reaped the worker. An aligned int is written and read whole, so the array
needs no lock; a reader may see a count a moment old, which costs at most one close too many
or too few, made good at the next response.
"""

from __future__ import annotations

import time
from collections.abc import Callable

NOT_LISTENING = -1
COOLDOWN_S = 0.25  # the least time between two closes of one worker


def over_share(counts, slot: int) -> bool:
    """Whether the worker in `slot` holds more than ceil(total / workers listening) connections,
    by `counts` (one per slot; NOT_LISTENING for a worker not serving)."""
    own = counts[slot]
    if own <= 1:
        return False
    listening = [c for c in counts if c != NOT_LISTENING]
    if len(listening) < 2:
        return False
    fair = -(-sum(listening) // len(listening))
    return own > fair


class Seat:
    """One worker's place in the shared `counts`: it publishes the worker's connections and says
    when one should go (at most once per `cooldown_s`)."""

    def __init__(self, counts, slot: int, cooldown_s: float = COOLDOWN_S, clock: Callable[[], float] = time.monotonic):
        self.counts = counts
        self.slot = slot
        self.cooldown_s = cooldown_s
        self.clock = clock
        self._quiet_until = 0.0
        self._listening = False
        self._held = 0

    def listening(self, held: int) -> None:
        """The worker listens now, holding `held` connections."""
        self._listening = True
        self.publish(held)

    def leaving(self) -> None:
        """The worker stops listening: its connections count no more."""
        self._listening = False
        self.counts[self.slot] = NOT_LISTENING

    def publish(self, held: int) -> None:
        self._held = held
        if self._listening:
            self.counts[self.slot] = held

    def close_one(self) -> bool:
        """Whether the response being sent should close its connection (and, if so, no other
        closes for `cooldown_s`)."""
        if self._held <= 1 or not over_share(self.counts[:], self.slot):
            return False
        now = self.clock()
        if now < self._quiet_until:
            return False
        self._quiet_until = now + self.cooldown_s
        return True


class CountedConnections(set):
    """uvicorn's set of a server's open connections (`server.server_state.connections`, which
    each connection adds itself to when made and discards when lost), publishing its size to a
    Seat on every change."""

    def __init__(self, seat: Seat):
        super().__init__()
        self.seat = seat

    def add(self, connection) -> None:
        super().add(connection)
        self.seat.publish(len(self))

    def discard(self, connection) -> None:
        super().discard(connection)
        self.seat.publish(len(self))

    def remove(self, connection) -> None:
        super().remove(connection)
        self.seat.publish(len(self))


_seat: Seat | None = None  # this worker process's, when a supervisor that balances started it


def take(seat: Seat) -> None:
    """Make `seat` this process's: the app built in it next (`create_app`) balances on it."""
    global _seat
    _seat = seat


def this_worker() -> Seat | None:
    return _seat


class Rebalance:
    """ASGI middleware: a response of a worker over its share says `Connection: close`, which
    uvicorn honours by closing the connection once the response is sent. `on_close()` counts
    them (a metric)."""

    def __init__(self, app, seat: Seat, on_close: Callable[[], None] | None = None):
        self.app = app
        self.seat = seat
        self.on_close = on_close

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_maybe_closing(message):
            if message["type"] == "http.response.start" and self.seat.close_one():
                message["headers"] = list(message.get("headers", ())) + [(b"connection", b"close")]
                if self.on_close is not None:
                    self.on_close()
            await send(message)

        await self.app(scope, receive, send_maybe_closing)
