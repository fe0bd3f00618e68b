"""Dead, forced and quantities asked of slices of a shape (analyse/slices.py) find what the whole
shapes find, finding for finding, where there is something to find: a synthetic tariff large
enough for the cone to slice (3x: over 100 options), with three rules added that make an option
dead, another forced (and with it every item it is not for, and every option of those items,
dead) and a counted option single."""

from __future__ import annotations


import pytest

from conftest import synthetic_tariff
from tariffcheck.analyse import semantics

EXTRA = """
rule t_dead @第5条第1項 {
  forbid f0001_acc5
  ja "試験"
  en "test"
}

rule t_forced @第5条第1項 {
  require f0001_sup1
  ja "試験"
  en "test"
}

rule t_once @第5条第1項 {
  for f0001_storage require it.count <= 1
  ja "試験"
  en "test"
}
"""
CHECKS = ("dead", "forced", "false-optional", "quantities")


@pytest.fixture(scope="module")
def tariff():
    return synthetic_tariff(3, extra=EXTRA, name="<synthetic x3 seed 1, three rules added>")


def _findings(tariff, sliced: tuple[str, ...], monkeypatch):
    monkeypatch.setattr(semantics, "SLICED_CHECKS", sliced)
    lint = semantics.SemanticLint(tariff)
    found = sorted((f.code, f.severity, f.subject, f.message, tuple(f.rules)) for f in lint.run(CHECKS))
    return found, lint


def test_dead_forced_and_quantities_in_slices_find_the_same(tariff, monkeypatch):
    whole, lint = _findings(tariff, (), monkeypatch)
    assert not lint._slicers and not lint.cut
    sliced, lint = _findings(tariff, ("contradiction",) + CHECKS, monkeypatch)
    assert sliced == whole and not lint.cut
    codes = {f[0] for f in whole}
    assert {"L002", "L003", "L004", "L008"} <= codes, codes
    assert any(f[0] == "L002" and f[2] == "f0001_acc5" and f[4] == ("t_dead",) for f in whole)
    assert any(f[0] == "L004" and f[2] == "f0001_sup1" and f[4] == ("t_forced",) for f in whole)
    assert any(f[0] == "L008" and f[2] == "f0001_storage" and f[4] == ("t_once",) for f in whole)
    # the checks did ask slices, several runs of options of the sliced kind
    assert sum(len(s._made) for s in lint._slicers.values()) > 8
