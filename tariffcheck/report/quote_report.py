"""How `tariff quote` shows the fees of an order: a table per contract, initial, monthly, one-off
and early-termination amounts each with its clause, and totals that say when they are incomplete.

Under each amount, a line says how it is made (`150 yen × 20`, the price book's key, the months
remaining) or why it is missing; an amount the text gives as it is (`0 yen`) has no such line,
which would only say it again."""

from __future__ import annotations

from ..model import tariff as M
from ..orders.order import Order
from ..evaluate.fees import QuoteLine
from .check_report import contract_text, heading, note_line, tariff_json
from .terminal import safe_lines

FORMAT = 1
KINDS = ("initial", "monthly", "one_off", "early_termination")
_KIND_WORDS = {"en": {"initial": "initial", "monthly": "monthly", "one_off": "one-off",
                      "early_termination": "early termination"},
               "ja": {"initial": "初期費用", "monthly": "月額費用", "one_off": "一時費用",
                      "early_termination": "解除調定金"}}
_YEN = {"en": "yen", "ja": "円"}


def line_json(q: QuoteLine, option_label: str | None = None) -> dict:
    """One amount. `option` names the option it is for, as `tariff check` does (id and official
    name), and is null for the contract's own fee; `subject` is the same id, kept for the readers
    of the first format."""
    option = None if q.subject is None else {"id": q.subject, "name": option_label}
    out = {"fee": q.fee, "label": q.label, "kind": q.kind, "contract": q.contract, "subject": q.subject,
           "option": option, "clause": q.citation.to_json() if q.citation else None, "amount": q.amount,
           "basis": q.basis}
    if q.missing:
        out["missing"] = q.missing
    if q.note:
        out["note"] = q.note
    out["due"] = due_json(q)
    return out


def due_json(q: QuoteLine) -> dict | None:
    """When the amount falls due, as the tariff says (第11条 and the like): the text's words for
    the moment, its clause, and the day when it is a day the order gives; null when the tariff
    does not say."""
    if q.due is None:
        return None
    return {"event": q.due.event, "clause": q.due.citation.to_json() if q.due.citation else None,
            "day": q.due_day.isoformat() if q.due_day is not None else None}


def totals(lines: list[QuoteLine]) -> dict[str, dict]:
    out = {}
    for kind in KINDS:
        mine = [q for q in lines if q.kind == kind]
        out[kind] = {"known": sum(q.amount for q in mine if q.amount is not None),
                     "complete": all(q.amount is not None for q in mine)}
    return out


def to_json(t: M.Tariff, order: Order, lines: list[QuoteLine], month: str | None = None) -> dict:
    return {"format": FORMAT, "tariff": tariff_json(t), "request": order.request, "month": month,
            "lines": [line_json(q, option_label(t, order, q)) for q in lines], "totals": totals(lines), "notes": list(order.notes)}


def option_label(t: M.Tariff, order: Order, q: QuoteLine) -> str | None:
    """The official name of the option a line is for, None for the contract's own fee."""
    if q.subject is None:
        return None
    kind = t.contracts[order.contracts[q.contract_index].kind]
    return kind.options[q.subject].label


def to_text(t: M.Tariff, order: Order, lines: list[QuoteLine], lang: str = "en", month: str | None = None) -> str:
    if month is None:
        what = {"en": f"fees for this {order.request} request", "ja": "この申込の料金"}[lang]
    else:
        what = {"en": f"monthly fees owed for {month} ({order.request} request)", "ja": f"{month} の月額費用"}[lang]
    out = [f"{heading(t, lang)}: {what}"]
    for entry in order.contracts:
        kind = t.contracts[entry.kind]
        mine = [q for q in lines if q.contract_index == entry.index]
        out.append("")
        out.append(f"  {contract_text(entry.id, lang)} ({kind.label})")
        if not mine:
            out.append("    " + {"en": "(no fee applies)", "ja": "(該当する料金はありません)"}[lang])
            continue
        for q in sorted(mine, key=lambda x: KINDS.index(x.kind)):
            name = q.label if q.subject is None else f"{option_label(t, order, q)}: {q.label}"
            amount = f"{q.amount:>12,} {_YEN[lang]}" if q.amount is not None else " " * (12 + _unit_width(lang)) + "—"
            out.append(f"    {_kind_word(q.kind, lang)} {amount}  {name}  [{q.citation}]")
            detail = _detail(q, lang)
            if detail:
                out.append(f"      {detail}")
            due = _due_text(q, lang)
            if due:
                out.append(f"      {due}")
    out.append("")
    for kind, total in totals(lines).items():
        if not any(q.kind == kind for q in lines):
            continue
        flag = "" if total["complete"] else {"en": "  (incomplete: some amounts are not known, see above)",
                                             "ja": "  (未確定: 金額が分からないものがあります。上記参照)"}[lang]
        out.append(f"  {_kind_word(kind, lang)} {total['known']:>12,} {_YEN[lang]}{flag}")
    out += [note_line(note, lang) for note in order.notes]
    return safe_lines(out)


def _unit_width(lang: str) -> int:
    return 2 if lang == "ja" else 3  # `円` takes two columns, `yen` three


def _kind_word(kind: str, lang: str) -> str:
    """The kind of fee, padded to one column width (a Japanese character takes two)."""
    word = _KIND_WORDS[lang][kind]
    return word + " " * (18 - len(word) * (2 if lang == "ja" else 1))


def _due_text(q: QuoteLine, lang: str) -> str | None:
    if q.due is None:
        return None
    day = f" {q.due_day}" if q.due_day is not None else ""
    where = f" [{q.due.citation}]" if q.due.citation is not None else ""
    return {"en": "due: ", "ja": "支払義務の発生: "}[lang] + f"{q.due.event}{day}{where}"


def _detail(q: QuoteLine, lang: str) -> str | None:
    """How the amount is made, or why it is missing; None when that says only the amount again."""
    if q.missing:
        return (q.missing_ja or q.missing) if lang == "ja" else q.missing
    if not q.basis or (q.amount is not None and q.basis == f"{q.amount:,} yen"):
        return None
    return (q.basis_ja or q.basis) if lang == "ja" else q.basis
