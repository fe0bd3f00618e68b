"""How `tariff test` shows its runs: text for people, stable JSON for CI (docs/testing.md).

A run is a `tariffcheck.testing.runner.TestRun`; this module reads its fields and imports
nothing of testing/ (reports sit below it in the import graph, docs/architecture.md). The
JSON form's `format` number changes only when a field is removed or changes meaning.
"""

from __future__ import annotations

import unicodedata

from ..catalog import display_path
from ..model import tariff as M
from .check_report import heading, tariff_json
from .japanese import localised
from .terminal import render_safely, safe_lines

FORMAT = 1

_WORDS = {
    "en": {
        "cases": "{n} cases", "from": "tests", "pass": "PASS", "fail": "FAIL", "disagree": "DISAGREEMENT",
        "summary_pass": "all {n} cases pass", "summary_fail": "{f} of {n} cases fail",
        "expected": "expected {x}", "got": "got {x}", "bad_input": "bad input", "any_code": "any code",
        "valid": "valid", "invalid": "invalid", "diff": ("--- expected", "+++ actual"),
        "internal": "internal: the concrete validator and Z3 disagree on this order (a fault of tariffcheck, "
                    "not of the spec)",
        "no_verdict": "Z3 gave no verdict: {r}",
        "coverage": "coverage: {c} of {n} rules accepted and rejected by some case",
        "head": ("rule", "clause", "accepted", "rejected"),
        "gaps": "not fully covered:", "no_accept": "no case accepts it", "no_reject": "no case rejects it",
        "total": "{s} specs: {f} of {n} cases fail, {g} rules not fully covered",
        "effective": "takes effect {k}: expected {x}, got {y}", "no_day": "no such day",
        "clauses": "clauses broken:", "unstated": "invalid cases that do not state the clauses they break:",
    },
    "ja": {
        "cases": "{n} 件", "from": "テスト", "pass": "PASS", "fail": "FAIL", "disagree": "DISAGREEMENT",
        "summary_pass": "{n} 件すべて合格", "summary_fail": "{n} 件中 {f} 件が不合格",
        "expected": "期待: {x}", "got": "結果: {x}", "bad_input": "入力誤り", "any_code": "任意のコード",
        "valid": "有効", "invalid": "無効", "diff": ("--- 期待", "+++ 結果"),
        "internal": "内部エラー: この注文について具体検証器と Z3 の判定が一致しません (仕様ではなく tariffcheck の不具合です)",
        "no_verdict": "Z3 が判定できませんでした: {r}",
        "coverage": "網羅: {n} 規定中 {c} 規定が受理・拒否の両方のケースを持ちます",
        "head": ("規定", "条項", "受理", "拒否"),
        "gaps": "網羅されていない規定:", "no_accept": "受理するケースがありません", "no_reject": "拒否するケースがありません",
        "total": "{s} 仕様: {n} 件中 {f} 件が不合格、網羅されていない規定 {g} 件",
        "effective": "効力が生じる日 {k}: 期待 {x}、結果 {y}", "no_day": "該当する日なし",
        "clauses": "違反した条項:", "unstated": "違反する条項を記載していない無効ケース:",
    },
}


def clause(tariff: M.Tariff, instance: str) -> str:
    """`rule_id (第5条第2項)`, or the name alone when the spec has no such rule."""
    rule = tariff.rule(instance.split(":", 1)[0])
    return f"{instance} ({rule.citation})" if rule is not None else instance


# ---- text ---------------------------------------------------------------------------------------
def to_text(runs: list, lang: str = "en", verbose: bool = False) -> str:
    w = _WORDS[lang]
    blocks = [_run_text(run, w, verbose, lang) for run in runs]
    if len(runs) > 1:
        n = sum(len(r.outcomes) for r in runs)
        f = sum(len(r.failures) for r in runs)
        g = sum(len(r.uncovered) for r in runs)
        blocks.append(w["total"].format(s=len(runs), n=n, f=f, g=g))
    return "\n\n".join(blocks)


def _run_text(run, w: dict, verbose: bool, lang: str) -> str:
    t = run.tariff
    lines = [f"{display_path(t.path)}: {heading(t, lang)}",
             f"  {w['from']}: {run.tests_file or '-'}, {w['cases'].format(n=len(run.outcomes))}"]
    for o in run.outcomes:
        if o.passed:
            if verbose:
                lines.append(f"  {w['pass']} #{o.case.index} {o.case.name}")
            continue
        lines.append("")
        lines.extend(_failure_text(t, o, w, lang))
    lines.append("")
    n, f = len(run.outcomes), len(run.failures)
    lines.append(f"{w['pass']}: " + w["summary_pass"].format(n=n) if not f
                 else f"{w['fail']}: " + w["summary_fail"].format(f=f, n=n))
    lines.append("")
    lines.extend(_coverage_text(run, w))
    return safe_lines(lines)


