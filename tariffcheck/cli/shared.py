"""What the commands share: their common arguments, reading an order, the run of a command that
answers about one order, and the exit codes.

Exit codes: 0 valid (or success); 1 invalid (for `test`: a case fails, or a rule is not covered
under --require-coverage; for `explain`: conflicts were found; for `repair`: no repair exists;
for `lint`: an error was found; for `diff`: the versions differ in meaning, or sameness is
not proven because some shape of order could not be compared, or they are two different tariffs); 2 bad input (spec,
order, test file or arguments, or a report file `-o` cannot write); 3 no verdict (the solver ran out of time before finding
anything). Errors go to stderr in the compiler style of common/diagnostics.py; no traceback
reaches a user.

A reader that goes away early (`tariff check ORDER | head -1`) does not change the exit code:
the command drops the rest of its output and exits with its verdict's code, 1 for an invalid
order, as it would have with the whole output read. (A shell reports 141, 128 + SIGPIPE, for
a program the signal killed; tariffcheck is not killed and says what it found, so a pipeline
under `set -o pipefail` fails exactly when the verdict does.) Printing never fails for the
text: every report escapes what a terminal would act on (report/terminal.py), and standard
output writes what its encoding cannot carry as a backslash escape.

Nothing here imports z3: a command that needs the solver imports it when it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import stat
import sys
import tempfile
from collections.abc import Callable

from .. import catalog
from ..api import Checker
from ..common.diagnostics import Diagnostic, DiagnosticError
from ..model.limits import DEFAULT_TIMEOUT_MS
from ..orders.decode import decode_order, decode_partial_order, read_order_text
from ..report.terminal import json_text, safe_block

EXIT_VALID, EXIT_INVALID, EXIT_BAD_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3

ORDER_HELP = "the order's JSON file, or - for standard input"


# ---- arguments -------------------------------------------------------------------------------------
def add_tariff_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tariff", required=True, help="a bundled tariff's name (see `tariff list`), a .tariff file or a UVL model (.uvl, imported on the fly)")


def add_order_arg(p: argparse.ArgumentParser, help: str = ORDER_HELP) -> None:
    p.add_argument("order", help=help)


def add_lang_arg(p: argparse.ArgumentParser, of: str = "the messages") -> None:
    p.add_argument("--lang", choices=("en", "ja"), default="en", help=f"language of {of}")


def add_format_arg(p: argparse.ArgumentParser, choices: tuple[str, ...] = ("text", "json")) -> None:
    p.add_argument("--format", choices=choices, default="text", help="the form of the output (default: %(default)s)")


def add_timeout_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timeout", type=time_limit, metavar="MS", default=DEFAULT_TIMEOUT_MS,
                   help="time limit of each solver call, in milliseconds (default: %(default)s)")


def _whole_number(text: str, unit: str = "") -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a whole number{unit}") from None


def positive(text: str) -> int:
    """A count given on the command line: 1 or more."""
    n = _whole_number(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"`{text}` must be 1 or more")
    return n


def time_limit(text: str) -> int:
    """A solver's time limit in milliseconds, 1 or more: given 0, Z3 runs on without any limit."""
    n = _whole_number(text, " of milliseconds")
    if n < 1:
        raise argparse.ArgumentTypeError(f"`{text}` is no time limit: give 1 millisecond or more")
    return n


# ---- input and output ------------------------------------------------------------------------------
def read_order(path: str, what: str = "order", code: str | None = None) -> object:
    """The JSON of an order file (or of standard input for `-`), read with the decoder's limits;
    a price book is read the same way, its errors naming it and carrying its `code` (P001)."""
    if path == "-":
        return read_order_text(sys.stdin.buffer.read(), "<stdin>", what, code)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(6_000_000)
    except OSError as exc:
        raise DiagnosticError([Diagnostic(code or "O011", f"cannot read `{path}`: {exc.strerror or exc}",
                                          field="" if what == "order" else None,
                                          help=f"check the path of the {what} file")]) from None
    return read_order_text(raw, path, what, code)


def emit(text: str) -> None:
    """Print a report (one text ending in no newline) on standard output, now: a reader that has
    gone is found here, while the command still holds its exit code (see the module's doc)."""
    try:
        sys.stdout.write(safe_block(text) + "\n")  # the reports escape; this is the last guard
        sys.stdout.flush()
    except BrokenPipeError:
        stdout_gone()


def print_json(data: object) -> None:
    emit(json_text(data))


