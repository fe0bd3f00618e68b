"""`tariff clause NAME CITATION`: the words a citation cites, from the tariff's source text."""

from __future__ import annotations

from .. import catalog
from ..common.diagnostics import Diagnostic, DiagnosticError
from ..model.citation import CitationError, parse_citation
from ..model.clauses import cited_words
from ..report.check_report import heading
from ..report.terminal import safe_lines
from .shared import EXIT_VALID, add_format_arg, add_lang_arg, emit, print_json

_WORDS = {"en": {"source": "source", "cited_by": "cited by", "none": "no rule or name of the spec"},
          "ja": {"source": "原文", "cited_by": "引用する規定と名前", "none": "なし"}}


def register(commands) -> None:
    p = commands.add_parser("clause", help="print the words a citation cites, from the tariff's source text")
    p.add_argument("tariff", metavar="NAME", help="a bundled tariff's name or a .tariff file")
    p.add_argument("citation", metavar="CITATION", help="a clause as the specs cite it: 第5条第19項, 第8条(1), "
                                                        "附則(令和7年10月1日変更)第2項, 別紙1, 5.(4)")
    p.add_argument("--sources", metavar="DIR", help="the folder of the source texts (default: "
                                                    "$TARIFFCHECK_SOURCES, else ../shared/seeds beside the specs)")
    add_format_arg(p)
    add_lang_arg(p, of="the headings")
    p.set_defaults(run=run)


def run(args) -> int:
    tariff = catalog.load(args.tariff)
    try:
        citation = parse_citation(args.citation)
    except CitationError:
        raise DiagnosticError([Diagnostic(
            "E006", f"`{args.citation}` is not a citation",
            help="write `第N条`, `第N条第M項`, `第N条第M項(k)`, `第N条(k)`, `別紙N`, `附則(...)第M項` "
                 "or a section such as `5.(4)`")]) from None
    found = cited_words(tariff.source, tariff.path, citation, args.sources)
    if found.source is None:
        raise DiagnosticError([Diagnostic(
            "C002", f"the source text `{tariff.source or '(none)'}` of `{tariff.id}` is not found",
            help="give its folder with `--sources DIR` or $TARIFFCHECK_SOURCES" if tariff.source else
            f"the spec names no source text; add `source \"FILE\"` to `{catalog.display_path(tariff.path)}`")])
    if not found.found:
        near = ", ".join(f"`{c}`" for c in found.nearest)
        raise DiagnosticError([Diagnostic(
            "C001", f"`{found.source}` has no clause `{citation}`",
            help=f"the nearest clauses it has: {near}" if near else "check the number against the text")])
    cited_by = citing(tariff, citation)
    if args.format == "json":
        print_json({"tariff": tariff.id, "version": tariff.version, "citation": citation.to_json(),
                    "source": found.source, "text": found.words, "cited_by": cited_by})
        return EXIT_VALID
    w = _WORDS[args.lang]
    lines = [f"{citation}  {heading(tariff, args.lang)}", f"{w['source']}: {found.source}", ""]
    lines += ["  " + line for line in found.words.splitlines()]
    lines += ["", f"{w['cited_by']}: " + (", ".join(cited_by) or w["none"])]
    emit(safe_lines(lines).rstrip())
    return EXIT_VALID


def citing(tariff, citation) -> list[str]:
    """The ids of the rules that cite exactly this clause (as their clause or one of `also`)."""
    return [r.id for r in tariff.rules if r.citation == citation or citation in r.also]
