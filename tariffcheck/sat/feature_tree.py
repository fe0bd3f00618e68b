"""A feature tree and its cross-tree constraints, and its dead, core and false-optional features:
what the tree alone settles is read off the tree, and only the part the constraints reach goes
to one incremental SAT solver.

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

**What the tree settles.** A subtree that no constraint names (no feature of it, after the
constraints are simplified) is *free*: with its top chosen, its features can be chosen as its
groups allow, whatever the rest of the model does. So, bottom up, each feature is *selectable*
or not (each of its groups can take `low` of its selectable children, and `low ≤ high`); and
below a free top, a feature is there in some configuration exactly when the top is and the path
down allows it, in every one exactly when the top is in every one and each step down is forced
(its group must take every selectable child), and it is false-optional exactly when its parent
is dead or the step from the parent is forced. The free children of one group are
interchangeable (nothing outside names them), so one of them, the group's *representative*,
stands for all: the solver sees it and at most `high` more (enough for every count the group
allows), asks only it, and the others take its answers. The constraints are simplified first
with what the tree alone decides: a feature on a mandatory chain from the root is in every
configuration (a clause naming it is true, its negation is dropped), one the tree never allows
is in none, and a clause `not X or Y` with Y X's ancestor says what the tree says (dropped).
A model without constraints (or whose constraints the tree satisfies) is answered with a solver
of the root alone; the constraints' features, their ancestors and the representatives go to
the solver.

A constraint that is a clause already is written as one without the general walk, and
`(A | B) => C` and `A => B & C` become clauses without a gate. When the solver holds only a
part of the tree, it numbers that part's variables alone: MiniSat decides every variable on
every call, held by a clause or not.

The questions (`TreeQuestions`): one MiniSat holding that part. The backbone is solver.py's
(`backbone`: propagation, then failed-literal probing, then models leaning the other way, each
refuting every candidate it flips, then one call per candidate left). Where that last stage
slows to a model per candidate (the twenty-odd cases of one alternative group that the
constraints name: the solver's model picks one of them), each model is *rotated* (`Rotation`):
the picked case swapped for each other case in turn, every swap that keeps the groups and the
constraint clauses it touches true being a model too, refuting what it flips without a call. False-optional starts from
it (a core feature and the children of a dead parent are false-optional without a call, and
every model met so far where a parent is there and a child is not refutes that child), then asks
under each parent that still has candidates, assuming the parent and a switched clause "one of
them is not there": a model refutes each one it leaves out, no model proves all that are left.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from .solver import Minisat22, backbone_of, minisat

# models are rotated (`Rotation`) where the constraints' clauses have at most this many literals:
# beyond, indexing them costs more than the solver calls the rotations save (busybox's 2,456 and
# ecos's 5,271 literals: 0.4 and 3.4 ms to index, against a whole question of 6 and 9 ms)
ROTATE_UP_TO = 2000
# and only a model of the backbone's last stage that refuted at most ROTATE_SLOW candidates, with
# at least ROTATE_LEFT left: fewer cost fewer solver calls than the rotations' set-up (windows8:
# a tail of 12 candidates, whose one rotation failed, cost 150 µs against 2 ms)
ROTATE_SLOW, ROTATE_LEFT = 2, 16
PAIRWISE = 6  # at most one of this many or fewer children: their pairs; of more, a counter


@dataclass
class TreeClauses:
    """The tree's features by position (level by level from the root, position 0; a name given
    to two features is one variable, at two positions), what the tree settles for each, and the
    clauses of the part it does not."""

    root: str
    var: dict[str, int]  # feature name -> its number in the whole tree (the root's is 1; not the solver's)
    parent: dict[str, str]  # feature name -> its parent's name (not for the root)
    mandatory: set[str]  # flamapy's "mandatory": the one child of a group wanting exactly one
    clauses: list[list[int]] = field(default_factory=list)  # the solver's part only, in its own numbering
    top: int = 0  # the solver's variables
    skipped: list[str] = field(default_factory=list)  # constraints not written, and why
    asked: list[int] = field(default_factory=list)  # the variables whose answers the solver gives
    names: list[str] = field(default_factory=list)  # by position
    variable: list[int] = field(default_factory=list)  # by position: the solver's variable (0: none)
    up: list[int] = field(default_factory=list)  # the parent's position (-1 for the root)
    solved: list[bool] = field(default_factory=list)  # a feature of the solver's part
    # a feature outside it: the asked variable it follows (0: it is in no configuration; its own
    # for a group's representative), whether it is there in some configuration where that one is,
    # and in every one where that one is
    anchor: list[int] = field(default_factory=list)
    there: list[bool] = field(default_factory=list)
    every: list[bool] = field(default_factory=list)
    forced: list[bool] = field(default_factory=list)  # its group takes it whenever its parent is there
    same_as: dict[int, int] = field(default_factory=dict)  # a free child -> its representative's position
    twice: bool = False  # some name is given to two features
    # the solver's groups as written, in its numbering: (parent, children, at least, at most), and
    # where the constraints' clauses (with their gates' definitions) start in `clauses`: what a
    # model rotated by `Rotation` must still satisfy
    groups: list[tuple[int, list[int], int, int]] = field(default_factory=list)
    ctc_from: int = 0
    # the solver's variables that the tree alone puts in every configuration there is (the root
    # and the mandatory chains below it): the backbone takes them without a probe
    core: list[int] = field(default_factory=list)


def compile_tree(root, constraints) -> TreeClauses:
    """The clauses of a feature tree (a `Feature` with `.name` and `.groups`, each group with
    `.kind`, `.children`, `.low`, `.high`) and of its constraints (`(line, constraint, text)`
    as uvl_read gives them), for the part of it the tree alone does not settle."""
    return _TreeWriter(root).run(constraints)


def _bounds(g) -> tuple[int, int]:
    """How many of its children a chosen parent has in group `g`, at least and at most."""
    n = len(g.children)
    if g.kind == "mandatory":
        return n, n
    if g.kind == "optional":
        return 0, n
    return g.low, n if g.high is None or g.high > n else g.high


class _TreeWriter:
    def __init__(self, root):
        self.root = root
        self.mandatory: set[str] = set()
        self.clauses: list[list[int]] = []
        self.skipped: list[str] = []
        self.groups: list[tuple[int, list[int], int, int]] = []
        self._gates: dict[tuple, int] = {}
        self._gate_clauses: list[list[int]] = []
        self.top = 0

    def _new(self) -> int:
        self.top += 1
        return self.top

    def run(self, constraints) -> TreeClauses:
        # the features level by level: a group's children at consecutive positions
        nodes, up, spans = [self.root], [-1], []  # spans[i]: node i's groups as (low, high, first, end)
        mandatory = self.mandatory
        i = 0
        while i < len(nodes):
            mine = []
            for g in nodes[i].groups:
                first = len(nodes)
                nodes += g.children
                up += [i] * len(g.children)
                low, high = _bounds(g)
                mine.append((low, high, first, len(nodes)))
                if g.kind == "mandatory":
                    mandatory.update(c.name for c in g.children)
                elif len(g.children) == 1 and g.low == 1 and (g.high == 1 or g.kind in ("alternative", "or")):
                    mandatory.add(g.children[0].name)  # flamapy's reading: a relation 1..1 of one child
            spans.append(mine)
            i += 1
        n = len(nodes)
        names = [f.name for f in nodes]
        var = dict(zip(names, range(1, n + 1)))
        twice = len(var) < n
        if twice:  # a name at two positions: one variable, numbered at its first
            var = {}
            for name in names:
                var.setdefault(name, len(var) + 1)
            v = [var[name] for name in names]
            parent: dict[str, str] = {}
            for k in range(1, n):
                parent.setdefault(names[k], names[up[k]])
        else:
            v = list(range(1, n + 1))
            parent = dict(zip(names[1:], [names[k] for k in up[1:]]))
        self.var, self.top = var, len(var)
        inner = [i for i in range(n) if spans[i]]

        # children first: whether each feature's groups can be met as far as the tree goes
        # (selectable), whether its group may take it (allowed), must take it (forced)
        selectable, allowed, forced = [True] * n, [False] * n, [False] * n
        for i in reversed(inner):
            for low, high, a, b in spans[i]:
                live = sum(selectable[a:b])
                if low > live or low > high:
                    selectable[i] = False
                if high > 0:
                    allowed[a:b] = selectable[a:b]
                    if low >= live:
                        forced[a:b] = selectable[a:b]

        ctc = self._constraints(constraints)
        chain = None  # by position: on a mandatory chain from the root (in every configuration, if any)
        if not selectable[0]:
            ctc = [[]]
        elif ctc and not twice:  # what the tree alone decides, from the root down
            there, every = [False] * n, [False] * n
            there[0] = every[0] = True
            for i in inner:
                for low, high, a, b in spans[i]:
                    if there[i]:
                        there[a:b] = allowed[a:b]
                    if every[i]:
                        every[a:b] = forced[a:b]
            ctc = self._simplify(ctc, there, every)
            chain = every
        if ctc and not ctc[-1]:  # a clause that nothing satisfies: no configuration
            return TreeClauses(self.root.name, var, parent, mandatory, [[1], [-1]], self.top, self.skipped, [1],
                               names, v, up, [True] + [False] * (n - 1), [0] * n, [False] * n, [False] * n, forced, {},
                               twice)

        # the solver's part: every feature the constraints name, and its ancestors
        solved = [False] * n
        solved[0] = True
        named = {abs(x) for c in ctc for x in c}
        if twice:
            named.update(var[name] for name in names if names.count(name) > 1)
            todo = [i for i in range(n) if v[i] in named]
        else:
            todo = [x - 1 for x in named if x <= n]
        for i in todo:
            while i >= 0 and not solved[i]:
                solved[i] = True
                i = up[i]
        # when the solver holds a part of the tree only, it numbers its own variables, the root 1,
        # in the order they are met: a feature it does not hold is no variable of it (MiniSat
        # decides every variable on every call); when it holds most, the tree's numbers are kept
        renumber = 4 * sum(solved) < 3 * n
        number: dict[int, int] = {}  # variable of the whole tree (or gate) -> the solver's

        def num(x: int) -> int:
            y = number.get(x)
            if y is None:
                self.top += 1
                y = number[x] = self.top
            return y

        if renumber:
            self.top = 0
        else:
            def num(x: int) -> int:
                return x
        anchor, there, every = [0] * n, [False] * n, [False] * n
        same_as: dict[int, int] = {}
        add = self.clauses.append
        add([num(v[0])])
        reps = []
        for i in inner:
            if not solved[i]:  # below a free top: its answers follow the top's
                for low, high, a, b in spans[i]:
                    anchor[a:b] = [anchor[i]] * (b - a)
                    if there[i]:
                        there[a:b] = allowed[a:b]
                    if every[i]:
                        every[a:b] = forced[a:b]
                continue
            p = num(v[i])
            for low, high, a, b in spans[i]:
                kids, free = [], []
                for k in range(a, b):
                    if solved[k]:
                        kids.append(num(v[k]))
                    elif selectable[k]:
                        free.append(k)
                if free:  # interchangeable: one representative asked, as many as the group may take kept
                    kids += [num(v[k]) for k in free[:high + 1]]
                    rep = num(v[free[0]])
                    reps.append(rep)
                    for k in free:
                        anchor[k], there[k], every[k] = rep, True, True
                        same_as[k] = free[0]
                self._group(p, kids, low, high)
        ctc_from = len(self.clauses)
        if renumber:
            for x in range(len(var) + 1, len(var) + len(self._gates) + 1):  # the gates (the rest are numbered)
                num(x)
            self.clauses += [[number[x] if x > 0 else -number[-x] for x in c] for c in ctc]
            variable = [number.get(x, 0) for x in v]
        else:
            self.clauses += ctc
            variable = [x if solved[i] or same_as.get(i) == i else 0 for i, x in enumerate(v)]
        asked = [1] + reps + [variable[i] for i in range(1, n) if solved[i]]
        if twice:
            asked = list(dict.fromkeys(asked))
        core = [variable[i] for i in range(n) if chain[i] and solved[i]] if chain else []
        return TreeClauses(self.root.name, var, parent, mandatory, self.clauses, self.top, self.skipped, asked,
                           names, variable, up, solved, anchor, there, every, forced, same_as, twice,
                           self.groups, ctc_from, core)

    def _group(self, p: int, kids: list[int], low: int, high: int) -> None:
        add = self.clauses.append
        self.clauses += [[-k, p] for k in kids]
        n = len(kids)
        high = min(high, n)
        self.groups.append((p, kids, low, high))
        if low > high:
            add([-p])
        elif low == n:
            self.clauses += [[-p, k] for k in kids]
        else:
            if low == 1:
                add([-p] + kids)
            elif low > 1:
                self._card(p, kids, low, "atleast")
            if high == 0:
                self.clauses += [[-p, -k] for k in kids]
            elif high == 1 and n <= PAIRWISE:
                self.clauses += [[-p, -a, -b] for i, a in enumerate(kids) for b in kids[i + 1:]]
            elif high == 1:
                self._at_most_one(kids)
            elif high < n:
                self._card(p, kids, high, "atmost")

    def _at_most_one(self, kids: list[int]) -> None:
        """At most one of `kids`, by a ladder of auxiliaries (Sinz's sequential counter for a bound
        of one): s_i says "one of the first i is chosen". Written here rather than by pysat's
        CardEnc, which costs 40 µs a call from Python, a tenth of a small model's question. Not
        conditioned on the parent: a chosen child brings its parent, so with the parent absent
        no child is chosen and the ladder holds with every s_i false."""
        n = len(kids)
        s = list(range(self.top + 1, self.top + n))  # s_1 .. s_{n-1}
        self.top += n - 1
        add = self.clauses.append
        add([-kids[0], s[0]])
        for i in range(1, n - 1):
            x, before, here = kids[i], s[i - 1], s[i]
            add([-x, here])
            add([-before, here])
            add([-x, -before])
        add([-kids[-1], -s[-1]])

    def _card(self, p: int, kids: list[int], bound: int, how: str) -> None:
        from pysat.card import CardEnc, EncType

        enc = getattr(CardEnc, how)(lits=kids, bound=bound, top_id=self.top, encoding=EncType.seqcounter)
        self.top = max(self.top, enc.nv)
        # each clause only when the parent is there: with the auxiliaries free otherwise
        self.clauses += [[-p] + c for c in enc.clauses]

    def _simplify(self, ctc: list[list[int]], there: list[bool], every: list[bool]) -> list[list[int]]:
        """The constraints' clauses less what the tree decides (a feature on a mandatory chain
        from the root is in every configuration, one the tree never allows in none): a clause
        with a literal the tree makes true is dropped, a literal it makes false is left out. An
        empty clause, when one comes out, is the last. (With no feature named twice, the feature
        at position i has variable i + 1.)"""
        n = len(there)
        decided = [x for i in range(n) if every[i] or not there[i] for x in (i + 1, -i - 1)]
        if not decided:
            return ctc
        decided = set(decided)
        out = []
        for c in ctc:
            if decided.isdisjoint(c):
                out.append(c)
                continue
            kept = []
            for x in c:
                i = (x if x > 0 else -x) - 1
                if i >= n or there[i] and not every[i]:
                    kept.append(x)
                elif every[i] == (x > 0):
                    break
            else:
                if not kept:
                    return out + [kept]
                out.append(kept)
        return out

    # ---- constraints -----------------------------------------------------------------------
    def _constraints(self, constraints) -> list[list[int]]:
        """Each constraint's clauses, and the definitions of its gates (one list)."""
        out: list[list[int]] = []
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 100_000))  # a constraint may nest thousands deep
        try:
            for line, c, text in constraints:
                clause = _flat(c, self.var)
                if clause is not None:
                    out.append(clause)
                    continue
                clauses = _flat_implication(c, self.var)
                if clauses is not None:
                    out += clauses
                    continue
                mine: list[list[int]] = []  # written only when the whole constraint can be
                try:
                    self._assert(c, mine)
                except _Skip as exc:
                    self.skipped.append(f"constraint on line {line}: {exc}")
                    continue
                out += mine
        finally:
            sys.setrecursionlimit(limit)
        return self._gate_clauses + out

    def _assert(self, c, out: list[list[int]]) -> None:
        """The clauses saying that `c` holds, into `out` (the definitions of gates go to a list
        of their own: true whatever happens to `out`)."""
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
        if kind == "implies" and c[1][0] == "or":  # (A | B) => C: A => C and B => C, no gate
            for x in c[1][1]:
                self._assert(("implies", x, c[2]), out)
            return
        if kind == "implies" and c[2][0] == "and":  # A => B & C: A => B and A => C
            for x in c[2][1]:
                self._assert(("implies", c[1], x), out)
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
            self._gate_clauses += [[-gate, x] for x in key]
            self._gate_clauses.append([gate] + [-x for x in key])
        return gate


