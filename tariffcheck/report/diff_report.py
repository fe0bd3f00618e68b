"""How a diff is shown: what changed in names, then in meaning, each group of orders with its
rule, its witness and its boundary, and the shapes of order that could not be compared; as text,
stable JSON, or Markdown for a review. Spec paths are shown as `catalog.display_path` shows them
(`specs/…` for a bundled tariff).

The verdict on meaning comes from `DiffResult.status` alone, so no report can call a comparison
proven that the result does not prove."""

from __future__ import annotations

import dataclasses

from ..analyse.diff import DiffGroup, DiffResult, NameChange, Uncompared
from ..catalog import display_path
from .check_report import note_line, version_text
from .japanese import in_japanese, shape_in_japanese
from .terminal import json_text, safe_block, safe_lines

FORMAT = 2  # 2: `status`, `uncompared` (was `skipped`); `same_meaning` is null when not proven

_DIRECTION = {
    "rejected": ("newly rejected: the old version accepts, the new one rejects", "新たに拒否される申込み"),
    "accepted": ("newly accepted: the old version rejects, the new one accepts", "新たに受け付けられる申込み"),
}

_WORDS = {
    "en": {"names": "names", "no_change": "no change", "reworded": "reworded", "in": "in", "also": "also",
           "witness": "witness", "witness_order": "witness order",
           "boundary": "boundary on `{path}`: {agree} (both versions agree) vs {differ} (they differ)",
           "unconfirmed": "[NOT CONFIRMED by the concrete validators]",
           "cut_short": "meaning: UNKNOWN, the comparison was cut short ({reason}); what is listed is real, "
                        "but the list may be incomplete",
           "same": "meaning: no semantic change: every order both versions can state is judged the same "
                   "(proven over {n} shapes of order)",
           "not_compared": "not compared", "uncompared": "not compared ({n}):", "help": "help",
           "in_both": "in both versions", "in_new": "new version", "in_old": "old version"},
    "ja": {"names": "名前", "no_change": "変更なし", "reworded": "文言の変更", "in": "申込みの形", "also": "ほかに",
           "witness": "例となる注文", "witness_order": "例となる注文",
           "boundary": "`{path}` の境界: {agree} (両版の判定が一致) と {differ} (判定が異なる)",
           "unconfirmed": "[具体検証器では確認されていません]",
           "cut_short": "意味: 不明。比較が途中で打ち切られました ({reason})。挙げたものは確かですが、"
                        "ほかにもあるかもしれません",
           "same": "意味: 変更なし。両版が表せるすべての注文を同じに判定します ({n} 通りの申込みの形で証明)",
           "not_compared": "比較していません", "uncompared": "比較できなかった申込みの形 ({n}):", "help": "ヒント",
           "in_both": "両方の版", "in_new": "新しい版", "in_old": "古い版"},
}

_WHAT_JA = {"contract": "契約", "dimension": "区分", "value": "値", "quantity": "数量", "flag": "フラグ", "date": "日付",
            "option": "オプション", "service": "サービス", "rule": "規定"}


def _name_line(n: NameChange, lang: str = "en") -> str:
    what = _WHAT_JA.get(n.what, n.what) if lang == "ja" else n.what
    if lang == "ja" and n.note:
        n = dataclasses.replace(n, note="; ".join(in_japanese(x) for x in n.note.split("; ")))
    if n.change == "added":
        text = f"+ {what} `{n.path}`" + (f" \"{n.new}\"" if n.new and n.what != "rule" else "")
    elif n.change == "removed":
        text = f"- {what} `{n.path}`" + (f" \"{n.old}\"" if n.old and n.what != "rule" else "")
    elif n.change == "renamed" and n.old == n.new:  # the id changed, not the official name
        text = f"~ {what} `{n.path}`"
    elif n.change == "renamed":
        text = f"~ {what} `{n.path}`: \"{n.old}\" → \"{n.new or n.path}\""
    else:
        text = f"~ {what} `{n.path}` {_WORDS[lang]['reworded']}" + (f" ({n.note})" if n.note else "")
    if n.note and n.change != "reworded":
        text += f" ({n.note})"
    return text


def _group_title(g: DiffGroup) -> str:
    return f"`{g.rule.id}` ({g.rule.citation})"


def _boundary_line(b, lang: str = "en") -> str:
    return _WORDS[lang]["boundary"].format(path=b.path, agree=b.agree, differ=b.differ)


def _version(t, lang: str) -> str:
    return f"{t.id} ({version_text(t, lang)}, {display_path(t.path)})"


