"""`POST /v1/review`: the page of `tariff review OLD NEW` for two uploaded specs.

The body carries the two specs' texts (models.ReviewRequest) and is held to `--max-body` like
an order. The specs load in a worker thread; a spec that does not load answers 422 with its
diagnostics (E0xx, with their spans). The diff and the lint of the new version are Z3 work, so
they go through the SolverPool under the service's `--timeout`: a solver that runs out of time
gives the page with the diff's `unknown` status, as the command does, not an error. The page
is built by report/html.py from the same results as the command's, so the bytes are the same
(but for the lint's running time, which the page shows).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from .. import api
from ..common.diagnostics import DiagnosticError
from ..report.terminal import safe_block
from . import models
from .problems import Problem
from .requests import read_body

REQUEST_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": models.ReviewRequest.model_json_schema()}}}}

PAGE = {200: {"content": {"text/html": {"schema": {"type": "string"}}},
              "description": "the HTML page `tariff review` writes for the two specs; the header "
                             "`Review-Status` is the diff's status (same, different, not_comparable, "
                             "unrelated or unknown)"}}


def add_review(router: APIRouter, svc) -> None:
    limits = svc.config.limits

    @router.post("/review", responses=PAGE, openapi_extra=REQUEST_BODY, response_class=Response,
                 summary="the review page of a new version of a tariff against the old (`tariff review`)")
    async def review(request: Request, lang: Literal["ja", "en"] = Query(
            "ja", description="the language of the page's own words (the tariff's names stay official)")):
        raw = await read_body(request, limits.max_body_bytes, "--max-body")
        specs = read_request(raw)
        old, new = await run_in_threadpool(load_both, specs)
        try:
            status, page = await svc.pool.run(review_page, old, new, limits.timeout_ms, lang)
        except Problem as exc:
            if exc.status == 503:
                svc.metrics.saturated.labels(request.scope["route"].path).inc()
            raise
        if status == "unknown":  # uploaded specs are no served tariff: "-", as the access metrics say
            svc.metrics.timeouts.labels(request.scope["route"].path, "-").inc()
        # written as `tariff review -o FILE` writes it: the same last guard, one final newline
        page = safe_block(page).removesuffix("\n") + "\n"
        return Response(page.encode("utf-8", errors="backslashreplace"), media_type="text/html; charset=utf-8",
                        headers={"Review-Status": status})


def read_request(raw: bytes) -> models.ReviewRequest:
    try:
        return models.ReviewRequest.model_validate_json(raw)
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            field = ".".join(str(p) for p in e.get("loc", ()))
            errors.append({"code": "S003", "severity": "error", "message": e.get("msg", "invalid").lower(),
                           "field": f"body.{field}" if field else "body",
                           "help": 'send {"old": "<spec text>", "new": "<spec text>"} as JSON'})
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise Problem(400, "unreadable-body", "the body is not JSON", errors[0]["message"], errors) from None
        first = errors[0]
        raise Problem(422, "bad-parameter", "the request is malformed", f"`{first['field']}`: {first['message']}",
                      errors) from None


def load_both(specs: models.ReviewRequest):
    """Both versions, or a 422 with the diagnostics of every one that does not load."""
    loaded, errors = [], []
    for which, text, name in (("old", specs.old, specs.old_name), ("new", specs.new, specs.new_name)):
        try:
            loaded.append(api.load_tariff_text(text, name))
        except DiagnosticError as exc:
            errors += [dict(d.to_json(), spec=which) for d in exc.diagnostics]
    if errors:
        which = " and the ".join(sorted({e["spec"] for e in errors}, reverse=True))
        verb = "do" if " and " in which else "does"
        raise Problem(422, "bad-spec", "a spec does not load",
                      f"the {which} version {verb} not load: {errors[0]['message']}", errors)
    return loaded


def review_page(old, new, timeout_ms: int, lang: str) -> tuple[str, str]:
    """On a solver thread: the diff, the new version's lint and the page, as `tariff review` makes them."""
    from ..report import html

    result = api.diff(old, new, timeout_ms)
    lint = api.lint(new, timeout_ms)
    return result.status, html.review_page(result, lint, lang)
