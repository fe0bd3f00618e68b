"""`tariff export-uvl`: a tariff's options and the rules between them as a UVL model (docs/uvl.md)."""

from __future__ import annotations

import sys

from .. import catalog
from ..interop.uvl_export import export_uvl
from .shared import EXIT_VALID, add_output_arg, emit, write_output


def register(commands) -> None:
    p = commands.add_parser("export-uvl", help="write a tariff's options and their rules as a UVL feature model")
    p.add_argument("spec", metavar="SPEC", help="a bundled tariff's name, a .tariff file or a .uvl model")
    add_output_arg(p, "write the model to FILE (default: standard output)")
    p.set_defaults(run=run)


def run(args) -> int:
    exported = export_uvl(catalog.load(args.spec))
    if args.output:
        write_output(args.output, exported.text)
    else:
        emit(exported.text)
    for what in exported.not_carried:
        print(f"warning: not carried over: {what}", file=sys.stderr)
    print(f"exported {exported.features} features and {exported.constraints} constraints; "
          f"{len(exported.not_carried)} things not carried over", file=sys.stderr)
    return EXIT_VALID
