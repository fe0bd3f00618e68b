"""How lint findings are shown: compiler-style text on a terminal, stable JSON for programs, and
a Markdown report a product manager can attach to a review (docs/lint.md). A spec's path is
shown as `catalog.display_path` shows it everywhere (`specs/…` for a bundled tariff)."""

from __future__ import annotations

import dataclasses

from ..analyse.finding import CODES, SEVERITIES, Finding
from ..analyse.lint import LintResult
from ..catalog import display_path
from ..common.diagnostics import Diagnostic
from .check_report import version_text
from .terminal import json_text, render_safely, safe_block, safe_lines, safe_text

FORMAT = 1

_WORDS = {
    "en": {"why": "why", "rules": "rules", "witness": "witness order", "seconds": "s",
           "error": "{n} error{s}", "warning": "{n} warning{s}", "info": "{n} info",
           "title": "tariff lint report", "no_load": "does not load", "none": "No findings.",
           "head": "| severity | code | clause | where | finding |", "Rules": "Rules", "Witness": "Witness order"},
    "ja": {"why": "理由", "rules": "規定", "witness": "例となる注文", "seconds": "秒",
           "error": "エラー {n} 件", "warning": "警告 {n} 件", "info": "情報 {n} 件",
           "title": "tariff lint の報告", "no_load": "読み込めません", "none": "指摘はありません。",
           "head": "| 重大度 | コード | 条項 | 場所 | 指摘 |", "Rules": "規定", "Witness": "例となる注文"},
}


# what each code means (analyse.finding.CODES), for the Markdown report under `--lang ja`
CODES_JA = {
    "L000": "料金表を読み込めません (構文または名前解決の誤り)。",
    "L001": "料金表が矛盾しています: 有効な申込みがありません。",
    "L002": "オプションを販売できません: それを含む有効な申込みがありません。",
    "L003": "区分のある値を有効な申込みで選べません。",
    "L004": "オプションがすべての有効な申込みに含まれます (選択できません)。",
    "L005": "選択できるはずのオプションが、ある品目の有効な新規の申込みすべてに含まれます。",
    "L006": "規定が他の規定から導かれます (重複)。",
    "L007": "規定に反することができないか、規定が適用されることがありません (空の規定)。",
    "L008": "数量や数が、料金表が認めるように見える値を取れません。",
    "L009": "同じオプションについての二つの規定が一致しません。",
    "L010": "名前が定義されていますが、どの規定、期間、日付、料金にも使われていません。",
    "L011": "二つの正式名称が互いの書き誤りのように見えます。",
    "L012": "附則が置き換えた名前、または廃止した値を参照しています。",
    "L013": "ほかの料金表への参照を検査できませんでした。",
    "L014": "解析がソルバーの制限時間で打ち切られました。",
    "L015": "規定、料金または日付が、本文が名前を挙げるだけで定義していないオプションを参照しています。",
    "L016": "品目やオプションに料金がなく、無料とも書かれていません。",
    "L017": "料金が、期間を定めていない条項の期間についてのものになっています。",
    "L018": "引用が原文にない条項を指しています。",
}
assert set(CODES_JA) == set(CODES), "every lint code has its Japanese meaning"


def _diagnostic(f: Finding, lang: str) -> Diagnostic:
    w = _WORDS[lang]
    message = f.message_ja if lang == "ja" and f.message_ja else f.message
    notes = []
    explanation = _explanation(f, lang)
    if explanation:
        notes.append(f"{w['why']}: {explanation}")
    if f.rules:
        notes.append(f"{w['rules']}: " + ", ".join(f.rules))
    if f.witness is not None:
        notes.append(f"{w['witness']}: " + json_text(f.witness, indent=None, separators=(",", ":")))
    span = dataclasses.replace(f.span, file=display_path(f.span.file)) if f.span is not None else None
    return Diagnostic(f.code, message, span, label=f.clause, notes=notes, severity=f.severity)


def _explanation(f: Finding, lang: str) -> str:
    return f.explanation_ja if lang == "ja" and f.explanation_ja else f.explanation


def summary(r: LintResult, lang: str = "en") -> str:
    w = _WORDS[lang]
    counts = ", ".join(w[s].format(n=r.count(s), s="s" if r.count(s) != 1 else "") for s in SEVERITIES)
    took = sum(r.seconds.values())
    name = r.tariff.id if r.tariff is not None else r.spec
    return safe_text(f"{name}: {counts}" + (f" ({took:.2f} {w['seconds']})" if r.tariff is not None else ""))


def to_text(results: list[LintResult], lang: str = "en", quiet_info: bool = False) -> str:
    blocks = []
    for r in results:
        sources = {display_path(r.tariff.path): r.tariff.text} if r.tariff is not None else {}
        shown = [f for f in r.findings if not (quiet_info and f.severity == "info")]
        blocks.extend(render_safely([_diagnostic(f, lang)], sources) for f in shown)
    blocks.append(safe_lines([summary(r, lang) for r in results]))
    return "\n\n".join(blocks)


def to_json(results: list[LintResult]) -> dict:
    return {
        "format": FORMAT,
        "specs": [{
            "spec": r.spec,
            "tariff": None if r.tariff is None else {"id": r.tariff.id, "title": r.tariff.title,
                                                     "version": r.tariff.version, "path": display_path(r.tariff.path)},
            "counts": {s: r.count(s) for s in SEVERITIES},
            "complete": r.complete,
            "seconds": {k: round(v, 4) for k, v in r.seconds.items()},
            "findings": [_finding_json(f) for f in r.findings],
        } for r in results],
    }


def _finding_json(f: Finding) -> dict:
    out = f.to_json()
    if out.get("span"):
        out["span"] = dict(out["span"], file=display_path(out["span"]["file"]))
    return out


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(results: list[LintResult], lang: str = "en") -> str:
    w = _WORDS[lang]
    ja = lang == "ja"
    out = [f"# {w['title']}", ""]
    for r in results:
        if r.tariff is not None:
            out.append(f"## {_md(r.tariff.title)} (`{r.tariff.id}`, {version_text(r.tariff, lang)})")
        else:
            out.append(f"## `{_md(r.spec)}` ({w['no_load']})")
        out.append("")
        out.append(summary(r, lang))
        out.append("")
        if not r.findings:
            out.append(w["none"])
            out.append("")
            continue
        out.append(w["head"])
        out.append("| --- | --- | --- | --- | --- |")
        for f in r.findings:
            where = f"{display_path(f.span.file)}:{f.span.line}" if f.span else ""
            message = f.message_ja if lang == "ja" and f.message_ja else f.message
            out.append(f"| {f.severity} | {f.code} | {_md(f.clause or '')} | {_md(where)} | {_md(message)} |")
        out.append("")
        for f in r.findings:
            if not (f.explanation or f.witness):
                continue
            message = f.message_ja if lang == "ja" and f.message_ja else f.message
            out.append(f"### {f.code}: {_md(message)}")
            out.append("")
            what = CODES_JA[f.code] if ja else CODES[f.code] + "."
            out.append(f"*{what}* {_explanation(f, lang)}")
            if f.rules:
                out.append("")
                out.append(f"{w['Rules']}: " + ", ".join(f"`{x}`" for x in f.rules))
            if f.witness is not None:
                out.append("")
                out.append(f"{w['Witness']}:")
                out.append("")
                out.append("```json")
                out.append(json_text(f.witness))
                out.append("```")
            out.append("")
    return safe_block("\n".join(out).rstrip() + "\n")
