"""How repairs are shown: the nearest valid orders, each as the changes it makes, with the
clauses each change satisfies, as text for people and stable JSON for programs
(docs/explain.md). The JSON carries each repaired order in the order format, ready for
`tariff check`.
"""

from __future__ import annotations

from ..model import tariff as M
from ..orders.order import Order
from ..orders.write import order_to_json
from ..smt.explain import Tie
from ..smt.repair import Change, Repair, RepairResult
from .check_report import contract_text, display_value, heading, note_line, subject_json, tariff_json
from .explain_report import choice_text
from .japanese import in_japanese, localised
from .terminal import safe_lines

FORMAT = 1


def _added_notes(order: Order, repair: Repair) -> list[str]:
    """What the repair says about the contracts it added (a new parent contract, ...)."""
    return [n for n in repair.order.notes if n not in order.notes]


# ---- JSON ---------------------------------------------------------------------------------------
def _satisfies_json(t: M.Tariff, tie: Tie) -> dict:
    return {"rule": tie.rule.id, "clause": tie.rule.citation.to_json(), "contract": tie.contract_id,
            "subject": subject_json(t, tie.rule, tie.key.subject)}


def _change_json(t: M.Tariff, order: Order, repair: Repair, ch: Change) -> dict:
    return {"path": ch.path, "before": display_value(t, order, ch.path, ch.before),
            "after": display_value(t, repair.order, ch.path, ch.after), "weight": ch.weight,
            "distance": ch.distance, "satisfies": [_satisfies_json(t, tie) for tie in ch.satisfies]}


def _repair_json(t: M.Tariff, order: Order, repair: Repair) -> dict:
    out = {"cost": repair.cost, "distance": repair.distance,
           "changes": [_change_json(t, order, repair, ch) for ch in repair.changes],
           "notes": _added_notes(order, repair)}
    try:
        out["order"] = order_to_json(repair.order, t)
    except ValueError as exc:  # a repair the order format cannot say; the changes still stand
        out["order"] = None
        out["order_error"] = str(exc)
    return out


def to_json(t: M.Tariff, order: Order, result: RepairResult) -> dict:
    return {
        "format": FORMAT,
        "tariff": tariff_json(t),
        "request": order.request,
        "status": result.status,
        "complete": result.complete,
        "reason": result.reason,
        "locked": list(result.locked),
        "repairs": [_repair_json(t, order, r) for r in result.repairs],
        "notes": list(order.notes),
    }


# ---- text ---------------------------------------------------------------------------------------
def _clause(tie: Tie, change_path: str, lang: str) -> str:
    text = f"{tie.rule.citation} [{tie.rule.id}]"
    if tie.key.contract is not None and change_path.contract != tie.key.contract:
        text += f" ({contract_text(tie.contract_id, lang)})"  # a change that frees a rule of another contract
    return text


def _repair_lines(t: M.Tariff, order: Order, n: int, repair: Repair, lang: str) -> list[str]:
    k = len(repair.changes)
    title = {"en": f"{k} change{'s' if k != 1 else ''} (cost {repair.cost}, distance {repair.distance})",
             "ja": f"変更 {k} 件 (コスト {repair.cost}, 距離 {repair.distance})"}[lang]
    lines = ["", f"  {n}. {title}"]
    for ch in repair.changes:
        before = choice_text(t, order, ch.path, ch.before, lang)
        after = choice_text(t, repair.order, ch.path, ch.after, lang)
        extra = []
        if ch.weight != 1:
            extra.append({"en": f"weight {ch.weight}", "ja": f"重み {ch.weight}"}[lang])
        line = f"       {ch.path}: {before} → {after}"
        lines.append(line + (f"  ({', '.join(extra)})" if extra else ""))
        if ch.satisfies:
            word = {"en": "satisfies", "ja": "満たす規定:"}[lang]
            lines.append(f"         {word} " + ", ".join(_clause(tie, ch.path, lang) for tie in ch.satisfies))
    lines += [note_line(note, lang, "     ") for note in _added_notes(order, repair)]
    return lines


def to_text(t: M.Tariff, order: Order, result: RepairResult, lang: str = "en") -> str:
    n = len(result.repairs)
    status = {
        "valid": {"en": "valid, nothing to repair", "ja": "有効 (修正の必要はありません)"},
        "repaired": {"en": f"invalid, {n} repair{'s' if n != 1 else ''}", "ja": f"無効 (修正案 {n} 件)"},
        "none": {"en": "invalid, no repair", "ja": "無効 (修正案なし)"},
        "unknown": {"en": "unknown", "ja": "不明"},
    }[result.status][lang]
    lines = [f"{heading(t, lang)}: {status}"]
    if result.status != "valid" and result.locked:
        word = {"en": "kept as they are", "ja": "変更しない項目"}[lang]
        shown = [p for p in result.locked if not any(p.startswith(q + ".") for q in result.locked)]
        lines.append(f"  {word}: " + ", ".join(shown))  # an option locked keeps its parts
    if result.status == "none":
        lines.append({"en": "  No valid order keeps the locked fields: unlock some of them (`--unlock`, "
                            "fewer `--lock`) to find a repair",
                      "ja": "  固定した項目を保ったままの有効な注文はありません。固定を減らす (`--unlock`、"
                            "`--lock` を減らす) と修正案が見つかることがあります"}[lang])
    elif result.status == "unknown":
        lines += [f"  {localised(result.reason, lang)}", {"en": "  (no repair was found before the search stopped)",
                                         "ja": "  (探索が止まるまでに修正案は見つかりませんでした)"}[lang]]
    for i, repair in enumerate(result.repairs, 1):
        lines += _repair_lines(t, order, i, repair, lang)
    if result.repairs:
        lines.append("")
        if not result.complete:
            lines.append({"en": f"  the search is incomplete: {result.reason}, so there may be other repairs",
                          "ja": f"  探索は完了していません ({in_japanese(result.reason)})。ほかの修正案があるかもしれません"}[lang])
        lines.append({"en": "  `--format json` gives each repaired order, ready for `tariff check`",
                      "ja": "  `--format json` で修正後の注文を出力できます (そのまま `tariff check` に渡せます)"}[lang])
    lines += [note_line(note, lang) for note in order.notes]
    return safe_lines(lines)
