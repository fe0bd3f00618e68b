"""The `tariff` command: a thin layer over the library API.

Each command is a module of its own with `register` (its arguments) and `run` (what it does);
shared.py holds the arguments they have in common, the run of a command about one order, the
exit codes and how output is written (a closed pipe keeps the verdict's exit code). Commands
that need the solver import it when they run, so `tariff check` (with the concrete engine),
`dates`, `quote`, `schema` and `list` never load z3 (tests/test_no_z3.py).
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..common.diagnostics import DiagnosticError
from ..report.terminal import render_safely
from . import check, clause, dates, diff, explain, export_uvl, import_uvl, lint, list_, options, quote, repair, review, schema, serve, test
from .shared import EXIT_BAD_INPUT, flush_stdout, stdout_gone, tolerant_output

COMMANDS = (check, dates, quote, explain, repair, options, schema, test, lint, diff, review, clause, list_, serve,
            import_uvl, export_uvl)  # as `--help` lists them


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tariff", description="A formal checker for service tariffs.")
    p.add_argument("--version", action="version", version=f"tariff {__version__}")
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return p


def main(argv: list[str] | None = None) -> int:
    tolerant_output()
    try:
        return _run(argv)
    finally:
        flush_stdout()  # here, not at exit, where a closed pipe would print a complaint and exit 120


def _run(argv: list[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except BrokenPipeError:  # `tariff --help | head -1`
        stdout_gone()
        raise SystemExit(0) from None
    try:
        return args.run(args)
    except DiagnosticError as exc:
        try:
            print(render_safely(exc.diagnostics, exc.sources), file=sys.stderr)
        except BrokenPipeError:
            pass
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
