"""How a diff is shown: what changed in names, then in meaning, each group of orders with its
rule, its witness and its boundary; as text, stable JSON, or Markdown for a review."""

from __future__ import annotations

import json

from ..analyse.diff import DiffGroup, DiffResult, NameChange

FORMAT = 1

_DIRECTION = {
    "rejected": ("newly rejected: the old version accepts, the new one rejects", "新たに拒否される申込み"),
    "accepted": ("newly accepted: the old version rejects, the new one accepts", "新たに受け付けられる申込み"),
}


def _name_line(n: NameChange) -> str:
    if n.change == "added":
        text = f"+ {n.what} `{n.path}`" + (f" \"{n.new}\"" if n.new and n.what != "rule" else "")
    elif n.change == "removed":
        text = f"- {n.what} `{n.path}`" + (f" \"{n.old}\"" if n.old and n.what != "rule" else "")
    elif n.change == "renamed":
        text = f"~ {n.what} `{n.path}`: \"{n.old}\" → \"{n.new or n.path}\""
    else:
        text = f"~ {n.what} `{n.path}` reworded" + (f" ({n.note})" if n.note else "")
    if n.note and n.change != "reworded":
        text += f" ({n.note})"
    return text


def _group_title(g: DiffGroup) -> str:
    return f"`{g.rule.id}` ({g.rule.citation})"


def _boundary_line(b) -> str:
    return f"boundary on `{b.path}`: {b.agree} (both versions agree) vs {b.differ} (they differ)"


def to_text(r: DiffResult, lang: str = "en") -> str:
    out = [f"diff {r.old.id} (as of {r.old.version}, {r.old.path}) → {r.new.id} (as of {r.new.version}, {r.new.path})", ""]
    out.append("names:" if r.names else "names: no change")
    out += ["  " + _name_line(n) for n in r.names]
    out.append("")
    if not r.complete:
        out.append(f"meaning: UNKNOWN, the comparison was cut short ({r.reason}); what is listed is real, "
                   "but the list may be incomplete")
    elif r.same_meaning:
        out.append("meaning: no semantic change: every order both versions can state is judged the same "
                   f"(proven over {len(r.shapes)} shapes of order)")
    for direction in ("rejected", "accepted"):
        groups = [g for g in r.groups if g.direction == direction]
        if not groups:
            continue
        out.append(_DIRECTION[direction][1 if lang == "ja" else 0] + ":")
        for g in groups:
            mark = "" if g.confirmed else "  [NOT CONFIRMED by the concrete validators]"
            out.append(f"  {_group_title(g)}, in {g.shape}" + (f" (also {', '.join(g.also)})" if g.also else "") + mark)
            if g.witness is not None:
                out.append("    witness: " + json.dumps(g.witness, ensure_ascii=False, separators=(",", ":")))
            for b in g.boundaries:
                out.append("    " + _boundary_line(b))
            if g.note:
                out.append(f"    note: {g.note}")
        out.append("")
    if r.skipped:
        out.append("not compared (a contract kind only one version has): " + ", ".join(r.skipped))
    return "\n".join(out).rstrip()


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
        "old": {"id": r.old.id, "version": r.old.version, "path": r.old.path},
        "new": {"id": r.new.id, "version": r.new.version, "path": r.new.path},
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
    out = [f"# tariff diff: {r.old.title}", "",
           f"Old: `{r.old.path}` (as of {r.old.version}). New: `{r.new.path}` (as of {r.new.version}).", ""]
    if not r.complete:
        out += [f"**Incomplete**: the comparison was cut short ({r.reason}).", ""]
    elif r.same_meaning:
        out += [f"**No semantic change**: every order both versions can state is judged the same "
                f"({len(r.shapes)} shapes of order compared).", ""]
    out += ["## Names", ""]
    out += [f"- {_name_line(n)}" for n in r.names] or ["No change."]
    out.append("")
    for direction in ("rejected", "accepted"):
        groups = [g for g in r.groups if g.direction == direction]
        if not groups:
            continue
        out += [f"## {_DIRECTION[direction][1 if lang == 'ja' else 0].capitalize()}", ""]
        for g in groups:
            out += [f"### {_group_title(g)}", "",
                    f"In {g.shape}" + (f"; also {', '.join(g.also)}" if g.also else "") + "."
                    + ("" if g.confirmed else " **Not confirmed by the concrete validators.**"), ""]
            for b in g.boundaries:
                out += [f"- {_boundary_line(b)}"]
            if g.boundaries:
                out.append("")
            if g.witness is not None:
                out += ["Witness order:", "", "```json", json.dumps(g.witness, ensure_ascii=False, indent=2), "```", ""]
            if g.note:
                out += [f"Note: {g.note}", ""]
    return "\n".join(out).rstrip() + "\n"