def _shapes(n: int) -> str:
    return f"{n} shape{'s' if n != 1 else ''} of order"


def verdict(r: DiffResult, lang: str = "en") -> str:
    """One sentence on meaning, after `meaning: `."""
    status = r.status
    if lang == "ja":
        return _verdict_ja(r)
    if status == "unrelated":
        return (f"not compared: `{r.old.id}` and `{r.new.id}` are two different tariffs, not two versions "
                "of one")
    if status == "unknown":
        return (f"UNKNOWN, the comparison was cut short ({r.reason}); what is listed is real, but the list "
                "may be incomplete")
    if status == "same":
        return ("no semantic change: every order both versions can state is judged the same "
                f"(proven over {_shapes(len(r.shapes))}, every shape of both versions)")
    if status == "not_comparable":
        if not r.shapes:
            return f"NOT PROVEN: no shape of order could be compared (the {len(r.uncompared)} of the two versions " \
                   "are listed below)"
        return (f"NOT PROVEN: {_shapes(len(r.uncompared))} could not be compared (listed below); the "
                f"{_shapes(len(r.shapes))} compared are judged the same")
    n = len(r.groups)
    return f"different: {n} group{'s' if n != 1 else ''} of orders judged differently"


def _verdict_ja(r: DiffResult) -> str:
    w = _WORDS["ja"]
    if r.status == "same":
        return w["same"].format(n=len(r.shapes)).removeprefix("意味: ")
    if r.status == "unknown":
        return w["cut_short"].format(reason=in_japanese(r.reason)).removeprefix("意味: ")
    if r.status == "unrelated":
        return f"比較していません: `{r.old.id}` と `{r.new.id}` は一つの料金表の二つの版ではなく、別々の料金表です"
    if r.status == "not_comparable":
        if not r.shapes:
            return f"証明されていません: 比較できた申込みの形はありません (両版の {len(r.uncompared)} 通りを下に挙げます)"
        return (f"証明されていません: {len(r.uncompared)} 通りの申込みの形を比較できませんでした (下に挙げます)。"
                f"比較した {len(r.shapes)} 通りでは同じに判定します")
    return f"異なる: 判定の異なる申込みが {len(r.groups)} 群あります"


def _shape(label: str, lang: str) -> str:
    return shape_in_japanese(label) if lang == "ja" else label


def _uncompared_blocks(items: list[Uncompared], lang: str = "en") -> list[tuple[str, str | None, str]]:
    """(reason, help, the shapes) for each reason, in the order first met; a help already given
    for an earlier reason is not repeated."""
    found: dict[str, tuple[str | None, dict[str, list[str]]]] = {}
    helps = set()
    for u in items:
        if u.reason not in found:
            found[u.reason] = (u.help if u.help not in helps else None, {"old": [], "new": []})
            helps.add(u.help)
        found[u.reason][1][u.version].append(_shape(u.shape, lang))
    w = _WORDS[lang]
    out = []
    for reason, (help, by_version) in found.items():
        old, new = by_version["old"], by_version["new"]
        if old and new:
            shapes = (", ".join(new) + f" ({w['in_both']})" if old == new
                      else f"{', '.join(new)} ({w['in_new']}); {', '.join(old)} ({w['in_old']})")
        else:
            shapes = ", ".join(old or new)
        if lang == "ja":
            reason, help = in_japanese(reason), in_japanese(help)
        out.append((reason, help, shapes))
    return out


def to_text(r: DiffResult, lang: str = "en") -> str:
    w = _WORDS[lang]
    out = [f"diff {_version(r.old, lang)} → {_version(r.new, lang)}", ""]
    if not r.related:
        out.append(f"{w['names']}: {w['not_compared']}")
    else:
        out.append(f"{w['names']}:" if r.names else f"{w['names']}: {w['no_change']}")
        out += ["  " + _name_line(n, lang) for n in r.names]
    out.append("")
    out.append(("意味: " if lang == "ja" else "meaning: ") + verdict(r, lang))
    out.append("")
    for direction in ("rejected", "accepted"):
        groups = [g for g in r.groups if g.direction == direction]
        if not groups:
            continue
        out.append(_DIRECTION[direction][1 if lang == "ja" else 0] + ":")
        for g in groups:
            mark = "" if g.confirmed else "  " + w["unconfirmed"]
            also = f" ({w['also']} {', '.join(_shape(x, lang) for x in g.also)})" if g.also else ""
            out.append(f"  {_group_title(g)}, {w['in']} {_shape(g.shape, lang)}{also}{mark}")
            if g.witness is not None:
                out.append(f"    {w['witness']}: " + json_text(g.witness, indent=None, separators=(",", ":")))
            for b in g.boundaries:
                out.append("    " + _boundary_line(b, lang))
            if g.note:
                out.append(note_line(g.note, lang, "    "))
        out.append("")
    if r.uncompared:
        count = _shapes(len(r.uncompared)) if lang == "en" else f"{len(r.uncompared)} 通り"
        out.append(w["uncompared"].format(n=count))
        for reason, help, shapes in _uncompared_blocks(r.uncompared, lang):
            out.append(f"  {reason}: {shapes}")
            if help:
                out.append(f"    {w['help']}: {help}")
    return safe_lines(out).rstrip()


