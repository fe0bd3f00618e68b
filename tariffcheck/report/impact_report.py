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
    "newly_broken": {"en": "newly broken by this change", "ja": "この変更で新たに無効"},
    "already_broken": {"en": "already broken under the old version", "ja": "旧版でも無効"},
    "newly_valid": {"en": "newly valid (broken under the old version only)", "ja": "新たに有効 (旧版でのみ無効)"},
    "still_valid": {"en": "still valid", "ja": "引き続き有効"},
    "broken": {"en": "broken", "ja": "無効"},
    "valid": {"en": "valid", "ja": "有効"},
    "unknown": {"en": "no verdict", "ja": "判定なし"},
    "malformed": {"en": "malformed (not an order the new version can read)", "ja": "読めない行 (新版で注文として読めない)"},
}
WORDS = {
    "en": {"impact": "impact on", "new": "new version", "old": "old version", "none": "no version date",
           "contracts": "{n} contracts in {p} partition{s}", "rules": "rules broken (contracts):",
           "clauses": "per clause (contracts):", "options": "per option (contracts):",
           "items": "per item (contracts broken / contracts):", "more": "… and {n} more (see the JSON summary)",
           "errors": "malformed rows, per error code (each row is in the results with its errors):",
           "repairs": "repairs: {n} contracts repaired, total cost {c}, {k} changes", "results": "per-contract results:",
           "newly_broken": "newly broken", "already_broken": "already broken"},
    "ja": {"impact": "契約の影響:", "new": "新版", "old": "旧版", "none": "版の日付なし",
           "contracts": "契約 {n} 件 (区分 {p})", "rules": "反する規定 (契約数):", "clauses": "条項ごと (契約数):",
           "options": "オプションごと (契約数):", "items": "品目ごと (無効な契約数 / 契約数):",
           "more": "… ほか {n} 件 (JSON の集計を参照)", "errors": "読めない行 (エラーコードごと。各行はエラーとともに結果にあります):",
           "repairs": "修正: 契約 {n} 件を修正、コスト合計 {c}、変更 {k} 件", "results": "契約ごとの結果:",
           "newly_broken": "新たに無効", "already_broken": "旧版でも無効"},
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


def _split(c: dict, lang: str) -> str:
    parts = [f"{c[k]} {WORDS[lang][k]}" for k in ("newly_broken", "already_broken") if c.get(k)]
    return f" ({', '.join(parts)})" if parts else ""


def to_text(data: dict, lang: str = "en", limit: int = 15) -> str:
    w = WORDS[lang]
    new = data["tariff"]
    lines = [f"{new['title']} ({new['id']}), {w['impact']} {data['contracts']}"]
    if data["old"] is not None:
        lines.append(f"  {w['new']}: {new['version'] or w['none']}   {w['old']}: {data['old']['version'] or w['none']}")
    p = data["partitions"]
    lines.append("  " + w["contracts"].format(n=data["rows"], p=p, s="s" if p != 1 else ""))
    lines.append("")
    width = max((len(str(n)) for n in data["classes"].values()), default=1)
    for cls, word in CLASS_WORDS.items():
        if cls in data["classes"]:
            lines.append(f"  {data['classes'][cls]:>{width}}  {word[lang]}")
    sections = [("rules", lambda r: f"{r['rule']} {r['clause'] or ''}".rstrip(), data["rules"]),
                ("clauses", lambda r: r["clause"], data["clauses"]),
                ("options", lambda r: r["option"], data["options"])]
    for title, name, rows in sections:
        shown = [r for r in rows if _broken(r["rows"])]
        if shown:
            lines += ["", w[title]]
            for r in shown[:limit]:
                lines.append(f"  {_broken(r['rows']):>{width}}  {name(r)}{_split(r['rows'], lang)}")
            if len(shown) > limit:
                lines.append("  " + w["more"].format(n=len(shown) - limit))
    items = sorted((r for r in data["items"] if _broken(r["rows"])), key=lambda r: -_broken(r["rows"]))
    if items:
        lines += ["", w["items"]]
        for r in items[:limit]:
            lines.append(f"  {_broken(r['rows']):>{width}} / {sum(r['rows'].values())}  {r['item']}"
                         f"{_split(r['rows'], lang)}")
    if data["errors"]:
        lines += ["", w["errors"]]
        for code, n in data["errors"].items():
            lines.append(f"  {n:>{width}}  {code}")
    if "repairs" in data:
        r = data["repairs"]
        line = w["repairs"].format(n=r["status"].get("repaired", 0), c=r["cost"], k=r["changes"])
        lines += ["", line + "".join(f"; {n} {s}" for s, n in r["status"].items() if s != "repaired")]
    lines += ["", f"{w['results']} {data['results']}"]
    return safe_lines(lines)
