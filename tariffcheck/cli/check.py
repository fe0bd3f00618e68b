"""`tariff check`: validate an order and name each broken clause."""

from __future__ import annotations

from ..report import check_report
from .shared import (add_format_arg, add_lang_arg, add_order_arg, add_tariff_arg, add_timeout_arg, exit_code,
                     run_on_order)


def register(commands) -> None:
    p = commands.add_parser("check", help="validate an order and name each broken clause")
    add_tariff_arg(p)
    add_order_arg(p)
    add_lang_arg(p)
    add_format_arg(p)
    p.add_argument("--engine", choices=("concrete", "z3"), default="concrete",
                   help="the evaluation path: the fast concrete validator, or the Z3 encoding")
    add_timeout_arg(p)  # with --engine z3: past it, the verdict is unknown (exit 3)
    p.set_defaults(run=run)


def run(args) -> int:
    verdict = run_on_order(args, lambda c, o: c.check(o, engine=args.engine), check_report)
    return exit_code(verdict.status)
