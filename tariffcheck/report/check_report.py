"""How a check result is shown: readable text for people, stable JSON for programs.

The JSON form is documented in docs/results.md; its `format` number changes only when a
field is removed or changes meaning. The words every text report shares (the heading, a
contract, a note, a value) are here, in both languages; every text report ends by making its
lines safe for a terminal (report/terminal.py).
"""

from __future__ import annotations

import json

from ..catalog import display_path
from ..model import tariff as M
from ..model.fields import FieldRef
from ..orders.order import Order
from ..evaluate.derived_dates import EffectiveDay
from ..evaluate.verdict import Verdict, Violation, rule_message
from .japanese import localised
from .terminal import safe_lines

FORMAT = 1


def tariff_json(t: M.Tariff) -> dict:
    return {"id": t.id, "title": t.title, "version": t.version, "content_hash": t.content_hash}


def display_value(t: M.Tariff, order: Order, path: FieldRef, value):
    """Show a dimension's value by its official name, as the order-entry screen does."""
    if not isinstance(value, str):  # most values shown are counts and flags: asked first
        return value
    i = path.contract
    if i is None or i >= len(order.contracts) or not path.parts:
        return value
    kind = t.contracts[order.contracts[i].kind]
    dim = kind.dimensions.get(path.parts[-1])
    if dim is not None and value in dim.values:
        return dim.values[value].label
    return value


def violation_json(t: M.Tariff, order: Order, v: Violation) -> dict:
    rule, key = v.rule, v.key
    found = _kept_parts.get((id(rule), key.subject, key.contract is None))
    if found is None or found[0] is not rule or found[1] is not t:
        found = _keep_parts(t, rule, key.subject, key.contract is None)
    _, _, clause, also, subject, source, messages = found
    fields = v.fields  # worked out on the first read, with the values
    values = v.values
    out = {
        "rule": rule.id,
        "kind": rule.kind,
        "clause": dict(clause),  # a dict of its own for each result: a caller may change it
        "also": [dict(c) for c in also],
        "contract": v.contract_id,
        "subject": dict(subject) if subject is not None else None,
        "message": {"ja": v.message(t, "ja"), "en": v.message(t, "en")} if values else dict(messages),
        "fields": [{"path": p, "value": display_value(t, order, p, x)} for p, x in fields],
        "source": dict(source),
    }
    if values:
        out["values"] = dict(values)  # the days the message names, e.g. the earliest valid day
    return out


# What violation_json writes the same for every violation of a rule instance's rule and subject:
# (id(rule), subject, whether the rule is about the whole order) -> (rule, tariff, clause, also,
# subject, source, messages without values). A service writes thousands of violations a second,
# of a few hundred rules. The rule and the tariff are kept beside their ids so that an id used
# again by another object is never taken for theirs; the table is emptied when it grows past
# _KEPT_MAX (tariffs reloaded again and again), and filled again as violations are written.
_kept_parts: dict[tuple[int, str | None, bool], tuple] = {}
_KEPT_MAX = 1 << 13


def _keep_parts(t: M.Tariff, rule: M.Rule, subject: str | None, whole_order: bool) -> tuple:
    if len(_kept_parts) >= _KEPT_MAX:
        _kept_parts.clear()
    said = None if whole_order else subject  # the `{it}` of the message (Violation.message)
    messages = {lang: rule_message(t, rule, said, {}, lang) for lang in ("ja", "en")}
    parts = (rule, t, rule.citation.to_json(), [c.to_json() for c in rule.also], subject_json(t, rule, subject),
             source_json(rule), messages)
    _kept_parts[id(rule), subject, whole_order] = parts
    return parts


def to_json(t: M.Tariff, order: Order, verdict: Verdict) -> dict:
    return {"format": FORMAT, "tariff": tariff_json(t), **verdict_json(t, order, verdict)}


def verdict_json(t: M.Tariff, order: Order, verdict: Verdict) -> dict:
    """The check's JSON less what names the tariff (`format`, `tariff`): what an impact run
    writes for each contract, where the whole run names the tariff once."""
    out = {
        "request": order.request,
        "verdict": verdict.status,
        "violations": [violation_json(t, order, v) for v in verdict.violations],
        "notes": list(order.notes),
    }
    if verdict.reason:
        out["reason"] = verdict.reason
    if verdict.effective:
        out["effective"] = [effective_json(t, order, e) for e in verdict.effective]
    return out


def version_text(t: M.Tariff, lang: str = "en") -> str:
    """Which version of the tariff: the day it took effect (its latest 附則), if the spec says."""
    if t.as_of is None:
        return {"en": "no version date", "ja": "版の日付なし"}[lang]
    return {"en": f"as of {t.as_of.isoformat()}", "ja": f"{t.as_of.isoformat()} 現在"}[lang]


