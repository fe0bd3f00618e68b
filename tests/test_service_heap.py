"""The service's garbage-collector policy (service/heap.py): what survives a slow full collection
is frozen, at most `limit` times between two settles, and the app installs and removes it."""

from __future__ import annotations

import gc

import pytest

pytest.importorskip("fastapi")

from tariffcheck.service import heap


@pytest.fixture
def unfrozen():
    """A heap with nothing frozen, no automatic collection and no other watcher of collections."""
    gc.unfreeze()
    gc.disable()
    others, gc.callbacks[:] = gc.callbacks[:], []  # another test's app may still be watching
    yield
    gc.callbacks[:] = others
    gc.enable()
    gc.unfreeze()


def _garbage_in_cycles(n: int = 1000) -> None:
    for _ in range(n):
        a: list = []
        a.append(a)


def _frozen(objects: list) -> bool:
    """Whether every one of `objects` is out of the collector's sight: gc.get_objects() lists
    the objects of generations 0 to 2, not the frozen ones."""
    seen = {id(o) for o in gc.get_objects()}
    return not any(id(o) in seen for o in objects)


def test_a_slow_full_collection_freezes_its_survivors_at_most_limit_times(unfrozen):
    watch = heap.FreezeAfterSlowCollections(slow_ms=0, limit=2)  # every full collection counts as slow
    keep = [[i] for i in range(500)]  # alive: frozen by the first slow collection
    watch.install()
    try:
        assert gc.get_freeze_count() == 0 and not _frozen(keep)
        gc.collect()
        assert _frozen(keep) and watch.freezes == 1
        more = [[i] for i in range(500)]
        gc.collect()
        assert _frozen(more) and watch.freezes == 2
        later = [[i] for i in range(500)]
        gc.collect()  # the limit is reached: nothing more is frozen
        assert not _frozen(later) and watch.freezes == 2
        watch.reset()  # as a reload does after its settle
        gc.collect()
        assert _frozen(later) and watch.freezes == 1
    finally:
        watch.remove()
    assert watch not in gc.callbacks


def test_a_quick_full_collection_or_a_young_one_freezes_nothing(unfrozen):
    watch = heap.FreezeAfterSlowCollections(slow_ms=60_000, limit=4)  # no collection takes a minute
    watch.install()
    try:
        _garbage_in_cycles()
        gc.collect()
        gc.collect(0)
        assert gc.get_freeze_count() == 0 and watch.freezes == 0
    finally:
        watch.remove()
    young = heap.FreezeAfterSlowCollections(slow_ms=0, limit=4)
    young.install()
    try:
        gc.collect(0)
        gc.collect(1)
        assert gc.get_freeze_count() == 0 and young.freezes == 0  # only full collections count
    finally:
        young.remove()


def test_garbage_that_is_garbage_at_the_collection_is_still_collected(unfrozen):
    watch = heap.FreezeAfterSlowCollections(slow_ms=0, limit=1)
    watch.install()
    try:
        _garbage_in_cycles(2000)  # no automatic collection takes them first (the fixture)
        collected = gc.collect()  # the cycles go in this collection; only its survivors are frozen
        assert collected >= 2000 and watch.freezes == 1
    finally:
        watch.remove()


def test_the_app_watches_full_collections_while_it_runs():
    from fastapi.testclient import TestClient

    from tariffcheck.service.app import create_app
    from tariffcheck.service.config import ServiceConfig

    before = list(gc.callbacks)
    with TestClient(create_app(ServiceConfig(sighup=False))) as client:
        assert client.get("/healthz").status_code == 200
        added = [c for c in gc.callbacks if c not in before]
        assert len(added) == 1 and isinstance(added[0], heap.FreezeAfterSlowCollections)
    assert gc.callbacks == before
    gc.unfreeze()
