"""service/balance.py: when a worker of `tariff serve --workers N` closes a connection for the
client to reconnect elsewhere, and when it must not (the real processes: test_service_process.py)."""

from __future__ import annotations

import asyncio

import pytest

from tariffcheck.service.balance import NOT_LISTENING, CountedConnections, Rebalance, Seat, over_share

X = NOT_LISTENING


@pytest.mark.parametrize("counts, slot, over", [
    ([6, 2], 0, True), ([6, 2], 1, False),
    ([5, 3], 0, True),  # fair is ceil(8 / 2) = 4
    ([4, 4], 0, False), ([4, 4], 1, False),
    ([5, 4], 0, False),  # ceil(9 / 2) = 5: an odd total leaves one worker a connection ahead
    ([2, 0], 0, True), ([1, 0], 0, False),  # one connection is nobody's surplus
    ([8, X], 0, False),  # the other worker is dead or starting: a new connection could only come back
    ([8], 0, False),  # alone
    ([4, 3, X], 0, False), ([5, 2, X], 0, True), ([3, 3, 1], 0, False), ([4, 2, 1], 0, True), ([3, 4, 0], 1, True),
    ([X, 5, 1], 1, True), ([X, 5, 1], 2, False),
])
def test_a_worker_is_over_its_share_past_ceil_of_the_total_over_the_workers_listening(counts, slot, over):
    assert over_share(counts, slot) is over


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def seated(counts, slot=0, cooldown_s=0.25):
    clock = Clock()
    seat = Seat(counts, slot, cooldown_s=cooldown_s, clock=clock)
    seat.listening(counts[slot])
    return seat, clock


def test_a_seat_closes_one_connection_per_cooldown_and_none_once_fair():
    counts = [7, 1]
    seat, clock = seated(counts)
    assert seat.close_one()
    assert not seat.close_one()  # the client has not come back yet: counting now would close too many
    clock.now += 0.2
    assert not seat.close_one()
    clock.now += 0.1
    seat.publish(6)  # it came back to the same worker ...
    counts[1] = 2  # ... and one more landed on the other
    assert seat.close_one()
    clock.now += 1
    seat.publish(5)
    counts[1] = 3
    assert seat.close_one()  # 5 / 3: still one over
    clock.now += 1
    seat.publish(4)
    counts[1] = 4
    assert [seat.close_one() for _ in range(100)] == [False] * 100  # fair: no churn


def test_a_seat_not_listening_publishes_nothing_and_leaving_takes_its_count_out():
    counts = [X, 3]
    seat = Seat(counts, 0)
    seat.publish(5)  # connections made before it listens (none, in uvicorn) do not count
    assert counts == [X, 3]
    seat.listening(2)
    assert counts == [2, 3]
    seat.publish(6)
    assert counts == [6, 3]
    seat.leaving()
    assert counts == [X, 3]
    assert not seat.close_one()  # 6 held but not listening: the other worker alone counts


def test_uvicorns_connection_set_publishes_its_size_on_every_change():
    counts = [X, 0]
    seat = Seat(counts, 0)
    seat.listening(0)
    connections = CountedConnections(seat)
    a, b = object(), object()
    connections.add(a)
    connections.add(b)
    assert counts[0] == 2
    connections.add(a)  # a set: already there
    assert counts[0] == 2
    connections.discard(a)
    connections.discard(a)
    assert counts[0] == 1
    connections.remove(b)
    assert counts[0] == 0 and not connections


def call(app, path="/healthz"):
    """One HTTP request through an ASGI app: the response's headers."""
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app({"type": "http", "method": "GET", "path": path, "headers": []}, receive, send))
    return dict(sent[0]["headers"])


async def plain_app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


def test_the_middleware_says_connection_close_only_when_the_seat_says_so_and_counts_it():
    counts = [6, 2]
    seat, clock = seated(counts)
    closed = []
    app = Rebalance(plain_app, seat, on_close=lambda: closed.append(1))
    assert call(app) == {b"content-type": b"text/plain", b"connection": b"close"}
    assert call(app) == {b"content-type": b"text/plain"}  # within the cooldown
    clock.now += 1
    seat.publish(4)
    counts[1] = 4
    assert call(app) == {b"content-type": b"text/plain"}  # fair
    assert closed == [1]
