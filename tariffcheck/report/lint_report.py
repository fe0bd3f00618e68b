"""How lint findings are shown: compiler-style text on a terminal, stable JSON for programs, and
a Markdown report a product manager can attach to a review (docs/lint.md)."""

from __future__ import annotations

import json

from ..analyse.finding import CODES, SEVERITIES, Finding
from ..analyse.lint import LintResult
from ..common.diagnostics import Diagnostic, render

FORMAT = 1


def _diagnostic(f: Finding, lang: str) -> Diagnostic:
    message = f.message_ja if lang == "ja" and f.message_ja else f.message
    notes = []
    if f.explanation:
        notes.append(f"why: {f.explanation}")
    if f.rules:
        notes.append("rules: " + ", ".join(f.rules))
    if f.witness is not None:
        notes.append("witness order: " + json.dumps(f.witness, ensure_ascii=False, separators=(",", ":")))
    return Diagnostic(f.code, message, f.span, label=f.clause, notes=notes, severity=f.severity)


def summary(r: LintResult) -> str:
    counts = ", ".join(f"{r.count(s)} {s}{'s' if r.count(s) != 1 and s != 'info' else ''}" for s in SEVERITIES)
    took = sum(r.seconds.values())
    name = r.tariff.id if r.tariff is not None else r.spec
    return f"{name}: {counts}" + (f" ({took:.2f} s)" if r.tariff is not None else "")


def to_text(results: list[LintResult], lang: str = "en", quiet_info: bool = False) -> str:
    blocks = []
    for r in results:
        sources = {r.tariff.path: r.tariff.text} if r.tariff is not None else {}
        shown = [f for f in r.findings if not (quiet_info and f.severity == "info")]
        blocks.extend(render(_diagnostic(f, lang), sources) for f in shown)
    blocks.append("\n".join(summary(r) for r in results))
    return "\n\n".join(blocks)


def to_json(results: list[LintResult]) -> dict:
    return {
        "format": FORMAT,
        "specs": [{
            "spec": r.spec,
            "tariff": None if r.tariff is None else {"id": r.tariff.id, "title": r.tariff.title,
                                                     "version": r.tariff.version, "path": r.tariff.path},
            "counts": {s: r.count(s) for s in SEVERITIES},
            "complete": r.complete,
            "seconds": {k: round(v, 4) for k, v in r.seconds.items()},
            "findings": [f.to_json() for f in r.findings],
        } for r in results],
    }


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(results: list[LintResult], lang: str = "en") -> str:
    out = ["# tariff lint report", ""]
    for r in results:
        if r.tariff is not None:
            out.append(f"## {r.tariff.title} (`{r.tariff.id}`, as of {r.tariff.version})")
        else:
            out.append(f"## `{r.spec}` (does not load)")
        out.append("")
        out.append(summary(r))
        out.append("")
        if not r.findings:
            out.append("No findings.")
            out.append("")
            continue
        out.append("| severity | code | clause | where | finding |")
        out.append("| --- | --- | --- | --- | --- |")
        for f in r.findings:
            where = f"{f.span.file}:{f.span.line}" if f.span else ""
            message = f.message_ja if lang == "ja" and f.message_ja else f.message
            out.append(f"| {f.severity} | {f.code} | {_md(f.clause or '')} | {_md(where)} | {_md(message)} |")
        out.append("")
        for f in r.findings:
            if not (f.explanation or f.witness):
                continue
            message = f.message_ja if lang == "ja" and f.message_ja else f.message
            out.append(f"### {f.code}: {_md(message)}")
            out.append("")
            out.append(f"*{CODES[f.code]}.* {f.explanation}")
            if f.rules:
                out.append("")
                out.append("Rules: " + ", ".join(f"`{x}`" for x in f.rules))
            if f.witness is not None:
                out.append("")
                out.append("Witness order:")
                out.append("")
                out.append("```json")
                out.append(json.dumps(f.witness, ensure_ascii=False, indent=2))
                out.append("```")
            out.append("")
    return "\n".join(out).rstrip() + "\n"
