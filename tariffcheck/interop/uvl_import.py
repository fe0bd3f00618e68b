"""A UVL feature model as the text of a tariff spec (docs/uvl.md).

The model becomes one contract whose options are the features below the root (the root is the
contract itself: always there). Each group and each cross-tree constraint becomes a rule that
cites the UVL line it came from as a section (`@12.` is line 12 of the model named by the
header's `source`). What the DSL cannot say (attributes, typed features, arithmetic, feature
cardinalities, imports) is listed in `UvlImport.not_carried`, one entry per thing by name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..common.names import name_key
from .uvl_read import Feature, UvlModel, read_uvl, read_uvl_file

# words of the DSL that a feature's id must not be
_RESERVED = {
    "and", "or", "not", "implies", "it", "true", "false", "require", "forbid", "when", "for", "in",
    "contract", "option", "rule", "tariff", "also", "count", "old", "is_new", "is_change",
    "is_cancellation", "cancelled", "has_parent", "application_date", "notice_arrived",
    "requested_date", "contract_", "ja", "en", "days", "day", "months", "month", "years", "year",
}
CONTRACT = "model"


@dataclass
class UvlImport:
    text: str  # the spec
    features: int
    constraints: int
    not_carried: list[str] = field(default_factory=list)  # "what (where): why", one per thing
    ids: dict[str, str] = field(default_factory=dict)  # UVL feature name -> option id
    lenient: list[str] = field(default_factory=list)  # read more leniently than uvlparser would, by place


def import_uvl_file(path: str) -> UvlImport:
    return import_uvl_model(read_uvl_file(path))


def import_uvl(text: str, path: str = "<uvl>") -> UvlImport:
    return import_uvl_model(read_uvl(text, path))


def import_uvl_model(model: UvlModel) -> UvlImport:
    return _Writer(model).run()


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _balanced(op: str, parts: list[str]) -> str:
    """`a op b op c …` as a balanced tree of parentheses: a flat chain would nest one level per
    operator, and the DSL allows 50 (docs/dsl.md)."""
    if len(parts) == 1:
        return parts[0]
    mid = len(parts) // 2
    return f"({_balanced(op, parts[:mid])} {op} {_balanced(op, parts[mid:])})"


class _Writer:
    def __init__(self, model: UvlModel):
        self.model = model
        self.ids: dict[str, str] = {}
        self.rules: list[str] = []
        self.not_carried: list[str] = []
        self.rule_ids: set[str] = set()

    def run(self) -> UvlImport:
        m = self.model
        if m.root is None:
            from ..common.diagnostics import Diagnostic, DiagnosticError
            raise DiagnosticError([Diagnostic("U003", f"`{m.path}` has no features",
                                              help="a UVL model to import needs a `features` section")])
        for what in m.includes:
            self.not_carried.append(f"include `{what}`: language levels are not checked; the model is read as it is")
        for what in m.imports:
            self.not_carried.append(f"import `{what}`: imported models are not read; import each file on its own")
        features = m.features()
        official_seen: dict[str, str] = {}
        options = []
        for f in features[1:]:
            oid = self._id(f.name)
            official = f.name
            key = name_key(official)
            n = 2
            while key in official_seen:  # two names the DSL would take for one (NFKC, spaces)
                official = f"{f.name} ({n})"
                key, n = name_key(official), n + 1
            official_seen[key] = oid
            if official != f.name:
                self.not_carried.append(f"feature `{f.name}` (line {f.line}): its name matches another's "
                                        f"once folded; imported as `{official}`")
            options.append(f"  option {oid} {_q(official)} @{f.line}.")
        attributes: dict[str, list[str]] = {}
        for f in features:
            self._feature_losses(f)
            for key in f.attributes:
                if key != "abstract":  # only says the feature has no implementation: the configurations are the same
                    attributes.setdefault(key, []).append(f"{f.name} (line {f.line})")
        for key, where in attributes.items():
            self.not_carried.append(f"attribute `{key}` of {len(where)} feature{'s' if len(where) > 1 else ''} "
                                    f"({', '.join(where)}): the DSL has no constant attributes of options")
        self._tree(m.root)
        carried = 0
        for line, c, full in m.constraints:
            text = full if len(full) <= 160 else full[:160] + "…"  # a message quotes the start of a long one
            expr = self._constraint(c, line, text)
            if expr is not None:
                carried += 1
                self._rule(f"c{line}", line, f"require {expr}",
                           f"UVL の {line} 行目の制約 {text} を満たしません。",
                           f"breaks the constraint on UVL line {line}: {text}")
        title = m.root.name
        tid = re.sub(r"[^A-Za-z0-9_]", "_", Path(m.path).stem) or "uvl_model"
        if not re.match(r"[A-Za-z_]", tid):
            tid = "uvl_" + tid
        head = [
            f"# imported from {Path(m.path).name} by `tariff import-uvl` (docs/uvl.md): each option is a",
            "# feature below the root, each rule a group or constraint; `@N.` cites line N of the UVL file.",
            f"tariff {tid} {_q(title)}",
            f"  source {_q(Path(m.path).name)}",
            "",
            f"contract {CONTRACT} {_q(title)} @{m.root.line}. {{",
            *options,
            "}",
            "",
        ]
        head[2:2] = [f"# not carried over: {what}" for what in self.not_carried]
        head[2:2] = [f"# read leniently: {what}" for what in m.lenient]
        return UvlImport("\n".join(head + self.rules) + "\n", len(features), len(m.constraints),
                         self.not_carried, dict(self.ids), list(m.lenient))

    def _id(self, name: str) -> str:
        if name in self.ids:
            return self.ids[name]
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        base = re.sub(r"[^A-Za-z0-9_]+", "_", ascii_name).strip("_") or "feature"
        if not re.match(r"[A-Za-z_]", base):
            base = "f_" + base
        if base.lower() in _RESERVED:
            base += "_"
        oid, n = base, 2
        taken = set(self.ids.values())
        while oid in taken or oid == CONTRACT:
            oid, n = f"{base}_{n}", n + 1
        self.ids[name] = oid
        return oid

    def _feature_losses(self, f: Feature) -> None:
        if f.type and f.type != "Boolean":
            self.not_carried.append(f"feature `{f.name}` (line {f.line}): type {f.type}; imported as a "
                                    "yes/no option, its value is not")
        if f.cardinality:
            self.not_carried.append(f"feature `{f.name}` (line {f.line}): feature cardinality "
                                    f"`{f.cardinality}`; imported as one option, not as clones")

    def _ref(self, name: str) -> str:
        if name == self.model.root.name:
            return "true"
        return self.ids[name]

    def _rule(self, kind: str, line: int, body: str, ja: str, en: str) -> None:
        rid, n = f"uvl_{kind}", 2
        while rid in self.rule_ids:
            rid, n = f"uvl_{kind}_{n}", n + 1
        self.rule_ids.add(rid)
        self.rules.append(f"rule {rid} @{line}. {{\n  {body}\n  ja {_q(ja)}\n  en {_q(en)}\n}}\n")

    def _tree(self, root: Feature) -> None:
        todo = [root]
        while todo:
            f = todo.pop()
            for g in f.groups:
                self._group(f, g)
                todo.extend(reversed(g.children))

    def _group(self, parent: Feature, g) -> None:
        is_root = parent is self.model.root
        pid = None if is_root else self.ids[parent.name]
        kids = [self.ids[c.name] for c in g.children]
        if not kids:
            return
        when = "" if is_root else f"when {pid} "
        if not is_root:  # a feature is only chosen with its parent
            self._rule(f"g{g.line}_parent", g.line, f"for {', '.join(kids)} require {pid}",
                       f"{{it}}は{parent.name}とともに選ぶ必要があります。",
                       f"{{it}} needs its parent feature {parent.name} (UVL line {g.line}).")
        where = parent.name
        if g.kind == "mandatory":
            for c, k in zip(g.children, kids):
                self._rule(f"g{g.line}_mandatory", c.line, f"{when}require {k}",
                           f"{where}には{c.name}が必須です。",
                           f"{where} needs {c.name}: it is mandatory (UVL line {c.line}).")
            return
        if g.kind == "optional":
            return
        low, high, n = g.low, g.high, len(kids)
        if high is not None and high > n:
            high = n
        if low == 1 and high == 1:
            cond, say = f"exactly_one({', '.join(kids)})", "exactly one of"
        elif low == 1 and high is None or low == 1 and high == n:
            cond, say = f"any_of({', '.join(kids)})", "at least one of"
        elif low == 0 and high == 1:
            cond, say = f"at_most_one({', '.join(kids)})", "at most one of"
        elif low == 0 and (high is None or high >= n):
            return
        else:
            total = _balanced("+", [f"{k}.count" for k in kids])
            parts = []
            if low > 0:
                parts.append(f"{total} >= {low}")
            if high is not None:
                parts.append(f"{total} <= {high}")
            if low > n:
                parts = ["false"]
            cond = " and ".join(parts)
            say = f"between {low} and {'*' if high is None else high} of"
        self._rule(f"g{g.line}_{g.kind}", g.line, f"{when}require {cond}",
                   f"{where}では UVL {g.line} 行目のグループから選ぶ数が合いません。",
                   f"{where} needs {say} its group on UVL line {g.line}.")

    def _constraint(self, c, line: int, text: str) -> str | None:
        try:
            if _depth(c) > MAX_DEPTH:
                raise _NotCarried(f"it nests deeper than the DSL's {MAX_DEPTH} levels even written as balanced "
                                  "trees (docs/dsl.md); split it into several constraints")
            return self._expr(c)
        except _NotCarried as exc:
            self.not_carried.append(f"constraint on line {line} `{text}`: {exc}")
            return None

    def _expr(self, c) -> str:
        kind = c[0]
        if kind == "ref":
            if c[1] not in self.ids and c[1] != self.model.root.name:
                raise _NotCarried(f"`{c[1]}` is no feature of the model (an attribute or an imported feature)")
            return self._ref(c[1])
        if kind == "not":
            return f"not ({self._expr(c[1])})"
        if kind in ("and", "or"):
            return _balanced(kind, [self._expr(x) for x in c[1]])
        if kind == "implies":
            return f"({self._expr(c[1])} implies {self._expr(c[2])})"
        if kind == "iff":
            a, b = self._expr(c[1]), self._expr(c[2])
            return f"(({a} implies {b}) and ({b} implies {a}))"
        raise _NotCarried("arithmetic over attributes or typed features, which the DSL cannot say of options")


class _NotCarried(Exception):
    pass


MAX_DEPTH = 50  # the DSL's nesting limit (MAX_NESTING in syntax/parser.py)


def _depth(c) -> int:
    """How deep the DSL text of a constraint nests, as _expr writes it (parentheses alone count none)."""
    kind = c[0]
    if kind == "ref":
        return 0
    if kind == "not":
        return 1 + _depth(c[1])
    if kind in ("and", "or"):
        return (len(c[1]) - 1).bit_length() + max(_depth(x) for x in c[1])
    if kind in ("implies", "iff"):
        return (1 if kind == "implies" else 2) + max(_depth(c[1]), _depth(c[2]))
    return 0
