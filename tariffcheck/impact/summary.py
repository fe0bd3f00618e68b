"""The counts of an impact run: per class of row, per rule and clause, per item, per option, per
error code, and of repairs. A partition's counts and the whole run's have the same shape, and
merging is addition, so the summary does not depend on how the base was cut.
"""

from __future__ import annotations

from .judge import Judged


def empty() -> dict:
    return {"rows": 0, "classes": {}, "rules": {}, "rule_clauses": {}, "clauses": {}, "items": {}, "options": {},
            "errors": {}, "repairs": {"status": {}, "cost": 0, "changes": 0}}


def _bump(table: dict, key: str, cls: str, n: int = 1) -> None:
    counts = table.setdefault(key, {})
    counts[cls] = counts.get(cls, 0) + n


def add(summary: dict, j: Judged, n: int = 1) -> None:
    """Count the row `j` (`n` rows like it)."""
    summary["rows"] += n
    summary["classes"][j.cls] = summary["classes"].get(j.cls, 0) + n
    for rule, kind, clause in j.rules:
        _bump(summary["rules"], rule, j.cls, n)
        summary["rule_clauses"][rule] = clause
    for clause in sorted({clause for _, _, clause in j.rules}):  # a row counts once per clause
        _bump(summary["clauses"], clause, j.cls, n)
    for item in j.items:
        _bump(summary["items"], item, j.cls, n)
    for option in j.options:
        _bump(summary["options"], option, j.cls, n)
    for code in sorted(set(j.errors)):
        summary["errors"][code] = summary["errors"].get(code, 0) + n
    if j.repair is not None:
        r = summary["repairs"]
        r["status"][j.repair["status"]] = r["status"].get(j.repair["status"], 0) + 1
        r["cost"] += j.repair["cost"] or 0
        r["changes"] += len(j.repair["changes"])


class Tally:
    """A partition's counts, gathered as how many rows share each (class, rules, options, items,
    errors): most rows of a base share one of a few, so a row costs one dict update, and the
    summary, made once at the end, is the one `add` gives row by row."""

    def __init__(self):
        self.seen: dict[tuple, list] = {}  # what a row counts -> [a row of it, how many]
        self.repaired = empty()  # rows with a repair: counted one by one

    def add(self, j: Judged) -> None:
        if j.repair is not None:
            add(self.repaired, j)
            return
        key = (j.cls, tuple(j.rules), tuple(j.options), tuple(j.items), tuple(j.errors))
        found = self.seen.get(key)
        if found is None:
            self.seen[key] = [j, 1]
        else:
            found[1] += 1

    def summary(self) -> dict:
        out = self.repaired
        for j, n in self.seen.values():
            add(out, j, n)
        return out


def merge(into: dict, other: dict) -> dict:
    into["rows"] += other["rows"]
    for key in ("classes", "errors"):
        for k, n in other[key].items():
            into[key][k] = into[key].get(k, 0) + n
    for key in ("rules", "clauses", "items", "options"):
        for name, counts in other[key].items():
            for cls, n in counts.items():
                _bump(into[key], name, cls, n)
    into["rule_clauses"].update(other["rule_clauses"])
    r, o = into["repairs"], other["repairs"]
    for k, n in o["status"].items():
        r["status"][k] = r["status"].get(k, 0) + n
    r["cost"] += o["cost"]
    r["changes"] += o["changes"]
    return into


def ordered(summary: dict) -> dict:
    """The same counts with every table sorted: the most rows first, then by name."""
    out = dict(summary)
    out["classes"] = dict(sorted(summary["classes"].items()))
    out["errors"] = dict(sorted(summary["errors"].items()))
    out["rule_clauses"] = dict(sorted(summary["rule_clauses"].items()))
    for key in ("rules", "clauses", "items", "options"):
        rows = {name: dict(sorted(c.items())) for name, c in summary[key].items()}
        out[key] = dict(sorted(rows.items(), key=lambda kv: (-sum(kv[1].values()), kv[0])))
    out["repairs"] = {**summary["repairs"], "status": dict(sorted(summary["repairs"]["status"].items()))}
    return out
