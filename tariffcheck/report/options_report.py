"""How propagation is shown: for each open field of a partial order, what remains possible,
what is forced, and what is impossible with its reason, as text and stable JSON."""

from __future__ import annotations

from ..model import tariff as M
from ..orders.order import Order
from ..smt.explain import Conflict, Tie
from ..smt.propagate import OpenField, Propagation
from .check_report import (display_value, heading, note_line, rule_line, show_value, source_json, subject_json,
                           tariff_json)
from .japanese import in_japanese
from .explain_report import choice_text, tie_message
from .terminal import safe_lines

FORMAT = 1


def _value(t: M.Tariff, order: Order, path: str, value) -> object:
    return display_value(t, order, path, value) if isinstance(value, str) else value


def _reason_json(t: M.Tariff, order: Order, c: Conflict | None, per_rule: dict) -> dict | None:
    if c is None:
        return None
    return {"choices": [{"path": x.path, "value": display_value(t, order, x.path, x.value)} for x in c.choices],
            "rules": [_tie_json(t, order, tie, per_rule) for tie in c.rules]}


def _tie_json(t: M.Tariff, order: Order, tie: Tie, per_rule: dict) -> dict:
    """explain_report.tie_json (the same keys, the same values), with what depends on the rule
    alone, its clauses and its source, worked out once per rule of one answer (`per_rule`, by
    the rule's id(): the rules stay alive with the answer): an answer of a four-contract order
    has a hundred-odd reasons, mostly of a few rules, each citing half a dozen clauses, and
    writing the same citations again was a tenth of the order's time. The rule's parts are
    then one object in each place the answer names them; the answer is written, not changed."""
    rule = tie.rule
    parts = per_rule.get(id(rule))
    if parts is None:
        parts = per_rule[id(rule)] = (rule.citation.to_json(), [c.to_json() for c in rule.also], source_json(rule))
    clause, also, source = parts
    return {
        "rule": rule.id,
        "clause": clause,
        "also": also,
        "contract": tie.contract_id,
        "subject": subject_json(t, rule, tie.key.subject),
        "message": {"ja": tie_message(t, order, tie, "ja"), "en": tie_message(t, order, tie, "en")},
        "fields": [{"path": p, "value": display_value(t, order, p, x)} for p, x in tie.fields],
        "source": source,
    }


def _field_json(t: M.Tariff, order: Order, f: OpenField, per_rule: dict) -> dict:
    out = {"path": f.path, "kind": f.kind}
    if f.kind == "number":
        out.update({"low": f.low, "high": f.high, "forced": f.forced,
                    "below_low": _reason_json(t, order, f.low_reason, per_rule),
                    "above_high": _reason_json(t, order, f.high_reason, per_rule)})
        return out
    forced = f.forced
    out["forced"] = _value(t, order, f.path, forced) if forced is not None or f.kind == "dim" else None
    out["values"] = [{"value": _value(t, order, f.path, v.value), "possible": v.possible,
                      "reason": _reason_json(t, order, v.reason, per_rule)} for v in f.values]
    return out


def to_json(t: M.Tariff, order: Order, p: Propagation) -> dict:
    per_rule: dict = {}  # `_tie_json`'s
    return {
        "format": FORMAT,
        "tariff": tariff_json(t),
        "status": p.status,
        "complete": p.complete,
        "reason": p.reason,
        "conflict": _reason_json(t, order, p.conflict, per_rule),
        "fields": [_field_json(t, order, f, per_rule) for f in p.fields],
        "not_analysed": list(p.not_analysed),
        "notes": list(order.notes),
    }


def _why(t: M.Tariff, order: Order, c: Conflict, lang: str) -> list[str]:
    # an option's own value is its count: `not ordered` or `count 2`, as explain writes it
    given = ", ".join(f"{x.path} = {choice_text(t, order, x.path, x.value, lang)}" for x in c.choices)
    lines = []
    if given:
        lines.append("        " + {"en": "because of ", "ja": "理由: "}[lang] + given)
    for tie in c.rules:
        lines.append(f"        {rule_line(t, tie.rule, tie.contract_id, tie.key.subject, lang)}: "
                     f"{tie_message(t, order, tie, lang)}")
    return lines


def to_text(t: M.Tariff, order: Order, p: Propagation, lang: str = "en") -> str:
    words = {"en": {"open": "what the order may still have", "invalid": "the choices made so far conflict",
                    "unknown": "not known"},
             "ja": {"open": "この注文でまだ選べるもの", "invalid": "これまでの選択が矛盾しています",
                    "unknown": "不明"}}[lang]
    lines = [f"{heading(t, lang)}: {words[p.status]}"]
    if p.conflict is not None:
        lines += _why(t, order, p.conflict, lang)
    for f in p.fields:
        if f.kind == "number":
            forced = f" ({'forced' if lang == 'en' else '確定'})" if f.forced is not None else ""
            lines.append(f"  {f.path}: {f.low} .. {f.high}{forced}")
            if f.low_reason is not None:
                lines.append("      " + {"en": f"not below {f.low}", "ja": f"{f.low} 未満は不可"}[lang])
                lines += _why(t, order, f.low_reason, lang)
            if f.high_reason is not None:
                lines.append("      " + {"en": f"not above {f.high}", "ja": f"{f.high} 超は不可"}[lang])
                lines += _why(t, order, f.high_reason, lang)
            continue
        can = [show_value(_value(t, order, f.path, v.value), lang) for v in f.values if v.possible]
        state = ""
        if f.forced is not None:
            state = " (" + {"en": "forced", "ja": "確定"}[lang] + ")"
        lines.append(f"  {f.path}: {', '.join(can) if can else '-'}{state}")
        for v in f.values:
            if not v.possible:
                shown = show_value(_value(t, order, f.path, v.value), lang)
                lines.append("      " + {"en": "not ", "ja": "不可: "}[lang] + shown)
                lines += _why(t, order, v.reason, lang)
    if p.not_analysed:
        lines.append({"en": "  left open, not analysed: ", "ja": "  未決定 (解析対象外): "}[lang] + ", ".join(p.not_analysed))
    if not p.complete:
        lines.append({"en": f"  incomplete: {p.reason}", "ja": f"  未完了: {in_japanese(p.reason)}"}[lang])
    lines += [note_line(note, lang) for note in order.notes]
    return safe_lines(lines)
