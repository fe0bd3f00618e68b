"""benchmarks/bench_flamapy.py: its third check (the UVL tree written straight into Z3, which
decides who is right where flamapy and tariffcheck differ) is right by brute force on small
models, its reading of lint's findings back into UVL feature names gives the same sets, and, where
flamapy and ../shared are there, both tools agree on the smallest shared model."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from conftest import FIXTURES, ROOT, uvl_configurations

pytest.importorskip("uvl.UVLPythonParser", reason="the `uvlparser` package is not installed")

from tariffcheck.interop.uvl_read import read_uvl, read_uvl_file  # noqa: E402


def _import_bench():
    """benchmarks/ is not a package; load the module from its file."""
    spec = importlib.util.spec_from_file_location("bench_flamapy", ROOT / "benchmarks" / "bench_flamapy.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_flamapy"] = module
    spec.loader.exec_module(module)
    return module


bench = _import_bench()
SHARED = ROOT.parent / "shared" / "uvl"

# dead: Legacy (excluded by Base's mandatory Modern), Turbo (needs Legacy); core: Base, Modern,
# Net and, through `Modern => Eth`, Eth; a [2..2] group under Net makes one of Wifi, Eth, Cell core
DEAD_AND_CORE = (FIXTURES / "uvl" / "dead_and_core.uvl").read_text()


def _brute(model) -> tuple[set[str], set[str]]:
    """Core and dead features below the root, by listing every assignment (UVL's semantics,
    written again here: the tree and the constraints, nothing arithmetic in these models)."""
    names, valid = uvl_configurations(model)
    names = names[1:]
    assert valid, "these models have configurations"
    return ({n for n in names if all(n in v for v in valid)},
            {n for n in names if not any(n in v for v in valid)})


@pytest.mark.parametrize("source", ["DEAD_AND_CORE", "groups.uvl", "cardinality.uvl", "constraints.uvl"])
def test_the_third_check_is_right_by_brute_force(source):
    model = read_uvl(DEAD_AND_CORE) if source == "DEAD_AND_CORE" else read_uvl_file(str(FIXTURES / "uvl" / source))
    var, facts, skipped = bench.tree_formula(model)
    assert skipped == []
    core, dead = bench.backbone(var, facts)
    want_core, want_dead = _brute(model)
    assert set(core) - {model.root.name} == want_core
    assert set(dead) == want_dead
    if source == "DEAD_AND_CORE":
        assert want_dead == {"Legacy", "Turbo"} and {"Base", "Modern", "Net", "Eth"} <= want_core


def _child(tool: str, path, tmp_path) -> dict:
    out = tmp_path / f"{tool}.json"
    limit = sys.getrecursionlimit()
    bench.child(tool, path, out, 20_000)
    # raised for ANTLR and left raised, it let a later test's deep JSON crash the process (CI)
    assert sys.getrecursionlimit() == limit
    record = json.loads(out.read_text())
    assert record.get("done"), record.get("error")
    return record


def test_lint_through_the_benchmark_answers_the_brute_force_sets_by_uvl_name(tmp_path):
    path = tmp_path / "dead_and_core.uvl"
    path.write_text(DEAD_AND_CORE)
    mine = _child("tariffcheck", path, tmp_path)
    want_core, want_dead = _brute(read_uvl(DEAD_AND_CORE))
    assert set(mine["core"]) == want_core
    assert set(mine["dead"]) == want_dead
    assert set(mine["together"]["core"]) == want_core and set(mine["together"]["dead"]) == want_dead
    assert set(mine["lint_core"]) == want_core and set(mine["lint_dead"]) == want_dead
    check = _child("check", path, tmp_path)
    row = bench.compare(path.name, 0, {"flamapy": {"error": "not run"}, "tariffcheck": mine, "check": check})
    assert row["lint_same_as_tree"]
    for what in bench.ASKED:  # false-optional too: the third check asks Z3 one question a feature
        assert row["answers"][what]["tariffcheck_right"], what


def test_flamapy_and_tariffcheck_agree_on_the_smallest_shared_model(tmp_path):
    pytest.importorskip("flamapy.metamodels.pysat_metamodel",
                        reason="flamapy is not installed (it is only the benchmark's, not a dependency)")
    if not SHARED.is_dir():
        pytest.skip(f"the shared UVL models are not here ({SHARED})")
    path = min(SHARED.glob("*.uvl"), key=lambda p: p.stat().st_size)
    results = {t: _child(t, path, tmp_path) for t in bench.TOOLS}
    row = bench.compare(path.name, path.stat().st_size, results)
    for what in bench.ASKED:
        v = row["answers"][what]
        assert v["same"] and v["flamapy_right"] and v["tariffcheck_right"], (what, v)
    assert row["root"] in results["flamapy"]["core"]  # flamapy counts the root as core; the comparison leaves it out
