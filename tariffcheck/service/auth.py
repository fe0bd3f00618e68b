"""Who may call: clients present an API key (`X-API-Key`) when the service is given keys; the admin
endpoints need the admin token (`Authorization: Bearer TOKEN`), and are off when none is set.

Missing credentials answer 401, wrong ones 403, before the request is read or anything changes.
Keys are compared in constant time and never logged (the access log names no header). The
checks are coroutines: FastAPI would run a plain function on a thread, a hop per request.
"""

from __future__ import annotations

import hmac

from fastapi import Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from .config import ServiceConfig
from .problems import forbidden, unauthorized

_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="a client's API key, when the service "
                                                                         "requires them")
_bearer = HTTPBearer(auto_error=False, description="the admin token (TARIFFCHECK_ADMIN_TOKEN)")


def _matches(given: str, allowed) -> bool:
    found = False
    for key in allowed:  # every key is compared, so the time says nothing about which one is near
        found |= hmac.compare_digest(given.encode("utf-8"), key.encode("utf-8"))
    return found


def check_client_key(config: ServiceConfig, key: str | None) -> None:
    """Raise the 401 or 403 problem unless `key` is one of the configured API keys (or none is)."""
    if not config.api_keys:
        return
    if not key:
        raise unauthorized("this service needs an API key: send it in the `X-API-Key` header")
    if not _matches(key, config.api_keys):
        raise forbidden("the API key is not one this service accepts")


def client_key(config: ServiceConfig):
    async def require(key: str | None = Security(_api_key)) -> None:
        check_client_key(config, key)
    return require


def admin_token(config: ServiceConfig):
    async def require(cred: HTTPAuthorizationCredentials | None = Security(_bearer)) -> None:
        if config.admin_token is None:
            raise forbidden("the admin endpoints are off: start the service with TARIFFCHECK_ADMIN_TOKEN set")
        if cred is None or not cred.credentials:
            raise unauthorized("the admin endpoints need the admin token: `Authorization: Bearer TOKEN`")
        if not _matches(cred.credentials, (config.admin_token,)):
            raise forbidden("the admin token is wrong")
    return require
