"""How a check result is shown: readable text for people, stable JSON for programs.

The JSON form is documented in docs/results.md; its `format` number changes only when a
field is removed or changes meaning.
"""

from __future__ import annotations

from ..catalog import display_path
from ..dsl import model as M
from ..orders.order import Order
from ..solver.verdict import Verdict, Violation

FORMAT = 1


def tariff_json(t: M.Tariff) -> dict:
    return {"id": t.id, "title": t.title, "version": t.version, "content_hash": t.content_hash}


def _display(t: M.Tariff, order: Order, v: Violation, path: str, value):
    """Show a dimension's value by its official name, as the order-entry screen does."""
    if v.key.contract is None or not isinstance(value, str):
        return value
    kind = t.contracts[order.contracts[v.key.contract].kind]
    last = path.rsplit(".", 1)[-1]
    dim = kind.dimensions.get(last)
    if dim is not None and value in dim.values:
        return dim.values[value].label
    return value


def violation_json(t: M.Tariff, order: Order, v: Violation) -> dict:
    kind = t.contracts[v.rule.scope]
    out = {
        "rule": v.rule.id,
        "kind": v.rule.kind,
        "clause": v.rule.citation.to_json(),
        "also": [c.to_json() for c in v.rule.also],
        "contract": v.contract_id,
        "subject": None,
        "message": {"ja": v.message(t, "ja"), "en": v.message(t, "en")},
        "fields": [{"path": p, "value": _display(t, order, v, p, x)} for p, x in v.fields],
        "source": {"file": display_path(v.rule.span.file), "line": v.rule.span.line},
    }
    if v.key.subject is not None:
        out["subject"] = {"id": v.key.subject, "name": kind.options[v.key.subject].label}
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


def to_text(t: M.Tariff, order: Order, verdict: Verdict, lang: str = "en") -> str:
    head = f"{t.title} ({t.id}, as of {t.version})"
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
            clause = str(v.rule.citation)
            if v.rule.also:
                clause += " (" + ("also " if lang == "en" else "関連: ") + ", ".join(str(c) for c in v.rule.also) + ")"
            where = f"contract `{v.contract_id}`"
            if v.key.subject is not None:
                where += f", {t.contracts[v.rule.scope].options[v.key.subject].label}"
            lines.append(f"  ✗ {clause}  [{v.rule.id}]  {where}")
            lines.append(f"    {v.message(t, lang)}")
            for p, x in v.fields:
                lines.append(f"      {p} = {_show(_display(t, order, v, p, x))}")
            lines.append(f"    --> {display_path(v.rule.span.file)}:{v.rule.span.line}")
    for note in order.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines)


def _show(x) -> str:
    if x is True:
        return "true"
    if x is False:
        return "false"
    if x is None:
        return "(not given)"
    if isinstance(x, str):
        return f'"{x}"'
    return str(x)
