"""`tariff explain`: why an order is invalid, or why an option cannot be added to it."""

from __future__ import annotations

from ..model.limits import DEFAULT_LIMIT
from .shared import (add_format_arg, add_lang_arg, add_order_arg, add_tariff_arg, add_timeout_arg, exit_code,
                     positive, run_on_order)


def register(commands) -> None:
    p = commands.add_parser("explain", help="show why an order is invalid: the smallest sets of the customer's "
                                            "choices that cannot stand together, each with its clauses")
    add_tariff_arg(p)
    add_order_arg(p)
    p.add_argument("--all", action="store_true", help="list every minimal conflict, not just one")
    p.add_argument("--limit", type=positive, metavar="N",
                   help=f"with --all, stop after N conflicts (default: {DEFAULT_LIMIT})")
    p.add_argument("--why-not", metavar="OPTION",
                   help="instead, say why OPTION (its id or official name) cannot be added to the order")
    p.add_argument("--contract", metavar="ID", help="with --why-not, the id of the contract to add the option to")
    add_lang_arg(p)
    add_format_arg(p)
    add_timeout_arg(p)
    p.set_defaults(run=run, usage_error=p.error)


def run(args) -> int:
    from ..report import explain_report  # the Z3 path

    if args.limit is not None and not args.all:
        args.usage_error("`--limit` caps how many conflicts `--all` lists: give it with `--all`")
    if args.contract is not None and args.why_not is None:
        args.usage_error("`--contract` names the contract `--why-not` adds the option to: give it with `--why-not`")
    if args.why_not is not None and args.all:
        args.usage_error("`--why-not` gives one reason; it does not go with `--all`")
    if args.why_not is not None:
        compute = lambda c, o: c.why_not(o, args.why_not, args.contract)  # noqa: E731
    else:
        limit = (args.limit or DEFAULT_LIMIT) if args.all else 1
        compute = lambda c, o: c.explain(o, limit)  # noqa: E731
    explanation = run_on_order(args, compute, explain_report)
    return exit_code(explanation.status)
