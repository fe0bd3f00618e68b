"""`tariff dates`: every day the tariff defines for an order, each with its clause."""

from __future__ import annotations

from ..report import dates_report
from .shared import EXIT_VALID, add_format_arg, add_lang_arg, add_order_arg, add_tariff_arg, run_on_order


def register(commands) -> None:
    p = commands.add_parser("dates", help="print every day the tariff defines for an order, each with its clause")
    add_tariff_arg(p)
    add_order_arg(p)
    add_lang_arg(p, of="the labels")
    add_format_arg(p)
    p.set_defaults(run=run)


def run(args) -> int:
    run_on_order(args, lambda c, o: c.dates(o), dates_report)
    return EXIT_VALID
