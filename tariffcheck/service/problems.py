"""Errors as problem details (RFC 9457, `application/problem+json`), with the CLI's codes.

Every error the service answers is one of these: the order's own errors carry the codes and
field paths `tariff check` prints (docs/errors.md), each in `errors[]`; the service's own
(limits, credentials, saturation) have a `type` of their own. No answer ever carries a
traceback: an error nobody foresaw is logged with its traceback and answered 500 with the
request's id, which finds it in the log.
"""

from __future__ import annotations

from ..common.diagnostics import Diagnostic, DiagnosticError
from ..report.terminal import json_text

PROBLEM_JSON = "application/problem+json"

# the order or request cannot be read at all: 400; it reads, but is not an order of the tariff: 422
_READ_CODES = {"O001", "O011"}
_NOT_FOUND_CODES = {"T001"}


class Problem(Exception):
    """An error answer: `status`, a `type` (a relative URI naming the kind of problem), a short
    `title`, the `detail` of this occurrence, and the diagnostics in `errors`."""

    def __init__(self, status: int, kind: str, title: str, detail: str | None = None,
                 errors: list[dict] | None = None, headers: dict[str, str] | None = None, **extra):
        super().__init__(detail or title)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra

    def to_json(self, instance: str | None = None) -> dict:
        out = {"type": f"/problems/{self.kind}", "title": self.title, "status": self.status}
        if self.detail:
            out["detail"] = self.detail
        if instance:
            out["instance"] = instance
        if self.errors:
            out["code"] = self.errors[0]["code"]
            out["errors"] = self.errors
        out.update(self.extra)
        return out

    def body(self, instance: str | None = None) -> bytes:
        return json_text(self.to_json(instance), indent=None, separators=(",", ":")).encode("utf-8")


def from_diagnostics(exc: DiagnosticError) -> Problem:
    """The problem of an order, a price book or a tariff name the checker rejected."""
    errors = [d.to_json() for d in exc.diagnostics]
    codes = {d.code for d in exc.diagnostics}
    first = exc.diagnostics[0] if exc.diagnostics else Diagnostic("O011", "the order cannot be read")
    if codes & _NOT_FOUND_CODES:
        return Problem(404, "unknown-tariff", "no such tariff", first.message, errors)
    if codes <= _READ_CODES:
        return Problem(400, "unreadable-order", "the order cannot be read", first.message, errors)
    if any(c.startswith("P") for c in codes):
        return Problem(422, "bad-price-book", "the price book is malformed", first.message, errors)
    n = len(errors)
    return Problem(422, "bad-order", "the order is malformed",
                   first.message if n == 1 else f"{first.message} (and {n - 1} more error{'s' if n > 2 else ''})",
                   errors)


def too_large(what: str, limit: int, unit: str, setting: str) -> Problem:
    return Problem(413, "too-large", "the request is too large", f"{what} is larger than {limit:,} {unit}",
                   [{"code": "S001", "severity": "error", "message": f"{what} is larger than {limit:,} {unit}",
                     "help": f"send less, or start the service with a larger `{setting}`"}])


def too_deep(limit: int, field: str) -> Problem:
    message = f"the order is nested more than {limit} levels deep"
    return Problem(422, "too-deep", "the order is nested too deeply", message,
                   [{"code": "S002", "severity": "error", "message": message, "field": field,
                     "help": "an order needs fewer than ten levels; check what the client sends"}])


def bad_parameter(name: str, value: str, message: str, help: str) -> Problem:
    return Problem(422, "bad-parameter", "a parameter is malformed", message,
                   [{"code": "S003", "severity": "error", "message": message, "field": f"query.{name}",
                     "help": help}])


def saturated(retry_after_s: int) -> Problem:
    return Problem(503, "saturated", "every solver is busy",
                   "the service is running as many solver requests as it may; try again shortly",
                   headers={"Retry-After": str(retry_after_s)})


def unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", "credentials are missing", detail,
                   headers={"WWW-Authenticate": 'Bearer realm="tariffcheck"'})


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", "the credentials do not allow this", detail)


def internal(request_id: str) -> Problem:
    return Problem(500, "internal", "internal error",
                   f"the service failed on this request; its log has the details under request id `{request_id}`",
                   request_id=request_id)