def heading(t: M.Tariff, lang: str = "en") -> str:
    return f"{t.title} ({t.id}, {version_text(t, lang)})"


def contract_text(contract_id: str | None, lang: str = "en") -> str:
    return {"en": f"contract `{contract_id}`", "ja": f"契約 `{contract_id}`"}[lang]


def note_line(note: str, lang: str = "en", indent: str = "  ") -> str:
    return f"{indent}{'note' if lang == 'en' else '備考'}: {localised(note, lang)}"


def effective_json(t: M.Tariff, order: Order, e: EffectiveDay) -> dict:
    d = e.day
    out = {
        "id": d.id,
        "label": d.label,
        "clause": d.citation.to_json() if d.citation is not None else None,
        "contract": d.contract,
        "subject": _option_json(t, order, d.contract_index, d.subject),
        "day": d.day.isoformat() if d.day is not None else None,
        "requested": e.requested.isoformat() if e.requested is not None else None,
        "moved": e.moved,
    }
    if d.missing:
        out["missing"] = d.missing
    if d.stated:
        out["stated"] = d.stated
    if e.terms:
        out["terms"] = terms_json(e.terms)
    note = {lang: effective_note(e, lang) for lang in ("ja", "en")}
    if note["en"] is not None:
        out["note"] = note
    return out


def terms_json(terms) -> list[dict]:
    """The renewing terms of what the request ends, as the check result shows them: each term with
    its start and end, whether it is a renewed one, and its last day for a non-renewal notice."""
    out = []
    for term in (x for x in terms if x.what == "term_end"):
        notice = next((x for x in terms if x.what == "last_notice" and x.id == f"{term.id}.last_notice"
                       and x.subject == term.subject), None)
        item = {"id": term.id, "label": term.label, "clause": term.citation.to_json() if term.citation else None,
                "term": term.term, "start": term.start.isoformat() if term.start else None,
                "end": term.day.isoformat() if term.day else None, "renewed": bool(term.renewed),
                "last_notice": notice.day.isoformat() if notice is not None and notice.day else None}
        if term.missed is not None:
            item["missed_notice_day"] = term.missed.isoformat()
        if term.missing:
            item["missing"] = term.missing
        out.append(item)
    return out


def term_lines(terms, lang: str, indent: str = "      ") -> list[str]:
    """The same for people: `契約期間 (term 2, renewed): 2026-04-15 – 2027-04-14; …`."""
    lines = []
    for item in terms_json(terms):
        if item["end"] is None:
            continue
        n = item["term"]
        if lang == "en":
            head = f"{item['label']} (term {n}{', renewed' if item['renewed'] else ''}): {item['start']} – {item['end']}"
            tail = f"; last day for a non-renewal notice {item['last_notice']}" if item["last_notice"] else ""
            why = (f" (the notice arrived after {item['missed_notice_day']})" if item["renewed"] else "")
        else:
            head = f"{item['label']} (期間 {n}{'、更新' if item['renewed'] else ''}): {item['start']} – {item['end']}"
            tail = f"、更新しない旨の通知の期限 {item['last_notice']}" if item["last_notice"] else ""
            why = (f" (通知の到達が期限 {item['missed_notice_day']} より後)" if item["renewed"] else "")
        lines.append(indent + head + tail + why)
    return lines


def effective_note(e: EffectiveDay, lang: str) -> str | None:
    """Why the request takes effect on a day it did not ask for, or None when it asked for that day
    (or the day is not known)."""
    d = e.day
    if d.day is None or not (e.moved or e.requested is None or d.stated):
        return None
    clause = str(d.citation) if d.citation is not None else d.label
    if d.stated:
        asked = {"en": f"; the request asked for {e.requested}", "ja": f"(申込で指定された日は {e.requested})"}[lang] \
            if e.moved else ""
        return {"en": f"the order states this day (`{d.stated}`){asked}",
                "ja": f"注文で指定された日です (`{d.stated}`){asked}"}[lang]
    if e.requested is None:
        return {"en": f"the request names no day; {clause} makes it {d.day}",
                "ja": f"申込は日を指定していません。{clause}により {d.day} となります。"}[lang]
    return {"en": f"the request asked for {e.requested}; {clause} makes it {d.day}",
            "ja": f"申込で指定された日は {e.requested} ですが、{clause}により {d.day} となります。"}[lang]


