"""Propagation on the benchmark's parent corpus says what the code before the change said: the
partial Secure Endpoint orders under a parent contract with open services of
benchmarks/bench_explain.py (`parent_corpus`: bench_check.py's seeded orders, with a parent, each
made partial), run by the code at commit dad4fc1 (taken from git into a folder of its own, in a
fresh interpreter) and by this tree. For every order the status, every open field, its possible
and impossible values, its forced value and its bounds must be the same. Reasons may differ (a
shrink may find another minimal one), so each reason of this tree is checked against the
definition instead, on the first orders: its choices and rules exclude the value; without any
one of its choices (every rule kept), or without any one of its rules (its choices kept), the
value is possible.

Skipped, saying why, where git or that commit is not at hand (an unpacked source archive)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import z3

from conftest import ROOT, SPECS
from tariffcheck import catalog
from tariffcheck.orders.decode import decode_partial_order
from tariffcheck.smt.encode import Encoder
from tariffcheck.smt.problem import Workspace
from tariffcheck.smt.propagate import Propagator

OLD = "dad4fc1"
ORDERS = 20  # of the benchmark's 40 (the same seed, so the same first 20)
REASONS_CHECKED = 6  # orders whose every reason is checked for minimality
SEED = 20251001

TARIFF = catalog.load("secure-endpoint")

DUMP = """
import json, sys
from tariffcheck import catalog
from tariffcheck.orders.decode import decode_partial_order
from tariffcheck.smt.propagate import Propagator
tariff = catalog.load("secure-endpoint")
propagator = Propagator(tariff, timeout_ms=600_000)  # a busy machine must not cut it short
out = []
for data in json.load(sys.stdin):
    r = propagator.propagate(decode_partial_order(data, tariff))
    out.append({"status": r.status, "complete": r.complete, "not_analysed": sorted(map(str, r.not_analysed)),
                "fields": sorted([str(f.path), f.kind, sorted(repr(v.value) for v in f.values if v.possible),
                                  sorted(repr(v.value) for v in f.values if not v.possible),
                                  repr(f.forced), f.low, f.high] for f in r.fields)})
print(json.dumps(out, ensure_ascii=False))
"""


def parent_orders() -> list[dict]:
    """The benchmark's parent corpus as JSON (bench_solver_before_after.py builds it the same way)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from bench_explain import partials
    finally:
        sys.path.pop(0)
    return partials(TARIFF, ORDERS, SEED)


def _old_tree(into: Path) -> Path | None:
    if shutil.which("git") is None:
        return None
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", OLD, "tariffcheck"], capture_output=True)
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    (into / "specs").symlink_to(SPECS)
    return into


def _answers(package_root: Path, orders: list[dict]) -> list[dict]:
    env = dict(os.environ, PYTHONPATH=str(package_root))
    p = subprocess.run([sys.executable, "-c", DUMP], input=json.dumps(orders, ensure_ascii=False),
                       capture_output=True, text=True, env=env, cwd=str(package_root), timeout=1200)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def test_parent_corpus_answers_are_the_old_code_answers(tmp_path):
    old_root = _old_tree(tmp_path)
    if old_root is None:
        pytest.skip(f"git, or commit {OLD} (the code before the change), is not at hand")
    orders = parent_orders()
    old = _answers(old_root, orders)
    new = _answers(ROOT, orders)
    assert len(old) == len(new) == ORDERS
    impossible = 0
    for k, (a, b) in enumerate(zip(old, new)):
        assert b == a, f"order {k} of the parent corpus"
        impossible += sum(len(f[3]) for f in b["fields"])
    assert impossible, "no impossible value in the corpus: the comparison would prove little"


def _sat(p, literals, term) -> bool:
    ask = z3.FreshBool("ask", p.encoder.ctx)
    p.solver.add(z3.Implies(ask, term))
    return p.check(literals + [ask]) == z3.sat


