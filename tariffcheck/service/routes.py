"""The endpoints under /v1: the served tariffs, and for each the commands of the CLI that answer
about one order (check, explain, why-not, repair, options, dates, quote) plus check:batch.

Each answer is built by the CLI's own report module (`to_json`, or `to_text` for a client that
asks `Accept: text/plain`), from a result of the library's Checker, so the service says what
`tariff CMD --format json` says. The concrete path (check, dates, quote, decoding) runs in the
request itself; the Z3 path goes through the bounded SolverPool (solver.py). Every answer names
the tariff's version and content hash, in its body and in the `Tariff-Version` and
`Tariff-Content-Hash` headers; a request keeps the version it started with across a reload.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..common.diagnostics import DiagnosticError
from ..model.limits import DEFAULT_LIMIT, DEFAULT_LOCKED
from ..orders.decode import decode_partial_order
from ..orders.schema import order_schema
from ..report import check_report, dates_report, quote_report
from . import models
from .auth import client_key
from .config import ServiceConfig
from .observe import Metrics
from .plain_json import write
from .problems import PROBLEM_JSON, Problem, bad_parameter, from_diagnostics
from .registry import Registry, Served
from .review import add_review
from .requests import NDJSON, batch_orders, parse_order, read_body, read_one, wants_ndjson, wants_text
from .solver import SolverPool

Lang = Literal["en", "ja"]
LANG = Query("en", description="the language of the text report (`Accept: text/plain`); JSON carries both")


@dataclass
class Service:
    """Everything a request needs, made once per app."""

    config: ServiceConfig
    registry: Registry
    pool: SolverPool
    metrics: Metrics


def compact(data: object, plain: bool = False) -> bytes:
    """`data` as compact JSON; `plain`: it holds no float, so orjson may write it (plain_json.write)."""
    return write(data, plain)


def version_headers(served: Served) -> dict[str, str]:
    t = served.tariff
    return {"Tariff-Version": t.version, "Tariff-Content-Hash": t.content_hash}


def answer(request: Request, served: Served, report, order, result, lang: str, plain: bool = False) -> Response:
    """The result as JSON, or as the text report; `plain`: the order was read plain (compact)."""
    headers = version_headers(served)
    if wants_text(request):
        text = report.to_text(served.tariff, order, result, lang) + "\n"
        return Response(text.encode("utf-8"), media_type="text/plain; charset=utf-8", headers=headers)
    return Response(compact(report.to_json(served.tariff, order, result), plain), media_type="application/json",
                    headers=headers)


def results(model) -> dict:
    """The OpenAPI `responses` of an order endpoint: its result as JSON or as the text report."""
    return {200: {"model": model, "content": {"text/plain": {"schema": {"type": "string"}}},
                  "description": "the result, as `tariff CMD --format json` gives it (docs/results.md); "
                                 "with `Accept: text/plain`, the text report in `lang`"}}


def parse_weights(texts: list[str]) -> dict[str, int]:
    out = {}
    for text in texts:
        name, eq, number = text.rpartition("=")
        if not eq or not name.strip() or not number.strip().isdigit():
            raise bad_parameter("weight", text, f"`{text}` is not NAME=N",
                                "write a kind of field or a field, `=`, and a whole number from 0 up, "
                                "e.g. `option=3` or `se-1.accounts=2`")
        out[name.strip()] = int(number)
    return out


def parse_prices(texts: list[str]) -> dict | None:
    if not texts:
        return None
    prices = {}
    for text in texts:
        name, eq, number = text.rpartition("=")
        if not eq or not name.strip() or not number.strip().isdigit():
            raise bad_parameter("price", text, f"`{text}` is not FEE=YEN",
                                "write a fee the tariff quotes separately, `=`, and an amount in yen, "
                                "e.g. `base_initial=30000`")
        prices[name.strip()] = int(number)
    return {"prices": prices}


def build_router(svc: Service) -> APIRouter:
    limits = svc.config.limits
    # without API keys configured there is nothing to check: no dependency for FastAPI to solve per request
    keys = [Depends(client_key(svc.config))] if svc.config.api_keys else []
    router = APIRouter(prefix="/v1", dependencies=keys)
    order_body = {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Order"}}}}}
    partial_body = {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/PartialOrder"}}}}}

    async def order_of(request: Request, name: str):
        served = svc.registry.get(name)
        raw = await read_body(request, limits.max_body_bytes, "--max-body")
        return served, parse_order(raw, limits.max_depth)

    async def solve(request: Request, served: Served, report, order, compute, lang: str) -> Response:
        try:
            result = await svc.pool.run(compute, served.checker, order)
        except Problem as exc:
            if exc.status == 503:
                svc.metrics.saturated.labels(request.scope["route"].path).inc()
            raise
        if result.status == "unknown" or not getattr(result, "complete", True):
            svc.metrics.timeouts.labels(request.scope["route"].path, served.name).inc()
        return answer(request, served, report, order, result, lang)

    # ---- the tariffs ---------------------------------------------------------------------------
    @router.get("/tariffs", response_model=models.TariffList, summary="the served tariffs")
    def list_tariffs():
        return {"tariffs": [summary(s) for _, s in sorted(svc.registry.served.items())]}

    @router.get("/tariffs/{name}", response_model=models.TariffDetail,
                summary="one tariff: its version, content hash, contracts, items and options with official names")
    def tariff_detail(name: str):
        return detail(svc.registry.get(name))

    @router.get("/tariffs/{name}/schema", summary="the JSON Schema of the tariff's orders",
                responses={200: {"content": {"application/schema+json": {"schema": {"type": "object"}}}}})
    def tariff_schema(name: str):
        served = svc.registry.get(name)
        return Response(compact(order_schema(served.tariff)), media_type="application/schema+json",
                        headers=version_headers(served))

    # ---- one order -------------------------------------------------------------------------------
    @router.post("/tariffs/{name}/check", responses=results(models.CheckResult), openapi_extra=order_body,
                 summary="validate an order and name each broken clause (`tariff check`)")
    async def check(request: Request, name: str, lang: Lang = LANG,
                    engine: Literal["concrete", "z3"] = Query("concrete", description="the evaluation path"),
                    timeout_ms: int | None = Query(None, ge=1, le=limits.timeout_ms,
                                                   description="with engine=z3: the solver's time limit")):
        if engine == "z3":
            served, data = await order_of(request, name)
            order = served.checker.decode(data)
            return await solve(request, served, check_report, order,
                               lambda c, o: c.check(o, engine="z3", timeout_ms=timeout_ms), lang)
        return await check_one(svc, request, name, lang)

    @router.post("/tariffs/{name}/check:batch", response_model=models.BatchResult,
                 summary="validate many orders, one result each, in order (a JSON array, or NDJSON)",
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/json": {"schema": {"type": "array", "items": {
                         "$ref": "#/components/schemas/Order"}}},
                     NDJSON: {"schema": {"type": "string", "description": "one order's JSON a line"}}}}},
                 responses={200: {"content": {NDJSON: {"schema": {"type": "string"}}}}})
    async def check_batch(request: Request, name: str):
        return await check_many(svc, request, name)

    @router.post("/tariffs/{name}/dates", responses=results(models.DatesResult), openapi_extra=order_body,
                 summary="every day the tariff defines for the order, each with its clause (`tariff dates`)")
    async def dates(request: Request, name: str, lang: Lang = LANG):
        served, data = await order_of(request, name)
        order = served.checker.decode(data)
        return answer(request, served, dates_report, order, served.checker.dates(order), lang)

    @router.post("/tariffs/{name}/quote", responses=results(models.QuoteResult) | {
                 409: {"model": models.Problem, "description": "the order is invalid, so it has no quote; "
                                                                "`result` is its check result"}},
                 openapi_extra=order_body,
                 summary="the fees of a valid order, each with its clause (`tariff quote`)")
    async def quote(request: Request, name: str, lang: Lang = LANG,
                    price: list[str] = Query([], description="an amount quoted separately, FEE=YEN; may repeat")):
        served, data = await order_of(request, name)
        prices = parse_prices(price)
        order = served.checker.decode(data)
        verdict = served.checker.check(order)
        if verdict.status != "valid":
            n = len(verdict.violations)
            raise Problem(409, "invalid-order", "the order is invalid, so it has no quote",
                          f"the order breaks {n} rule{'s' if n != 1 else ''}; `result` names them",
                          result=check_report.to_json(served.tariff, order, verdict))
        return answer(request, served, quote_report, order, served.checker.quote(order, prices), lang)

    # ---- the Z3 path -----------------------------------------------------------------------------
    @router.post("/tariffs/{name}/explain", responses=results(models.ExplainResult), openapi_extra=order_body,
                 summary="the smallest sets of the customer's choices that cannot stand together (`tariff explain`)")
    async def explain(request: Request, name: str, lang: Lang = LANG,
                      all: bool = Query(False, description="every minimal conflict, not just one"),
                      limit: int | None = Query(None, ge=1, le=limits.max_conflicts,
                                                description=f"with all: at most this many (default {DEFAULT_LIMIT})")):
        from ..report import explain_report

        if limit is not None and not all:
            raise bad_parameter("limit", str(limit), "`limit` caps how many conflicts `all` lists",
                                "give `all=true` with `limit`")
        served, data = await order_of(request, name)
        order = served.checker.decode(data)
        n = (limit or DEFAULT_LIMIT) if all else 1
        return await solve(request, served, explain_report, order,
                           lambda c, o: c.explain(o, n, budget_ms=limits.request_ms), lang)

    @router.post("/tariffs/{name}/why-not", responses=results(models.ExplainResult), openapi_extra=order_body,
                 summary="what keeps an option out of the order (`tariff explain --why-not`)")
    async def why_not(request: Request, name: str, lang: Lang = LANG,
                      option: str = Query(..., min_length=1, description="the option's id or official name"),
                      contract: str | None = Query(None, description="the id of the contract to add it to")):
        from ..report import explain_report

        served, data = await order_of(request, name)
        order = served.checker.decode(data)
        return await solve(request, served, explain_report, order,
                           lambda c, o: c.why_not(o, option, contract, budget_ms=limits.request_ms), lang)

    @router.post("/tariffs/{name}/repair", responses=results(models.RepairResult), openapi_extra=order_body,
                 summary="the nearest valid orders: which choices to change, and to what (`tariff repair`)")
    async def repair(request: Request, name: str, lang: Lang = LANG,
                     max: int = Query(1, ge=1, le=limits.max_repairs, description="up to this many repairs"),
                     lock: list[str] = Query([], description="a field to keep as the order gives it; may repeat"),
                     unlock: list[Literal[DEFAULT_LOCKED]] = Query([], description="a field kept by default "
                                                                                   "that may change"),
                     weight: list[str] = Query([], description="NAME=N, the cost of changing a kind of field "
                                                               "or a field; may repeat")):
        from ..report import repair_report

        weights = parse_weights(weight)
        served, data = await order_of(request, name)
        order = served.checker.decode(data)
        return await solve(request, served, repair_report, order,
                           lambda c, o: c.repair(o, max, lock, weights, unlock, budget_ms=limits.request_ms), lang)

    @router.post("/tariffs/{name}/options", responses=results(models.OptionsResult), openapi_extra=partial_body,
                 summary="for an order being filled in: what each open field may still be, and why (`tariff options`)")
    async def options(request: Request, name: str, lang: Lang = LANG):
        from ..report import options_report

        served, data = await order_of(request, name)
        order = decode_partial_order(data, served.tariff)
        return await solve(request, served, options_report, order,
                           lambda c, o: c.options(o, budget_ms=limits.request_ms), lang)

    # ---- two uploaded versions -------------------------------------------------------------------
    add_review(router, svc)
    return router


async def check_one(svc: Service, request: Request, name: str, lang: str) -> Response:
    """`POST /v1/tariffs/{name}/check` on the concrete path, once its parameters and credentials
    are known good: the documented route and the fast path (fast.py) both answer through it."""
    served = svc.registry.get(name)
    raw = await read_body(request, svc.config.limits.max_body_bytes, "--max-body")
    data, plain = read_one(raw, svc.config.limits.max_depth)
    order = served.checker.decode(data)
    return answer(request, served, check_report, order, served.checker.check(order), lang, plain)


async def check_many(svc: Service, request: Request, name: str) -> Response:
    """`POST /v1/tariffs/{name}/check:batch`, for the documented route and the fast path alike."""
    limits = svc.config.limits
    served = svc.registry.get(name)
    raw = await read_body(request, limits.max_batch_bytes, "--max-batch-body")
    items, plain = batch_orders(raw, request.headers.get("content-type", ""), limits.max_batch, limits.max_depth)
    n = len(items)
    out, counts = await run_in_threadpool(check_all, served, items, plain)
    svc.metrics.orders.labels(served.name).inc(n)
    headers = version_headers(served)
    if wants_ndjson(request):
        return Response(b"".join(item + b"\n" for item in out), media_type=NDJSON, headers=headers)
    # the bytes compact({"format": .., "tariff": .., "counts": .., "results": [..]}) would give
    body = b"".join((b'{"format":', compact(check_report.FORMAT), b',"tariff":',
                     compact(check_report.tariff_json(served.tariff), plain), b',"counts":', compact(counts),
                     b',"results":[', b",".join(out), b"]}"))
    return Response(body, media_type="application/json", headers=headers)


def problem_response(request: Request, problem: Problem) -> Response:
    """A problem as the answer to `request` (its path is the problem's `instance`)."""
    return Response(problem.body(request.url.path), status_code=problem.status, media_type=PROBLEM_JSON,
                    headers=problem.headers)


def check_all(served: Served, items: list, plain: bool = False) -> tuple[list[bytes], dict[str, int]]:
    """One result per item of a batch, in order, each as compact JSON: the check result, or the
    problem of an order that cannot be read (the others are still checked). `plain`: the items
    were read plain (compact).

    Each result is written out as soon as it is made, and each order let go once checked (its
    place in `items` is emptied): a batch that kept its 500 results alive as objects until the end
    had the garbage collector walk them over and over, a quarter of the batch's CPU."""
    counts = {"valid": 0, "invalid": 0, "unknown": 0, "error": 0}
    out = []
    checker, t = served.checker, served.tariff
    for i, item in enumerate(items):
        items[i] = None
        problem = item if isinstance(item, Problem) else None
        if isinstance(item, DiagnosticError):
            problem = from_diagnostics(item)
        if problem is None:
            try:
                order = checker.decode(item)
            except DiagnosticError as exc:
                problem = from_diagnostics(exc)
            else:
                verdict = checker.check(order)
                counts[verdict.status] += 1
                out.append(compact({"index": i, "result": check_report.to_json(t, order, verdict)}, plain))
                continue
        counts["error"] += 1
        out.append(compact({"index": i, "problem": problem.to_json()}, plain))
    return out, counts


def summary(s: Served) -> dict:
    t = s.tariff
    return {"name": s.name, "id": t.id, "title": t.title, "version": t.version, "content_hash": t.content_hash}


def detail(s: Served) -> dict:
    t = s.tariff
    kinds = []
    for kind in t.contracts.values():
        kinds.append({
            "id": kind.id, "name": kind.label,
            "dimensions": [{"id": d.id, "name": d.label,
                            "values": [dict({"id": v.id, "name": v.label}, **({"legacy": True} if v.legacy else {}))
                                       for v in d.values.values()]}
                           for d in kind.dimensions.values()],
            "options": [{"id": o.id, "name": o.label} for o in kind.options.values()]})
    return dict(summary(s), rules=len(t.rules), contracts=kinds)


PROBLEM_RESPONSE = {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
