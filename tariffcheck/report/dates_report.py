"""How `tariff dates` shows the days a tariff defines for an order: a table per contract for
people, stable JSON for programs (docs/results.md, "Dates")."""

from __future__ import annotations

from ..model import tariff as M
from ..orders.order import Order
from ..evaluate.derived_dates import DerivedDay
from .check_report import contract_text, heading, note_line, tariff_json
from .terminal import safe_lines

FORMAT = 1

_WHAT = {
    "en": {"given": "given", "derived": "derived", "period_end": "period ends", "term_end": "term ends",
           "last_notice": "last day for a non-renewal notice"},
    "ja": {"given": "指定", "derived": "算定", "period_end": "期間満了", "term_end": "契約期間満了",
           "last_notice": "更新しない旨の通知の期限"},
}


def day_json(d: DerivedDay) -> dict:
    out = {"id": d.id, "label": d.label, "what": d.what, "contract": d.contract, "subject": d.subject,
           "clause": d.citation.to_json() if d.citation else None,
           "day": d.day.isoformat() if d.day else None}
    if d.start is not None:
        out["start"] = d.start.isoformat()
    if d.term is not None:
        out["term"] = d.term
    if d.renewed is not None:
        out["renewed"] = d.renewed
    if d.missed is not None:
        out["missed_notice_day"] = d.missed.isoformat()
    if d.missing:
        out["missing"] = d.missing
    if d.note:
        out["note"] = d.note
    return out


def to_json(t: M.Tariff, order: Order, days: list[DerivedDay]) -> dict:
    return {"format": FORMAT, "tariff": tariff_json(t), "request": order.request,
            "days": [day_json(d) for d in days], "notes": list(order.notes)}


def to_text(t: M.Tariff, order: Order, days: list[DerivedDay], lang: str = "en") -> str:
    lines = [f"{heading(t, lang)}: " + {"en": f"days for this {order.request} request",
                                         "ja": "この申込について規程が定める日"}[lang]]
    for entry in order.contracts:
        mine = [d for d in days if d.contract_index == entry.index]
        kind = t.contracts[entry.kind]
        lines.append("")
        lines.append(f"  {contract_text(entry.id, lang)} ({kind.label})")
        if not mine:
            lines.append("    " + {"en": "(the tariff defines no day for it)", "ja": "(定めのある日はありません)"}[lang])
            continue
        subjects = list(dict.fromkeys(d.subject for d in mine))
        subjects.sort(key=lambda x: x is not None)  # the contract's own days first
        rows: list[tuple[str, str, str, DerivedDay | None]] = []
        for subject in subjects:
            if subject is not None:
                rows.append((kind.options[subject].label, "", "", None))
            for d in (x for x in mine if x.subject == subject):
                name = ("  " if subject is not None else "") + d.label
                if d.what == "last_notice":
                    name += ": " + _WHAT[lang]["last_notice"]
                if d.term is not None and d.what == "term_end":
                    name += f" ({'term' if lang == 'en' else '期間'} {d.term})"
                when = d.day.isoformat() if d.day else "—"
                if d.start is not None and d.what in ("period_end", "term_end"):
                    when = f"{d.start.isoformat()} – {when}"
                rows.append((name, when, str(d.citation) if d.citation else "", d))
        width = max(_width(r[0]) for r in rows if r[3] is not None)
        for name, when, cite, d in rows:
            if d is None:
                lines.append(f"    {name}")
                continue
            lines.append(f"    {name}{' ' * (width - _width(name))}  {when:<25}  {cite}")
            missing = (d.missing_ja or d.missing) if lang == "ja" else d.missing
            if missing:
                lines.append(f"      ({missing})")
            if d.renewed and d.what == "term_end":
                lines.append("      " + renewed_text(d, lang))
            if d.note:
                lines.append(note_line(d.note, lang, "      "))
    lines += [note_line(note, lang) for note in order.notes]
    return safe_lines(lines)


def renewed_text(d: DerivedDay, lang: str) -> str:
    """Why a term shown is a renewed one: the notice came after its term's last notice day."""
    clause = str(d.citation) if d.citation is not None else d.label
    return {"en": f"renewed: the notice arrived after {d.missed}, the last day for a non-renewal notice; "
                  f"{clause} renewed the term",
            "ja": f"更新: 通知の到達が更新しない旨の通知の期限 {d.missed} より後のため、{clause}により更新されました"}[lang]


def _width(s: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)
