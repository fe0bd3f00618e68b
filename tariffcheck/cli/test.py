"""`tariff test`: each spec's test cases through both paths, with clause coverage."""

from __future__ import annotations

from .. import catalog
from ..common.diagnostics import DiagnosticError
from .shared import EXIT_INVALID, EXIT_VALID, add_format_arg, add_lang_arg, emit, print_json


def register(commands) -> None:
    p = commands.add_parser("test", help="run each spec's test cases through both paths and report clause coverage")
    p.add_argument("specs", nargs="*", metavar="SPEC",
                   help="a bundled tariff's name or a .tariff file (default: every bundled tariff); "
                        "its cases are in the .tests.json file beside it")
    p.add_argument("--tests", metavar="FILE", help="the test file to use instead, for a single SPEC")
    p.add_argument("--require-coverage", action="store_true",
                   help="exit 1 when a rule has no case that accepts it or none that rejects it, "
                        "or an invalid case does not state the clauses it breaks")
    add_lang_arg(p, of="the report")
    add_format_arg(p)
    p.add_argument("-v", "--verbose", action="store_true", help="list the cases that pass, too")
    p.set_defaults(run=run, usage_error=p.error)


def run(args) -> int:
    from ..report import cases_report
    from ..testing.case_file import load_spec_tests
    from ..testing.runner import run_tests  # the Z3 path: each case runs through both

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
        print_json(cases_report.to_json(runs))
    else:
        emit(cases_report.to_text(runs, args.lang, args.verbose))
    failed = any(r.failures for r in runs) or (args.require_coverage and any(r.uncovered or r.unstated for r in runs))
    return EXIT_INVALID if failed else EXIT_VALID
