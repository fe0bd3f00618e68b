"""HTML reports for a reader who would rather look than read JSON: `tariff diff --format html`,
`tariff lint --format html` and the page of `tariff review`, one self-contained file each (inline
CSS, inline SVG, no script, nothing fetched: the page's Content-Security-Policy forbids it).

Pages are Jinja2 templates (templates/, package data) over plain view dicts built here: every
witness as tables in the tariff's own names (readable.py), every citation with the words it
cites (model/clauses.py), an old and a new text side by side with the difference marked
(difflib, by character: the texts are Japanese). Jinja2 escapes every value, so a name or a
clause cannot add markup to the page.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from ..analyse.diff import DiffGroup, DiffResult
from ..analyse.finding import CODES
from ..analyse.lint import LintResult
from ..catalog import display_path
from ..model import tariff as M
from ..model.citation import Citation, CitationError, parse_citation
from ..model.clauses import cited_words
from . import diff_report
from .check_report import version_text
from .japanese import in_japanese, shape_in_japanese
from .lint_report import CODES_JA, summary as lint_summary
from .readable import field_label, readable_order

TEMPLATES = Path(__file__).parent / "templates"

_WORDS = {
    "en": {"names": "Names", "unconfirmed": "not confirmed by the concrete validators", "shapes": "kinds of order",
           "boundary": "boundary", "agree": "both versions agree", "differ": "they differ",
           "rule_says": "What the rule says", "witness": "An order that shows it", "old": "old version",
           "new": "new version", "same_words": "The words are the same in both versions.",
           "no_text": "the source text was not found", "no_clause": "the source text has no such clause",
           "no_rule": "the rule is not in this version", "uncompared": "Not compared",
           "no_findings": "No findings.", "rules": "rules", "where": "in the spec", "lint_title":
           "Lint findings of the new version", "same_meaning": "meaning of the two versions", "kinds_rejected":
           "kinds of order become rejected", "kinds_accepted": "kinds of order become accepted",
           "lint_findings": "lint findings (new version)", "contracts_broken": "existing contracts broken",
           "contracts_title": "Existing contracts the change breaks", "line": "line",
           "contract_ids": "contracts", "what": "why", "yes": "same", "no": "different", "not_proven": "not proven",
           "chart": "kinds of order changed, per rule", "chart_contracts": "contracts broken, per rule",
           "rejected": "newly rejected", "accepted": "newly accepted",
           "error": "error", "warning": "warning", "info": "info",
           "footer": "Made by tariffcheck. Every order shown was checked by both versions' validators; "
                     "every clause is quoted from the tariff's source text."},
    "ja": {"names": "名前の変更", "unconfirmed": "具体検証器では確認されていません", "shapes": "申込みの形",
           "boundary": "境界", "agree": "両版の判定が一致", "differ": "判定が異なる", "rule_says": "規定の文言",
           "witness": "例となる注文", "old": "旧版", "new": "新版", "same_words": "両版で原文の文言は同じです。",
           "no_text": "原文が見つかりません", "no_clause": "原文にこの条項はありません",
           "no_rule": "この版にこの規定はありません", "uncompared": "比較できなかった申込みの形",
           "no_findings": "指摘はありません。", "rules": "規定", "where": "仕様の位置",
           "lint_title": "新版の lint の指摘", "same_meaning": "意味は同じか", "kinds_rejected": "種類の申込みが新たに拒否",
           "kinds_accepted": "種類の申込みが新たに受付", "lint_findings": "件の lint の指摘 (新版)",
           "contracts_broken": "件の既存契約が新版の規定に反する", "contracts_title": "変更で規定に反する既存の契約",
           "line": "行", "contract_ids": "契約", "what": "理由", "yes": "同じ", "no": "異なる",
           "not_proven": "証明されていません", "chart": "規定ごとの判定が変わる申込みの形の数",
           "chart_contracts": "規定ごとの規定に反する契約の数", "rejected": "新たに拒否", "accepted": "新たに受付",
           "error": "エラー", "warning": "警告", "info": "情報",
           "footer": "tariffcheck が作成しました。例となる注文はすべて両版の検証器で確かめ、条項の文言は料金表の原文から引用しています。"},
}

_COLORS = {"rejected": "#b42318", "accepted": "#067647", "contracts": "#b42318"}


def words(lang: str) -> dict[str, str]:
    return _WORDS[lang if lang in _WORDS else "en"]


def _environment():
    import jinja2  # only the HTML reports need it

    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render(template: str, **context) -> str:
    return _environment().get_template(template).render(**context)


# ---- texts side by side ----------------------------------------------------------------------------
def marked(old: str, new: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The two texts as segments (text, "same" | "del" | "ins"): what only the old has is `del`,
    what only the new has is `ins`."""
    a, b = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            a.append((old[i1:i2], "same"))
            b.append((new[j1:j2], "same"))
        else:
            if i2 > i1:
                a.append((old[i1:i2], "del"))
            if j2 > j1:
                b.append((new[j1:j2], "ins"))
    return a, b


