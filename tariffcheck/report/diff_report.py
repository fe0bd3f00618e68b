"""How a diff is shown: what changed in names, then in meaning, each group of orders with its
rule, its witness and its boundary; as text, stable JSON, or Markdown for a review. Spec paths
are shown as `catalog.display_path` shows them (`specs/…` for a bundled tariff)."""

from __future__ import annotations

from ..analyse.diff import DiffGroup, DiffResult, NameChange
from ..catalog import display_path
from .check_report import note_line, version_text
from .terminal import json_text, safe_block, safe_lines

FORMAT = 1

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
           "skipped": "not compared (a contract kind only one version has)"},
    "ja": {"names": "名前", "no_change": "変更なし", "reworded": "文言の変更", "in": "申込みの形", "also": "ほかに",
           "witness": "例となる注文", "witness_order": "例となる注文",
           "boundary": "`{path}` の境界: {agree} (両版の判定が一致) と {differ} (判定が異なる)",
           "unconfirmed": "[具体検証器では確認されていません]",
           "cut_short": "意味: 不明。比較が途中で打ち切られました ({reason})。挙げたものは確かですが、"
                        "ほかにもあるかもしれません",
           "same": "意味: 変更なし。両版が表せるすべての注文を同じに判定します ({n} 通りの申込みの形で証明)",
           "skipped": "比較していないもの (一方の版にしかない契約の種類)"},
}

_WHAT_JA = {"contract": "契約", "dimension": "区分", "value": "値", "quantity": "数量", "flag": "フラグ", "date": "日付",
            "option": "オプション", "service": "サービス", "rule": "規定"}


def _name_line(n: NameChange, lang: str = "en") -> str:
    what = _WHAT_JA.get(n.what, n.what) if lang == "ja" else n.what
    if n.change == "added":
        text = f"+ {what} `{n.path}`" + (f" \"{n.new}\"" if n.new and n.what != "rule" else "")
    elif n.change == "removed":
        text = f"- {what} `{n.path}`" + (f" \"{n.old}\"" if n.old and n.what != "rule" else "")
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


def to_text(r: DiffResult, lang: str = "en") -> str:
    w = _WORDS[lang]
    out = [f"diff {_version(r.old, lang)} → {_version(r.new, lang)}", ""]
    out.append(f"{w['names']}:" if r.names else f"{w['names']}: {w['no_change']}")
    out += ["  " + _name_line(n, lang) for n in r.names]
    out.append("")
    if not r.complete:
        out.append(w["cut_short"].format(reason=r.reason))
    elif r.same_meaning:
        out.append(w["same"].format(n=len(r.shapes)))
    for direction in ("rejected", "accepted"):
        groups = [g for g in r.groups if g.direction == direction]
        if not groups:
            continue
        out.append(_DIRECTION[direction][1 if lang == "ja" else 0] + ":")
        for g in groups:
            mark = "" if g.confirmed else "  " + w["unconfirmed"]
            also = f" ({w['also']} {', '.join(g.also)})" if g.also else ""
            out.append(f"  {_group_title(g)}, {w['in']} {g.shape}{also}{mark}")
            if g.witness is not None:
                out.append(f"    {w['witness']}: " + json_text(g.witness, indent=None, separators=(",", ":")))
            for b in g.boundaries:
                out.append("    " + _boundary_line(b, lang))
            if g.note:
                out.append(note_line(g.note, lang, "    "))
        out.append("")
    if r.skipped:
        out.append(f"{w['skipped']}: " + ", ".join(r.skipped))
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
        "same_meaning": r.same_meaning,
        "complete": r.complete,
        "reason": r.reason,
        "shapes": list(r.shapes),
        "skipped": list(r.skipped),
        "names": [{"what": n.what, "change": n.change, "path": n.path, "old": n.old, "new": n.new, "note": n.note}
                  for n in r.names],
        "groups": [_group_json(g) for g in r.groups],
    }


def to_markdown(r: DiffResult, lang: str = "en") -> str:
    w = _WORDS[lang]
    ja = lang == "ja"
    out = [f"# tariff diff: {_md(r.old.title)}", "",
           f"{'旧版' if ja else 'Old'}: `{display_path(r.old.path)}` ({version_text(r.old, lang)}). "
           f"{'新版' if ja else 'New'}: `{display_path(r.new.path)}` ({version_text(r.new, lang)}).", ""]
    if not r.complete:
        out += [f"**{w['cut_short'].format(reason=r.reason)}**", ""]
    elif r.same_meaning:
        out += [f"**{w['same'].format(n=len(r.shapes))}**", ""]
    out += [f"## {_cap(w['names'])}", ""]
    out += [f"- {_md(_name_line(n, lang))}" for n in r.names] or [_cap(w["no_change"]) + ("" if ja else ".")]
    out.append("")
    for direction in ("rejected", "accepted"):
        groups = [g for g in r.groups if g.direction == direction]
        if not groups:
            continue
        out += [f"## {_cap(_DIRECTION[direction][1 if ja else 0])}", ""]
        for g in groups:
            also = f"; {w['also']} {', '.join(g.also)}" if g.also else ""
            out += [f"### {_group_title(g)}", "",
                    f"{_cap(w['in'])} {g.shape}{also}." + ("" if g.confirmed else f" **{w['unconfirmed']}**"), ""]
            for b in g.boundaries:
                out += [f"- {_boundary_line(b, lang)}"]
            if g.boundaries:
                out.append("")
            if g.witness is not None:
                out += [f"{_cap(w['witness_order'])}:", "", "```json", json_text(g.witness), "```", ""]
            if g.note:
                out += [_cap(note_line(g.note, lang, "")), ""]
    return safe_block("\n".join(out).rstrip() + "\n")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _md(text: str) -> str:
    """One line of Markdown: a newline in a name would start a line of its own."""
    return text.replace("\n", " ")