def stdout_gone() -> None:
    """The reader of standard output has closed it: send what is left, and what Python flushes
    at exit, to the null device, so that neither raises again nor prints a complaint."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a test's StringIO): nothing to flush later
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def flush_stdout() -> None:
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        stdout_gone()


def tolerant_output() -> None:
    """Standard output and error write a character their encoding lacks as a backslash escape
    instead of failing (a user's `PYTHONIOENCODING=ascii`, or a terminal that is not UTF-8)."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (OSError, ValueError):
                pass


def add_output_arg(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument("--output", "-o", metavar="FILE", help=help)


def _cannot_write(path: str, err: int | None, detail: str = "") -> DiagnosticError:
    reason = os.strerror(err) if err else (detail or "the file cannot be written")
    folder = os.path.dirname(os.path.abspath(path))
    help = {
        errno.EISDIR: f"`{path}` is a folder; name a file in it, e.g. `{os.path.join(path, 'report.md')}`",
        errno.ENOENT: f"create the folder `{folder}` first, or write the report elsewhere",
        errno.ENOTDIR: f"a part of `{folder}` is a file, not a folder; write the report elsewhere",
        errno.EACCES: "write the report to a folder (and a file) you may write to",
        errno.EPERM: "write the report to a folder (and a file) you may write to",
        errno.EROFS: "write the report to a file system that is not read-only",
    }.get(err or 0, "check the path given to `-o`")
    return DiagnosticError([Diagnostic("R001", f"cannot write `{path}`: {reason}", help=help)])


def _report_target(path: str) -> str:
    """Where the report goes: through a symbolic link to the file it names."""
    target = os.path.realpath(path)
    if os.path.isdir(target):
        raise _cannot_write(path, errno.EISDIR)
    if os.path.exists(target) and not os.access(target, os.W_OK):
        raise _cannot_write(path, errno.EACCES)
    return target


def check_output(path: str) -> None:
    """Raise R001 now if a report could not be written to `path`, rather than after an analysis
    that may take minutes. (write_output checks again: the file system may change meanwhile.)"""
    target = _report_target(path)
    try:
        fd, probe = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tariff-", suffix=".probe")
    except OSError as exc:
        raise _cannot_write(path, exc.errno, exc.strerror or str(exc)) from None
    os.close(fd)
    os.unlink(probe)


def write_output(path: str, text: str) -> None:
    """Write a report to the file `--output` names, ending in one newline. The report is written
    to a new file beside it and moved into place whole, so a failure leaves no partial report
    (and an existing file as it was); it raises R001 with the system's reason."""
    target = _report_target(path)
    text = safe_block(text)
    data = (text if text.endswith("\n") else text + "\n").encode("utf-8", errors="backslashreplace")
    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=f".{os.path.basename(target)}.",
                                   suffix=".tmp")
    except OSError as exc:
        raise _cannot_write(path, exc.errno, exc.strerror or str(exc)) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if os.path.exists(target):
            mode = stat.S_IMODE(os.stat(target).st_mode)
        else:  # what open() would have given a new file
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _cannot_write(path, exc.errno, exc.strerror or str(exc)) from None


def run_on_order(args: argparse.Namespace, compute: Callable, report, partial: bool = False) -> object:
    """Load the tariff, decode the order (a `partial` one leaves fields open), compute a result
    and print it with a report module (its `to_json` and `to_text`); returns the result."""
    checker, order = load_order(args, partial)
    result = compute(checker, order)
    show(args, report, checker, order, result)
    return result


def load_order(args: argparse.Namespace, partial: bool = False) -> tuple[Checker, object]:
    """The checker of the `--tariff` and the order decoded for it (a `partial` one leaves fields open)."""
    checker = Checker(catalog.load(args.tariff), getattr(args, "timeout", DEFAULT_TIMEOUT_MS))
    data = read_order(args.order)
    # the JSON value as it is: a string holding JSON text is not read a second time (O002)
    order = decode_partial_order(data, checker.tariff) if partial else decode_order(data, checker.tariff)
    return checker, order


def show(args: argparse.Namespace, report, checker: Checker, order, result) -> None:
    """Print a result with a report module, in the `--format` and `--lang` asked for."""
    if args.format == "json":
        print_json(report.to_json(checker.tariff, order, result))
    else:
        emit(report.to_text(checker.tariff, order, result, args.lang))


def json_asked(argv: list[str]) -> bool:
    """Whether a command line asks for `--format json` (as argparse reads it: `--format json`,
    `--format=json`, or an abbreviation such as `--form json`), read before argparse has parsed
    it, so that an error in the command line itself is JSON too."""
    for i, token in enumerate(argv):
        if token == "--":
            break
        name, eq, value = token.partition("=")
        if len(name) < 4 or not "--format".startswith(name):  # `--fo` at least: `--f` is ambiguous
            continue
        if (value if eq else argv[i + 1] if i + 1 < len(argv) else None) == "json":
            return True
    return False


def error_json(command: str | None, diagnostics: list[Diagnostic], status: str = "error") -> dict:
    """What a command prints on standard output under `--format json` when it gives no result:
    the errors (exit 2), or for `quote` an invalid order. docs/results.md describes it."""
    return {"format": 1, "command": command, "status": status, "errors": [d.to_json() for d in diagnostics]}


def exit_code(status: str, success: tuple[str, ...] = ("valid",), failure: tuple[str, ...] = ("invalid",)) -> int:
    """0 for a status in `success`, 1 for one in `failure`, 3 for any other (the solver's unknown)."""
    if status in success:
        return EXIT_VALID
    return EXIT_INVALID if status in failure else EXIT_UNKNOWN
