"""A tariff's options and the rules between them as a UVL feature model (docs/uvl.md).

The tariff's title is the root; each contract kind's dimensions become alternative groups (below a
mandatory feature, or an optional one for a dimension that may be unset) and its options an
optional group (below a feature per contract kind when there are several); each rule instance that speaks only of which options are ordered becomes a
cross-tree constraint (`guard => body`). Everything else the spec says — quantities, flags, dates, attributes, fees, periods, derived days, rules over numbers or days —
has no UVL counterpart here and is listed by name in `UvlExport.not_carried`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

from ..model import ir
from ..model import tariff as M

_MAX_CLAUSES = 500  # a count bound is written as clauses over subsets; beyond this it is not carried


@dataclass
class UvlExport:
    text: str
    features: int
    constraints: int
    not_carried: list[str] = field(default_factory=list)


class _NotCarried(Exception):
    pass


def _describe(n: ir.Node) -> str:
    if isinstance(n, ir.Field):
        return f"{'the state before the request of ' if n.state == 'old' else ''}{n.kind} `{'.'.join(n.path)}`"
    if isinstance(n, ir.EnumIn):
        return _describe(n.field)
    return f"a {type(n).__name__.lower()} expression"


def export_uvl(tariff: M.Tariff) -> UvlExport:
    return _Exporter(tariff).run()


class _Exporter:
    def __init__(self, tariff: M.Tariff):
        self.t = tariff
        self.names: dict[tuple, str] = {}  # (contract, option) or (contract, dimension, value) -> UVL name
        self.not_carried: list[str] = []

    def run(self) -> UvlExport:
        t = self.t
        self.used: set[str] = set()
        self.root = self._name(t.title, "the tariff's title")
        kinds = [k for k in t.contracts.values() if k.options or k.dimensions]
        lines = ["features", f"    {self.root}"]
        self.count = 1
        several = len(kinds) > 1
        if several:  # one optional feature per contract kind, its choices below it
            lines.append("        optional")
        for kind in kinds:
            indent = "            " if several else "    "
            if several:
                lines.append(f"{indent}{self._name(kind.label, f'contract kind `{kind.id}`')}")
                self.count += 1
            lines += self._kind(kind, indent + "    ")
        for kind in t.contracts.values():
            self._kind_losses(kind)
        constraints = []
        for rule in t.rules:
            try:
                for subject in rule.subjects:
                    c = self._constraint(rule.scope, rule.guards[subject], rule.bodies[subject], rule.kind)
                    if c is not None:
                        constraints.append(f"    {c}")
            except _NotCarried as exc:
                self.not_carried.append(f"rule `{rule.id}` ({rule.citation}): {exc}")
        for what, items in (("period", t.periods), ("derived day", t.derived), ("fee", t.fees)):
            for x in items:
                self.not_carried.append(f"{what} `{x.id}`: UVL has no days or amounts")
        for s in t.services.values():
            self.not_carried.append(f"service `{s.id}`: UVL has no other services a customer holds")
        for f in t.request_flags.values() if isinstance(t.request_flags, dict) else t.request_flags:
            self.not_carried.append(f"request flag `{getattr(f, 'id', f)}`: UVL has no requests")
        if constraints:
            lines += ["", "constraints", *constraints]
        return UvlExport("\n".join(lines) + "\n", self.count, len(constraints), self.not_carried)

    def _name(self, label: str, what: str, prefix: str = "") -> str:
        """A UVL name for a label: quoted, unique; UVL's quoted names have no `"` or `.`."""
        name = label.replace('"', "'").replace(".", "\u00b7")
        if name in self.used and prefix:
            name = f"{prefix} / {name}"
        base, n = name, 2
        while name in self.used:
            name, n = f"{base} ({n})", n + 1
        self.used.add(name)
        if name != label:
            self.not_carried.append(f"{what} is named `{name}` in UVL, not `{label}` (a clash, or a `.` or `\"`)")
        return '"' + name + '"'

    def _kind(self, kind: M.ContractKind, indent: str) -> list[str]:
        """A contract kind's dimensions (an alternative group each, below a mandatory feature, or
        an optional one when the dimension may be unset) and its options (optional features)."""
        required = [d for d in kind.dimensions.values() if not d.optional]
        optional = [d for d in kind.dimensions.values() if d.optional]
        lines = []
        if required:
            lines.append(f"{indent}mandatory")
            for d in required:
                lines += self._dimension(kind, d, indent + "    ")
        if optional or kind.options:
            lines.append(f"{indent}optional")
            for d in optional:
                lines += self._dimension(kind, d, indent + "    ")
            for o in kind.options.values():
                name = self._name(o.label, f"option `{kind.id}.{o.id}`", kind.label)
                self.names[(kind.id, o.id)] = name
                lines.append(f"{indent}    {name}")
                self.count += 1
                self._option_losses(kind, o)
        return lines

    def _dimension(self, kind: M.ContractKind, d: M.Dimension, indent: str) -> list[str]:
        lines = [f"{indent}{self._name(d.label, f'dimension `{kind.id}.{d.id}`', kind.label)}"]
        self.count += 1
        if d.values:
            lines.append(f"{indent}    alternative")
            for v in d.values.values():
                name = self._name(v.label, f"value `{kind.id}.{d.id}.{v.id}`", d.label)
                self.names[(kind.id, d.id, v.id)] = name
                lines.append(f"{indent}        {name}")
                self.count += 1
        return lines

    def _kind_losses(self, kind: M.ContractKind) -> None:
        for what, items in (("quantity", kind.quantities), ("flag", kind.flags), ("date", kind.dates)):
            for x in items:
                self.not_carried.append(f"{what} `{kind.id}.{x}`: only options and dimensions become features")

    def _option_losses(self, kind: M.ContractKind, o: M.Option) -> None:
        if o.counted:
            self.not_carried.append(f"option `{kind.id}.{o.id}` is counted: exported as chosen or not")
        for what, items in (("quantity", o.quantities), ("flag", o.flags), ("date", o.dates),
                            ("attribute", o.attributes)):
            for x in items:
                self.not_carried.append(f"{what} `{kind.id}.{o.id}.{x}`: only options and dimensions become features")

    def _constraint(self, scope: str, guard: ir.Node, body: ir.Node, kind: str) -> str | None:
        g = self._bool(scope, guard)  # a `forbid` rule's body already carries its `not` (resolve/)
        b = self._bool(scope, body)
        if b is None:
            return None
        return b if g is None else f"({g}) => ({b})"

    def _bool(self, scope: str, n: ir.Node) -> str | None:
        """The UVL text of a condition over options; None for what is always true here."""
        if isinstance(n, ir.Field) and n.kind == "opt" and n.state == "new":
            return self.names[(scope, n.path[0])]
        if isinstance(n, ir.EnumIn) and n.field.kind == "dim" and n.field.state == "new" and n.values:
            return "(" + " | ".join(self.names[(scope, n.field.path[0], v)] for v in sorted(n.values)) + ")"
        if isinstance(n, ir.Not) and isinstance(n.operand, ir.Field) and n.operand.kind == "cancelled":
            return None  # a configuration rule is not checked on a cancelled contract: no UVL counterpart needed
        if isinstance(n, ir.Const) and n.type == "bool":  # UVL has no constants: the root is always chosen
            return None if n.value else f"!{self.root}"
        if isinstance(n, ir.Not):
            inner = self._bool(scope, n.operand)
            return None if inner is None else f"!({inner})"
        if isinstance(n, (ir.And, ir.Or)):
            parts = [p for p in (self._bool(scope, x) for x in n.operands) if p is not None]
            if isinstance(n, ir.Or) and len(parts) < len(n.operands):
                return None
            if not parts:
                return None
            return "(" + (" & " if isinstance(n, ir.And) else " | ").join(parts) + ")"
        if isinstance(n, ir.Implies):
            a, b = self._bool(scope, n.left), self._bool(scope, n.right)
            if b is None:
                return None
            return b if a is None else f"({a} => {b})"
        if isinstance(n, ir.Cmp):
            return self._count_bound(scope, n)
        raise _NotCarried(f"it reads {_describe(n)}, which UVL cannot say")

    def _count_bound(self, scope: str, n: ir.Cmp) -> str:
        """`count of chosen options OP k` as clauses over subsets."""
        terms = self._summands(n.left)
        if not isinstance(n.right, ir.Const) or terms is None:
            raise _NotCarried("a comparison of numbers UVL cannot say of options")
        k = int(n.right.value)
        if any(self.t.contracts[scope].options[f.path[0]].counted for f in terms):
            raise _NotCarried("a count of a counted option, which UVL cannot say")
        names = [self.names[(scope, f.path[0])] for f in terms]
        op = n.op
        low = {"==": k, ">=": k, ">": k + 1}.get(op, 0)
        high = {"==": k, "<=": k, "<": k - 1}.get(op)
        if op == "!=":
            raise _NotCarried("`!=` over a count of options")
        parts = []
        if low > len(names):
            return f"!{self.root}"
        if low > 0:  # at least `low`: every set of n - low + 1 options has one chosen
            combos = list(combinations(names, len(names) - low + 1))
            if len(combos) > _MAX_CLAUSES:
                raise _NotCarried(f"a count bound over {len(names)} options needs {len(combos)} clauses")
            parts += ["(" + " | ".join(c) + ")" for c in combos]
        if high is not None and high < len(names):
            if high < 0:
                return f"!{self.root}"
            combos = list(combinations(names, high + 1))
            if len(combos) > _MAX_CLAUSES:
                raise _NotCarried(f"a count bound over {len(names)} options needs {len(combos)} clauses")
            parts += ["!(" + " & ".join(c) + ")" for c in combos]
        return "(" + " & ".join(parts) + ")" if parts else self.root

    def _summands(self, n: ir.Node) -> list[ir.Field] | None:
        if isinstance(n, ir.CountTrue):
            if all(isinstance(x, ir.Field) and x.kind == "opt" for x in n.operands):
                return list(n.operands)
            return None
        if isinstance(n, ir.Field) and n.kind == "optcount":
            return [ir.Field("opt", n.path)]
        if isinstance(n, ir.Arith) and n.op == "+":
            a, b = self._summands(n.left), self._summands(n.right)
            return None if a is None or b is None else a + b
        return None
