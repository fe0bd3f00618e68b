"""What a running service is told: which tariffs, its limits, its pool of solver threads, and who
may call it. `tariff serve` fills it from its arguments and the environment; a test builds one.

Secrets (the admin token, the clients' API keys) come from the environment only, never from the
command line, where `ps` would show them to every user of the machine; they are never logged.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from ..model.limits import DEFAULT_TIMEOUT_MS

ENV_CONFIG = "TARIFFCHECK_SERVE_CONFIG"  # the settings `tariff serve` hands each worker process
ENV_ADMIN_TOKEN = "TARIFFCHECK_ADMIN_TOKEN"
ENV_API_KEYS = "TARIFFCHECK_API_KEYS"  # comma-separated


@dataclass(frozen=True)
class Limits:
    """Each limit answers 413 or 422 when a request passes it (docs/service.md)."""

    max_body_bytes: int = 1_000_000  # one order's request body
    max_batch_bytes: int = 20_000_000  # a check:batch request body
    max_batch: int = 10_000  # orders in one check:batch
    max_depth: int = 32  # objects and lists inside each other; an order needs fewer than ten
    timeout_ms: int = DEFAULT_TIMEOUT_MS  # each solver call of explain, why-not, repair, options, check on z3
    request_ms: int = 10_000  # all solver calls of one explain, why-not, repair or options request together
    max_conflicts: int = 50  # explain's `limit`
    max_repairs: int = 20  # repair's `max`


@dataclass(frozen=True)
class ServiceConfig:
    tariffs: str | None = None  # a folder of .tariff files; None serves the bundled tariffs
    limits: Limits = field(default_factory=Limits)
    solver_threads: int = 2  # threads that run Z3 work, each with Z3 contexts of its own
    solver_queue: int = 16  # requests that may wait for a solver thread before the service answers 503
    retry_after_s: int = 1
    admin_token: str | None = None
    api_keys: frozenset[str] = frozenset()
    cors_origins: tuple[str, ...] = ()
    sighup: bool = True  # reload on SIGHUP (off in tests, which run many apps in one process)
    reload_file: str | None = None  # the generation file the workers of one `tariff serve` share (siblings.py)
    fast_routes: bool = True  # check and check:batch answered without FastAPI's routing (fast.py); off: compare

    def to_env(self) -> str:
        """The settings without the secrets, for the worker processes (which read those from
        the environment themselves)."""
        data = asdict(self)
        data.pop("admin_token")
        data.pop("api_keys")
        data["cors_origins"] = list(self.cors_origins)
        return json.dumps(data)

    @classmethod
    def from_env(cls, environ=os.environ) -> ServiceConfig:
        data = json.loads(environ.get(ENV_CONFIG) or "{}")
        limits = Limits(**data.pop("limits", {}))
        keys = frozenset(k.strip() for k in environ.get(ENV_API_KEYS, "").split(",") if k.strip())
        return cls(limits=limits, cors_origins=tuple(data.pop("cors_origins", ())),
                   admin_token=environ.get(ENV_ADMIN_TOKEN) or None, api_keys=keys, **data)
