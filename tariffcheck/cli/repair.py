"""`tariff repair`: the nearest valid orders, which choices to change and to what."""

from __future__ import annotations

import argparse

from ..model.limits import DEFAULT_LOCKED
from .shared import (add_format_arg, add_lang_arg, add_order_arg, add_tariff_arg, add_timeout_arg, exit_code,
                     positive, run_on_order)


def register(commands) -> None:
    p = commands.add_parser("repair", help="find the nearest valid orders: which choices to change, and to what")
    add_tariff_arg(p)
    add_order_arg(p)
    p.add_argument("--max", type=positive, metavar="K", default=1, help="list up to K repairs, cheapest first "
                   "(default: %(default)s)")
    p.add_argument("--lock", action="append", default=[], metavar="FIELD",
                   help="keep FIELD as the order gives it: a path (contracts[1].accounts), a contract id and "
                        "a field (se-1.accounts), or a field's id or official name; may be repeated")
    p.add_argument("--unlock", action="append", default=[], choices=DEFAULT_LOCKED, metavar="FIELD",
                   help="let a field kept by default change: " + ", ".join(DEFAULT_LOCKED))
    p.add_argument("--weight", action="append", default=[], type=weight, metavar="NAME=N",
                   help="the cost of changing a kind of field (dim, qty, flag, date, option, optqty, ...) or "
                        "a field (default 1; 0 makes it free); may be repeated")
    add_lang_arg(p)
    add_format_arg(p)
    add_timeout_arg(p)
    p.set_defaults(run=run)


def weight(text: str) -> tuple[str, int]:
    """`NAME=N`: the cost of changing a kind of field or a field, 0 or more."""
    name, eq, number = text.rpartition("=")
    if not eq or not name.strip():
        raise argparse.ArgumentTypeError(f"`{text}` is not NAME=N: write a kind of field or a field, `=`, and a "
                                         "whole number, e.g. `option=3` or `se-1.accounts=2`")
    try:
        n = int(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}`: the weight `{number}` is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"`{text}`: a weight is a whole number from 0 up")
    return name.strip(), n


def run(args) -> int:
    from ..report import repair_report  # the Z3 path

    weights = dict(args.weight)  # a name given twice: the last weight counts
    result = run_on_order(args, lambda c, o: c.repair(o, args.max, args.lock, weights, args.unlock), repair_report)
    return exit_code(result.status, success=("valid", "repaired"), failure=("none",))
