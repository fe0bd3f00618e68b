"""UVL import and export (docs/uvl.md): each construct of the small fixtures in
tests/fixtures/uvl/ means the same set of valid configurations after import as the UVL model
does (by brute force, against an evaluator of UVL's own semantics written here), the round trip
import → export → import keeps that set, what does not carry over is named, and the public models
of ../shared/uvl import."""

from __future__ import annotations

import itertools
import os
import time
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT, run_cli, run_python

pytest.importorskip("uvl.UVLPythonParser", reason="the `uvlparser` package is not installed")

from tariffcheck import catalog  # noqa: E402
from tariffcheck.api import Checker  # noqa: E402
from tariffcheck.common.diagnostics import DiagnosticError  # noqa: E402
from tariffcheck.interop.uvl_export import export_uvl  # noqa: E402
from tariffcheck.interop.uvl_import import import_uvl, import_uvl_file  # noqa: E402
from tariffcheck.interop.uvl_read import read_uvl, read_uvl_file  # noqa: E402
from tariffcheck.resolve import resolve  # noqa: E402
from tariffcheck.syntax.parser import parse_text  # noqa: E402

UVL = FIXTURES / "uvl"
SHARED = ROOT.parent / "shared" / "uvl"
SMALL = ["groups.uvl", "cardinality.uvl", "constraints.uvl", "names.uvl", "not_carried.uvl", "keyword_name.uvl"]


# --- UVL's semantics, independently of the import ------------------------------------------

def _holds(c, chosen: set[str]) -> bool | None:
    """A constraint's truth; None for arithmetic (which the import reports and leaves out)."""
    kind = c[0]
    if kind == "ref":
        return c[1] in chosen
    if kind == "not":
        v = _holds(c[1], chosen)
        return None if v is None else not v
    if kind in ("and", "or"):
        vs = [_holds(x, chosen) for x in c[1]]
        if None in vs:
            return None
        return all(vs) if kind == "and" else any(vs)
    if kind in ("implies", "iff"):
        a, b = _holds(c[1], chosen), _holds(c[2], chosen)
        if a is None or b is None:
            return None
        return (not a or b) if kind == "implies" else a == b
    return None


def uvl_configurations(model) -> set[frozenset[str]]:
    """Every valid configuration of a small UVL model (the root left out: always chosen)."""
    features = model.features()
    root, names = features[0].name, [f.name for f in features[1:]]
    valid = set()
    for bits in itertools.product((False, True), repeat=len(names)):
        chosen = {n for n, b in zip(names, bits) if b} | {root}
        if _tree_holds(features, chosen) and all(
                _holds(c, chosen) is not False for _, c, _ in model.constraints):
            valid.add(frozenset(chosen - {root}))
    return valid


def _tree_holds(features, chosen) -> bool:
    for f in features:
        for g in f.groups:
            kids = [c.name for c in g.children]
            if any(k in chosen for k in kids) and f.name not in chosen:
                return False
            if f.name not in chosen:
                continue
            n = sum(k in chosen for k in kids)
            if g.kind == "mandatory" and n != len(kids):
                return False
            if g.kind in ("alternative", "or", "cardinality") and not (
                    g.low <= n and (g.high is None or n <= g.high)):
                return False
    return True


def tariff_configurations(tariff) -> set[frozenset[str]]:
    """Every set of options an order may choose, by official name, checked order by order."""
    (kind,) = [k for k in tariff.contracts.values() if k.options]
    checker = Checker(tariff)
    options = list(kind.options.values())
    valid = set()
    for bits in itertools.product((False, True), repeat=len(options)):
        chosen = [o for o, b in zip(options, bits) if b]
        order = {"tariff": tariff.id, "application_date": "2026-01-01",
                 "contracts": [{"id": "c1", "options": {o.id: True for o in chosen}}]}
        if checker.check(order).status == "valid":
            valid.add(frozenset(o.label for o in chosen))
    return valid


def _load(text: str, path: str = "imported.tariff"):
    return resolve(parse_text(text, path))


