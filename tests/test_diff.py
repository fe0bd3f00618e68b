"""`tariff diff`: a spec against hand-modified copies finds exactly the changed behaviour, with
witnesses the concrete validators confirm; identical meaning is proven; random orders never
show a difference the diff did not report (differential, Hypothesis)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tariffcheck import catalog
from tariffcheck.analyse.diff import diff
from tariffcheck.cli import main
from tariffcheck.common.diagnostics import DiagnosticError
from tariffcheck.orders.decode import decode_order
from tariffcheck.evaluate.concrete import ConcreteValidator
from tariffcheck.testing.strategies import order_dicts

from conftest import FIXTURES, SPECS, spec_variant

FIX = FIXTURES / "diff"
SE = SPECS / "secure_endpoint.tariff"


def _variant(tmp_path: Path, name: str, edits: list[tuple[str, str]]) -> str:
    return spec_variant(tmp_path, SE, name, edits)


def _verdicts(old, new, witness) -> tuple[str, str, set[str], set[str]]:
    vo = ConcreteValidator(old).validate(decode_order(witness, old))
    vn = ConcreteValidator(new).validate(decode_order(witness, new))
    return vo.status, vn.status, {v.rule.id for v in vo.violations}, {v.rule.id for v in vn.violations}


def _groups(result) -> set[tuple[str, str]]:
    return {(g.direction, g.rule.id) for g in result.groups}


def test_an_identical_copy_has_no_semantic_change(tmp_path):
    copy = tmp_path / "same.tariff"
    copy.write_text(SE.read_text(encoding="utf-8"), encoding="utf-8")
    r = diff(catalog.load(str(SE)), catalog.load(str(copy)))
    assert r.complete and r.same_meaning
    assert r.names == [] and r.groups == []
    assert len(r.shapes) == 8  # new, change: service alone, unit alone, service under unit; cancellations


def test_a_lower_cap_is_newly_rejected_with_its_boundary(tmp_path):
    v2 = _variant(tmp_path, "cap3", [("for tunnel require it.count <= 4", "for tunnel require it.count <= 3")])
    old, new = catalog.load(str(SE)), catalog.load(v2)
    r = diff(old, new)
    assert _groups(r) == {("rejected", "r8_3_tunnel_cap")}
    g = r.groups[0]
    assert g.confirmed
    assert _verdicts(old, new, g.witness)[:2] == ("valid", "invalid")
    assert "r8_3_tunnel_cap" in _verdicts(old, new, g.witness)[3]
    assert [(b.path.rsplit(".", 2)[-2:], b.agree, b.differ) for b in g.boundaries] == [(["tunnel", "count"], 3, 4)]
    assert [n.path for n in r.names] == ["r8_3_tunnel_cap"]


def test_a_lower_minimum_is_newly_accepted_at_the_boundary(tmp_path):
    v2 = _variant(tmp_path, "min40", [("require accounts >= 50", "require accounts >= 40")])
    old, new = catalog.load(str(SE)), catalog.load(v2)
    r = diff(old, new)
    assert _groups(r) == {("accepted", "r5_19_minimum_accounts")}
    g = r.groups[0]
    assert g.confirmed and _verdicts(old, new, g.witness)[:2] == ("invalid", "valid")
    assert [(b.agree, b.differ) for b in g.boundaries] == [(39, 40)]


def test_both_directions_and_structural_changes(tmp_path):
    old, new = catalog.load(str(FIX / "notice_v1.tariff")), catalog.load(str(FIX / "notice_v2.tariff"))
    r = diff(old, new)
    assert _groups(r) == {("rejected", "seat_cap"), ("rejected", "notice_days")}
    for g in r.groups:
        assert g.confirmed, g.note
        o, n, _, broken = _verdicts(old, new, g.witness)
        assert (o, n) == ("valid", "invalid") and g.rule.id in broken
    seats = next(g for g in r.groups if g.rule.id == "seat_cap")
    assert [(b.agree, b.differ) for b in seats.boundaries] == [(8, 9)]
    notice = next(g for g in r.groups if g.rule.id == "notice_days")
    assert {b.path for b in notice.boundaries} == {"requested_date", "notice_arrived"}
    changes = {(n.what, n.change, n.path) for n in r.names}
    assert ("option", "removed", "svc.options.legacy_opt") in changes
    assert ("option", "added", "svc.options.new_opt") in changes
    assert ("value", "renamed", "svc.item.b") in changes
    # the values are listed in another order: that alone changes nothing (x_items is not reported)
    assert not any(g.rule.id == "x_items" for g in r.groups)


def test_reordered_values_and_an_added_unconstrained_option_change_nothing(tmp_path):
    v2 = _variant(tmp_path, "reorder", [
        ('    itam_a   "IT 資産管理:タイプ A"\n    browse_b "ブラウジング保護:タイプ B"\n',
         '    browse_b "ブラウジング保護:タイプ B"\n    itam_a   "IT 資産管理:タイプ A"\n'),
        ('  option tunnel "トンネル接続オプション" @第8条第2項(1) counted {',
         '  option extra "追加オプション" @第8条第2項(1)\n  option tunnel "トンネル接続オプション" @第8条第2項(1) counted {')])
    r = diff(catalog.load(str(SE)), catalog.load(v2))
    assert r.same_meaning
    assert [(n.what, n.change, n.path) for n in r.names] == [("option", "added", "service.options.extra")]


def test_a_time_limit_is_unknown_never_no_change(tmp_path, monkeypatch):
    v2 = _variant(tmp_path, "cap3", [("for tunnel require it.count <= 4", "for tunnel require it.count <= 3")])
    import z3

    real = z3.Solver.check

    def gives_up(self, *a):
        return z3.unknown

    monkeypatch.setattr(z3.Solver, "check", gives_up)
    monkeypatch.setattr(z3.Solver, "reason_unknown", lambda self: "timeout")
    r = diff(catalog.load(str(SE)), catalog.load(v2))
    monkeypatch.setattr(z3.Solver, "check", real)
    assert not r.complete and not r.same_meaning and "timeout" in r.reason


def test_cli_exit_codes_and_formats(tmp_path, capsys):
    v2 = _variant(tmp_path, "cap3", [("for tunnel require it.count <= 4", "for tunnel require it.count <= 3")])
    assert main(["diff", str(SE), v2, "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["same_meaning"] is False
    assert [(g["direction"], g["rule"]["id"], g["confirmed"]) for g in data["groups"]] == [
        ("rejected", "r8_3_tunnel_cap", True)]
    assert main(["diff", str(SE), str(SE)]) == 0
    assert "no semantic change" in capsys.readouterr().out
    out = tmp_path / "report.md"
    assert main(["diff", str(SE), v2, "--format", "markdown", "-o", str(out)]) == 1
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# tariff diff") and "r8_3_tunnel_cap" in md and "```json" in md
    assert main(["diff", str(SE), str(tmp_path / "missing.tariff")]) == 2
    assert "E012" in capsys.readouterr().err


def test_api_raises_a_diagnostic_for_a_spec_that_does_not_load(tmp_path):
    import tariffcheck.api as api

    with pytest.raises(DiagnosticError):
        api.diff(str(SE), str(tmp_path / "missing.tariff"))


# ---- differential: random orders never disagree where the diff says nothing ------------------------
_OLD = catalog.load(str(FIX / "notice_v1.tariff"))
_NEW = catalog.load(str(FIX / "notice_v2.tariff"))
_RESULT = diff(_OLD, _NEW)
_CV_OLD, _CV_NEW = ConcreteValidator(_OLD), ConcreteValidator(_NEW)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(order_dicts(_OLD, max_contracts=1), order_dicts(_NEW, max_contracts=1)))
def test_every_disagreement_on_a_random_order_is_a_reported_group(data):
    try:
        a, b = decode_order(data, _OLD), decode_order(data, _NEW)
    except DiagnosticError:
        return  # an order only one version can state: a change of names, reported as such
    if a.breaches or b.breaches:
        return  # it names what a version does not list (model/order_rules.py): a change of names too
    va, vb = _CV_OLD.validate(a), _CV_NEW.validate(b)
    if va.status == vb.status:
        return
    direction = "rejected" if va.status == "valid" else "accepted"
    broken = {v.rule.id for v in (vb if direction == "rejected" else va).violations}
    reported = {g.rule.id for g in _RESULT.groups if g.direction == direction}
    assert broken & reported, (direction, broken, reported, data)
