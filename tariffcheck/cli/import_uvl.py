"""`tariff import-uvl`: a UVL feature model as a tariff spec (docs/uvl.md)."""

from __future__ import annotations

import sys

from ..common.diagnostics import DiagnosticError
from ..interop.uvl_import import import_uvl_file
from ..resolve import resolve
from ..syntax.parser import parse_text
from .shared import EXIT_VALID, add_output_arg, emit, write_output


def register(commands) -> None:
    p = commands.add_parser("import-uvl", help="write a UVL feature model as a tariff spec")
    p.add_argument("model", metavar="MODEL.uvl", help="the UVL file")
    add_output_arg(p, "write the spec to FILE (default: standard output)")
    p.set_defaults(run=run)


def run(args) -> int:
    imported = import_uvl_file(args.model)
    try:  # the spec is checked before it is written: a spec the resolver rejects is our bug
        resolve(parse_text(imported.text, args.output or "<imported>"))
    except DiagnosticError as exc:
        exc.sources.setdefault(args.output or "<imported>", imported.text)
        raise
    if args.output:
        write_output(args.output, imported.text)
    else:
        emit(imported.text)
    for what in imported.lenient:
        print(f"warning: {what}", file=sys.stderr)
    for what in imported.not_carried:
        print(f"warning: not carried over: {what}", file=sys.stderr)
    print(f"imported {imported.features} features and {imported.constraints} constraints; "
          f"{len(imported.not_carried)} things not carried over", file=sys.stderr)
    return EXIT_VALID