def effective_lines(t: M.Tariff, order: Order, days: list[EffectiveDay], lang: str) -> list[str]:
    """The days the request takes effect, each with its clause and, when the tariff moved it, why."""
    if not days:
        return []
    lines = [{"en": "  the request takes effect:", "ja": "  効力が生じる日:"}[lang]]
    for e in days:
        d = e.day
        where = f"{d.label} ({d.citation})" if d.citation is not None else d.label
        where += ", " + contract_text(d.contract, lang)
        option = _option_json(t, order, d.contract_index, d.subject)
        if option is not None:
            where += f", {option['name']}"
        if d.day is None:
            missing = (d.missing_ja or d.missing) if lang == "ja" else d.missing
            lines.append(f"    {where}: " + {"en": "not known", "ja": "不明"}[lang] + f" ({missing})")
            continue
        lines.append(f"    {where}: {d.day}")
        note = effective_note(e, lang)
        if note is not None:
            lines.append(note_line(note, lang, indent="      "))
        lines += term_lines(e.terms, lang)
    return lines


def _option_json(t: M.Tariff, order: Order, contract_index: int, subject: str | None) -> dict | None:
    if subject is None:
        return None
    kind = t.contracts[order.contracts[contract_index].kind]
    return {"id": subject, "name": kind.options[subject].label}


def to_text(t: M.Tariff, order: Order, verdict: Verdict, lang: str = "en") -> str:
    head = heading(t, lang)
    n = len(verdict.violations)
    if verdict.status == "valid":
        word = {"en": "valid", "ja": "有効"}[lang]
        lines = [f"{head}: {word}"]
        lines.append({"en": f"  every rule holds for the {len(order.contracts)} contract(s) of this {order.request} request",
                      "ja": f"  この申込の契約 {len(order.contracts)} 件について、すべての規定を満たしています"}[lang])
    elif verdict.status == "unknown":
        lines = [f"{head}: " + {"en": "unknown", "ja": "不明"}[lang], f"  {localised(verdict.reason, lang)}",
                 {"en": "  (no verdict: the order was neither accepted nor rejected)",
                  "ja": "  (判定なし: この注文は受理も拒否もされていません)"}[lang]]
    else:
        word = {"en": f"invalid, {n} broken rule{'s' if n != 1 else ''}",
                "ja": f"無効 (違反 {n} 件)"}[lang]
        lines = [f"{head}: {word}"]
        for v in verdict.violations:
            lines += violation_lines(t, order, v, lang)
    if verdict.effective and verdict.violations:
        lines.append("")
    lines += effective_lines(t, order, verdict.effective, lang)
    lines += [note_line(note, lang) for note in order.notes]
    return safe_lines(lines)


def violation_lines(t: M.Tariff, order: Order, v: Violation, lang: str, indent: str = "  ") -> list[str]:
    """A broken rule instance as the text report shows it, after an empty line."""
    lines = ["", f"{indent}✗ {rule_line(t, v.rule, v.contract_id, v.key.subject, lang)}",
             f"{indent}  {v.message(t, lang)}"]
    lines += [f"{indent}    {p} = {show_value(display_value(t, order, p, x), lang)}" for p, x in v.fields]
    lines.append(f"{indent}  {source_line(v.rule)}")
    return lines


def rule_line(t: M.Tariff, rule: M.Rule, contract_id: str | None, subject: str | None, lang: str) -> str:
    """A rule instance in one line: its clauses, its id, the contract and the option it is about."""
    clause = str(rule.citation)
    if rule.also:
        clause += " (" + ("also " if lang == "en" else "関連: ") + ", ".join(str(c) for c in rule.also) + ")"
    where = contract_text(contract_id, lang)
    if subject is not None:
        where += f", {t.contracts[rule.scope].options[subject].label}"
    return f"{clause}  [{rule.id}]  {where}"


def subject_json(t: M.Tariff, rule: M.Rule, subject: str | None) -> dict | None:
    if subject is None:
        return None
    return {"id": subject, "name": t.contracts[rule.scope].options[subject].label}


def source_json(rule: M.Rule) -> dict:
    return {"file": display_path(rule.span.file), "line": rule.span.line}


def source_line(rule: M.Rule) -> str:
    return f"--> {display_path(rule.span.file)}:{rule.span.line}"


def show_value(x, lang: str = "en") -> str:
    """A value as text: JSON's spelling, and `(not given)` for a field the order leaves out."""
    if x is True:
        return "true"
    if x is False:
        return "false"
    if x is None:
        return {"en": "(not given)", "ja": "(指定なし)"}[lang]
    if isinstance(x, str):
        return f'"{x}"'
    if isinstance(x, (list, tuple)):
        return json.dumps(list(x), ensure_ascii=False)
    return str(x)