# --- import -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", SMALL)
def test_import_keeps_the_valid_configurations(name):
    model = read_uvl_file(str(UVL / name))
    imported = import_uvl_file(str(UVL / name))
    tariff = _load(imported.text)
    options = tariff.contracts["model"].options
    label = {name: options[oid].label for name, oid in imported.ids.items()}  # a renamed one keeps its UVL name here
    expected = {frozenset(label[n] for n in config) for config in uvl_configurations(model)}
    assert expected, f"{name} has no valid configuration: a fixture should have some"
    assert tariff_configurations(tariff) == expected


def test_each_group_kind_and_constraint_is_a_rule_citing_its_line():
    tariff = _load(import_uvl_file(str(UVL / "groups.uvl")).text)
    cited = {r.id: r.citation.section for r in tariff.rules}
    assert cited["uvl_g11_alternative"] == 11
    assert cited["uvl_g6_or"] == 6
    assert cited["uvl_g15_cardinality"] == 15
    assert {cited["uvl_g3_mandatory"], cited["uvl_g3_mandatory_2"]} == {4, 5}  # each mandatory feature's line
    tariff = _load(import_uvl_file(str(UVL / "constraints.uvl")).text)
    assert sorted(r.citation.section for r in tariff.rules if r.id.startswith("uvl_c")) == [17, 18, 19, 20, 21]
    options = tariff.contracts["model"].options
    assert all(o.citation.section for o in options.values())


def test_what_does_not_carry_over_is_named_each():
    imported = import_uvl_file(str(UVL / "not_carried.uvl"))
    lost = "\n".join(imported.not_carried)
    for what in ("attribute `capacity` of 1 feature (Disk (line 4))", "attribute `vendor` of 1 feature (Disk", "feature `cores`",
                 "feature `Memory`", "constraint on line 9", "constraint on line 11"):
        assert what in lost
    assert "abstract" not in lost  # says nothing of the configurations
    assert len(imported.not_carried) == 6
    assert "constraint on line 10" not in lost  # `Disk => Backup` carries over
    assert all(f"# not carried over: {w}" in imported.text for w in imported.not_carried)


def test_names_become_ids_the_dsl_reads_and_keep_their_official_names():
    imported = import_uvl_file(str(UVL / "names.uvl"))
    tariff = _load(imported.text)
    labels = {o.label for o in tariff.contracts["model"].options.values()}
    assert {"and", "not", "Data plan", "Data_plan", "5G", "Größe", "it"} <= labels
    assert "Data  plan (2)" in labels  # folded, it is `Data plan`'s name: renamed, and said so
    assert any("`Data  plan`" in w for w in imported.not_carried)
    assert len(set(imported.ids.values())) == len(imported.ids)


def test_a_type_keyword_used_as_a_name_is_read_as_the_name_and_said():
    imported = import_uvl_file(str(UVL / "keyword_name.uvl"))
    assert [w.split(" on line ")[1][:1] for w in imported.lenient] == ["4", "7"]
    assert "Integer" in {o.label for o in _load(imported.text).contracts["model"].options.values()}


def test_a_model_uvlparser_rejects_is_error_u001_with_its_line():
    with pytest.raises(DiagnosticError) as exc:
        import_uvl_file(str(UVL / "broken.uvl"))
    (d,) = exc.value.diagnostics
    assert d.code == "U001" and "line 4" in d.message and d.help


def test_a_missing_model_is_e012():
    with pytest.raises(DiagnosticError) as exc:
        import_uvl_file(str(UVL / "no_such.uvl"))
    assert exc.value.diagnostics[0].code == "E012"


def test_long_constraints_stay_within_the_nesting_limit():
    names = [f"F{i}" for i in range(300)]
    text = ("features\n    Big\n        optional\n" + "".join(f"            {n}\n" for n in names)
            + "constraints\n    " + " | ".join(names) + "\n    " + " & ".join(f"!{n}" for n in names[:200])
            + " => F299\n")
    tariff = _load(import_uvl(text, "big.uvl").text)
    assert len(tariff.rules) == 2
    chained = text + "    " + " => ".join(names[:80]) + "\n"  # right-nested: no balanced form is shallow enough
    imported = import_uvl(chained, "chained.uvl")
    assert len(_load(imported.text).rules) == 2
    (lost,) = imported.not_carried
    assert lost.startswith("constraint on line 307 `F0=>F1=>") and "…" in lost and "50 levels" in lost


