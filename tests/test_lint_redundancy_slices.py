"""Redundancy's questions asked of slices (analyse/redundancy_slices.py) answer as the whole
shape does: on a synthetic tariff large enough for the cone to slice (3x: over 100 options), with
rules added that are implied by others and that nothing breaks, every rule instance of every
shape is asked in its run's slice and in the whole shape whether some order breaks it (no rule
assumed) and whether one breaks it keeping every rule but its own, and the answers must agree;
and lint's redundancy findings with the slices are those without, finding for finding."""

from __future__ import annotations


import pytest
import z3

from conftest import synthetic_tariff
from tariffcheck.analyse import redundancy_slices, semantics, slices
from tariffcheck.analyse.space import Space

# rules a tariff states twice (L006 both ways), a weaker restatement of a cap (L006 for it alone),
# and a rule no order breaks (L007): the synthetic tariffs have none of their own
ADDED = """
rule x_exclusive_again @第12条第3項 {
  require at_most_one(f0002_acc3, f0002_acc4)
  ja "同時に利用できません。"
  en "Not both."
}

rule x_weaker_cap @第12条第5項 {
  for f0002_storage require it.count <= 9
  ja "上限は 9 です。"
  en "At most 9."
}

rule x_never_broken @第12条第7項 {
  when item == item_01 and item == item_02 require f0002_agent
  ja "成り立ちません。"
  en "Never applies."
}
"""


@pytest.fixture(scope="module")
def tariff():
    return synthetic_tariff(3, extra=ADDED, name="<synthetic x3 seed 1, rules added>")


def test_slices_answer_redundancy_as_the_whole_shape(tariff):
    space = Space(tariff)
    vacuity = implied = sliced_runs = 0
    for shape in space.shapes():
        ss = redundancy_slices.ShapeSlices(slices.Slicer(space, shape), 64)
        if not ss.usable:
            continue
        o = space.open(shape)
        assert [id(i) for i in ss.instances()] == [id(i) for i in o.instances], shape.label
        for run in ss.runs(ss.instances()):
            sl = ss.slice_of(run)
            if sl is None:
                continue
            sliced_runs += 1
            terms = [z3.Not(i.term) for i in run]
            assert sl.possible(terms, []) == o.possible(terms, instances=[]), shape.label
            vacuity += len(terms)
            for inst, t in zip(run, terms):
                got = sl.check(redundancy_slices.others(sl, inst.rule), [t])
                want = o.check(redundancy_slices.others(o, inst.rule), [t])
                assert got == want, (shape.label, inst.rule.id)
                implied += 1
    assert sliced_runs > 10 and vacuity > 300 and implied > 300


def _redundancy(tariff, monkeypatch, sliced: bool) -> tuple[list, semantics.SemanticLint]:
    checks = ("contradiction", "false-optional") + (("redundant",) if sliced else ())
    monkeypatch.setattr(semantics, "SLICED_CHECKS", checks)
    lint = semantics.SemanticLint(tariff)
    got = [(f.code, f.severity, f.subject, f.message, tuple(f.rules)) for f in lint.run(("redundant",))]
    return got, lint


def test_lint_with_sliced_redundancy_finds_the_same(tariff, monkeypatch):
    whole, _ = _redundancy(tariff, monkeypatch, sliced=False)
    got, lint = _redundancy(tariff, monkeypatch, sliced=True)
    assert got == whole and not lint.cut
    by_rule = {(code, subject): rules for code, _, subject, _, rules in got}
    assert by_rule[("L006", "x_exclusive_again")] == ("f0002_exclusive",)
    assert by_rule[("L006", "f0002_exclusive")] == ("x_exclusive_again",)
    assert by_rule[("L006", "x_weaker_cap")] == ("f0002_count_cap",)
    assert ("L007", "x_never_broken") in by_rule


def test_sliced_redundancy_leaves_the_whole_shapes_unbuilt(monkeypatch):
    """Without a finding (whose reasons the whole shapes give), redundancy never builds the
    solver of a whole shape of the kind the cone slices: every question went to a slice."""
    plain = synthetic_tariff(3)
    got, lint = _redundancy(plain, monkeypatch, sliced=True)
    assert not [f for f in got if f[0] in ("L006", "L007")] and not lint.cut
    built = [o.shape.label for o in lint.space._open.values() if o.built and "service" in o.shape.kinds]
    assert built == [] and any(s.usable for s in lint._slicers.values())
