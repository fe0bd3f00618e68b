"""The service's app: `create_app(config)` builds it; `app_from_env()` is the factory the uvicorn
worker processes of `tariff serve` call (they read the settings from the environment).

Besides /v1 (routes.py): `/healthz` (the process answers), `/readyz` (tariffs are served),
`/metrics` (Prometheus), `POST /v1/admin/reload` (admin token) and SIGHUP, which both reload the
tariffs (registry.py) in every worker process (siblings.py), and the OpenAPI document at `/openapi.json` with its pages at `/docs`,
whose schemas of orders are each served tariff's own (orders/schema.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import gc
import logging
import signal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from starlette.exceptions import HTTPException

import tariffcheck

from ..common.diagnostics import Diagnostic, DiagnosticError
from ..orders.schema import order_schema
from . import balance, heap, models
from .auth import admin_token
from .config import ServiceConfig
from .fast import FastRoutes
from .observe import Metrics, Observe
from .problems import Problem, from_diagnostics
from .registry import Registry
from .routes import PROBLEM_RESPONSE, Service, build_router, compact, problem_response
from .siblings import Follower
from .solver import SolverPool

log = logging.getLogger("tariffcheck.service")

DESCRIPTION = """Checks orders against service tariffs (個別規程), as `tariff` does on the command line.

