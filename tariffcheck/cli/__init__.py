"""The `tariff` command: a thin layer over the library API.

Each command is a module of its own with `register` (its arguments) and `run` (what it does);
shared.py holds the arguments they have in common, the run of a command about one order, and
the exit codes. Commands that need the solver import it when they run, so `tariff check` (with
the concrete engine), `dates`, `quote`, `schema` and `list` never load z3 (tests/test_no_z3.py).
"""

from __future__ import annotations

import argparse
import sys

from ..common.diagnostics import DiagnosticError, render_all
from . import check, dates, diff, explain, lint, list_, options, quote, repair, schema, test
from .shared import EXIT_BAD_INPUT

COMMANDS = (check, dates, quote, explain, repair, options, schema, test, lint, diff, list_)  # as `--help` lists them


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tariff", description="A formal checker for service tariffs.")
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except DiagnosticError as exc:
        print(render_all(exc.diagnostics, exc.sources), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
