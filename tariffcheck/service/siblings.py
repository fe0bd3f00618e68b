"""The worker processes of one `tariff serve --workers N` reload together.

Each worker holds its own compiled tariffs, so a reload asked of one worker (the admin endpoint,
which the kernel hands to whichever worker accepts the connection) must reach the others. They
share a small file that holds a generation number: whoever reloads bumps it, and every worker
watches it and reloads when it moves. Each worker reloads the way a single one does (compile
beside, swap at once, keep the old version of a spec that fails), so a failing spec never leaves
a worker without it, which restarting the workers would.

SIGHUP goes to the parent process of `tariff serve`, which bumps the generation (workers.py), so
the workers reload in place instead of restarting.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from collections.abc import Callable

log = logging.getLogger("tariffcheck.service")

POLL_S = 0.5  # how soon the other workers follow a reload


class Generation:
    """The shared generation number in `path` (created empty by `tariff serve`; empty reads 0)."""

    def __init__(self, path: str):
        self.path = path

    def read(self) -> int:
        try:
            with open(self.path, encoding="ascii") as f:
                text = f.read().strip()
        except OSError:
            return 0
        return int(text) if text.isdigit() else 0

    def bump(self) -> int:
        """Add one, under an exclusive lock so that two bumps at once both count; the new number."""
        with open(self.path, "a+", encoding="ascii") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                f.seek(0)
                text = f.read().strip()
                number = (int(text) if text.isdigit() else 0) + 1
                f.seek(0)
                f.truncate()
                f.write(str(number))
                f.flush()
                os.fsync(f.fileno())
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
        return number


class Follower:
    """Watches the generation from a daemon thread and calls `reload` when another process moved it.

    `reloaded_here()` bumps the number after this worker reloaded by itself, so that the others
    follow and this one does not reload twice."""

    def __init__(self, path: str, reload: Callable[[], None], poll_s: float = POLL_S):
        self.generation = Generation(path)
        self._reload = reload
        self._poll_s = poll_s
        self._lock = threading.Lock()
        self._seen = self.generation.read()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="tariffcheck-reload-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def reloaded_here(self) -> None:
        with self._lock:
            self._seen = self.generation.bump()

    def _watch(self) -> None:
        while not self._stop.wait(self._poll_s):
            with self._lock:
                current = self.generation.read()
                if current == self._seen:
                    continue
                self._seen = current
            try:
                self._reload()
            except Exception:  # nobody awaits this reload: say it in the log, keep serving
                log.exception("reload (another worker) failed")


@contextlib.contextmanager
def generation_file():
    """A fresh, empty generation file for one run of `tariff serve`, removed after it."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tariffcheck-serve-") as folder:
        path = os.path.join(folder, "reload-generation")
        open(path, "w", encoding="ascii").close()
        yield path
