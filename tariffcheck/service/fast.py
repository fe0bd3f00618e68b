"""The hot endpoints, `POST /v1/tariffs/{name}/check` and `check:batch`, without FastAPI's
routing and dependency solving.

An order-entry system calls `check` on every order it enters, so what FastAPI does around the
check (matching the path against every route, solving the API key dependency and the query
parameters through pydantic, the exception middleware) cost as much CPU as the check itself.
This plain ASGI middleware sits inside `Observe` (so metrics, the access log, the request id and
the catch-all 500 are the same) and answers the common form of these requests itself, through
the very functions the documented routes call (`routes.check_one`, `routes.check_many`): the
same body, headers, problems and limits. Everything else goes on to FastAPI unchanged: another
method, another path, a client that asks for the text report, a query it does not know to be
valid (`engine=z3`, `timeout_ms`, a `lang` it does not accept). FastAPI keeps the routes, so
the OpenAPI document still describes them with their real schemas.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from ..common.diagnostics import DiagnosticError
from .auth import check_client_key
from .problems import Problem, from_diagnostics
from .requests import wants_text
from .routes import Service, check_many, check_one, problem_response

PREFIX = "/v1/tariffs/"
CHECK = "/v1/tariffs/{name}/check"
BATCH = "/v1/tariffs/{name}/check:batch"
# the query of a concrete check whose answer FastAPI would give without complaint: JSON does not
# depend on `lang`, and `engine=concrete` is the default
_PLAIN_CHECK_QUERY = {("lang", "en"), ("lang", "ja"), ("engine", "concrete")}


class FastRoutes:
    """ASGI middleware: answers check and check:batch as their FastAPI routes would, and passes
    every other request on. `routes` are the app's routes: the scope of an answered request names
    its route as FastAPI's router would, for the metrics and the access log."""

    def __init__(self, app, service: Service, routes):
        self.app = app
        self.svc = service
        self.routes = {(r.path, m): r for r in routes for m in getattr(r, "methods", None) or ()}

    async def __call__(self, scope, receive, send):
        endpoint = self.endpoint(scope)
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        route = self.routes.get((endpoint, "POST"))
        if route is None:  # an app built without the route: let FastAPI say so
            await self.app(scope, receive, send)
            return
        name = scope["path"][len(PREFIX):].partition("/")[0]
        scope["route"] = route
        scope["endpoint"] = route.endpoint
        scope["path_params"] = {"name": name}
        request = Request(scope, receive)
        try:
            check_client_key(self.svc.config, request.headers.get("x-api-key"))
            if endpoint == CHECK:
                response = await check_one(self.svc, request, name, "en")
            else:
                response = await check_many(self.svc, request, name)
        except Problem as exc:
            response = problem_response(request, exc)
        except DiagnosticError as exc:
            response = problem_response(request, from_diagnostics(exc))
        await response(scope, receive, send)

    def endpoint(self, scope) -> str | None:
        """CHECK or BATCH when this request is one the fast path answers as FastAPI would, else None."""
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
            return None
        path = scope["path"]
        if not path.startswith(PREFIX):
            return None
        name, slash, tail = path[len(PREFIX):].partition("/")
        if not name or not slash:
            return None
        if tail == "check:batch":
            return BATCH  # its route takes no parameter: FastAPI ignores any query
        if tail != "check":
            return None
        query = scope.get("query_string", b"")
        if query and not all(p in _PLAIN_CHECK_QUERY for p in parse_qsl(query.decode("latin-1"),
                                                                        keep_blank_values=True)):
            return None
        for key, value in scope["headers"]:
            if key == b"accept" and b"text/plain" in value:
                if wants_text(Request(scope)):
                    return None
        return CHECK
