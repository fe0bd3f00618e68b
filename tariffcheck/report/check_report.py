"""How a check result is shown: readable text for people, stable JSON for programs.

The JSON form is documented in docs/results.md; its `format` number changes only when a
field is removed or changes meaning.
"""

from __future__ import annotations

import json

from ..catalog import display_path
from ..model import tariff as M
from ..model.fields import FieldRef
from ..orders.order import Order
from ..evaluate.verdict import Verdict, Violation

FORMAT = 1


def tariff_json(t: M.Tariff) -> dict:
    return {"id": t.id, "title": t.title, "version": t.version, "content_hash": t.content_hash}


def display_value(t: M.Tariff, order: Order, path: FieldRef, value):
    """Show a dimension's value by its official name, as the order-entry screen does."""
    i = path.contract
    if i is None or not isinstance(value, str) or i >= len(order.contracts) or not path.parts:
        return value
    kind = t.contracts[order.contracts[i].kind]
    dim = kind.dimensions.get(path.parts[-1])
    if dim is not None and value in dim.values:
        return dim.values[value].label
    return value


def violation_json(t: M.Tariff, order: Order, v: Violation) -> dict:
    out = {
        "rule": v.rule.id,
        "kind": v.rule.kind,
        "clause": v.rule.citation.to_json(),
        "also": [c.to_json() for c in v.rule.also],
        "contract": v.contract_id,
        "subject": subject_json(t, v.rule, v.key.subject),
        "message": {"ja": v.message(t, "ja"), "en": v.message(t, "en")},
        "fields": [{"path": p, "value": display_value(t, order, p, x)} for p, x in v.fields],
        "source": source_json(v.rule),
    }
    if v.values:
        out["values"] = dict(v.values)  # the days the message names, e.g. the earliest valid day
    return out


def to_json(t: M.Tariff, order: Order, verdict: Verdict) -> dict:
    out = {
        "format": FORMAT,
        "tariff": tariff_json(t),
        "request": order.request,
        "verdict": verdict.status,
        "violations": [violation_json(t, order, v) for v in verdict.violations],
        "notes": list(order.notes),
    }
    if verdict.reason:
        out["reason"] = verdict.reason
    return out


def heading(t: M.Tariff) -> str:
    return f"{t.title} ({t.id}, as of {t.version})"


def to_text(t: M.Tariff, order: Order, verdict: Verdict, lang: str = "en") -> str:
    head = heading(t)
    n = len(verdict.violations)
    if verdict.status == "valid":
        word = {"en": "valid", "ja": "有効"}[lang]
        lines = [f"{head}: {word}"]
        lines.append({"en": f"  every rule holds for the {len(order.contracts)} contract(s) of this {order.request} request",
                      "ja": f"  この申込の契約 {len(order.contracts)} 件について、すべての規定を満たしています"}[lang])
    elif verdict.status == "unknown":
        lines = [f"{head}: unknown", f"  {verdict.reason}",
                 "  (no verdict: the order was neither accepted nor rejected)"]
    else:
        word = {"en": f"invalid, {n} broken rule{'s' if n != 1 else ''}",
                "ja": f"無効 (違反 {n} 件)"}[lang]
        lines = [f"{head}: {word}"]
        for v in verdict.violations:
            lines.append("")
            lines.append(f"  ✗ {rule_line(t, v.rule, v.contract_id, v.key.subject, lang)}")
            lines.append(f"    {v.message(t, lang)}")
            for p, x in v.fields:
                lines.append(f"      {p} = {show_value(display_value(t, order, p, x))}")
            lines.append(f"    {source_line(v.rule)}")
    for note in order.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines)


def rule_line(t: M.Tariff, rule: M.Rule, contract_id: str | None, subject: str | None, lang: str) -> str:
    """A rule instance in one line: its clauses, its id, the contract and the option it is about."""
    clause = str(rule.citation)
    if rule.also:
        clause += " (" + ("also " if lang == "en" else "関連: ") + ", ".join(str(c) for c in rule.also) + ")"
    where = f"contract `{contract_id}`"
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


def show_value(x) -> str:
    """A value as text: JSON's spelling, and `(not given)` for a field the order leaves out."""
    if x is True:
        return "true"
    if x is False:
        return "false"
    if x is None:
        return "(not given)"
    if isinstance(x, str):
        return f'"{x}"'
    if isinstance(x, (list, tuple)):
        return json.dumps(list(x), ensure_ascii=False)
    return str(x)
