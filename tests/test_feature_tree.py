"""sat/feature_tree.py, the short way from a UVL tree to its dead, core and false-optional
features: right by brute force on the UVL fixtures (the feature-model semantics written again
here), the same dead and core as lint's L002 and L004 on the imported tariff (fixtures and the
small shared models), and the backbone of sat/solver.py right on random clause sets."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, ROOT, uvl_configurations

pytest.importorskip("uvl.UVLPythonParser", reason="the `uvlparser` package is not installed")
pytest.importorskip("pysat.solvers", reason="python-sat is not installed")

from pysat.solvers import Minisat22  # noqa: E402

from tariffcheck.analyse.lint import lint_tariff  # noqa: E402
from tariffcheck.interop.uvl_import import import_uvl_model  # noqa: E402
from tariffcheck.interop.uvl_read import Feature, Group, UvlModel, read_uvl_file  # noqa: E402
from tariffcheck.resolve import resolve  # noqa: E402
from tariffcheck.sat.feature_tree import Rotation, TreeQuestions, compile_tree  # noqa: E402
from tariffcheck.sat.solver import backbone_of, minisat  # noqa: E402
from tariffcheck.syntax.parser import parse_text  # noqa: E402

FIXTURE_MODELS = ["dead_and_core.uvl", "groups.uvl", "cardinality.uvl", "constraints.uvl"]
SHARED = ROOT.parent / "shared" / "uvl"


def _brute(model) -> tuple[set[str], set[str], set[str]]:
    names, valid = uvl_configurations(model)
    core = {n for n in names if all(n in v for v in valid)} if valid else set()  # none without a configuration
    dead = {n for n in names if not any(n in v for v in valid)}
    fo = set()
    for f in model.features():
        for g in f.groups:
            # flamapy's "mandatory": a mandatory group's children, the one child of a group wanting one
            if g.kind == "mandatory" or len(g.children) == 1 and g.low == 1 and (
                    g.high == 1 or g.kind in ("alternative", "or")):
                continue
            fo |= {c.name for c in g.children if all(c.name in v for v in valid if f.name in v)}
    return core, dead, fo


@pytest.mark.parametrize("name", FIXTURE_MODELS)
def test_dead_core_and_false_optional_are_right_by_brute_force(name):
    model = read_uvl_file(str(FIXTURES / "uvl" / name))
    tree = compile_tree(model.root, model.constraints)
    assert tree.skipped == []
    with TreeQuestions(tree) as q:
        got = set(q.core()), set(q.dead()), set(q.false_optional())
    assert got == _brute(model)


def test_a_false_optional_feature_and_the_children_of_a_dead_parent(tmp_path):
    path = tmp_path / "fo.uvl"
    path.write_text("features\n  Shop\n    optional\n      Pay\n        optional\n          Card\n          Cash\n"
                    "      Old\n        optional\n          Tape\n    mandatory\n      Web\n"
                    "constraints\n  Web => Pay\n  Pay => Card\n  Old => !Web\n")
    model = read_uvl_file(str(path))
    with TreeQuestions(compile_tree(model.root, model.constraints)) as q:
        assert set(q.false_optional()) == {"Pay", "Card", "Tape"}  # Pay, Card core; Tape under dead Old
        assert set(q.dead()) == {"Old", "Tape"} and "Cash" not in q.core()
    assert set(q.false_optional()) == _brute(model)[2]


# ---- random small trees with cross-tree constraints, against brute force -----------------------
KINDS = ("mandatory", "optional", "alternative", "or", "cardinality")


@st.composite
def _trees(draw, twice: bool = False):
    """A feature tree of up to 10 features: each joins a group of an earlier feature or opens
    one (any kind; a cardinality of any bounds, an upper one below the lower included), and up
    to 4 constraints over its names, nested with not/and/or/implies/iff. With `twice`, a name
    may be given to two features."""
    count = draw(st.integers(1, 9))
    names = [f"F{i}" for i in range(count + 1)]
    root = Feature(names[0], 1)
    nodes = [root]
    for i in range(1, count + 1):
        parent = draw(st.sampled_from(nodes))
        if parent.groups and draw(st.booleans()):
            g = draw(st.sampled_from(parent.groups))
        else:
            kind = draw(st.sampled_from(KINDS))
            low, high = {"alternative": (1, 1), "or": (1, None)}.get(kind, (0, None))
            if kind == "cardinality":
                low, high = draw(st.integers(0, 3)), draw(st.one_of(st.none(), st.integers(0, 3)))
            g = Group(kind, 1, [], low, high)
            parent.groups.append(g)
        name = draw(st.sampled_from(names[1:i])) if twice and i > 1 and draw(st.booleans()) else names[i]
        f = Feature(name, 1)
        g.children.append(f)
        nodes.append(f)
    ref = st.sampled_from(sorted({f.name for f in nodes})).map(lambda n: ("ref", n))
    expr = st.recursive(ref, lambda inner: st.one_of(
        inner.map(lambda x: ("not", x)),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: ("and", xs)),
        st.lists(inner, min_size=2, max_size=3).map(lambda xs: ("or", xs)),
        st.tuples(inner, inner).map(lambda ab: ("implies", *ab)),
        st.tuples(inner, inner).map(lambda ab: ("iff", *ab))), max_leaves=5)
    constraints = [(k + 1, c, "") for k, c in enumerate(draw(st.lists(expr, max_size=4)))]
    return UvlModel("random.uvl", root, constraints)


@settings(max_examples=400, deadline=None)
@given(_trees())
def test_random_trees_with_constraints_are_right_by_brute_force(model):
    # the tree's own answers (free subtrees, a group's representative, constraints simplified
    # by the tree) and the solver's part must together be the whole model's
    with TreeQuestions(compile_tree(model.root, model.constraints)) as q:
        got = set(q.core()), set(q.dead()), set(q.false_optional())
    assert got == _brute(model)


@settings(max_examples=300, deadline=None)
@given(_trees(), st.randoms(use_true_random=False))
def test_a_rotated_model_is_a_model(model, rnd):
    # each rotation the backbone keeps must be a configuration of the solver's clauses: asked
    # of the solver itself, with every feature it holds assumed at its rotated value; rotations
    # of several models (the solver leaning at random) for every feature, on and off
    tree = compile_tree(model.root, model.constraints)
    if not tree.groups or tree.twice:
        return
    features = sorted({x for x in tree.variable if x})
    s = Minisat22(bootstrap_with=tree.clauses)
    try:
        rotation = Rotation(tree)
        for _ in range(3):
            s.set_phases([v if rnd.random() < 0.5 else -v for v in range(1, tree.top + 1)])
            if not s.solve():
                return
            m = s.get_model()
            for v in features:
                for value in (True, False):
                    cand = {v: -v if value else v}
                    gone = rotation.refute(m, cand)
                    rotation.failed.clear()
                    rotation.tried = rotation.found = 0  # every rotation tried, none given up
                    if not gone:
                        continue
                    assert cand == {}
                    # the rotated values (rotate again to read them: refute puts the model back)
                    rotation._load(m)
                    rotation.change = {}
                    assert (rotation._on(v) if value else rotation._off(v)) and rotation._holds()
                    values = [u if rotation.now[u] else -u for u in features]
                    assert s.solve(assumptions=values), (v, value, rotation.change)
    finally:
        s.delete()


@settings(max_examples=150, deadline=None)
@given(_trees(twice=True))
def test_a_name_given_twice_is_one_feature_in_both_places(model):
    # one variable under two parents: nothing is read off the tree for it (core and dead only:
    # which parent false-optional is asked under is not defined for such a name)
    with TreeQuestions(compile_tree(model.root, model.constraints)) as q:
        got = set(q.core()), set(q.dead())
    assert got == _brute(model)[:2]


def _lint_sets(path) -> tuple[set[str], set[str], str]:
    model = read_uvl_file(str(path))
    imported = import_uvl_model(model)
    tariff = resolve(parse_text(imported.text, str(path)))
    name_of = {oid: n for n, oid in imported.ids.items()}
    found = lint_tariff(tariff, checks=("dead", "forced")).findings
    return ({name_of[f.subject] for f in found if f.code == "L002"},
            {name_of[f.subject] for f in found if f.code == "L004"}, model.root.name)


def _tree_sets(path) -> tuple[set[str], set[str]]:
    model = read_uvl_file(str(path))
    with TreeQuestions(compile_tree(model.root, model.constraints)) as q:
        return set(q.dead()), set(q.core())


def _shared_small() -> list:
    if not SHARED.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"the shared UVL models are not here ({SHARED})"))]
    return [p for p in sorted(SHARED.glob("*.uvl")) if p.stat().st_size < 40_000]


@pytest.mark.parametrize("path", [FIXTURES / "uvl" / n for n in FIXTURE_MODELS] + _shared_small(),
                         ids=lambda p: getattr(p, "name", str(p)))
def test_the_short_way_finds_what_lint_finds(path):
    dead, core, root = _lint_sets(path)
    tree_dead, tree_core = _tree_sets(path)
    assert tree_dead == dead
    assert tree_core == core | {root}


class _Wrapped(Minisat22):
    """A solver that is no `Minisat22` by type: `backbone_of` asks it through its methods."""


# the three ways a solver reaches `backbone_of`: python-sat's own bootstrap, `minisat` (the clauses
# by its C function), and a solver it calls through the wrapper's methods
SOLVERS = {"bootstrap": lambda clauses: Minisat22(bootstrap_with=clauses), "minisat": minisat,
           "wrapper": lambda clauses: _Wrapped(bootstrap_with=clauses)}


@pytest.mark.parametrize("make", sorted(SOLVERS))
@pytest.mark.parametrize("seed", range(40))
def test_the_backbone_is_right_on_random_clauses(seed, make):
    rnd = random.Random(seed)
    n = rnd.randint(3, 9)
    clauses = [[rnd.choice((1, -1)) * rnd.randint(1, n) for _ in range(rnd.randint(1, 3))]
               for _ in range(rnd.randint(2, 3 * n))]
    models = [bits for bits in itertools.product((False, True), repeat=n)
              if all(any(bits[abs(x) - 1] == (x > 0) for x in c) for c in clauses)]
    for value in (None, True, False):
        s = SOLVERS[make](clauses)
        try:
            found = backbone_of(s, list(range(1, n + 1)), value)
        finally:
            s.delete()
        assert found.satisfiable == bool(models)
        if not models:
            continue
        want = {v: models[0][v - 1] for v in range(1, n + 1) if len({m[v - 1] for m in models}) == 1}
        if value is not None:  # only those of that value are promised
            want = {v: b for v, b in want.items() if b == value}
            assert {v: b for v, b in found.fixed.items() if b == value} == want
        else:
            assert found.fixed == want


def test_minisat_keeps_a_clause_refused_at_level_0_as_the_wrapper_does():
    # [-1] is refused once [1] is there: the clauses after it are still sent, the status is false
    # and the formula has no model, as with python-sat's own bootstrap
    clauses = [[1, 2], [1], [-1], [2, 3]]
    ours, theirs = minisat(clauses), Minisat22(bootstrap_with=clauses)
    try:
        assert ours.get_status() is False and theirs.get_status() is False
        assert ours.nof_clauses() == theirs.nof_clauses()
        assert ours.solve() is False and theirs.solve() is False
    finally:
        ours.delete()
        theirs.delete()
    s = minisat([[1, 2], [-1], [-2, 3]])
    try:
        assert s.solve() is True and s.get_model() == [-1, 2, 3]
    finally:
        s.delete()
