"""The citation check of `tariff lint` (L018): every clause the spec cites is one its source text
has. A rule cited to 第5条第21項 of a 第5条 with twenty paragraphs, or to an item its paragraph does
not list, is reported where it is cited. The text is found by the spec's `source "…"`
(model/clauses.py); when it cannot be found, nothing is checked and nothing is reported.
"""

from __future__ import annotations

from ..model import tariff as M
from ..model.citation import Citation
from ..model.clauses import ClauseIndex, load_index
from ..common.span import Span
from .finding import Finding


def citation_findings(tariff: M.Tariff, sources: str | None = None) -> list[Finding]:
    index = load_index(tariff.source, tariff.path, sources)
    if index is None:
        return []
    out: list[Finding] = []
    seen: set[tuple[Citation, Span | None]] = set()
    for c, what, subject, span in cited(tariff):
        if index.has(c) or (c, span) in seen:
            continue
        seen.add((c, span))
        out.append(_finding(c, what, subject, span, index))
    return out


def cited(tariff: M.Tariff) -> list[tuple[Citation, str, str, Span | None]]:
    """Each citation of the spec: (citation, what cites it, its id, where)."""
    out: list[tuple[Citation, str, str, Span | None]] = []

    def add(obj, what: str, subject: str) -> None:
        for c in [getattr(obj, "citation", None), *(getattr(obj, "also", None) or [])]:
            if c is not None:
                out.append((c, what, subject, getattr(obj, "span", None)))

    for c in tariff.contracts.values():
        add(c, "contract", c.id)
        for d in c.dimensions.values():
            add(d, "dimension", d.id)
            for v in d.values.values():
                add(v, "value", v.id)
        for x in [*c.quantities.values(), *c.flags.values(), *c.dates.values()]:
            add(x, "field", x.id)
        for o in c.options.values():
            add(o, "option", o.id)
            for x in [*o.quantities.values(), *o.attributes.values(), *o.dates.values()]:
                add(x, "field", f"{o.id}.{x.id}")
    for r in tariff.rules:
        add(r, "rule", r.id)
    for p in tariff.periods:
        add(p, "period", p.id)
    for d in tariff.derived:
        add(d, "derived day", d.id)
    for f in tariff.fees:
        add(f, "fee", f.id)
        for line in f.lines + [x for lines in f.by_subject.values() for x in lines]:
            if line.period_cite is not None:
                out.append((line.period_cite, "fee", f.id, line.span))
    for v in tariff.versions:
        add(v, "version", str(v.day))
    for r in tariff.renames:
        add(r, "rename", getattr(r, "old", "rename"))
    return out


def _finding(c: Citation, what: str, subject: str, span: Span | None, index: ClauseIndex) -> Finding:
    return Finding(
        "L018", "warning",
        f"{what} `{subject}` cites {c}, which the source text does not have",
        span=span, clause=str(c), subject=subject,
        explanation=f"No such clause in {index.path.rsplit('/', 1)[-1]}: the article, paragraph, item or "
                    "section is not numbered so there. A citation names where the text says what the spec "
                    "encodes; check the number against the text.",
        explanation_ja=f"{index.path.rsplit('/', 1)[-1]} にそのような条項はありません (条、項、号または節の番号が"
                       "違います)。引用は、仕様が書き表すことを本文が述べている場所を指します。番号を本文と照らして"
                       "ください。",
        message_ja=f"{what} `{subject}` が引用する {c} は原文にありません")