class _Skip(Exception):
    pass


def _flat(c, var: dict[str, int]) -> list[int] | None:
    """The clause of a constraint that is one already (`A | !B | C`, `A => B`, `A`, `!A`: most
    constraints of the models at hand), without the general walk; None for any other."""
    kind = c[0]
    if kind == "implies":
        a, b = c[1], c[2]
        if a[0] == "ref" and b[0] == "ref" and a[1] in var and b[1] in var:
            return [-var[a[1]], var[b[1]]]
        return None
    return _literals(c[1] if kind == "or" else (c,), var)


def _flat_implication(c, var: dict[str, int]) -> list[list[int]] | None:
    """The clauses of `L => R` with L a literal or a disjunction of literals and R a disjunction or
    a conjunction of literals (pc-richmond's twelve constraints, `A | B => C | D | E`), without
    the general walk, which goes down the right side once for each literal of the left: the
    walk's clauses in the walk's order. None for any other constraint, or one naming what is no
    feature (the walk says so)."""
    if c[0] != "implies":
        return None
    left = _literals(c[1][1] if c[1][0] == "or" else (c[1],), var)
    if left is None:
        return None
    right = c[2]
    if right[0] == "and":
        rs = _literals(right[1], var)
        return None if rs is None else [[-a, b] for a in left for b in rs]
    rs = _literals(right[1] if right[0] == "or" else (right,), var)
    return None if rs is None else [[-a] + rs for a in left]