# --- export and the round trip ------------------------------------------------------------------

@pytest.mark.parametrize("name", SMALL)
def test_round_trip_import_export_import_keeps_the_valid_configurations(name, tmp_path):
    first = _load(import_uvl_file(str(UVL / name)).text)
    exported = export_uvl(first)
    assert exported.not_carried == []  # an imported model has only what UVL says
    again = import_uvl(exported.text, str(tmp_path / "again.uvl"))
    assert again.not_carried == []
    assert tariff_configurations(_load(again.text)) == tariff_configurations(first)


def test_export_of_a_bundled_tariff_names_what_does_not_carry_over():
    tariff = catalog.load("secure-endpoint")
    exported = export_uvl(tariff)
    kind = next(k for k in tariff.contracts.values() if k.options)
    assert exported.features >= len(kind.options) + 1
    lost = "\n".join(exported.not_carried)
    assert all(f"fee `{f.id}`" in lost for f in tariff.fees)
    assert all(f"quantity `{kind.id}.{q}`" in lost for q in kind.quantities)
    for d in kind.dimensions.values():  # a dimension is an alternative group of its values
        assert f'"{d.label}"' in exported.text
        assert all(f'"{v.label}"' in exported.text for v in d.values.values())
    assert exported.constraints > 0
    carried = {line.split(" ")[1].strip("`") for line in exported.not_carried if line.startswith("rule ")}
    assert carried < {r.id for r in tariff.rules}  # some rules carry over, the others are each named
    read_uvl(exported.text, "secure_endpoint.uvl")  # what it writes, uvlparser reads


# --- the commands -------------------------------------------------------------------------------

def test_import_uvl_command_writes_a_spec_and_warns_by_name(tmp_path):
    out = tmp_path / "server.tariff"
    code, stdout, stderr = run_cli(["import-uvl", str(UVL / "not_carried.uvl"), "-o", str(out)])
    assert code == 0, stderr
    assert "warning: not carried over: attribute `capacity` of 1 feature (Disk (line 4))" in stderr
    assert "6 things not carried over" in stderr
    assert catalog.load(str(out)).contracts["model"].options


def test_export_uvl_command(tmp_path):
    out = tmp_path / "groups.uvl"
    code, _, stderr = run_cli(["export-uvl", str(UVL / "groups.uvl"), "-o", str(out)])
    assert code == 0, stderr
    assert read_uvl_file(str(out)).root.name == "Shop"


def test_a_uvl_model_is_accepted_wherever_a_spec_is(tmp_path):
    order = tmp_path / "order.json"
    order.write_text('{"tariff": "groups", "application_date": "2026-01-01", "contracts": [{"id": "c1", '
                     '"options": {"Catalog": true, "Payment": true, "Card": true, "Basic": true}}]}')
    code, stdout, stderr = run_cli(["check", "--tariff", str(UVL / "groups.uvl"), str(order)])
    assert code == 1, stderr  # Basic without its parent Search
    assert "uvl_g11_parent" in stdout or "Search" in stdout
    catalog._load_cached.cache_clear()  # the warning comes with the import, not with a cached model
    with pytest.warns(UserWarning, match="attribute `capacity` of 1 feature"):
        catalog.load(str(UVL / "not_carried.uvl"))


# --- the public models ------------------------------------------------------------------------

# bytes: the models up to here import (read, then the tariff parsed and resolved) in 3-6 s of CPU
# each (benchmarks/README.md, flamasmall); cnn_full (512 KB) takes 8 s, and the larger ones minutes,
# most of it the generated tariff's parse and resolution
LARGE = 450_000


def _shared_models():
    if not SHARED.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(
            reason=f"the shared UVL models are not here (`{SHARED}`): they live beside the repository, not in it"))]
    out = []
    for p in sorted(SHARED.glob("*.uvl"), key=lambda p: p.stat().st_size):
        marks = []
        if p.stat().st_size > LARGE and not os.environ.get("TARIFFCHECK_UVL_LARGE"):
            marks.append(pytest.mark.skip(reason=f"{p.name} is {p.stat().st_size // 1000} KB: importing it takes "
                                          "8 s of CPU (cnn_full) to minutes (parsing and resolving the generated "
                                          "tariff); set TARIFFCHECK_UVL_LARGE=1 (benchmarks/README.md records every "
                                          "model's import)"))
        out.append(pytest.param(p, id=p.name, marks=marks))
    return out