def test_parent_corpus_reasons_are_minimal():
    propagator = Propagator(TARIFF)
    reference = Workspace(Encoder(TARIFF))  # another encoder, another context: nothing shared
    checked = 0
    for data in parent_orders()[:REASONS_CHECKED]:
        order = decode_partial_order(data, TARIFF)
        result = propagator.propagate(order)
        assert result.complete, result.reason
        with reference.open(order) as p:
            p.solver.add(p.shape())
            rules = p.rule_literals
            for f, v, term, mine, tied in _excluded_with_reasons(p, result):
                assert not _sat(p, [c.literal for c in mine] + [i.literal for i in tied], term), (f.path, v.value)
                for c in mine:
                    assert _sat(p, [x.literal for x in mine if x is not c] + rules, term), (f.path, c.path)
                for i in tied:
                    assert _sat(p, [c.literal for c in mine] + [x.literal for x in tied if x is not i], term), \
                        (f.path, i.rule.id)
                checked += 1
    assert checked, "no impossible value had a reason to check"


def _sets(result) -> list:
    """A propagation's answer without its reasons: status, and per field its possible and
    impossible values, forced value and bounds."""
    return [result.status, result.complete,
            sorted([str(f.path), f.kind, sorted(repr(v.value) for v in f.values if v.possible),
                    sorted(repr(v.value) for v in f.values if not v.possible), repr(f.forced), f.low, f.high]
                   for f in result.fields)]


def test_parent_corpus_answers_do_not_depend_on_what_was_learnt_before():
    """What a Propagator keeps from earlier orders of a shape (smt/propagate.py `Standing`, the
    standing workspace of smt/standing.py) changes how many questions an order takes, never its
    answer: the corpus answered in order, again (everything known), in reverse, and after
    `forget` gives the same sets, forced values and bounds each time, and every reason still
    excludes its value (a reason's minimality is checked above)."""
    orders = [decode_partial_order(data, TARIFF) for data in parent_orders()[:8]]
    propagator = Propagator(TARIFF)
    first = [_sets(propagator.propagate(o)) for o in orders]
    again = [_sets(propagator.propagate(o)) for o in orders]
    backwards = [_sets(propagator.propagate(o)) for o in reversed(orders)][::-1]
    cold = []
    for o in orders:
        propagator.forget()
        cold.append(_sets(propagator.propagate(o)))
    fresh = Propagator(TARIFF)
    alone = [_sets(fresh.propagate(o)) for o in orders[:2]]
    assert again == first and backwards == first and cold == first and alone == first[:2]
    assert any(r[0] == "open" and r[2] for r in first)
    k = next(k for k, r in enumerate(first) if r[0] == "open")
    warm = propagator.propagate(orders[k])
    reference = Workspace(Encoder(TARIFF))
    with reference.open(orders[k]) as p:
        p.solver.add(p.shape())
        excluded = 0
        for f, v, term, mine, tied in _excluded_with_reasons(p, warm):
            assert not _sat(p, [c.literal for c in mine] + [i.literal for i in tied], term), (f.path, v.value)
            excluded += 1
    assert excluded


def _excluded_with_reasons(p, result):
    """Each value of a Boolean field that `result` says is impossible, with the term that states
    it in the open problem `p` and its reason's choices and rule instances there."""
    choices = {str(c.path): c for c in p.choices}
    instances = {(i.rule.id, i.slot, i.subject): i for i in p.instances}
    for f in result.fields:
        if f.kind == "number" or str(f.path) not in p.undecided:
            continue
        facts = p.undecided[f.path]
        if facts[0].kind not in ("option", "flag", "optflag", "oflag", "holding"):
            continue
        b = facts[0].vars[-1]
        for v in f.values:
            if not v.possible:
                term = b if v.value is True else z3.Not(b)
                yield (f, v, term, [choices[str(c.path)] for c in v.reason.choices],
                       [instances[(t.key.rule, t.key.contract, t.key.subject)] for t in v.reason.rules])
