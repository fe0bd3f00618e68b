"""`tariff serve`: the HTTP service order-entry systems call (docs/service.md).

It sits beside cli/ at the top of the package and is built on the library API (api.py's
Checker) and the report modules, as the CLI is; it needs the `service` extra (FastAPI, uvicorn,
prometheus-client), which `import tariffcheck` never imports.
"""

from .app import app_from_env, create_app
from .config import Limits, ServiceConfig

__all__ = ["create_app", "app_from_env", "Limits", "ServiceConfig"]