def _literals(parts, var: dict[str, int]) -> list[int] | None:
    """The literals of `parts` when each is a feature or its negation; None otherwise."""
    out = []
    for x in parts:
        if x[0] == "ref":
            v = var.get(x[1])
        elif x[0] == "not" and x[1][0] == "ref":
            v = var.get(x[1][1])
            v = v and -v
        else:
            return None
        if v is None:
            return None
        out.append(v)
    return out


class Rotation:
    """Models next to a model the solver gave, found without the solver (model rotation): a
    feature a model leaves out is turned on (its ancestors too, a sibling displaced where its
    group is full, a first child taken where a group of it wants one), or one it has is turned
    off (its descendants too, a sibling taken where its group would be short), and the result is
    kept only if it satisfies every group it touches (each child with its parent, the parent's
    count within bounds) and every constraint clause naming a feature it changed. The groups'
    counter auxiliaries follow the counts and the gates are left as they are (a clause defining
    one that names a changed feature is checked like any other), so what passes is a
    configuration of the tree and its constraints: the answer of one more solver call, at the
    cost of a few dictionary look-ups. Each refutes the candidates it flips.

    An alternative group of twenty cases named by the constraints needs twenty models from the
    solver, one for each case it picks; swapping the picked case for each other case in turn
    settles all twenty from one model where the constraints allow it (pc-richmond: the backbone's
    last twenty calls each refuted one candidate)."""

    def __init__(self, tree: TreeClauses):
        self.groups = tree.groups
        self.size = tree.top  # the tree's and the constraints' variables (not the questions' own)
        self.group_of: dict[int, int] = {}  # a child -> its group
        self.below: dict[int, list[int]] = {}  # a parent -> its groups
        for g, (p, kids, _, _) in enumerate(self.groups):
            self.below.setdefault(p, []).append(g)
            for k in kids:
                self.group_of[k] = g
        self.naming: dict[int, list[list[int]]] = {}  # a variable -> the constraint clauses naming it
        for c in tree.clauses[tree.ctc_from:]:
            for x in c:
                self.naming.setdefault(abs(x), []).append(c)
        self.tried = self.found = 0
        # the rotations that passed, each a model: the solver's model it was made from and what
        # it changed (false-optional reads them as it reads the solver's)
        self.kept: list[tuple[list[int], dict[int, bool]]] = []
        self.failed: set[int] = set()  # candidates a rotation was tried for and failed
        # the model being rotated, indexed by literal: now[x] is whether literal x holds (a
        # negative x reads from the end, where the negations are kept), so that a clause holds
        # when any(map(now.__getitem__, clause))
        self.now: list[bool] = []
        self.change: dict[int, bool] = {}

    def refute(self, model: list[int], cand: dict[int, int]) -> list[int]:
        """Drop the candidates (variable -> the literal every model so far has) that a rotation of
        `model` flips; their literals. A candidate left out of `model` is turned on with its
        ancestors, whether its parent is there or not (pc-richmond: the leaves of the nested
        alternatives below Graphic card and Processor, one model each otherwise). Each rotation
        that passes is kept, a model for false-optional."""
        gone: list[int] = []
        if not cand or self.tried >= 8 and 4 * self.found < self.tried:  # rotations that rarely pass: the solver's turn
            return gone
        self._load(model)
        group_of = self.group_of
        for v in list(cand):
            lit = cand.get(v)
            if lit is None:  # refuted by an earlier rotation of this model
                continue
            if lit < 0:
                g = group_of.get(v)
                if g is None:
                    continue
            if v in self.failed:  # one failure is enough: rotations of later models rarely pass either
                continue
            self.tried += 1
            change = self.change = {}
            if (self._off(v) if lit > 0 else self._on(v)) and self._holds():
                self.found += 1
                self.kept.append((model, change))
                for u, x in change.items():
                    was = cand.get(u)
                    if was is not None and (was > 0) != x:
                        gone.append(was)
                        del cand[u]
            else:
                self.failed.add(v)
            self._undo(model, change)
        return gone

    def _load(self, model: list[int]) -> None:
        values = model[:self.size]  # a model's literals are ±(its variable), never 0
        self.now = [False] + list(map((0).__lt__, values)) + list(map((0).__gt__, reversed(values)))

    def _undo(self, model: list[int], change: dict[int, bool]) -> None:
        now = self.now
        for u in change:
            now[u] = x = model[u - 1] > 0
            now[-u] = not x

    def _on(self, v: int) -> bool:
        now = self.now
        if now[v]:
            return True
        change = self.change
        if v in change:  # turned off by this rotation already: no going back
            return False
        change[v] = now[v] = True
        now[-v] = False
        g = self.group_of.get(v)
        if g is not None:
            p, kids, low, high = self.groups[g]
            if not self._on(p):
                return False
            if sum(map(now.__getitem__, kids)) > high:
                other = next((k for k in kids if now[k] and k != v and k not in change), None)
                if other is None or not self._off(other, refill=False):
                    return False
        for g in self.below.get(v, ()):
            p, kids, low, high = self.groups[g]
            count = sum(map(now.__getitem__, kids))
            while count < low:
                other = next((k for k in kids if not now[k] and k not in change), None)
                if other is None or not self._on(other):
                    return False
                count += 1
        return True

    def _off(self, v: int, refill: bool = True) -> bool:
        now = self.now
        if not now[v]:
            return True
        change = self.change
        if v in change or v == 1:  # the root is in every configuration
            return False
        change[v] = now[v] = False
        now[-v] = True
        for g in self.below.get(v, ()):
            for k in self.groups[g][1]:
                if now[k] and not self._off(k, refill=False):
                    return False
        g = self.group_of.get(v)
        if refill and g is not None:
            p, kids, low, high = self.groups[g]
            if now[p] and sum(map(now.__getitem__, kids)) < low:
                other = next((k for k in kids if not now[k] and k not in change), None)
                if other is None or not self._on(other):
                    return False
        return True

    def _holds(self) -> bool:
        """Whether the rotated model satisfies every group and constraint clause that names a
        changed variable (the rest hold as they did in the solver's model)."""
        now, groups, group_of, below, naming = self.now, self.groups, self.group_of, self.below, self.naming
        touched = set()
        for v in self.change:
            g = group_of.get(v)
            if g is not None:
                touched.add(g)
            touched.update(below.get(v, ()))
        for g in touched:
            p, kids, low, high = groups[g]
            if now[p]:
                if (low or high < len(kids)) and not low <= sum(map(now.__getitem__, kids)) <= high:
                    return False
            elif any(map(now.__getitem__, kids)):
                return False
        for v in self.change:
            for c in naming.get(v, ()):
                if not any(map(now.__getitem__, c)):
                    return False
        return True