def _failure_text(t: M.Tariff, o, w: dict, lang: str = "en") -> list[str]:
    if o.result == "disagreement":
        lines = [f"  {w['disagree']} #{o.case.index} {o.case.name}", f"    {w['internal']}"]
        for engine, (status, broken) in o.engines.items():
            lines.append(f"    {engine + ':':10}{w.get(status, status)}")
            lines.extend(f"{'':14}{clause(t, b)}" for b in broken)
        if o.reason:
            lines.append("    " + w["no_verdict"].format(r=localised(o.reason, lang)))
        return lines
    lines = [f"  {w['fail']} #{o.case.index} {o.case.name}"]
    if o.case.expect != o.got or o.got == "error":  # else the diff below says what differs
        lines.append("    " + w["expected"].format(x=_verdict_text(o.case.expect, o.case.codes, w)) + ", "
                     + w["got"].format(x=_verdict_text(o.got, o.codes, w)))
    if o.got == "error":
        for d in o.errors:
            lines.extend("    " + x for x in render_safely([d], {}).split("\n"))
    if o.expected or o.actual:
        lines.extend("    " + x for x in w["diff"])
        for name in sorted(o.expected | o.actual):
            mark = " " if name in o.expected and name in o.actual else "-" if name in o.expected else "+"
            lines.append(f"    {mark} {clause(t, name)}")
    if o.case.clauses is not None and o.got == "invalid" and not o.clauses_ok:
        lines.append(f"    {w['clauses']}")
        lines.extend("    " + x for x in w["diff"])
        for text in sorted(set(o.case.clauses) | o.clauses):
            mark = " " if text in o.case.clauses and text in o.clauses else "-" if text in o.case.clauses else "+"
            lines.append(f"    {mark} {text}")
    for key, day in o.case.effective.items():
        got = o.effective.get(key)
        if got is None or got == [day]:
            continue  # not looked at (bad input, or the paths disagree), or as expected
        shown = ", ".join(x or "?" for x in got) if got else w["no_day"]
        lines.append("    " + w["effective"].format(k=_effective_key(t, key), x=day, y=shown))
    return lines


def _effective_key(t: M.Tariff, key: str) -> str:
    """`cancellation_effective (第10条第1項)`, or the key alone when the spec has no such day."""
    d = next((d for d in t.derived if d.id == key.split(":", 1)[0]), None)
    return f"{key} ({d.citation})" if d is not None and d.citation is not None else key


def _verdict_text(verdict: str, codes: list[str], w: dict) -> str:
    if verdict != "error":
        return w.get(verdict, verdict)
    return f"{w['bad_input']} ({', '.join(codes) if codes else w['any_code']})"


def _coverage_text(run, w: dict) -> list[str]:
    rows = [w["head"]] + [(c.rule.id, str(c.rule.citation), str(len(c.accepted_by)), str(len(c.rejected_by)))
                          for c in run.coverage]
    widths = [max(_width(r[i]) for r in rows) for i in range(4)]
    lines = [w["coverage"].format(c=len(run.coverage) - len(run.uncovered), n=len(run.coverage))]
    for r in rows:
        lines.append("  " + "  ".join([_pad(r[0], widths[0]), _pad(r[1], widths[1]),
                                       r[2].rjust(widths[2]), r[3].rjust(widths[3])]).rstrip())
    if run.uncovered:
        lines.append(w["gaps"])
        for c in run.uncovered:
            missing = [w["no_accept"]] if not c.accepted_by else []
            missing += [w["no_reject"]] if not c.rejected_by else []
            lines.append(f"  {c.rule.id} ({c.rule.citation}): {'; '.join(missing)}")
    if run.unstated:
        lines.append(w["unstated"])
        lines.extend(f"  #{o.case.index} {o.case.name}" for o in run.unstated)
    return lines


def _width(s: str) -> int:
    """Columns a terminal gives `s`: CJK characters take two, so the table lines up."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, width: int) -> str:
    return s + " " * (width - _width(s))


# ---- JSON ---------------------------------------------------------------------------------------
def to_json(runs: list) -> dict:
    return {
        "format": FORMAT,
        "passed": all(not r.failures for r in runs),
        "covered": all(not r.uncovered for r in runs),
        "specs": [_run_json(r) for r in runs],
    }


def _run_json(run) -> dict:
    t = run.tariff
    return {
        "tariff": tariff_json(t),
        "spec": display_path(t.path),
        "tests": run.tests_file,
        "summary": {"cases": len(run.outcomes), "failed": len(run.failures),
                    "disagreements": sum(o.result == "disagreement" for o in run.outcomes),
                    "rules": len(run.coverage), "covered": len(run.coverage) - len(run.uncovered)},
        "cases": [_case_json(t, o) for o in run.outcomes],
        "coverage": [{"rule": c.rule.id, "clause": c.rule.citation.to_json(),
                      "accepted_by": sorted(c.accepted_by), "rejected_by": sorted(c.rejected_by),
                      "covered": c.covered} for c in run.coverage],
        "unstated_clauses": [o.case.index for o in run.unstated],
    }


def _case_json(t: M.Tariff, o) -> dict:
    out = {
        "index": o.case.index,
        "name": o.case.name,
        "result": o.result,
        "expect": o.case.expect,
        "got": o.got,
        "expected_broken": [_instance_json(t, x) for x in sorted(o.expected)],
        "actual_broken": [_instance_json(t, x) for x in sorted(o.actual)],
    }
    if o.case.expect == "error" or o.got == "error":
        out["expected_codes"] = sorted(set(o.case.codes))
        out["codes"] = o.codes
    if o.errors:
        out["errors"] = [d.to_json() for d in o.errors]
    if o.engines:
        out["engines"] = {e: {"verdict": s, "broken": b} for e, (s, b) in o.engines.items()}
    if o.reason:
        out["reason"] = o.reason
    if o.case.clauses is not None:
        out["expected_clauses"] = sorted(set(o.case.clauses))
        out["clauses"] = sorted(o.clauses)
    if o.case.effective:
        out["expected_effective"] = dict(o.case.effective)
        out["effective"] = {k: list(v) for k, v in o.effective.items()}
    return out


def _instance_json(t: M.Tariff, instance: str) -> dict:
    rule = t.rule(instance.split(":", 1)[0])
    return {"instance": instance, "clause": rule.citation.to_json() if rule is not None else None}
