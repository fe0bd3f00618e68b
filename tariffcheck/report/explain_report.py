"""How an explanation is shown: the minimal conflicts among the customer's choices, each with
the rules that tie them, as text for people and stable JSON for programs (docs/explain.md).

An option's own field is its count: 0 means the option is not ordered. In text it reads
`count 5` or `not ordered`, in JSON it stays the number.
"""

from __future__ import annotations


from ..model import tariff as M
from ..model.fields import FieldRef
from ..orders.order import Order
from ..evaluate.concrete import placeholder_values
from ..smt.explain import Conflict, Explanation, Tie
from ..evaluate.verdict import rule_message
from .check_report import (
    contract_text,
    display_value,
    heading,
    note_line,
    rule_line,
    show_value,
    source_json,
    source_line,
    subject_json,
    tariff_json,
    violation_json,
    violation_lines,
)
from .japanese import in_japanese, localised
from .terminal import safe_lines

FORMAT = 1


def option_at(t: M.Tariff, order: Order, path: FieldRef) -> tuple[str, M.Option] | None:
    """The contract id and option that `path` names, when it is an option's own field."""
    if path.contract is None or path.contract >= len(order.contracts) or len(path.parts) != 2 \
            or path.parts[0] != "options":
        return None
    entry = order.contracts[path.contract]
    opt = t.contracts[entry.kind].options.get(path.parts[1])
    return (entry.id, opt) if opt is not None else None


def choice_text(t: M.Tariff, order: Order, path: str, value, lang: str) -> str:
    """A chosen value as text: a dimension by its official name, an option by its count."""
    if option_at(t, order, path) is not None and isinstance(value, int) and not isinstance(value, bool):
        if value == 0:
            return {"en": "not ordered", "ja": "なし"}[lang]
        return {"en": f"count {value}", "ja": f"契約数 {value}"}[lang]
    return show_value(display_value(t, order, path, value), lang)


def tie_message(t: M.Tariff, order: Order, tie: Tie, lang: str) -> str:
    """The rule's message for this instance, its `{name}` days computed for the order."""
    values = {}
    if tie.key.contract is not None:
        values = placeholder_values(tie.rule, tie.key.subject, order, order.contracts[tie.key.contract])
    subject = tie.key.subject if tie.key.contract is not None else None
    return rule_message(t, tie.rule, subject, values, lang)


def _tie_fields(tie: Tie, question: str | None) -> list[tuple[str, object]]:
    # in a why-not answer the option asked about is absent from the order as it stands; its
    # fields would show that, not the option the question adds
    if question is None:
        return list(tie.fields)
    return [(p, x) for p, x in tie.fields if p != question and not p.startswith(question + ".")]


def _fails_first(e: Explanation) -> bool:
    """A why-not answer for an order that is invalid as it stands: its conflicts are the order's."""
    return e.question is not None and e.status == "invalid" and e.complete and e.reason is not None


# ---- JSON ---------------------------------------------------------------------------------------
def tie_json(t: M.Tariff, order: Order, tie: Tie, question: str | None = None) -> dict:
    return {
        "rule": tie.rule.id,
        "clause": tie.rule.citation.to_json(),
        "also": [c.to_json() for c in tie.rule.also],
        "contract": tie.contract_id,
        "subject": subject_json(t, tie.rule, tie.key.subject),
        "message": {"ja": tie_message(t, order, tie, "ja"), "en": tie_message(t, order, tie, "en")},
        "fields": [{"path": p, "value": display_value(t, order, p, x)} for p, x in _tie_fields(tie, question)],
        "source": source_json(tie.rule),
    }


def _question_json(t: M.Tariff, order: Order, path: str | None) -> dict | None:
    if path is None:
        return None
    found = option_at(t, order, path)
    if found is None:
        return {"path": path, "contract": None, "option": None}
    contract_id, opt = found
    return {"path": path, "contract": contract_id, "option": {"id": opt.id, "name": opt.label}}


def to_json(t: M.Tariff, order: Order, e: Explanation) -> dict:
    return {
        "format": FORMAT,
        "tariff": tariff_json(t),
        "request": order.request,
        "status": e.status,
        "complete": e.complete,
        "reason": e.reason,
        "question": _question_json(t, order, e.question),
        "conflicts": [{
            "choices": [{"path": c.path, "value": display_value(t, order, c.path, c.value)} for c in conflict.choices],
            "rules": [tie_json(t, order, tie, e.question) for tie in conflict.rules],
        } for conflict in e.conflicts],
        "breaches": [violation_json(t, order, v) for v in e.breaches],
        "notes": list(order.notes),
    }


