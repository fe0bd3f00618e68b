"""The `tariff` command: a thin layer over the library API.

Exit codes: 0 valid (or success), 1 invalid (for `test`: a case fails, or a rule is not
covered under --require-coverage; for `explain`: conflicts were found; for `repair`: no repair
exists; for `lint`: an error was found; for `diff`: the versions differ in meaning), 2 bad input (spec, order, test file or arguments), 3 no verdict (the solver ran out of
time before finding anything). Errors go to stderr in the compiler style of
common/diagnostics.py; no traceback reaches a user.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import catalog
from .api import Checker
from .common.diagnostics import DiagnosticError, render_all
from .orders.decode import read_order_text
from .orders.schema import order_schema
from .report import check_report
from .smt.explain import DEFAULT_LIMIT
from .model.limits import DEFAULT_TIMEOUT_MS
from .smt.repair import DEFAULT_LOCKED

EXIT_VALID, EXIT_INVALID, EXIT_BAD_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3


def _read_order(path: str) -> object:
    if path == "-":
        raw = sys.stdin.buffer.read()
        return read_order_text(raw, "<stdin>")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(6_000_000)
    except OSError as exc:
        from .common.diagnostics import Diagnostic

        raise DiagnosticError([Diagnostic("O011", f"cannot read `{path}`: {exc.strerror or exc}",
                                          field="", help="check the path of the order file")]) from None
    return read_order_text(raw, path)


def _order_command(args, compute, report) -> object:
    """Load the tariff, decode the order, compute a result and print it with a report module
    (its `to_json` and `to_text`); returns the result."""
    checker = Checker(catalog.load(args.tariff), getattr(args, "timeout", DEFAULT_TIMEOUT_MS))
    order = checker.decode(_read_order(args.order))
    result = compute(checker, order)
    if args.format == "json":
        print(json.dumps(report.to_json(checker.tariff, order, result), ensure_ascii=False, indent=2))
    else:
        print(report.to_text(checker.tariff, order, result, args.lang))
    return result


def cmd_check(args) -> int:
    verdict = _order_command(args, lambda c, o: c.check(o, engine=args.engine), check_report)
    return {"valid": EXIT_VALID, "invalid": EXIT_INVALID}.get(verdict.status, EXIT_UNKNOWN)


def cmd_dates(args) -> int:
    from .report import dates_report

    _order_command(args, lambda c, o: c.dates(o), dates_report)
    return EXIT_VALID


def cmd_quote(args) -> int:
    from .report import quote_report

    prices = _read_order(args.prices) if args.prices else None  # JSON, read with the same limits
    _order_command(args, lambda c, o: c.quote(o, prices), quote_report)
    return EXIT_VALID


def cmd_explain(args) -> int:
    from .report import explain_report

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
    explanation = _order_command(args, compute, explain_report)
    return {"valid": EXIT_VALID, "invalid": EXIT_INVALID}.get(explanation.status, EXIT_UNKNOWN)


def cmd_options(args) -> int:
    from .report import options_report

    from .orders.decode import decode_partial_order

    checker = Checker(catalog.load(args.tariff), args.timeout)
    order = decode_partial_order(_read_order(args.order), checker.tariff)
    result = checker.options(order)
    if args.format == "json":
        print(json.dumps(options_report.to_json(checker.tariff, order, result), ensure_ascii=False, indent=2))
    else:
        print(options_report.to_text(checker.tariff, order, result, args.lang))
    return {"open": EXIT_VALID, "invalid": EXIT_INVALID}.get(result.status, EXIT_UNKNOWN)


def cmd_repair(args) -> int:
    from .report import repair_report

    weights = dict(args.weight)  # a name given twice: the last weight counts
    result = _order_command(args, lambda c, o: c.repair(o, args.max, args.lock, weights, args.unlock),
                            repair_report)
    return {"valid": EXIT_VALID, "repaired": EXIT_VALID, "none": EXIT_INVALID}.get(result.status, EXIT_UNKNOWN)


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"`{text}` must be 1 or more")
    return n


def _weight(text: str) -> tuple[str, int]:
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


def cmd_schema(args) -> int:
    tariff = catalog.load(args.tariff)
    print(json.dumps(order_schema(tariff), ensure_ascii=False, indent=2))
    return 0


def cmd_list(args) -> int:
    for name in catalog.bundled_names():
        t = catalog.load(name)
        print(f"{name:24} {t.title}  (as of {t.version}, {len(t.rules)} rules)")
    return 0


def cmd_test(args) -> int:
    from .report import cases_report as test_report
    from .testing.runner import run_tests
    from .testing.case_file import load_spec_tests

    specs = args.specs or catalog.bundled_names()
    if args.tests is not None and len(specs) != 1:
        args.usage_error("`--tests` names the test file of one spec: give exactly one SPEC with it")
    loaded, problems, seen = [], [], set()
    for spec in specs:
        try:
            tariff, cases, shown = load_spec_tests(spec, args.tests)
        except DiagnosticError as exc:
            problems.append(exc)
            continue
        if tariff.path not in seen:
            seen.add(tariff.path)
            loaded.append((tariff, cases, shown))
    if problems:  # every spec and test file is checked before any case runs, and all errors shown
        raise DiagnosticError([d for p in problems for d in p.diagnostics],
                              {k: v for p in problems for k, v in p.sources.items()})
    runs = [run_tests(tariff, cases, shown) for tariff, cases, shown in loaded]
    if args.format == "json":
        print(json.dumps(test_report.to_json(runs), ensure_ascii=False, indent=2))
    else:
        print(test_report.to_text(runs, args.lang, args.verbose))
    failed = any(r.failures for r in runs) or (args.require_coverage and any(r.uncovered for r in runs))
    return EXIT_INVALID if failed else EXIT_VALID


def cmd_lint(args) -> int:
    from .api import lint
    from .report import lint_report

    checks = None
    if args.only:
        checks = tuple(c.strip() for c in args.only.split(",") if c.strip())
        from .analyse.lint import CHECKS
        unknown = [c for c in checks if c not in CHECKS]
        if unknown:
            args.usage_error(f"`--only` takes checks among {', '.join(CHECKS)}; not {', '.join(unknown)}")
    results = [lint(spec, args.timeout, checks) for spec in (args.specs or catalog.bundled_names())]
    if args.format == "json":
        text = json.dumps(lint_report.to_json(results), ensure_ascii=False, indent=2)
    elif args.format == "markdown":
        text = lint_report.to_markdown(results, args.lang)
    else:
        text = lint_report.to_text(results, args.lang, args.quiet)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
        print("\n".join(lint_report.summary(r) for r in results))
    else:
        print(text)
    if any(f.code == "L000" and f.severity == "error" for r in results for f in r.findings):
        return EXIT_BAD_INPUT
    fail = ("error",) if args.fail_on == "error" else ("error", "warning")
    if any(f.severity in fail for r in results for f in r.findings):
        return EXIT_INVALID
    if any(not r.complete for r in results):
        return EXIT_UNKNOWN
    return EXIT_VALID


def cmd_diff(args) -> int:
    from .api import diff
    from .report import diff_report

    result = diff(args.old, args.new, args.timeout)
    if args.format == "json":
        text = json.dumps(diff_report.to_json(result), ensure_ascii=False, indent=2)
    elif args.format == "markdown":
        text = diff_report.to_markdown(result, args.lang)
    else:
        text = diff_report.to_text(result, args.lang)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")
    else:
        print(text)
    if not result.complete:
        return EXIT_UNKNOWN
    return EXIT_VALID if result.same_meaning else EXIT_INVALID


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tariff", description="A formal checker for service tariffs.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser("check", help="validate an order and name each broken clause")
    c.add_argument("--tariff", required=True, help="a bundled tariff's name (see `tariff list`) or a .tariff file")
    c.add_argument("order", help="the order's JSON file, or - for standard input")
    c.add_argument("--lang", choices=("en", "ja"), default="en", help="language of the messages")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.add_argument("--engine", choices=("concrete", "z3"), default="concrete",
                   help="the evaluation path: the fast concrete validator, or the Z3 encoding")
    c.set_defaults(run=cmd_check)

    d = sub.add_parser("dates", help="print every day the tariff defines for an order, each with its clause")
    d.add_argument("--tariff", required=True, help="a bundled tariff's name (see `tariff list`) or a .tariff file")
    d.add_argument("order", help="the order's JSON file, or - for standard input")
    d.add_argument("--lang", choices=("en", "ja"), default="en", help="language of the labels")
    d.add_argument("--format", choices=("text", "json"), default="text")
    d.set_defaults(run=cmd_dates)

    q = sub.add_parser("quote", help="print the fees of an order (initial, monthly, early termination), "
                                     "each with its clause")
    q.add_argument("--tariff", required=True, help="a bundled tariff's name (see `tariff list`) or a .tariff file")
    q.add_argument("order", help="the order's JSON file, or - for standard input")
    q.add_argument("--prices", metavar="FILE", help='a price book for amounts quoted separately: '
                   '{"prices": {"FEE_ID": yen}}')
    q.add_argument("--lang", choices=("en", "ja"), default="en")
    q.add_argument("--format", choices=("text", "json"), default="text")
    q.set_defaults(run=cmd_quote)

    x = sub.add_parser("explain", help="show why an order is invalid: the smallest sets of the customer's "
                                       "choices that cannot stand together, each with its clauses")
    x.add_argument("--tariff", required=True, help="a bundled tariff's name (see `tariff list`) or a .tariff file")
    x.add_argument("order", help="the order's JSON file, or - for standard input")
    x.add_argument("--all", action="store_true", help="list every minimal conflict, not just one")
    x.add_argument("--limit", type=_positive, metavar="N",
                   help=f"with --all, stop after N conflicts (default: {DEFAULT_LIMIT})")
    x.add_argument("--why-not", metavar="OPTION",
                   help="instead, say why OPTION (its id or official name) cannot be added to the order")
    x.add_argument("--contract", metavar="ID", help="with --why-not, the id of the contract to add the option to")
    x.add_argument("--lang", choices=("en", "ja"), default="en", help="language of the messages")
    x.add_argument("--format", choices=("text", "json"), default="text")
    x.add_argument("--timeout", type=_positive, metavar="MS", default=DEFAULT_TIMEOUT_MS,
                   help="time limit of each solver call, in milliseconds (default: %(default)s)")
    x.set_defaults(run=cmd_explain, usage_error=x.error)

    r = sub.add_parser("repair", help="find the nearest valid orders: which choices to change, and to what")
    r.add_argument("--tariff", required=True, help="a bundled tariff's name (see `tariff list`) or a .tariff file")
    r.add_argument("order", help="the order's JSON file, or - for standard input")
    r.add_argument("--max", type=_positive, metavar="K", default=1, help="list up to K repairs, cheapest first "
                   "(default: %(default)s)")
    r.add_argument("--lock", action="append", default=[], metavar="FIELD",
                   help="keep FIELD as the order gives it: a path (contracts[1].accounts), a contract id and "
                        "a field (se-1.accounts), or a field's id or official name; may be repeated")
    r.add_argument("--unlock", action="append", default=[], choices=DEFAULT_LOCKED, metavar="FIELD",
                   help="let a field kept by default change: " + ", ".join(DEFAULT_LOCKED))
    r.add_argument("--weight", action="append", default=[], type=_weight, metavar="NAME=N",
                   help="the cost of changing a kind of field (dim, qty, flag, date, option, optqty, ...) or "
                        "a field (default 1; 0 makes it free); may be repeated")
    r.add_argument("--lang", choices=("en", "ja"), default="en", help="language of the messages")
    r.add_argument("--format", choices=("text", "json"), default="text")
    r.add_argument("--timeout", type=_positive, metavar="MS", default=DEFAULT_TIMEOUT_MS,
                   help="time limit of each solver call, in milliseconds (default: %(default)s)")
    r.set_defaults(run=cmd_repair)

    op = sub.add_parser("options", help="for an order being filled in, what each open field may still be, "
                                        "what is forced and what is impossible, and why")
    op.add_argument("--tariff", required=True, help="a bundled tariff's name (see `tariff list`) or a .tariff file")
    op.add_argument("order", help="the partial order's JSON file (fields left out are open), or - for standard input")
    op.add_argument("--lang", choices=("en", "ja"), default="en", help="language of the messages")
    op.add_argument("--format", choices=("text", "json"), default="text")
    op.add_argument("--timeout", type=_positive, metavar="MS", default=DEFAULT_TIMEOUT_MS,
                    help="time limit of each solver call, in milliseconds (default: %(default)s)")
    op.set_defaults(run=cmd_options)

    s = sub.add_parser("schema", help="print the JSON Schema of a tariff's orders")
    s.add_argument("--tariff", required=True)
    s.set_defaults(run=cmd_schema)

    t = sub.add_parser("test", help="run each spec's test cases through both paths and report clause coverage")
    t.add_argument("specs", nargs="*", metavar="SPEC",
                   help="a bundled tariff's name or a .tariff file (default: every bundled tariff); "
                        "its cases are in the .tests.json file beside it")
    t.add_argument("--tests", metavar="FILE", help="the test file to use instead, for a single SPEC")
    t.add_argument("--require-coverage", action="store_true",
                   help="exit 1 when a rule has no case that accepts it or none that rejects it")
    t.add_argument("--lang", choices=("en", "ja"), default="en", help="language of the report")
    t.add_argument("--format", choices=("text", "json"), default="text")
    t.add_argument("-v", "--verbose", action="store_true", help="list the cases that pass, too")
    t.set_defaults(run=cmd_test, usage_error=t.error)

    li = sub.add_parser("lint", help="analyse tariffs: contradictions, dead options, redundant rules, names")
    li.add_argument("specs", nargs="*", metavar="SPEC", help="bundled tariff names or .tariff files (default: all bundled)")
    li.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    li.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE and print only the summary")
    li.add_argument("--lang", choices=("en", "ja"), default="en", help="language of the messages")
    li.add_argument("--fail-on", choices=("error", "warning"), default="error",
                    help="the least severity that makes the exit code 1 (default: error)")
    li.add_argument("--only", metavar="CHECKS", help="a comma-separated subset of the checks to run")
    li.add_argument("--quiet", "-q", action="store_true", help="text: leave out info findings")
    li.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_MS, metavar="MS",
                    help="time limit of each solver call (default %(default)s)")
    li.set_defaults(run=cmd_lint, usage_error=li.error)

    df = sub.add_parser("diff", help="the difference between two versions of a tariff: names, and the orders "
                                     "one accepts and the other rejects, with witnesses")
    df.add_argument("old", metavar="OLD", help="the old version: a bundled tariff's name or a .tariff file")
    df.add_argument("new", metavar="NEW", help="the new version")
    df.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    df.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE")
    df.add_argument("--lang", choices=("en", "ja"), default="en", help="language of the headings")
    df.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT_MS, metavar="MS",
                    help="time limit of each solver call (default %(default)s)")
    df.set_defaults(run=cmd_diff)

    ls = sub.add_parser("list", help="list the bundled tariffs")
    ls.set_defaults(run=cmd_list)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except DiagnosticError as exc:
        print(render_all(exc.diagnostics, exc.sources), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
