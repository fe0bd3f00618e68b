"""`tariff diff`: the difference between two versions of a tariff, in names and in meaning."""

from __future__ import annotations

from ..api import diff
from ..report.terminal import json_text
from .shared import (EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID, add_format_arg, add_lang_arg, add_timeout_arg, emit,
                     write_output)


def register(commands) -> None:
    p = commands.add_parser("diff", help="the difference between two versions of a tariff: names, and the orders "
                                         "one accepts and the other rejects, with witnesses")
    p.add_argument("old", metavar="OLD", help="the old version: a bundled tariff's name or a .tariff file")
    p.add_argument("new", metavar="NEW", help="the new version")
    add_format_arg(p, ("text", "json", "markdown"))
    p.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    add_lang_arg(p, of="the headings")
    add_timeout_arg(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from ..report import diff_report  # the Z3 path

    result = diff(args.old, args.new, args.timeout)
    if args.format == "json":
        text = json_text(diff_report.to_json(result))
    elif args.format == "markdown":
        text = diff_report.to_markdown(result, args.lang)
    else:
        text = diff_report.to_text(result, args.lang)
    if args.output:
        write_output(args.output, text)
    else:
        emit(text)
    if not result.complete:
        return EXIT_UNKNOWN
    return EXIT_VALID if result.same_meaning else EXIT_INVALID
