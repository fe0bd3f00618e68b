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
from ..common.diagnostics import Diagnostic, DiagnosticError
from ..report.terminal import render_safely, safe_block
from . import check, clause, dates, diff, explain, export_uvl, impact, import_uvl, lint, list_, options, quote, repair, review, schema, serve, test
from .shared import EXIT_BAD_INPUT, error_json, flush_stdout, json_asked, print_json, stdout_gone, tolerant_output

COMMANDS = (check, dates, quote, explain, repair, options, schema, test, lint, diff, impact, review, clause, list_, serve,
            import_uvl, export_uvl)  # as `--help` lists them


class _UsageError(Exception):
    """A command line argparse cannot read, raised instead of printing, so that the error can
    be JSON under `--format json`."""

    def __init__(self, parser: argparse.ArgumentParser, message: str):
        super().__init__(message)
        self.parser = parser
        self.message = message


def _usage_error(exc: _UsageError, words: list[str]) -> None:
    """argparse's usage and message on standard error, or under `--format json` the error as
    JSON on standard output (A001)."""
    if json_asked(words):
        names = {c.__name__.rsplit(".", 1)[-1].rstrip("_") for c in COMMANDS}
        command = next((w for w in words if w in names), None)
        print_json(error_json(command, [Diagnostic("A001", exc.message, help=f"see `{exc.parser.prog} --help`")]))
        return
    try:
        exc.parser.print_usage(sys.stderr)
        print(f"{exc.parser.prog}: error: {exc.message}", file=sys.stderr)
    except BrokenPipeError:
        pass


class _Parser(argparse.ArgumentParser):
    """argparse, whose usage errors quote the user's argument (`--weight "\\x1b[2J=2"`): escaped
    like every other text that reaches the terminal. Subcommands' parsers are of this class too.
    argparse's own `error` prints the usage and exits; this one raises, so that `main` can answer
    in JSON under `--format json` (`_usage_error`)."""

    def error(self, message: str):
        raise _UsageError(self, safe_block(message))


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="tariff", description="A formal checker for service tariffs.")
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
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        try:
            args = build_parser().parse_args(argv)
        except BrokenPipeError:  # `tariff --help | head -1`
            stdout_gone()
            raise SystemExit(0) from None
        try:
            return args.run(args)
        except DiagnosticError as exc:
            if getattr(args, "format", None) == "json":
                print_json(error_json(args.command, exc.diagnostics))
                return EXIT_BAD_INPUT
            try:
                print(render_safely(exc.diagnostics, exc.sources), file=sys.stderr)
            except BrokenPipeError:
                pass
            return EXIT_BAD_INPUT
    except _UsageError as exc:  # from argparse, or a command's own check of its arguments
        _usage_error(exc, words)
        raise SystemExit(EXIT_BAD_INPUT) from None  # as argparse exits
    except KeyboardInterrupt:
        return 130
