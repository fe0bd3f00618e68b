"""`tariff options`: for an order being filled in, what each open field may still be."""

from __future__ import annotations

from .shared import (add_format_arg, add_lang_arg, add_order_arg, add_tariff_arg, add_timeout_arg, exit_code,
                     run_on_order)


def register(commands) -> None:
    p = commands.add_parser("options", help="for an order being filled in, what each open field may still be, "
                                            "what is forced and what is impossible, and why")
    add_tariff_arg(p)
    add_order_arg(p, help="the partial order's JSON file (fields left out are open), or - for standard input")
    add_lang_arg(p)
    add_format_arg(p)
    add_timeout_arg(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from ..report import options_report  # the Z3 path

    result = run_on_order(args, lambda c, o: c.options(o), options_report, partial=True)
    return exit_code(result.status, success=("open",))
