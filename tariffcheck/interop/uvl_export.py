"""A tariff's options and the rules between them as a UVL feature model (docs/uvl.md).

Each contract kind with options becomes a feature below one root, its options an optional
group below it; each rule instance that speaks only of which options are ordered becomes a
cross-tree constraint (`guard => body`). Everything else the spec says — dimensions,
quantities, flags, dates, attributes, fees, periods, derived days, rules over numbers or days —
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


def _uvl_name(name: str) -> str:
    return '"' + name.replace('"', "'") + '"'


def export_uvl(tariff: M.Tariff) -> UvlExport:
    return _Exporter(tariff).run()


class _Exporter:
    def __init__(self, tariff: M.Tariff):
        self.t = tariff
        self.names: dict[tuple[str, str], str] = {}  # (contract, option id) -> UVL name
        self.not_carried: list[str] = []

    def run(self) -> UvlExport:
        t = self.t
        self.root = _uvl_name(t.title)
        kinds = [k for k in t.contracts.values() if k.options]
        lines = ["features", f"    {_uvl_name(t.title)}"]
        used: set[str] = {t.title}
        count = 1
        if kinds:
            lines.append("        optional" if len(kinds) == 1 else "        mandatory")
        for kind in kinds:
            indent = "            "
            if len(kinds) > 1:  # one feature per contract kind, its options below it
                lines.append(f"{indent}{_uvl_name(kind.label)}")
                used.add(kind.label)
                count += 1
                lines.append(f"{indent}    optional")
                indent += "        "
            for o in kind.options.values():
                name = o.label if o.label not in used else f"{kind.id}.{o.id}"
                used.add(name)
                self.names[(kind.id, o.id)] = name
                lines.append(f"{indent}{_uvl_name(name)}")
                count += 1
                self._option_losses(kind, o)
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
        return UvlExport("\n".join(lines) + "\n", count, len(constraints), self.not_carried)

    def _kind_losses(self, kind: M.ContractKind) -> None:
        for what, items in (("dimension", kind.dimensions), ("quantity", kind.quantities),
                            ("flag", kind.flags), ("date", kind.dates)):
            for x in items:
                self.not_carried.append(f"{what} `{kind.id}.{x}`: only options become features")

    def _option_losses(self, kind: M.ContractKind, o: M.Option) -> None:
        if o.counted:
            self.not_carried.append(f"option `{kind.id}.{o.id}` is counted: exported as chosen or not")
        for what, items in (("quantity", o.quantities), ("flag", o.flags), ("date", o.dates),
                            ("attribute", o.attributes)):
            for x in items:
                self.not_carried.append(f"{what} `{kind.id}.{o.id}.{x}`: only options become features")

    def _constraint(self, scope: str, guard: ir.Node, body: ir.Node, kind: str) -> str | None:
        g = self._bool(scope, guard)  # a `forbid` rule's body already carries its `not` (resolve/)
        b = self._bool(scope, body)
        if b is None:
            return None
        return b if g is None else f"({g}) => ({b})"

    def _bool(self, scope: str, n: ir.Node) -> str | None:
        """The UVL text of a condition over options; None for what is always true here."""
        if isinstance(n, ir.Field) and n.kind == "opt" and n.state == "new":
            return _uvl_name(self.names[(scope, n.path[0])])
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
        raise _NotCarried(f"it reads {type(n).__name__.lower()} `{getattr(n, 'kind', '')}`, which is not an option")

    def _count_bound(self, scope: str, n: ir.Cmp) -> str:
        """`count of chosen options OP k` as clauses over subsets."""
        terms = self._summands(n.left)
        if not isinstance(n.right, ir.Const) or terms is None:
            raise _NotCarried("a comparison of numbers UVL cannot say of options")
        k = int(n.right.value)
        if any(self.t.contracts[scope].options[f.path[0]].counted for f in terms):
            raise _NotCarried("a count of a counted option, which UVL cannot say")
        names = [_uvl_name(self.names[(scope, f.path[0])]) for f in terms]
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
