"""`tariff quote`: the fees of an order, each with its clause.

A quote is only for a valid order: the fees of an order the tariff rejects are not owed by
anyone, so an invalid order gets no quote but a word on standard error saying how many rules it
breaks and which command names them, and exit code 1, as `tariff check` would give it.
"""

from __future__ import annotations

import shlex
import sys

import argparse

from ..common.diagnostics import Diagnostic
from ..evaluate.fees import month_of
from ..report import quote_report
from ..report.terminal import safe_text
from .shared import (EXIT_INVALID, EXIT_VALID, add_format_arg, add_lang_arg, add_order_arg, add_tariff_arg, emit,
                     error_json, load_order, print_json, read_order, show)


def register(commands) -> None:
    p = commands.add_parser("quote", help="print the fees of a valid order (initial, monthly, early termination), "
                                          "each with its clause")
    add_tariff_arg(p)
    add_order_arg(p)
    p.add_argument("--prices", metavar="FILE", help='a price book for amounts quoted separately: '
                   '{"prices": {"FEE_ID": yen}}')
    p.add_argument("--month", metavar="YYYY-MM", type=_month,
                   help="the monthly fees owed for that month instead: none before billing starts or after the "
                        "contract or option ends, a part month billed whole, the contract as it stands on the 1st")
    add_lang_arg(p, of="the labels")
    add_format_arg(p)
    p.set_defaults(run=run)


def run(args) -> int:
    # JSON, read with an order's limits; its errors are the price book's (P001), not an order's
    prices = read_order(args.prices, "price book", "P001") if args.prices else None
    checker, order = load_order(args)
    verdict = checker.check(order)
    if verdict.status == "invalid":
        if args.format == "json":  # the same words, as JSON on standard output
            head, _, help = invalid_message(args, len(verdict.violations)).partition("\n   = help: ")
            print_json(error_json("quote", [Diagnostic("Q001", head.removeprefix("error: "), help=help)], "invalid"))
        else:
            print(invalid_message(args, len(verdict.violations)), file=sys.stderr)
        return EXIT_INVALID
    lines = checker.quote(order, prices, args.month)
    if args.format == "json":
        print_json(quote_report.to_json(checker.tariff, order, lines, args.month))
    else:
        emit(quote_report.to_text(checker.tariff, order, lines, args.lang, args.month))
    return EXIT_VALID


def _month(text: str) -> str:
    try:
        month_of(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def invalid_message(args, broken: int) -> str:
    check = safe_text(shlex.join(["tariff", "check", "--tariff", args.tariff, args.order]))
    if args.lang == "ja":
        return (f"error: この注文は無効です (違反 {broken} 件)。有効な注文にだけ料金を示します\n"
                f"   = help: `{check}` が違反した規定を示します")
    return (f"error: the order is invalid ({broken} broken rule{'s' if broken != 1 else ''}), so it has no quote\n"
            f"   = help: `{check}` names the broken rules")
