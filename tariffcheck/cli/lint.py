"""`tariff lint`: contradictions, dead options, redundant rules and names, in every order a
tariff admits."""

from __future__ import annotations

from .. import catalog
from ..api import lint
from ..report.terminal import json_text
from .shared import (EXIT_BAD_INPUT, EXIT_INVALID, EXIT_UNKNOWN, EXIT_VALID, add_format_arg, add_lang_arg,
                     add_output_arg, add_timeout_arg, check_output, emit, write_output)


def register(commands) -> None:
    p = commands.add_parser("lint", help="analyse tariffs: contradictions, dead options, redundant rules, names")
    p.add_argument("specs", nargs="*", metavar="SPEC", help="bundled tariff names or .tariff files (default: all bundled)")
    add_format_arg(p, ("text", "json", "markdown", "html"))
    add_output_arg(p, "write the report to FILE and print only the summary")
    add_lang_arg(p)
    p.add_argument("--fail-on", choices=("error", "warning"), default="error",
                   help="the least severity that makes the exit code 1 (default: error)")
    p.add_argument("--only", metavar="CHECKS", help="a comma-separated subset of the checks to run")
    p.add_argument("--quiet", "-q", action="store_true", help="text: leave out info findings")
    add_timeout_arg(p)
    p.set_defaults(run=run, usage_error=p.error)


def run(args) -> int:
    from ..analyse.lint import CHECKS  # the Z3 path
    from ..report import lint_report

    checks = None
    if args.only:
        checks = tuple(c.strip() for c in args.only.split(",") if c.strip())
        unknown = [c for c in checks if c not in CHECKS]
        if unknown:
            args.usage_error(f"`--only` takes checks among {', '.join(CHECKS)}; not {', '.join(unknown)}")
    if args.output:
        check_output(args.output)  # before the analyses, which can take minutes
    results = [lint(spec, args.timeout, checks) for spec in (args.specs or catalog.bundled_names())]
    if args.format == "json":
        text = json_text(lint_report.to_json(results))
    elif args.format == "html":
        from ..report import html

        text = html.lint_page(results, args.lang)
    elif args.format == "markdown":
        text = lint_report.to_markdown(results, args.lang)
    else:
        text = lint_report.to_text(results, args.lang, args.quiet)
    if args.output:
        write_output(args.output, text)
        emit("\n".join(lint_report.summary(r, args.lang) for r in results))
    else:
        emit(text)
    if any(f.code == "L000" and f.severity == "error" for r in results for f in r.findings):
        return EXIT_BAD_INPUT
    fail = ("error",) if args.fail_on == "error" else ("error", "warning")
    if any(f.severity in fail for r in results for f in r.findings):
        return EXIT_INVALID
    if any(not r.complete for r in results):
        return EXIT_UNKNOWN
    return EXIT_VALID
