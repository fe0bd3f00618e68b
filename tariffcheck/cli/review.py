"""`tariff review OLD NEW [-o review.html]`: one HTML page for a product manager reviewing a new
version of a tariff: the summary, the groups of changed orders with the clause texts of both
versions, the new version's lint findings, and with `--contracts BASE` the existing contracts the
change breaks."""

from __future__ import annotations

from .. import catalog
from ..api import Checker
from ..common.diagnostics import Diagnostic, DiagnosticError
from .diff import EXIT as DIFF_EXIT
from .shared import add_output_arg, add_timeout_arg, check_output, emit, write_output

EPILOG = ("exit codes: those of `tariff diff` (0 same meaning, proven; 1 different or not proven; 2 bad "
          "input; 3 cut short), the page is written in every case but 2")


def register(commands) -> None:
    p = commands.add_parser("review", help="one HTML page reviewing a new version of a tariff: changed orders "
                                           "with the clause texts, lint findings, broken contracts", epilog=EPILOG)
    p.add_argument("old", metavar="OLD", help="the old version: a bundled tariff's name or a .tariff file")
    p.add_argument("new", metavar="NEW", help="the new version")
    add_output_arg(p, "write the page to FILE (default: standard output)")
    p.add_argument("--contracts", metavar="BASE", help="a JSON Lines file of existing orders (one order a line): "
                                                       "count those the new version breaks, per rule")
    p.add_argument("--lang", choices=("ja", "en"), default="ja",
                   help="language of the page's own words; the tariff's names stay official (default: ja)")
    add_timeout_arg(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from ..analyse.diff import diff  # the Z3 path
    from ..analyse.lint import lint_tariff
    from ..report import html

    if args.output:
        check_output(args.output)  # before the analyses, which can take minutes
    old, new = catalog.load(args.old), catalog.load(args.new)
    lines = _contract_lines(args.contracts) if args.contracts else None
    result = diff(old, new, args.timeout)
    lint = lint_tariff(new, args.new, args.timeout)
    contracts = None
    if lines is not None:
        from ..analyse.broken_contracts import broken_contracts

        counted = broken_contracts(Checker(old, args.timeout), Checker(new, args.timeout), lines, args.lang)
        contracts = html.contracts_view(counted, new, args.lang)
    page = html.review_page(result, lint, args.lang, contracts)
    if args.output:
        write_output(args.output, page)
    else:
        emit(page)
    return DIFF_EXIT[result.status]


def _contract_lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise DiagnosticError([Diagnostic("O011", f"cannot read `{path}`: {reason}", field="",
                                          help="give a JSON Lines file of orders, one order a line")]) from None
