"""How a diff is shown: what changed in names, then in meaning, each group of orders with its
rule, its witness and its boundary, and the shapes of order that could not be compared; as text,
stable JSON, or Markdown for a review.

The verdict on meaning comes from `DiffResult.status` alone, so no report can call a comparison
proven that the result does not prove."""

from __future__ import annotations

import json

from ..analyse.diff import DiffGroup, DiffResult, NameChange, Uncompared

FORMAT = 2  # 2: `status`, `uncompared` (was `skipped`); `same_meaning` is null when not proven

_DIRECTION = {
    "rejected": ("newly rejected: the old version accepts, the new one rejects", "新たに拒否される申込み"),
    "accepted": ("newly accepted: the old version rejects, the new one accepts", "新たに受け付けられる申込み"),
}


def _name_line(n: NameChange) -> str:
    if n.change == "added":
        text = f"+ {n.what} `{n.path}`" + (f" \"{n.new}\"" if n.new and n.what != "rule" else "")
    elif n.change == "removed":
        text = f"- {n.what} `{n.path}`" + (f" \"{n.old}\"" if n.old and n.what != "rule" else "")
    elif n.change == "renamed" and n.old == n.new:  # the id changed, not the official name
        text = f"~ {n.what} `{n.path}`"
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


def _shapes(n: int) -> str:
    return f"{n} shape{'s' if n != 1 else ''} of order"


def verdict(r: DiffResult) -> str:
    """One sentence on meaning, after `meaning: `."""
    status = r.status
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


def _uncompared_blocks(items: list[Uncompared]) -> list[tuple[str, str | None, str]]:
    """(reason, help, the shapes) for each reason, in the order first met; a help already given
    for an earlier reason is not repeated."""
    found: dict[str, tuple[str | None, dict[str, list[str]]]] = {}
    helps = set()
    for u in items:
        if u.reason not in found:
            found[u.reason] = (u.help if u.help not in helps else None, {"old": [], "new": []})
            helps.add(u.help)
        found[u.reason][1][u.version].append(u.shape)
    out = []
    for reason, (help, by_version) in found.items():
        old, new = by_version["old"], by_version["new"]
        if old and new:
            shapes = (", ".join(new) + " (in both versions)" if old == new
                      else f"{', '.join(new)} (new version); {', '.join(old)} (old version)")
        else:
            shapes = ", ".join(old or new)
        out.append((reason, help, shapes))
    return out


def to_text(r: DiffResult, lang: str = "en") -> str:
    out = [f"diff {r.old.id} (as of {r.old.version}, {r.old.path}) → {r.new.id} (as of {r.new.version}, {r.new.path})", ""]
    if not r.related:
        out.append("names: not compared")
    else:
        out.append("names:" if r.names else "names: no change")
        out += ["  " + _name_line(n) for n in r.names]
    out.append("")
    out.append("meaning: " + verdict(r))
    out.append("")
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
    if r.uncompared:
        out.append(f"not compared ({_shapes(len(r.uncompared))}):")
        for reason, help, shapes in _uncompared_blocks(r.uncompared):
            out.append(f"  {reason}: {shapes}")
            if help:
                out.append(f"    help: {help}")
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
    title = r.old.title if r.old.title == r.new.title else f"{r.old.title} → {r.new.title}"
    out = [f"# tariff diff: {title}", "",
           f"Old: `{r.old.path}` (as of {r.old.version}). New: `{r.new.path}` (as of {r.new.version}).", ""]
    out += [f"**Meaning**: {verdict(r)}.", ""]
    out += ["## Names", ""]
    if not r.related:
        out.append("Not compared: two different tariffs.")
    else:
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
    if r.uncompared:
        out += [f"## Not compared ({_shapes(len(r.uncompared))})", ""]
        for reason, help, shapes in _uncompared_blocks(r.uncompared):
            out.append(f"- {reason}: {shapes}" + (f". Help: {help}" if help else ""))
        out.append("")
    return "\n".join(out).rstrip() + "\n"