# ---- text ---------------------------------------------------------------------------------------
def _conflict_lines(t: M.Tariff, order: Order, n: int, conflict: Conflict, with_question: bool,
                    lang: str) -> list[str]:
    one = len(conflict.choices) == 1
    if with_question:
        title = {"en": f"{'This choice' if one else 'These choices'} cannot stand together with it:",
                 "ja": "次の選択はこのオプションと同時に成り立ちません:"}
    elif one:
        title = {"en": "This choice cannot stand by itself:", "ja": "次の選択はそれだけで成り立ちません:"}
    else:
        title = {"en": "These choices cannot stand together:", "ja": "次の選択は同時に成り立ちません:"}
    lines = ["", f"  {n}. {title[lang]}"]
    lines += [f"       {c.path} = {choice_text(t, order, c.path, c.value, lang)}" for c in conflict.choices]
    if not conflict.choices:  # only the request itself, or the question, is left
        lines.append({"en": "       (none: the request itself)", "ja": "       (なし: 申込そのもの)"}[lang])
    if one and not with_question:
        tied = {"en": "The rule it breaks:" if len(conflict.rules) == 1 else "The rules it breaks:",
                "ja": "違反する規定:"}
    else:
        tied = {"en": "The rule that ties them:" if len(conflict.rules) == 1 else "The rules that tie them:",
                "ja": "これらを結びつける規定:"}
    lines.append(f"     {tied[lang]}")
    for tie in conflict.rules:
        lines.append(f"       {rule_line(t, tie.rule, tie.contract_id, tie.key.subject, lang)}")
        lines.append(f"         {tie_message(t, order, tie, lang)}")
        lines.append(f"         {source_line(tie.rule)}")
    return lines


def _question_lines(t: M.Tariff, order: Order, e: Explanation, lang: str) -> list[str]:
    """The heading of a why-not answer: the question, then the answer's first line."""
    found = option_at(t, order, e.question)
    contract_id, name = (found[0], found[1].label) if found else (None, e.question)
    head = {"en": f"{heading(t, lang)}: why not {name}?", "ja": f"{heading(t, lang)}: {name}を追加できるか"}[lang]
    where = contract_text(contract_id, lang)
    if e.status == "valid":
        answer = {"en": f"Option {name} can be added to {where}: nothing in the order stands in its way",
                  "ja": f"{name}は{where} に追加できます。注文の中に妨げるものはありません"}
    elif e.status == "unknown":
        answer = {"en": f"Whether Option {name} can be added to {where} is not known",
                  "ja": f"{name}を{where} に追加できるかは分かりませんでした"}
    elif _fails_first(e):
        answer = {"en": f"The order is invalid as it stands; before Option {name} can be asked about, "
                        "these conflicts must go:",
                  "ja": f"この注文はこのままでは無効です。{name}を追加できるかを問う前に、次の矛盾を解消する必要があります:"}
    else:
        answer = {"en": f"Option {name} cannot be added to {where} because:",
                  "ja": f"{name}は、次の理由により{where} に追加できません:"}
    return [head, f"  {answer[lang]}"]


def to_text(t: M.Tariff, order: Order, e: Explanation, lang: str = "en") -> str:
    n = len(e.conflicts)
    if e.question is not None:
        lines = _question_lines(t, order, e, lang)
    elif e.status == "valid":
        lines = [f"{heading(t, lang)}: " + {"en": "valid", "ja": "有効"}[lang],
                 {"en": "  nothing in the order conflicts: every rule holds",
                  "ja": "  注文の選択に矛盾はありません。すべての規定を満たしています"}[lang]]
    elif e.status == "unknown":
        lines = [f"{heading(t, lang)}: " + {"en": "unknown", "ja": "不明"}[lang]]
    else:
        lines = [f"{heading(t, lang)}: " + {"en": f"invalid, {n} conflict{'s' if n != 1 else ''}",
                                      "ja": f"無効 (矛盾 {n} 件)"}[lang]]
        if e.breaches:
            lines[0] += {"en": f", {len(e.breaches)} clause{'s' if len(e.breaches) != 1 else ''} broken by what "
                               "the order writes", "ja": f"、記載による違反 {len(e.breaches)} 件"}[lang]
    if e.status == "unknown":
        lines += [f"  {localised(e.reason, lang)}", {"en": "  (no conflict was found before the search stopped)",
                                    "ja": "  (探索が止まるまでに矛盾は見つかりませんでした)"}[lang]]
    if e.breaches:
        lines += ["", {"en": "  The order breaks these clauses by what it writes, each on its own:",
                       "ja": "  この注文は、記載そのものにより次の規定に違反しています:"}[lang]]
        for v in e.breaches:
            lines += violation_lines(t, order, v, lang, "    ")[1:]
    with_question = e.question is not None and not _fails_first(e)
    for i, conflict in enumerate(e.conflicts, 1):
        lines += _conflict_lines(t, order, i, conflict, with_question, lang)
    if e.conflicts and not e.complete:
        lines += ["", {"en": f"  the search is incomplete: {e.reason}, so there may be more conflicts",
                       "ja": f"  探索は完了していません ({in_japanese(e.reason)})。ほかにも矛盾があるかもしれません"}[lang]]
    lines += [note_line(note, lang) for note in order.notes]
    return safe_lines(lines)
