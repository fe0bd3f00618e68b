"""`tariff quote`: the fees of an order, each with its clause."""

from __future__ import annotations

from ..report import quote_report
from .shared import EXIT_VALID, add_format_arg, add_lang_arg, add_order_arg, add_tariff_arg, read_order, run_on_order


def register(commands) -> None:
    p = commands.add_parser("quote", help="print the fees of an order (initial, monthly, early termination), "
                                          "each with its clause")
    add_tariff_arg(p)
    add_order_arg(p)
    p.add_argument("--prices", metavar="FILE", help='a price book for amounts quoted separately: '
                   '{"prices": {"FEE_ID": yen}}')
    add_lang_arg(p, of="the labels")
    add_format_arg(p)
    p.set_defaults(run=run)


def run(args) -> int:
    prices = read_order(args.prices) if args.prices else None  # JSON, read with the same limits
    run_on_order(args, lambda c, o: c.quote(o, prices), quote_report)
    return EXIT_VALID