def side_by_side(old: str | None, new: str | None, w: dict, old_missing: str, new_missing: str) -> dict:
    if old is not None and new is not None:
        a, b = marked(old, new)
    else:
        a = None if old is None else [(old, "same")]
        b = None if new is None else [(new, "same")]
    return {"old": a, "new": b, "same": old is not None and old == new, "old_head": w["old"], "new_head": w["new"],
            "old_missing": old_missing, "new_missing": new_missing}


def _clause_words(t: M.Tariff, c: Citation, w: dict, beside: M.Tariff | None = None) -> tuple[str | None, str]:
    """The words `c` cites in the text of `t`, or why there are none. `beside`: the other version
    of the tariff, whose place is searched too when `t` names the same text (an old version kept
    outside the checkout still cites the text the new one was found beside)."""
    found = cited_words(t.source, t.path, c)
    if found.source is None and beside is not None and beside.source == t.source:
        found = cited_words(beside.source, beside.path, c)
    if found.source is None:
        return None, w["no_text"]
    return found.words, (w["no_clause"] if found.words is None else "")


# ---- diff ------------------------------------------------------------------------------------------
def diff_view(r: DiffResult, lang: str = "en") -> dict:
    w = words(lang)
    ja = lang == "ja"
    sections = []
    for direction in ("rejected", "accepted"):
        groups = [_group_view(r, g, lang) for g in r.groups if g.direction == direction]
        if groups:
            sections.append({"title": diff_report._DIRECTION[direction][1 if ja else 0], "groups": groups})
    return {
        "status": r.status,
        "verdict": diff_report.verdict(r, lang),
        "names": [diff_report._name_line(n, lang) for n in r.names],
        "sections": sections,
        "uncompared": [f"{reason}: {shapes}" for reason, _, shapes in diff_report._uncompared_blocks(r.uncompared, lang)],
    }


def _group_view(r: DiffResult, g: DiffGroup, lang: str) -> dict:
    w = words(lang)
    # the rule responsible is the new version's for newly rejected orders, the old's for newly accepted
    old_rule = g.rule if g.direction == "accepted" else next((x for x in r.old.rules if x.id == g.rule.id), None)
    new_rule = g.rule if g.direction == "rejected" else next((x for x in r.new.rules if x.id == g.rule.id), None)
    key = "ja" if lang == "ja" else "en"
    message = side_by_side(old_rule.messages.get(key) if old_rule else None,
                           new_rule.messages.get(key) if new_rule else None, w, w["no_rule"], w["no_rule"])
    clauses = []
    for c in [g.rule.citation, *g.rule.also]:
        old_words, old_missing = _clause_words(r.old, c, w, r.new)
        new_words, new_missing = _clause_words(r.new, c, w, r.old)
        clauses.append({"citation": str(c), **side_by_side(old_words, new_words, w, old_missing, new_missing)})
    shape = (lambda s: shape_in_japanese(s)) if lang == "ja" else (lambda s: s)
    return {
        "direction": g.direction,
        "direction_label": w[g.direction],
        "rule_id": g.rule.id,
        "citation": str(g.rule.citation),
        "confirmed": g.confirmed,
        "shapes": [shape(s) for s in [g.shape, *g.also]],
        "boundaries": [{"label": field_label(b.path, g.witness, r.new, lang), "agree": b.agree, "differ": b.differ}
                       for b in g.boundaries],
        "message": message,
        "clauses": clauses,
        "witness": readable_order(g.witness, r.new, lang) if g.witness is not None else None,
        "note": (in_japanese(g.note) if lang == "ja" else g.note) if g.note else None,
    }


def _title(r: DiffResult, lang: str) -> tuple[str, str]:
    title = r.new.title if r.old.title == r.new.title else f"{r.old.title} → {r.new.title}"
    sub = (f"{words(lang)['old']}: {display_path(r.old.path)} ({version_text(r.old, lang)}) → "
           f"{words(lang)['new']}: {display_path(r.new.path)} ({version_text(r.new, lang)})")
    return title, sub


def diff_page(r: DiffResult, lang: str = "en") -> str:
    title, sub = _title(r, lang)
    return render("diff.html", lang=lang, w=words(lang), title=f"tariff diff: {title}", subtitle=sub,
                  diff=diff_view(r, lang))


