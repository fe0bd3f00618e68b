"""`tariff serve`: run the HTTP service (docs/service.md) under uvicorn.

The settings go to the worker processes in the environment (service/config.py), since uvicorn
starts each worker from the app factory's import path; the secrets (admin token, API keys) are
read from the environment only, never from arguments, which `ps` shows to everyone.
"""

from __future__ import annotations

import argparse
import dataclasses
import os

from ..common.diagnostics import Diagnostic, DiagnosticError
from ..model.limits import DEFAULT_TIMEOUT_MS
from .shared import EXIT_BAD_INPUT, EXIT_VALID, positive, time_limit

APP = "tariffcheck.service.app:app_from_env"  # the factory each worker process calls


def register(commands) -> None:
    p = commands.add_parser("serve", help="serve the tariffs over HTTP for order-entry systems (docs/service.md)")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: %(default)s; "
                                                       "0.0.0.0 for every interface)")
    p.add_argument("--port", type=port, default=8080, help="the port (default: %(default)s)")
    p.add_argument("--workers", type=positive, default=1, help="worker processes (default: %(default)s)")
    p.add_argument("--no-rebalance", dest="rebalance", action="store_false",
                   help="with several workers, leave each connection on the worker the kernel gave it (by default "
                        "a worker holding more than its share closes one after a response, for the client to "
                        "reconnect: docs/service.md)")
    p.add_argument("--tariffs", metavar="FOLDER", help="serve the .tariff files of FOLDER instead of the bundled "
                                                       "tariffs")
    p.add_argument("--solver-threads", type=positive, metavar="N",
                   help="threads per worker running explain, why-not, repair and options (default: 2 with one "
                        "worker, 1 with more: each worker then keeps to one core, docs/service.md)")
    p.add_argument("--solver-queue", type=whole, default=16, metavar="N",
                   help="solver requests that may wait per worker before the service answers 503 "
                        "(default: %(default)s)")
    p.add_argument("--timeout", type=time_limit, metavar="MS", default=DEFAULT_TIMEOUT_MS,
                   help="the time limit of each solver call, and the most a request may ask (default: %(default)s)")
    p.add_argument("--request-timeout", type=time_limit, metavar="MS", default=10_000,
                   help="the most all solver calls of one explain, why-not, repair or options request may take "
                        "together; past it the answer is incomplete (default: %(default)s)")
    p.add_argument("--max-body", type=positive, metavar="BYTES", default=1_000_000,
                   help="the largest request body of one order (default: %(default)s)")
    p.add_argument("--max-batch-body", type=positive, metavar="BYTES", default=20_000_000,
                   help="the largest check:batch body (default: %(default)s)")
    p.add_argument("--max-batch", type=positive, metavar="N", default=10_000,
                   help="the most orders in one check:batch (default: %(default)s)")
    p.add_argument("--max-depth", type=positive, metavar="N", default=32,
                   help="how deeply an order may nest objects and lists (default: %(default)s)")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="allow browsers on ORIGIN to call the service (CORS is off by default); may be repeated")
    p.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="info",
                   help="the least a log line must matter to be written (default: %(default)s)")
    p.set_defaults(run=run)


def solver_threads(workers: int) -> int:
    """The solver threads per worker unless told: with more than one worker, one each. Two
    threads in a worker cost more CPU per explanation than one (each thread keeps its own
    encodings and its own KnownSat, and they take turns at the interpreter), and a worker's
    single thread answers its requests one after another, so that a large order is not slowed
    by sharing its core; the workers use the cores. One worker alone keeps two, so that Z3 may
    use a second core (benchmarks/README.md, servicep99)."""
    return 2 if workers == 1 else 1


def port(text: str) -> int:
    n = whole(text)
    if not 0 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"`{text}` is no port: give 0 to 65535")
    return n


def whole(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"`{text}` must be 0 or more")
    return n


def run(args) -> int:
    try:
        import uvicorn

        from ..service.app import create_app
        from ..service.config import ENV_CONFIG, Limits, ServiceConfig
    except ImportError as exc:
        raise DiagnosticError([Diagnostic("S000", f"`tariff serve` needs a package that is not installed: {exc.name}",
                                          help="install the service extra: pip install 'tariffcheck[service]'")]) \
            from None
    limits = Limits(max_body_bytes=args.max_body, max_batch_bytes=args.max_batch_body, max_batch=args.max_batch,
                    max_depth=args.max_depth, timeout_ms=args.timeout,
                    request_ms=args.request_timeout)
    config = ServiceConfig(tariffs=os.path.abspath(args.tariffs) if args.tariffs else None, limits=limits,
                           solver_threads=args.solver_threads or solver_threads(args.workers), solver_queue=args.solver_queue,
                           cors_origins=tuple(args.cors_origin))
    create_app(ServiceConfig.from_env({**os.environ, ENV_CONFIG: config.to_env()}))  # fail here, not in a worker
    log_config = dict(uvicorn.config.LOGGING_CONFIG)
    log_config["loggers"] = dict(log_config["loggers"], **{
        "tariffcheck": {"handlers": ["default"], "level": args.log_level.upper(), "propagate": False}})
    settings = dict(factory=True, host=args.host, port=args.port, workers=args.workers, access_log=False,
                    log_level=args.log_level, log_config=log_config, server_header=False)
    if args.workers == 1:
        os.environ[ENV_CONFIG] = config.to_env()
        uvicorn.run(APP, **settings)
        return EXIT_VALID
    from ..service.siblings import generation_file
    from ..service.workers import Supervisor

    with generation_file() as path:  # the workers reload together (service/siblings.py)
        os.environ[ENV_CONFIG] = dataclasses.replace(config, reload_file=path).to_env()
        metrics_dir = os.path.join(os.path.dirname(path), "metrics")  # /metrics sums the workers (observe.py)
        os.mkdir(metrics_dir)
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", metrics_dir)
        # each worker on a socket of its own, so that the kernel spreads connections (service/workers.py)
        supervisor = Supervisor(uvicorn.Config(APP, **settings), args.workers, path, rebalance=args.rebalance)
        supervisor.bind()
        try:
            supervisor.run()
        except KeyboardInterrupt:
            pass
    return EXIT_BAD_INPUT if supervisor.failed else EXIT_VALID
