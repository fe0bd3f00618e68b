"""tariffcheck: a formal checker for service tariffs (個別規程).

    from tariffcheck import Checker
    verdict = Checker("secure-endpoint").check(order_dict)
"""

from .api import Checker, OrderError, check, diff, lint, load_tariff
from .common.diagnostics import Diagnostic, DiagnosticError
from .impact import impact  # the function; its package stays importable as tariffcheck.impact.*

__all__ = ["Checker", "OrderError", "check", "diff", "impact", "lint", "load_tariff", "Diagnostic", "DiagnosticError"]
__version__ = "0.1.0"
