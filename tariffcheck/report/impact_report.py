"""How the impact of a new version on the installed base is shown: the summary as text for
people and stable JSON for programs (docs/impact.md). The per-contract results are the JSON of
`tariff check` per row (impact/judge.py); this module shows their counts.
"""

from __future__ import annotations

import json

from ..model import tariff as M
from .check_report import tariff_json
from .terminal import safe_lines

FORMAT = 1

CLASS_WORDS = {  # in the order the text lists them
    "newly_broken": "newly broken by this change",
    "already_broken": "already broken under the old version",
    "newly_valid": "newly valid (broken under the old version only)",
    "still_valid": "still valid",
    "broken": "broken",
    "valid": "valid",
    "unknown": "no verdict",
    "malformed": "malformed (not an order the new version can read)",
}
BROKEN_CLASSES = ("newly_broken", "already_broken", "broken")


def to_json(new: M.Tariff, old: M.Tariff | None, contracts: str, partitions: int, results: str, counts: dict,
            repair: bool) -> dict:
    out = {
        "format": FORMAT,
        "tariff": tariff_json(new),
        "old": tariff_json(old) if old is not None else None,
        "contracts": contracts,
        "partitions": partitions,
        "results": results,
        "rows": counts["rows"],
        "classes": counts["classes"],
        "rules": [{"rule": rule, "clause": counts["rule_clauses"].get(rule), "rows": c}
                  for rule, c in counts["rules"].items()],
        "clauses": [{"clause": clause, "rows": c} for clause, c in counts["clauses"].items()],
        "items": [{"item": item, "rows": c} for item, c in counts["items"].items()],
        "options": [{"option": option, "rows": c} for option, c in counts["options"].items()],
        "errors": counts["errors"],
    }
    if repair:
        out["repairs"] = counts["repairs"]
    return out


def json_bytes(data: dict) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _broken(c: dict) -> int:
    return sum(c.get(k, 0) for k in BROKEN_CLASSES)


def _split(c: dict) -> str:
    parts = [f"{c[k]} {k.replace('_', ' ')}" for k in ("newly_broken", "already_broken") if c.get(k)]
    return f" ({', '.join(parts)})" if parts else ""


def to_text(data: dict, limit: int = 15) -> str:
    new = data["tariff"]
    lines = [f"{new['title']} ({new['id']}), impact on {data['contracts']}"]
    if data["old"] is not None:
        lines.append(f"  new version: {new['version']}   old version: {data['old']['version']}")
    lines.append(f"  {data['rows']} contracts in {data['partitions']} partition{'s' if data['partitions'] != 1 else ''}")
    lines.append("")
    width = max((len(str(n)) for n in data["classes"].values()), default=1)
    for cls, word in CLASS_WORDS.items():
        if cls in data["classes"]:
            lines.append(f"  {data['classes'][cls]:>{width}}  {word}")
    sections = [("rules broken", "rule", lambda r: f"{r['rule']} {r['clause'] or ''}".rstrip(), data["rules"]),
                ("per clause", "clause", lambda r: r["clause"], data["clauses"]),
                ("per option", "option", lambda r: r["option"], data["options"])]
    for title, _, name, rows in sections:
        shown = [r for r in rows if _broken(r["rows"])]
        if shown:
            lines += ["", f"{title} (contracts):"]
            for r in shown[:limit]:
                lines.append(f"  {_broken(r['rows']):>{width}}  {name(r)}{_split(r['rows'])}")
            if len(shown) > limit:
                lines.append(f"  … and {len(shown) - limit} more (see the JSON summary)")
    items = sorted((r for r in data["items"] if _broken(r["rows"])), key=lambda r: -_broken(r["rows"]))
    if items:
        lines += ["", "per item (contracts broken / contracts):"]
        for r in items[:limit]:
            lines.append(f"  {_broken(r['rows']):>{width}} / {sum(r['rows'].values())}  {r['item']}{_split(r['rows'])}")
    if data["errors"]:
        lines += ["", "malformed rows, per error code (each row is in the results with its errors):"]
        for code, n in data["errors"].items():
            lines.append(f"  {n:>{width}}  {code}")
    if "repairs" in data:
        r = data["repairs"]
        done = r["status"].get("repaired", 0)
        lines += ["", f"repairs: {done} contract{'s' if done != 1 else ''} repaired, total cost {r['cost']}, "
                      f"{r['changes']} change{'s' if r['changes'] != 1 else ''}"
                  + "".join(f"; {n} {s}" for s, n in r["status"].items() if s != "repaired")]
    lines += ["", f"per-contract results: {data['results']}"]
    return safe_lines(lines)

