"""A feature tree and its cross-tree constraints written straight into clauses, and its dead, core
and false-optional features asked of one incremental SAT solver.

This is the short way for the questions that are about features alone: the tree read from a
UVL file (interop/uvl_read.py's `Feature`s and constraints, taken here by their attributes, so
that this package does not import interop) goes to clauses without the tariff text, its parse,
its resolution and the rule clauses of cnf.py, which cost a medium model 10 to 50 times what
the questions do. The clauses say what the import's rules say (interop/uvl_import.py): the root
is there; a feature needs its parent; a mandatory group's children come with their parent; an
alternative, or and cardinality group bounds how many of its children a chosen parent has (a
bound above the number of children is that number); each constraint holds as read, but one that
the import does not carry (arithmetic, a name that is no feature) is skipped, and named in
`skipped`, as the import names it. Typed features and feature cardinalities are yes/no
variables, as in the import. So the dead and core features found here are the dead (L002) and
forced (L004) options of lint on the imported tariff, plus the root, which is core
(tests/test_feature_tree.py compares the two on every model at hand).

False-optional is the feature-model notion (flamapy's `FalseOptionalFeatures`, FeatureIDE's):
a feature below the root that is not mandatory (mandatory: the one child of a group that wants
exactly one, which a mandatory group is for each of its children) but is there in every valid
configuration where its parent is. Lint's L005 is another question (an option forced for one
value of a dimension); this one has no finding of lint, and is asked here for the comparison
with flamapy (benchmarks/bench_flamapy.py).

The questions (`TreeQuestions`): one MiniSat holding every clause. The backbone is solver.py's
(`backbone`: propagation, then failed-literal probing, then models leaning the other way, each
refuting every candidate it flips, then one call per candidate left). False-optional starts from
it (a core feature and the children of a dead parent are false-optional without a call, and
every model met so far where a parent is there and a child is not refutes that child), then asks
under each parent that still has candidates, assuming the parent and a switched clause "one of
them is not there": a model refutes each one it leaves out, no model proves all that are left.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from .solver import Minisat22, backbone_of

PAIRWISE = 6  # at most one of this many or fewer children: their pairs; of more, a counter


@dataclass
class TreeClauses:
    root: str
    var: dict[str, int]  # feature name -> variable (the root's included; variables 1..len(var))
    parent: dict[str, str]  # feature name -> its parent's name (not for the root)
    mandatory: set[str]  # flamapy's "mandatory": the one child of a group wanting exactly one
    clauses: list[list[int]] = field(default_factory=list)
    top: int = 0
    skipped: list[str] = field(default_factory=list)  # constraints not written, and why


def compile_tree(root, constraints) -> TreeClauses:
    """The clauses of a feature tree (a `Feature` with `.name` and `.groups`, each group with
    `.kind`, `.children`, `.low`, `.high`) and of its constraints (`(line, constraint, text)`
    as uvl_read gives them)."""
    return _TreeWriter(root).run(constraints)


class _TreeWriter:
    def __init__(self, root):
        self.root = root
        self.var: dict[str, int] = {}
        self.parent: dict[str, str] = {}
        self.mandatory: set[str] = set()
        self.clauses: list[list[int]] = []
        self.skipped: list[str] = []
        self._gates: dict[tuple, int] = {}
        self.top = 0

    def _new(self) -> int:
        self.top += 1
        return self.top

    def run(self, constraints) -> TreeClauses:
        order, todo = [], [self.root]
        while todo:  # the variables first, in the tree's order (as uvl_read's `features()`)
            f = todo.pop()
            order.append(f)
            if f.name not in self.var:
                self.var[f.name] = self._new()
            todo.extend(reversed([c for g in f.groups for c in g.children]))
        add = self.clauses.append
        add([self.var[self.root.name]])
        for f in order:
            p = self.var[f.name]
            for g in f.groups:
                kids = [self.var[c.name] for c in g.children]
                for c in g.children:
                    self.parent.setdefault(c.name, f.name)
                for k in kids:
                    add([-k, p])
                if not kids or g.kind == "optional":
                    continue
                if g.kind == "mandatory":
                    for c, k in zip(g.children, kids):
                        self.mandatory.add(c.name)
                        add([-p, k])
                    continue
                self._group(p, g, kids)
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 100_000))  # a constraint may nest thousands deep
        try:
            for line, c, text in constraints:
                mine: list[list[int]] = []  # written only when the whole constraint can be
                try:
                    self._assert(c, mine)
                except _Skip as exc:
                    self.skipped.append(f"constraint on line {line}: {exc}")
                    continue
                self.clauses += mine
        finally:
            sys.setrecursionlimit(limit)
        return TreeClauses(self.root.name, self.var, self.parent, self.mandatory, self.clauses, self.top,
                           self.skipped)

    def _group(self, p: int, g, kids: list[int]) -> None:
        n, low, high = len(kids), g.low, g.high
        if high is None or high > n:
            high = n
        if n == 1 and low == 1 and (g.high == 1 or g.kind in ("alternative", "or")):
            self.mandatory.add(g.children[0].name)  # flamapy's reading: a relation 1..1 of one child
        if low > n:
            self.clauses.append([-p])
            return
        if low == 1:
            self.clauses.append([-p] + kids)
        elif low > 1:
            self._card(p, kids, low, "atleast")
        if high == 0:
            self.clauses += [[-p, -k] for k in kids]
        elif high == 1 and n <= PAIRWISE:
            self.clauses += [[-p, -a, -b] for i, a in enumerate(kids) for b in kids[i + 1:]]
        elif high < n:
            self._card(p, kids, high, "atmost")

    def _card(self, p: int, kids: list[int], bound: int, how: str) -> None:
        from pysat.card import CardEnc, EncType

        enc = getattr(CardEnc, how)(lits=kids, bound=bound, top_id=self.top, encoding=EncType.seqcounter)
        self.top = max(self.top, enc.nv)
        # each clause only when the parent is there: with the auxiliaries free otherwise
        self.clauses += [[-p] + c for c in enc.clauses]

    # ---- constraints -----------------------------------------------------------------------
    def _assert(self, c, out: list[list[int]]) -> None:
        """The clauses saying that `c` holds, into `out` (the definitions of gates go straight
        into the tree's clauses: true whatever happens to `out`)."""
        kind = c[0]
        if kind == "and":
            for x in c[1]:
                self._assert(x, out)
            return
        if kind == "not" and c[1][0] == "not":
            self._assert(c[1][1], out)
            return
        if kind == "not" and c[1][0] == "or":
            for x in c[1][1]:
                self._assert(("not", x), out)
            return
        if kind == "iff":
            a, b = self._lit(c[1]), self._lit(c[2])
            out += [[-a, b], [a, -b]]
            return
        clause: list[int] = []
        self._disjunction(c, clause)
        out.append(clause)

    def _disjunction(self, c, out: list[int]) -> None:
        kind = c[0]
        if kind == "or":
            for x in c[1]:
                self._disjunction(x, out)
        elif kind == "implies":
            out.append(-self._lit(c[1]))
            self._disjunction(c[2], out)
        elif kind == "not" and c[1][0] == "and":
            out += [-self._lit(x) for x in c[1][1]]
        else:
            out.append(self._lit(c))

    def _lit(self, c) -> int:
        kind = c[0]
        if kind == "ref":
            v = self.var.get(c[1])
            if v is None:
                raise _Skip(f"`{c[1]}` is no feature of the model")
            return v
        if kind == "not":
            return -self._lit(c[1])
        if kind == "and":
            return self._and([self._lit(x) for x in c[1]])
        if kind == "or":
            return -self._and([-self._lit(x) for x in c[1]])
        if kind == "implies":
            return -self._and([self._lit(c[1]), -self._lit(c[2])])
        if kind == "iff":
            a, b = self._lit(c[1]), self._lit(c[2])
            return -self._and([-self._and([a, b]), -self._and([-a, -b])])
        raise _Skip("arithmetic over attributes or typed features")

    def _and(self, lits: list[int]) -> int:
        key = tuple(sorted(set(lits)))
        if len(key) == 1:
            return key[0]
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = self._new()
            self.clauses += [[-gate, x] for x in key]
            self.clauses.append([gate] + [-x for x in key])
        return gate


class _Skip(Exception):
    pass


class TreeQuestions:
    """Dead, core and false-optional features of a `TreeClauses`, on one solver."""

    def __init__(self, tree: TreeClauses):
        if Minisat22 is None:
            raise RuntimeError("python-sat is not installed")
        self.tree = tree
        self.solver = Minisat22(bootstrap_with=tree.clauses)
        self.calls = 0
        self._fixed: dict[int, bool] | None = None
        self._satisfiable: bool | None = None
        self._models: list[list[int]] = []  # the models the backbone met (refutations for false-optional)

    def close(self) -> None:
        self.solver.delete()

    def __enter__(self) -> "TreeQuestions":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def satisfiable(self) -> bool:
        if self._satisfiable is None:
            self.calls += 1
            self._satisfiable = self.solver.solve()
        return self._satisfiable

    def backbone(self) -> dict[int, bool]:
        if self._fixed is None:
            if not self.satisfiable():
                self._fixed = {}
            else:
                found = backbone_of(self.solver, list(self.tree.var.values()), keep_models=self._models)
                self.calls += found.calls
                self._fixed = found.fixed
        return self._fixed

    def core(self) -> list[str]:
        """Features in every valid configuration (the root among them); none when there is none."""
        fixed = self.backbone()
        return [n for n, v in self.tree.var.items() if fixed.get(v) is True]

    def dead(self) -> list[str]:
        """Features in no valid configuration (every feature when there is none)."""
        if not self.satisfiable():
            return list(self.tree.var)
        fixed = self.backbone()
        return [n for n, v in self.tree.var.items() if fixed.get(v) is False]

    def false_optional(self) -> list[str]:
        """Features below the root, not mandatory, there whenever their parent is (flamapy's
        definition: a parent that is never there makes each of its optional children one)."""
        t = self.tree
        candidates = [n for n in t.var if n in t.parent and n not in t.mandatory]
        if not self.satisfiable():
            return candidates
        fixed = self.backbone()
        out: set[str] = set()
        undecided: list[tuple[int, int, str]] = []  # (parent, child, name)
        for n in candidates:
            v, p = t.var[n], t.var[t.parent[n]]
            if fixed.get(v) is True or fixed.get(p) is False:
                out.add(n)
            elif fixed.get(v) is not False:  # a dead child of a live parent is not there with it
                undecided.append((p, v, n))
        for m in self._models:  # a model with the parent and without the child refutes it
            if not undecided:
                break
            undecided = [x for x in undecided if m[x[0] - 1] < 0 or m[x[1] - 1] > 0]
        # the children left, under every parent at once: a fresh literal e_c for each ("its parent
        # is there and it is not"), and a switched clause "one of them holds"; the solver leans to
        # make them all hold. A model refutes every child whose parent it has without it; no
        # model proves every child left false-optional
        s = self.solver
        top = s.nof_vars()
        pair: dict[int, tuple[int, int, str]] = {}  # e_c -> (parent, child, name)
        for p, v, n in undecided:
            top += 1
            pair[top] = (p, v, n)
            s.add_clause([-top, p])
            s.add_clause([-top, -v])
        while pair:
            top += 1
            s.add_clause([-top] + list(pair))
            s.set_phases(list(pair) + [p for p, _, _ in pair.values()] + [-v for _, v, _ in pair.values()])
            self.calls += 1
            if s.solve(assumptions=[top]):
                m = s.get_model()
                for e in [e for e, (p, v, _) in pair.items() if m[p - 1] > 0 and m[v - 1] < 0]:
                    del pair[e]
            else:
                out.update(n for _, _, n in pair.values())
                pair = {}
            s.add_clause([-top])
        return [n for n in candidates if n in out]


def _drop_flipped(kids: dict[int, str], model: list[int], value: bool) -> None:
    for v in [v for v in kids if (model[v - 1] > 0) != value]:
        del kids[v]