class TreeQuestions:
    """Dead, core and false-optional features of a `TreeClauses`, on one solver."""

    def __init__(self, tree: TreeClauses):
        if Minisat22 is None:
            raise RuntimeError("python-sat is not installed")
        self.tree = tree
        self.solver = minisat(tree.clauses)
        self.calls = 0
        self._fixed: dict[int, bool] | None = None
        self._satisfiable: bool | None = None
        self._models: list[list[int]] = []  # the models the backbone met (refutations for false-optional)
        self._states: list[int] | None = None
        self._rotation: Rotation | None = None

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
        """The asked variables' values in every configuration (those that have one)."""
        if self._fixed is None:
            if not self.satisfiable():
                self._fixed = {}
            else:
                t = self.tree
                rotate = (t.groups and not t.twice and len(t.clauses) - t.ctc_from <= ROTATE_UP_TO
                          and sum(map(len, t.clauses[t.ctc_from:])) <= ROTATE_UP_TO)  # a clause a literal at least
                found = backbone_of(self.solver, t.asked, keep_models=self._models,
                                    rotate=self._rotate if rotate else None, known=t.core,
                                    rest=range(-2, -t.top - 1, -1) if rotate else ())
                # (leaning to leave features out is for the rotations' sake: without them it cost
                # calls, coreboot 11 -> 28, buildroot 12 -> 25)
                self.calls += found.calls
                self._fixed = found.fixed
        return self._fixed

    def _rotate(self, model: list[int], cand: dict[int, int], refuted: int) -> list[int]:
        """Rotations of a model of the backbone's last stage, where the solver has slowed to a
        crawl (the model refuted at most ROTATE_SLOW candidates) and enough candidates are left
        for the rotations to save more calls than they cost (ROTATE_LEFT)."""
        if refuted > ROTATE_SLOW or len(cand) < ROTATE_LEFT:
            return []
        if self._rotation is None:  # made for the first model that needs it (most questions need none)
            self._rotation = Rotation(self.tree)
        return self._rotation.refute(model, cand)

    def _rotated_away(self, undecided: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
        """The (parent, child, position) of `undecided` that none of the backbone's rotations
        refutes. Each is a model: the solver's model it came from, which refuted none of them,
        and what it changed, so only a pair it changed can be refuted. (Turning each child left
        off in a model of its parent, by rotation, settled pc-richmond's last seven pairs without
        a call, but cost more than the calls: 0.50 against 0.46 ms.)"""
        r = self._rotation
        left = {v: (p, v, i) for p, v, i in undecided}  # no name given twice where models are rotated
        below: dict[int, list[int]] = {}  # a parent -> its children left
        for p, v, _ in undecided:
            below.setdefault(p, []).append(v)

        def refute(m: list[int], change: dict[int, bool]) -> None:
            for u, on in change.items():
                for v in below.get(u, ()) if on else (u,):
                    x = left.get(v)
                    if x is not None and change.get(x[0], m[x[0] - 1] > 0) and not change.get(v, m[v - 1] > 0):
                        del left[v]

        for m, change in r.kept:
            if not left:
                return []
            refute(m, change)
        return [x for x in undecided if x[1] in left]

    def _state(self) -> list[int]:
        """By position: 1 in every configuration, -1 in none, 0 in some."""
        if self._states is None:
            t, fixed = self.tree, self.backbone()
            state = self._states = [0] * len(t.names)
            anchor, there, every, solved = t.anchor, t.there, t.every, t.solved
            for i, x in enumerate(t.variable):
                if solved[i]:
                    value = fixed.get(x)
                else:
                    value = fixed.get(anchor[i]) if anchor[i] else False
                    if value is not False and not there[i]:
                        value = False
                    elif value and not every[i]:
                        value = None
                if value is not None:
                    state[i] = 1 if value else -1
        return self._states

    def _answer(self, want: int) -> list[str]:
        names, state = self.tree.names, self._state()
        out = [names[i] for i in range(len(names)) if state[i] == want]
        return list(dict.fromkeys(out)) if self.tree.twice else out

    def core(self) -> list[str]:
        """Features in every valid configuration (the root among them); none when there is none."""
        if not self.satisfiable():
            return []
        return self._answer(1)

    def dead(self) -> list[str]:
        """Features in no valid configuration (every feature when there is none)."""
        if not self.satisfiable():
            return list(self.tree.var)
        return self._answer(-1)

    def false_optional(self) -> list[str]:
        """Features below the root, not mandatory, there whenever their parent is (flamapy's
        definition: a parent that is never there makes each of its optional children one)."""
        t = self.tree
        if not self.satisfiable():
            return [n for n in t.var if n in t.parent and n not in t.mandatory]
        state, names, up, mandatory = self._state(), t.names, t.up, t.mandatory
        out: set[int] = set()
        undecided: list[tuple[int, int, int]] = []  # (parent's variable, child's, child's position)
        later: list[int] = []  # the free children that take their representative's answer
        first = range(1, len(names))
        if t.twice:  # a name given twice is asked at its first position
            first = sorted({n: i for i, n in reversed(list(enumerate(names)))}.values())[1:]
        for i in first:
            n = names[i]
            if n in mandatory:
                continue
            if state[i] == 1 or state[up[i]] == -1:
                out.add(i)
            elif t.solved[i] or t.same_as.get(i) == i:
                if state[i] != -1:  # a dead child of a live parent is not there with it
                    undecided.append((t.variable[up[i]], t.variable[i], i))
            elif i in t.same_as:
                later.append(i)
            elif t.forced[i]:  # below a free top, or a free top in no configuration: the tree says
                out.add(i)
        for m in self._models:  # a model with the parent and without the child refutes it
            if not undecided:
                break
            undecided = [x for x in undecided if m[x[0] - 1] < 0 or m[x[1] - 1] > 0]
        if self._rotation and undecided:
            undecided = self._rotated_away(undecided)
        # the children left, under every parent at once: a fresh literal e_c for each ("its parent
        # is there and it is not"), and a switched clause "one of them holds"; the solver leans to
        # make them all hold. A model refutes every child whose parent it has without it; no
        # model proves every child left false-optional
        s = self.solver
        top = s.nof_vars()
        pair: dict[int, tuple[int, int, int]] = {}  # e_c -> (parent, child, child's position)
        for p, v, i in undecided:
            top += 1
            pair[top] = (p, v, i)
            s.add_clause([-top, p])
            s.add_clause([-top, -v])
        while pair:
            top += 1
            s.add_clause([-top] + list(pair))
            s.set_phases(list(pair) + [p for p, _, _ in pair.values()] + [-v for _, v, _ in pair.values()])
            self.calls += 1
            if s.solve(assumptions=[top]):
                m = s.get_model()
                gone = [e for e, (p, v, _) in pair.items() if m[p - 1] > 0 and m[v - 1] < 0]
                for e in gone:
                    del pair[e]
            else:
                out.update(i for _, _, i in pair.values())
                pair = {}
            s.add_clause([-top])
        out.update(i for i in later if t.same_as[i] in out)
        return [names[i] for i in sorted(out)]