Every result is the JSON of `tariff CMD --format json` (docs/results.md) and names the tariff's
version and content hash. Errors are problem details (RFC 9457) whose `errors[]` carry the stable
codes and order field paths of docs/errors.md. Names in an order may be ids or official names."""

ERRORS = {400: "the body is not JSON", 401: "credentials are missing", 403: "the credentials are wrong",
          404: "no such tariff", 413: "the body or the batch passes a limit",
          422: "the order or a parameter is malformed", 503: "every solver is busy: try again after `Retry-After`"}


def create_app(config: ServiceConfig | None = None) -> FastAPI:
    config = config or ServiceConfig()
    registry = Registry(config.tariffs, config.limits.timeout_ms)
    first = registry.reload()
    if not registry.served:
        failed = "; ".join(f"`{n}`: {e[0]['message']}" for n, e in sorted(first.failed.items()))
        raise DiagnosticError([Diagnostic("E012", f"no tariff could be loaded from `{registry.source}`",
                                          notes=[failed] if failed else [],
                                          help="give `--tariffs` a folder of .tariff files that load "
                                               "(`tariff lint FILE` shows what is wrong with one)")])
    metrics = Metrics()
    after_slow = heap.FreezeAfterSlowCollections()  # the solver threads' workspaces, once warm (heap.py)
    svc = Service(config, registry, SolverPool(config.solver_threads, config.solver_queue, config.retry_after_s,
                                               on_change=metrics.solver_admitted.set), metrics)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        loop = asyncio.get_running_loop()
        if config.sighup:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # not the main thread
                loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, reload_on_signal))
        if follower is not None:
            follower.start()
        heap.settle()
        after_slow.install()
        yield
        after_slow.remove()
        if follower is not None:
            follower.stop()
        svc.pool.shutdown()
        svc.metrics.close()
        gc.unfreeze()

    app = FastAPI(title="tariffcheck", version=tariffcheck.__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.service = svc
    follower = Follower(config.reload_file, lambda: reload("another worker")) if config.reload_file else None
    for name, failure in first.failed.items():
        log.error("tariff %s did not load: %s", name, failure[0]["message"])

    def reload_on_signal() -> None:
        try:
            reload("SIGHUP")
            if follower is not None:
                follower.reloaded_here()
        except Exception:  # nobody awaits a signal's reload: say it in the log, keep serving
            log.exception("reload (SIGHUP) failed")

    def reload(why: str) -> dict:
        gc.unfreeze()  # the version a reload replaces may be garbage in cycles: let the collector see it
        report = registry.reload()
        heap.settle()
        after_slow.reset()
        svc.metrics.reloads.labels("failed" if report.failed else "ok").inc()
        log.info("reload (%s): loaded %s, unchanged %s, removed %s, failed %s", why, report.loaded,
                 report.unchanged, report.removed, sorted(report.failed))
        return report.to_json(registry.served)

    # ---- errors as problem details -------------------------------------------------------------
    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem):
        return problem_response(request, exc)

    @app.exception_handler(DiagnosticError)
    async def on_diagnostics(request: Request, exc: DiagnosticError):
        return problem_response(request, from_diagnostics(exc))

    @app.exception_handler(RequestValidationError)
    async def on_bad_request(request: Request, exc: RequestValidationError):
        errors = [{"code": "S003", "severity": "error", "message": e.get("msg", "invalid").lower(),
                   "field": ".".join(str(p) for p in e.get("loc", ())),
                   "help": "see the parameter in /docs"} for e in exc.errors()]
        first = errors[0] if errors else {"field": "", "message": "invalid"}
        return problem_response(request, Problem(422, "bad-parameter", "a parameter is malformed",
                                                 f"`{first['field']}`: {first['message']}", errors))

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, exc: HTTPException):
        titles = {404: "no such resource", 405: "method not allowed"}
        return problem_response(request, Problem(exc.status_code, f"http-{exc.status_code}",
                                                 titles.get(exc.status_code, str(exc.detail).lower()),
                                                 f"`{request.method} {request.url.path}` is not served",
                                                 headers=dict(exc.headers or {})))

    # ---- operations ----------------------------------------------------------------------------
    @app.get("/healthz", summary="the process answers", tags=["operations"])
    def healthz():
        return {"status": "ok"}

    @app.get("/readyz", summary="tariffs are loaded and served", tags=["operations"],
             responses={503: {"description": "no tariff is served"}})
    def readyz():
        served = registry.served
        body = {"status": "ready" if served else "not ready",
                "tariffs": {n: {"version": s.tariff.version, "content_hash": s.tariff.content_hash}
                            for n, s in sorted(served.items())},
                "failed": sorted(registry.last_failures)}
        return Response(compact(body), status_code=200 if served else 503, media_type="application/json")

    @app.get("/metrics", summary="Prometheus metrics", tags=["operations"],
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}})
    def metrics():
        text, content_type = svc.metrics.exposition()
        return Response(text, media_type=content_type)

    @app.post("/v1/admin/reload", response_model=models.ReloadResult, tags=["operations"],
              dependencies=[Depends(admin_token(config))],
              summary="compile the tariffs anew beside the ones serving and swap them in; a spec that fails "
                      "leaves its old version serving and is reported")
    def admin_reload():
        answer = reload("admin endpoint")
        if follower is not None:  # the other workers follow within `siblings.POLL_S`
            follower.reloaded_here()
        return answer

    router = build_router(svc)
    app.include_router(router, tags=["tariffs"])
    install_openapi(app, registry)
    if config.fast_routes:  # inside Observe: the same metrics, access log and catch-all 500
        app.add_middleware(FastRoutes, service=svc, routes=router.routes)
    seat = balance.this_worker()
    if seat is not None:  # a worker of `tariff serve --workers N` that balances its connections (workers.py)
        app.add_middleware(balance.Rebalance, seat=seat, on_close=svc.metrics.rebalanced.inc)
    app.add_middleware(Observe, metrics=svc.metrics, served_names=lambda: registry.served)
    if config.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "X-API-Key", "X-Request-ID"])
    return app


def app_from_env() -> FastAPI:
    return create_app(ServiceConfig.from_env())


# ---- the OpenAPI document ------------------------------------------------------------------------
def install_openapi(app: FastAPI, registry: Registry) -> None:
    """Generate the document from the typed models, then put in each served tariff's order schema
    and problem+json for every error; rebuilt after a reload changes the served tariffs."""
    plain = app.openapi
    built: dict = {}

    def openapi() -> dict:
        if built.get("generation") != registry.generation:
            app.openapi_schema = None
            doc = copy.deepcopy(plain())
            add_orders(doc, registry)
            add_problems(doc)
            built.update(generation=registry.generation, doc=doc)
        return built["doc"]

    app.openapi = openapi


def add_orders(doc: dict, registry: Registry) -> None:
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    names, full, partial = sorted(registry.served), [], []
    for name in names:
        t = registry.served[name].tariff
        key = "Order_" + t.id
        schema = order_schema(t)
        defs = schema.pop("$defs", {})
        schema.pop("$schema", None)
        for def_name, sub in defs.items():
            schemas[f"{key}__{def_name}"] = _rewrite_refs(sub, key)
            schemas[f"Partial{key}__{def_name}"] = _partial(_rewrite_refs(sub, "Partial" + key))
        schemas[key] = _rewrite_refs(schema, key)
        schemas["Partial" + key] = _partial(_rewrite_refs(schema, "Partial" + key))
        full.append({"$ref": f"#/components/schemas/{key}"})
        partial.append({"$ref": f"#/components/schemas/Partial{key}"})
    schemas["Order"] = {"anyOf": full, "description": "an order of one of the served tariffs (docs/orders.md); "
                                                      "`GET /v1/tariffs/{name}/schema` gives one tariff's"}
    schemas["PartialOrder"] = {"anyOf": partial, "description": "an order being filled in: fields left out are open"}
    for path, item in doc.get("paths", {}).items():
        for op in item.values():
            for param in op.get("parameters", ()):
                if param.get("name") == "name" and param.get("in") == "path":
                    param["schema"] = {"type": "string", "enum": names, "title": "Name"}


def _rewrite_refs(schema, key: str):
    if isinstance(schema, dict):
        out = {}
        for k, v in schema.items():
            if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/"):
                out[k] = f"#/components/schemas/{key}__{v.removeprefix('#/$defs/')}"
            else:
                out[k] = _rewrite_refs(v, key)
        return out
    if isinstance(schema, list):
        return [_rewrite_refs(v, key) for v in schema]
    return schema


def _partial(schema):
    """The schema with nothing required: an order being filled in may leave out any field."""
    if isinstance(schema, dict):
        return {("anyOf" if k == "oneOf" else k): _partial(v) for k, v in schema.items()
                if k not in ("required", "minItems")}
    if isinstance(schema, list):
        return [_partial(v) for v in schema]
    return schema


def add_problems(doc: dict) -> None:
    schemas = doc["components"]["schemas"]
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = models.Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for sub_name, sub in schemas["Problem"].pop("$defs", {}).items():
        schemas.setdefault(sub_name, sub)
    for path, item in doc.get("paths", {}).items():
        for op in item.values():
            responses = op.setdefault("responses", {})
            if path.startswith("/v1/"):
                for status, what in ERRORS.items():
                    responses.setdefault(str(status), {"description": what})
            for status, response in responses.items():
                if int(status) >= 400 and path.startswith("/v1/"):
                    response.update(copy.deepcopy(PROBLEM_RESPONSE))
