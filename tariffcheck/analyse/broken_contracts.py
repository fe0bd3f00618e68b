"""Which existing contracts a new version of a tariff breaks, counted by a plain loop: each order
of a JSON Lines file (one order a line, as `tariff check` reads them) is checked by the old
version and by the new, and one the old accepts and the new rejects is broken, under each rule of
the new version it breaks. `tariff review --contracts BASE` shows the counts and the first rows.

The checkers are passed in (the library's `Checker`, or anything with its `decode` and `check`),
so this module stays below the entry points. It is the simple engine, one order after another;
the impact engine of issue 15 (Dask, many files) is meant to answer the same question at scale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..common.diagnostics import DiagnosticError

FIRST_ROWS = 5  # rows kept per rule


@dataclass
class BrokenRow:
    line: int  # 1-based line of the file
    contract_ids: list[str]  # the contracts of the order that break the rule
    message: str  # the rule's message for the first of them


@dataclass
class RuleCount:
    rule: object  # the new version's rule (model.tariff.Rule)
    count: int = 0
    rows: list[BrokenRow] = field(default_factory=list)


@dataclass
class BrokenContracts:
    total: int = 0  # orders read
    broken: int = 0  # accepted by the old version, rejected by the new
    by_rule: dict[str, RuleCount] = field(default_factory=dict)
    unreadable: list[tuple[int, str]] = field(default_factory=list)  # (line, why) of lines neither reads


def broken_contracts(old_checker, new_checker, lines, lang: str = "ja") -> BrokenContracts:
    """Count, per rule of the new version, the orders of `lines` (JSON texts) the old version
    accepts and the new one rejects. A line the old version cannot read is not an existing
    contract of it and is listed as unreadable; one only the new version cannot read is broken,
    under the decoding error's code."""
    out = BrokenContracts()
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        out.total += 1
        try:
            data = json.loads(text)
            old_verdict = old_checker.check(old_checker.decode(data))
        except (ValueError, DiagnosticError) as exc:
            out.unreadable.append((number, _why(exc)))
            continue
        if old_verdict.status != "valid":
            continue
        try:
            verdict = new_checker.check(new_checker.decode(data))
        except DiagnosticError as exc:
            out.broken += 1
            code = exc.diagnostics[0].code if exc.diagnostics else "order"
            entry = out.by_rule.setdefault(code, RuleCount(None))
            entry.count += 1
            if len(entry.rows) < FIRST_ROWS:
                entry.rows.append(BrokenRow(number, [], _why(exc)))
            continue
        if verdict.status != "invalid":
            continue
        out.broken += 1
        by_rule: dict[str, list] = {}
        for v in verdict.violations:
            by_rule.setdefault(v.rule.id, []).append(v)
        for rid, vs in by_rule.items():
            entry = out.by_rule.setdefault(rid, RuleCount(vs[0].rule))
            entry.count += 1
            if len(entry.rows) < FIRST_ROWS:
                ids = sorted({v.contract_id for v in vs if v.contract_id})
                entry.rows.append(BrokenRow(number, ids, vs[0].message(new_checker.tariff, lang)))
    return out


def _why(exc: Exception) -> str:
    if isinstance(exc, DiagnosticError) and exc.diagnostics:
        d = exc.diagnostics[0]
        return f"{d.code}: {d.message}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