def _group_json(g: DiffGroup) -> dict:
    return {
        "direction": g.direction,
        "rule": {"id": g.rule.id, "clause": str(g.rule.citation)},
        "shape": g.shape,
        "also": list(g.also),
        "witness": g.witness,
        "confirmed": g.confirmed,
        "boundaries": [{"field": b.path, "agree": b.agree, "differ": b.differ, "agree_order": b.agree_order}
                       for b in g.boundaries],
        "note": g.note,
    }


def to_json(r: DiffResult) -> dict:
    return {
        "format": FORMAT,
        "old": {"id": r.old.id, "version": r.old.version, "path": display_path(r.old.path)},
        "new": {"id": r.new.id, "version": r.new.version, "path": display_path(r.new.path)},
        "status": r.status,
        "same_meaning": r.same_meaning,
        "complete": r.complete,
        "reason": r.reason,
        "shapes": list(r.shapes),
        "uncompared": [{"shape": u.shape, "version": u.version, "reason": u.reason, "help": u.help}
                       for u in r.uncompared],
        "names": [{"what": n.what, "change": n.change, "path": n.path, "old": n.old, "new": n.new, "note": n.note}
                  for n in r.names],
        "groups": [_group_json(g) for g in r.groups],
    }


def to_markdown(r: DiffResult, lang: str = "en") -> str:
    w = _WORDS[lang]
    ja = lang == "ja"
    title = r.old.title if r.old.title == r.new.title else f"{r.old.title} → {r.new.title}"
    out = [f"# tariff diff: {_md(title)}", "",
           f"{'旧版' if ja else 'Old'}: `{display_path(r.old.path)}` ({version_text(r.old, lang)}). "
           f"{'新版' if ja else 'New'}: `{display_path(r.new.path)}` ({version_text(r.new, lang)}).", ""]
    out += [f"**{'意味' if ja else 'Meaning'}**: {verdict(r, lang)}.", ""]
    out += [f"## {_cap(w['names'])}", ""]
    if not r.related:
        out.append("比較していません: 別々の料金表です。" if ja else "Not compared: two different tariffs.")
    else:
        out += [f"- {_md(_name_line(n, lang))}" for n in r.names] or [_cap(w["no_change"]) + ("" if ja else ".")]
    out.append("")
    for direction in ("rejected", "accepted"):
        groups = [g for g in r.groups if g.direction == direction]
        if not groups:
            continue
        out += [f"## {_cap(_DIRECTION[direction][1 if ja else 0])}", ""]
        for g in groups:
            also = f"; {w['also']} {', '.join(_shape(x, lang) for x in g.also)}" if g.also else ""
            out += [f"### {_group_title(g)}", "",
                    f"{_cap(w['in'])} {_shape(g.shape, lang)}{also}{'。' if ja else '.'}" + ("" if g.confirmed else f" **{w['unconfirmed']}**"), ""]
            for b in g.boundaries:
                out += [f"- {_boundary_line(b, lang)}"]
            if g.boundaries:
                out.append("")
            if g.witness is not None:
                out += [f"{_cap(w['witness_order'])}:", "", "```json", json_text(g.witness), "```", ""]
            if g.note:
                out += [_cap(note_line(g.note, lang, "")), ""]
    if r.uncompared:
        count = _shapes(len(r.uncompared)) if not ja else f"{len(r.uncompared)} 通り"
        out += [f"## {_cap(w['uncompared'].format(n=count).rstrip(':'))}", ""]
        for reason, help, shapes in _uncompared_blocks(r.uncompared, lang):
            out.append(f"- {reason}: {shapes}" + (f"{'。' if ja else '. '}{_cap(w['help'])}: {help}" if help else ""))
        out.append("")
    return safe_block("\n".join(out).rstrip() + "\n")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _md(text: str) -> str:
    """One line of Markdown: a newline in a name would start a line of its own."""
    return text.replace("\n", " ")