# ---- lint ------------------------------------------------------------------------------------------
def lint_view(results: list[LintResult], lang: str = "en") -> list[dict]:
    w = words(lang)
    out = []
    for r in results:
        t = r.tariff
        title = f"{t.title} ({t.id}, {version_text(t, lang)})" if t is not None else r.spec
        findings = []
        for f in r.findings:
            text, missing = None, ""
            if f.clause and t is not None:
                try:
                    text, missing = _clause_words(t, parse_citation(f.clause), w)
                except CitationError:
                    missing = w["no_clause"]
            findings.append({
                "severity": f.severity, "severity_label": w[f.severity], "code": f.code, "clause": f.clause,
                "message": f.message_ja if lang == "ja" and f.message_ja else f.message,
                "meaning": CODES_JA[f.code] if lang == "ja" else CODES[f.code].capitalize() + ".",
                "explanation": f.explanation_ja if lang == "ja" and f.explanation_ja else f.explanation,
                "words": text, "words_missing": missing, "rules": list(f.rules),
                "where": f"{display_path(f.span.file)}:{f.span.line}" if f.span else "",
                "witness": readable_order(f.witness, t, lang) if f.witness is not None and t is not None else None,
            })
        out.append({"title": title, "summary": lint_summary(r, lang), "findings": findings})
    return out


def lint_page(results: list[LintResult], lang: str = "en") -> str:
    title = "tariff lint" + (f": {results[0].tariff.title}" if len(results) == 1 and results[0].tariff else "")
    return render("lint.html", lang=lang, w=words(lang), title=title, lint=lint_view(results, lang))


# ---- review ----------------------------------------------------------------------------------------
def bar_chart(items: list[tuple[str, int, str]], title: str, width: int = 760) -> dict:
    """An SVG bar chart's geometry: one bar per (label, value, colour), longest value full width."""
    label_width = min(360, 40 + 8 * max((len(x[0]) for x in items), default=0))
    room = width - label_width - 40
    top = max((v for _, v, _ in items), default=0) or 1
    bars = [{"label": label, "value": value, "color": color, "y": 6 + 22 * i, "length": max(2, round(room * value / top))}
            for i, (label, value, color) in enumerate(items)]
    return {"title": title, "width": width, "height": 12 + 22 * len(bars), "label_width": label_width, "bars": bars}


def review_page(r: DiffResult, lint: LintResult | None, lang: str = "ja", contracts: dict | None = None) -> str:
    w = words(lang)
    title, sub = _title(r, lang)
    rejected = [g for g in r.groups if g.direction == "rejected"]
    accepted = [g for g in r.groups if g.direction == "accepted"]
    same = r.same_meaning
    summary = {"same": bool(same), "same_word": w["yes"] if same else (w["no"] if same is False else w["not_proven"]),
               "rejected": len(rejected), "accepted": len(accepted),
               "findings": len(lint.findings) if lint is not None else 0}
    items = [(f"{g.rule.citation} {g.rule.id}", 1 + len(g.also), _COLORS[g.direction]) for g in rejected + accepted]
    return render("review.html", lang=lang, w=w, title=f"tariff review: {title}", subtitle=sub, summary=summary,
                  chart=bar_chart(items, w["chart"]), diff=diff_view(r, lang),
                  lint=lint_view([lint], lang) if lint is not None else [], contracts=contracts)


def contracts_view(bc, new: M.Tariff, lang: str = "ja") -> dict:
    """The view of `analyse.broken_contracts.BrokenContracts`: counts, a chart and the first rows
    of each rule, with the words of the rule's clause."""
    w = words(lang)
    rules = []
    for key, entry in sorted(bc.by_rule.items(), key=lambda kv: -kv[1].count):
        rule = entry.rule
        text = _clause_words(new, rule.citation, w)[0] if rule is not None else None
        rules.append({"rule_id": rule.id if rule is not None else "", "citation": str(rule.citation) if rule else key,
                      "count": entry.count, "words": text,
                      "rows": [{"line": r.line, "ids": ", ".join(r.contract_ids), "message": r.message}
                               for r in entry.rows]})
    if lang == "ja":
        summary = f"{bc.total} 件の契約のうち {bc.broken} 件が、旧版では有効で新版では規定に反します。"
        unreadable = f"旧版でも読めない行が {len(bc.unreadable)} 件あります (最初は {bc.unreadable[0][0]} 行目: " \
                     f"{bc.unreadable[0][1]})。" if bc.unreadable else ""
    else:
        summary = f"{bc.broken} of {bc.total} contracts are valid under the old version and break the new one."
        unreadable = f"{len(bc.unreadable)} lines the old version cannot read either (the first, line " \
                     f"{bc.unreadable[0][0]}: {bc.unreadable[0][1]})." if bc.unreadable else ""
    chart = bar_chart([(f"{r['citation']} {r['rule_id']}".strip(), r["count"], _COLORS["contracts"]) for r in rules],
                      w["chart_contracts"])
    return {"total": bc.total, "broken": bc.broken, "summary": summary, "chart": chart, "rules": rules,
            "unreadable": unreadable}
