"""How `tariff quote` shows the fees of an order: a table per contract, initial, monthly, one-off
and early-termination amounts each with its clause, and totals that say when they are incomplete."""

from __future__ import annotations

from ..model import tariff as M
from ..orders.order import Order
from ..evaluate.fees import QuoteLine
from .check_report import tariff_json

FORMAT = 1
KINDS = ("initial", "monthly", "one_off", "early_termination")
_KIND_WORDS = {"en": {"initial": "initial", "monthly": "monthly", "one_off": "one-off",
                      "early_termination": "early termination"},
               "ja": {"initial": "初期費用", "monthly": "月額費用", "one_off": "一時費用",
                      "early_termination": "解除調定金"}}


def line_json(q: QuoteLine) -> dict:
    out = {"fee": q.fee, "label": q.label, "kind": q.kind, "contract": q.contract, "subject": q.subject,
           "clause": q.citation.to_json() if q.citation else None, "amount": q.amount, "basis": q.basis}
    if q.missing:
        out["missing"] = q.missing
    if q.note:
        out["note"] = q.note
    return out


def totals(lines: list[QuoteLine]) -> dict[str, dict]:
    out = {}
    for kind in KINDS:
        mine = [q for q in lines if q.kind == kind]
        out[kind] = {"known": sum(q.amount for q in mine if q.amount is not None),
                     "complete": all(q.amount is not None for q in mine)}
    return out


def to_json(t: M.Tariff, order: Order, lines: list[QuoteLine]) -> dict:
    return {"format": FORMAT, "tariff": tariff_json(t), "request": order.request,
            "lines": [line_json(q) for q in lines], "totals": totals(lines), "notes": list(order.notes)}


def to_text(t: M.Tariff, order: Order, lines: list[QuoteLine], lang: str = "en") -> str:
    out = [f"{t.title} ({t.id}, as of {t.version}): " + {"en": f"fees for this {order.request} request",
                                                        "ja": "この申込の料金"}[lang]]
    for entry in order.contracts:
        kind = t.contracts[entry.kind]
        mine = [q for q in lines if q.contract_index == entry.index]
        out.append("")
        out.append(f"  contract `{entry.id}` ({kind.label})")
        if not mine:
            out.append("    " + {"en": "(no fee applies)", "ja": "(該当する料金はありません)"}[lang])
            continue
        for q in sorted(mine, key=lambda x: KINDS.index(x.kind)):
            name = q.label if q.subject is None else f"{kind.options[q.subject].label}: {q.label}"
            amount = f"{q.amount:>12,} yen" if q.amount is not None else f"{'—':>16}"
            out.append(f"    {_KIND_WORDS[lang][q.kind]:<18} {amount}  {name}  [{q.citation}]")
            detail = q.missing or q.basis
            if detail:
                out.append(f"      {detail}")
    out.append("")
    for kind, total in totals(lines).items():
        if not any(q.kind == kind for q in lines):
            continue
        flag = "" if total["complete"] else {"en": "  (incomplete: some prices are not in the price book)",
                                             "ja": "  (未確定: 価格表にない金額があります)"}[lang]
        out.append(f"  {_KIND_WORDS[lang][kind]:<18} {total['known']:>12,} yen{flag}")
    for note in order.notes:
        out.append(f"  note: {note}")
    return "\n".join(out)