@pytest.mark.parametrize("path", _shared_models())
def test_every_shared_model_imports(path):
    started = time.process_time()
    imported = import_uvl_file(str(path))
    tariff = _load(imported.text, str(path))
    options = sum(len(k.options) for k in tariff.contracts.values())
    assert options == imported.features - 1
    assert len(tariff.rules) >= imported.constraints - sum(w.startswith("constraint") for w in imported.not_carried)
    assert time.process_time() - started < 1800


def test_a_model_without_features_is_u003():
    with pytest.raises(DiagnosticError) as exc:
        import_uvl("namespace Empty\n", "empty.uvl")
    assert exc.value.diagnostics[0].code == "U003"


def test_without_uvlparser_reading_uvl_is_u002():
    code = ("import sys; sys.modules['uvl'] = None; sys.modules['uvl.UVLPythonParser'] = None\n"
            "from tariffcheck.common.diagnostics import DiagnosticError\n"
            "from tariffcheck.interop.uvl_import import import_uvl\n"
            "try:\n    import_uvl('features\\n    A\\n')\nexcept DiagnosticError as e:\n"
            "    print(e.diagnostics[0].code, e.diagnostics[0].help)\n")
    done = run_python(["-c", code])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("U002") and "tariffcheck[uvl]" in done.stdout


def test_a_spec_with_dimensions_round_trips_through_uvl(tmp_path):
    """export → import: each dimension becomes a feature with its values as an alternative group,
    and the orders the spec accepts are the configurations the imported model accepts."""
    spec = catalog.load(str(UVL / "plan.tariff"))
    kind = spec.contracts["line"]
    expected = set()
    checker = Checker(spec)
    grades, regions = list(kind.dimensions["grade"].values.values()), [None, *kind.dimensions["region"].values.values()]
    options = list(kind.options.values())
    for grade, region in itertools.product(grades, regions):
        for bits in itertools.product((False, True), repeat=len(options)):
            chosen = [o for o, b in zip(options, bits) if b]
            contract = {"id": "c1", "grade": grade.id, "options": {o.id: True for o in chosen}}
            if region is not None:
                contract["region"] = region.id
            order = {"tariff": "plan", "application_date": "2026-01-01", "contracts": [contract]}
            if checker.check(order).status == "valid":
                expected.add(frozenset([grade.label, *([region.label] if region else []), *(o.label for o in chosen)]))
    exported = export_uvl(spec)
    assert exported.not_carried == []
    again = _load(import_uvl(exported.text, str(tmp_path / "plan.uvl")).text)
    dims = {d.label for d in kind.dimensions.values()}
    got = {config - dims for config in tariff_configurations(again)}
    assert got == expected


def test_double_quoted_attribute_values_are_read_as_strings_and_said():
    text = ('features\n    Root {description "A. root; with, punctuation!"}\n        optional\n'
            '            "Leaf one" {description "x.y", cost 3}\n            Other {"quoted key" "v"}\n')
    imported = import_uvl(text, "described.uvl")
    assert imported.lenient and "on 3 lines (2, 4, 5)" in imported.lenient[0]
    assert any("attribute `description` of 2 features (Root (line 2), Leaf one (line 4))" in w
               for w in imported.not_carried)
    assert {o.label for o in _load(imported.text).contracts["model"].options.values()} == {"Leaf one", "Other"}


@pytest.mark.parametrize("name", catalog.bundled_names())
def test_every_bundled_tariff_exports_to_uvl_that_imports_again(name, tmp_path):
    exported = export_uvl(catalog.load(name))
    again = import_uvl(exported.text, str(tmp_path / f"{name}.uvl"))
    assert again.not_carried == [] and again.features == exported.features
    assert len(_load(again.text).rules) >= exported.constraints
