"""The `tariff` command: a thin layer over the library API.

Exit codes: 0 valid (or success), 1 invalid, 2 bad input (spec or order), 3 no verdict
(the solver ran out of time). Errors go to stderr in the compiler style of
dsl/diagnostics.py; no traceback reaches a user.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import catalog
from .api import Checker
from .dsl.diagnostics import DiagnosticError, render_all
from .orders.decode import read_order_text
from .orders.schema import order_schema
from .report import check_report

EXIT_VALID, EXIT_INVALID, EXIT_BAD_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3


def _read_order(path: str) -> object:
    if path == "-":
        raw = sys.stdin.buffer.read()
        return read_order_text(raw, "<stdin>")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(6_000_000)
    except OSError as exc:
        from .dsl.diagnostics import Diagnostic

        raise DiagnosticError([Diagnostic("O011", f"cannot read `{path}`: {exc.strerror or exc}",
                                          field="", help="check the path of the order file")]) from None
    return read_order_text(raw, path)


def cmd_check(args) -> int:
    checker = Checker(catalog.load(args.tariff))
    data = _read_order(args.order)
    order = checker.decode(data)
    verdict = checker.check(order, engine=args.engine)
    if args.format == "json":
        print(json.dumps(check_report.to_json(checker.tariff, order, verdict), ensure_ascii=False, indent=2))
    else:
        print(check_report.to_text(checker.tariff, order, verdict, args.lang))
    return {"valid": EXIT_VALID, "invalid": EXIT_INVALID}.get(verdict.status, EXIT_UNKNOWN)


def cmd_schema(args) -> int:
    tariff = catalog.load(args.tariff)
    print(json.dumps(order_schema(tariff), ensure_ascii=False, indent=2))
    return 0


def cmd_list(args) -> int:
    for name in catalog.bundled_names():
        t = catalog.load(name)
        print(f"{name:24} {t.title}  (as of {t.version}, {len(t.rules)} rules)")
    return 0


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

    s = sub.add_parser("schema", help="print the JSON Schema of a tariff's orders")
    s.add_argument("--tariff", required=True)
    s.set_defaults(run=cmd_schema)

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
