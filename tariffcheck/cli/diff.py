"""`tariff diff`: the difference between two versions of a tariff, in names and in meaning."""

from __future__ import annotations

from ..api import diff
from ..report.terminal import json_text
from .shared import (EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID, add_format_arg, add_lang_arg, add_output_arg,
                     add_timeout_arg, check_output, emit, write_output)

# DiffResult.status -> exit code: only a proven sameness is 0
EXIT = {"same": EXIT_VALID, "different": EXIT_INVALID, "not_comparable": EXIT_INVALID, "unrelated": EXIT_INVALID,
        "unknown": EXIT_UNKNOWN}

EPILOG = ("exit codes: 0 same meaning (proven over every shape of order of both versions); 1 different, "
          "or not comparable (some shape of order of one version has no partner in the other, e.g. a "
          "contract kind renamed without a 附則 `rename`), or two different tariffs; 2 bad input "
          "(a spec does not load, or FILE cannot be written); 3 cut short by the time limit")


def register(commands) -> None:
    p = commands.add_parser("diff", help="the difference between two versions of a tariff: names, and the orders "
                                         "one accepts and the other rejects, with witnesses", epilog=EPILOG)
    p.add_argument("old", metavar="OLD", help="the old version: a bundled tariff's name or a .tariff file")
    p.add_argument("new", metavar="NEW", help="the new version")
    add_format_arg(p, ("text", "json", "markdown", "html"))
    add_output_arg(p, "write the report to FILE")
    add_lang_arg(p, of="the headings")
    add_timeout_arg(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from ..report import diff_report  # the Z3 path

    if args.output:
        check_output(args.output)  # before the comparison, which can take minutes
    result = diff(args.old, args.new, args.timeout)
    if args.format == "json":
        text = json_text(diff_report.to_json(result))
    elif args.format == "html":
        from ..report import html

        text = html.diff_page(result, args.lang)
    elif args.format == "markdown":
        text = diff_report.to_markdown(result, args.lang)
    else:
        text = diff_report.to_text(result, args.lang)
    if args.output:
        write_output(args.output, text)
    else:
        emit(text)
    return EXIT[result.status]
