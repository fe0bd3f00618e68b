"""The fee checks of `tariff lint`: what the price tables leave out or point past.

- L016: an item or option that no fee prices, not even at 0 yen. A tariff that says nothing of
  what something costs leaves the customer and the provider to guess; where it is free, the text
  says `0 円`. Asked only of a tariff that has fees somewhere: one with none (a feature model
  imported from UVL) has no price tables to be missing a line.
- L017: an early-termination fee that the text gives for the period of a clause that sets no
  period (`remaining PERIOD @CLAUSE after …`: the spec computes with PERIOD, the reading, and
  records the clause the text names).

A fee for an option the text never defines is L015 (names.py). Like the name checks, these read
the resolved tariff only and need no solver.
"""

from __future__ import annotations

from ..model import ir
from ..model import tariff as M
from ..model.citation import Citation
from .finding import Finding


def fee_findings(tariff: M.Tariff) -> list[Finding]:
    return unpriced(tariff) + periods_the_text_cites(tariff)


# ---- L016 ---------------------------------------------------------------------------------------

def unpriced(tariff: M.Tariff) -> list[Finding]:
    out: list[Finding] = []
    if not tariff.fees:
        # a tariff that prices nothing at all (a feature model imported from UVL, rules without
        # price tables) is not missing a fee for each option: it does not speak of fees
        return out
    for c in tariff.contracts.values():
        fees = [f for f in tariff.fees if f.scope == c.id and f.kind != "early_termination"]
        for o in c.options.values():
            if o.undefined or any(_prices_option(f, o.id) for f in fees):
                continue
            out.append(Finding(
                "L016", "warning",
                f"option `{o.label}` (`{o.id}`) has no fee, and nothing says it is free",
                span=o.span, clause=_cite(o.citation), subject=o.id,
                explanation="No initial, monthly or one-off fee of the spec applies to it. If the text's fee "
                            "tables name it, the spec lacks the fee; if they do not, the text leaves its price "
                            "unsaid (a free option is listed at 0 円).",
                explanation_ja="仕様のどの初期費用、月額料金、一時金もかかりません。本文の料金表にあれば仕様に"
                               "料金が欠けており、なければ本文が料金を定めていません (無料なら 0 円と書きます)。",
                message_ja=f"オプション「{o.label}」には料金がなく、無料である旨の定めもありません"))
        if not fees:
            continue  # a kind of contract without fees (a management unit) has nothing to price
        for d in c.dimensions.values():
            for v in d.values.values():
                if any(_prices_value(line.when, d.id, v.id) for f in fees for line in f.lines):
                    continue
                out.append(Finding(
                    "L016", "warning",
                    f"`{v.label}` (`{v.id}`) of `{d.label}` has no fee, and nothing says it is free",
                    span=v.span, clause=_cite(v.citation or d.citation), subject=v.id,
                    explanation=f"Every fee of the contract excludes `{v.label}`: an order of it is quoted nothing. "
                                "If the text prices it, the spec lacks the line; if not, the text leaves its "
                                "price unsaid.",
                    explanation_ja=f"契約のどの料金も「{v.label}」を除いているため、その申込みには何も見積もられ"
                                   "ません。本文に料金があれば仕様に行が欠けており、なければ本文が料金を定めていません。",
                    message_ja=f"{d.label}「{v.label}」には料金がなく、無料である旨の定めもありません"))
    return out


def _prices_option(fee: M.Fee, option: str) -> bool:
    """The fee is for the option (`for`), or one of its own lines reads it (`when secure_plus …`,
    `per ifilter.devices`)."""
    if option in fee.subjects:
        return True
    for line in fee.lines:
        for node in (line.when, line.per, line.formula):
            if node is not None and any(f.kind.startswith("opt") and f.path[:1] == (option,)
                                        for f in ir.fields_of(node)):
                return True
    return False


def _prices_value(when: ir.Node | None, dim: str, value: str) -> bool:
    """A line of the contract's own fee applies to the value unless its condition rules it out:
    a conjunct `dim in {…}` without it, or `not dim in {…}` with it. Conditions on other fields
    are left open (some order of the value may meet them)."""
    if when is None:
        return True
    for part in _conjuncts(when):
        if isinstance(part, ir.EnumIn) and _is_dim(part.field, dim) and value not in part.values:
            return False
        if (isinstance(part, ir.Not) and isinstance(part.operand, ir.EnumIn)
                and _is_dim(part.operand.field, dim) and part.operand.values == frozenset({value})):
            return False
    return True


def _conjuncts(node: ir.Node) -> list[ir.Node]:
    if isinstance(node, ir.And):
        return [x for op in node.operands for x in _conjuncts(op)]
    return [node]


def _is_dim(field: ir.Field, dim: str) -> bool:
    return field.kind == "dim" and field.path == (dim,) and field.state == "new"


# ---- L017 ---------------------------------------------------------------------------------------

def periods_the_text_cites(tariff: M.Tariff) -> list[Finding]:
    """One finding per clause of the text (the fee's own citation) that names a period by a clause
    that sets none, however many fee declarations the spec makes of it."""
    groups: dict[tuple, list[tuple[M.Fee, M.FeeLine]]] = {}
    for fee in tariff.fees:
        for line in fee.lines + [x for lines in fee.by_subject.values() for x in lines]:
            cited = line.period_cite
            if cited is None or line.remaining is None:
                continue
            if any(p.citation is not None and _within(p.citation, cited) for p in tariff.periods):
                continue
            uses = groups.setdefault((fee.citation, cited), [])
            if all(f is not fee for f, _ in uses):
                uses.append((fee, line))
    out: list[Finding] = []
    for (where, cited), uses in groups.items():
        fee, line = uses[0]
        names = ", ".join(f"`{f.id}`" for f, _ in uses)
        readings = sorted({f"`{p.id}` ({p.citation})" for _, x in uses for p in tariff.periods
                           if p.id == x.remaining[0] and p.citation is not None})
        reading = f"; the spec reads it as {', '.join(readings)}" if readings else ""
        out.append(Finding(
            "L017", "warning",
            f"{where} gives {'fee' if len(uses) == 1 else 'fees'} {names} for the period set under {cited}, "
            f"which sets no period{reading}",
            span=line.span, clause=_cite(where), subject=fee.id,
            explanation=f"The text computes this charge over the minimum period or term 'set under' {cited}, "
                        "but no period of the tariff is set there: the reference points at the wrong clause.",
            explanation_ja=f"本文はこの料金を {cited} に「基づく」最低利用期間または期間について計算していますが、"
                           "そこには期間が定められていません。参照先の条項が誤っています。",
            message_ja=f"{where} は {cited} に基づく期間による料金を定めていますが、{cited} は期間を定めていません"))
    return out


def _within(c: Citation, outer: Citation) -> bool:
    """`c` is the clause `outer` or a part of it (第3条第2項 is within 第3条)."""
    for name in ("article", "paragraph", "item", "subitem", "annex", "annex_part", "supplement", "section"):
        want = getattr(outer, name)
        if want is not None and getattr(c, name) != want:
            return False
    return True


def _cite(c: Citation | None) -> str | None:
    return None if c is None else str(c)
