"""Hardening of `tariff diff` and of the reports `-o` writes (issue 12, points 1 and 7).

1. A diff claims "no semantic change" only over a comparison that covers every shape of order
   of both versions. A shape without a partner (a contract kind only one version has, one renamed
   without a 附則, a child of another parent) is listed with the reason, and sameness is then not
   proven: `same_meaning` is None, the status `not_comparable`, the exit code 1. Two different
   tariffs are said to be so. A kind, option or value a 附則 `rename` renames is paired through it.
2. A report that `-o` cannot write is an R001 error (exit 2) naming the path and the system's
   reason, never a traceback, and nothing is left half written.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path

import pytest

from tariffcheck import catalog
from tariffcheck.analyse.diff import diff
from tariffcheck.evaluate.concrete import ConcreteValidator
from tariffcheck.orders.decode import decode_order
from tariffcheck.report import diff_report

from conftest import FIXTURES, SPECS, run_cli, spec_variant

SK = SPECS / "smartkey.tariff"
NOTICE = FIXTURES / "diff" / "notice_v1.tariff"
KIND = 'contract smartkey "IIJ SmartKey マネージメントサービス契約" @第2条 {'
TIGHTEN = ("when is_change and changed(item) require first_of_month(requested_date)",
           "when is_change require first_of_month(requested_date)")
HISTORY_END = "  # neither supplementary provision renames or withdraws anything\n"


_variant = spec_variant


def _renamed_kind(tmp_path: Path, by_supplementary_provision: bool, tighten: bool = True) -> str:
    edits = [(KIND, KIND.replace("contract smartkey", "contract sk"))]
    if tighten:
        edits.append(TIGHTEN)
    if by_supplementary_provision:
        edits.append((HISTORY_END, '  rename "IIJ SmartKey マネージメントサービス契約" -> sk from 2018-01-01 '
                                   "@附則(平成30年1月1日変更)\n"))
    return _variant(tmp_path, SK, "sk_paired" if by_supplementary_provision else "sk", edits)


def _all_reports(r) -> str:
    return "\n".join([diff_report.to_text(r), diff_report.to_markdown(r),
                      json.dumps(diff_report.to_json(r), ensure_ascii=False)])


def _assert_not_proven(r) -> None:
    assert r.status == "not_comparable"
    assert r.same_meaning is None
    text = _all_reports(r).lower()
    assert "no semantic change" not in text and "proven over" not in text
    assert "not proven" in text
    assert diff_report.to_json(r)["same_meaning"] is None


# ---- 1. sameness only over a comparison that covers both versions -----------------------------------
def test_diff_never_proves_sameness_over_no_shapes():
    tariff = catalog.load(str(SK))
    r = diff(tariff, tariff, requests=())  # nothing to compare at all
    assert r.shapes == [] and r.uncompared == [] and r.groups == []
    _assert_not_proven(r)


def test_diff_of_renamed_contract_kind_with_tightened_rule_is_not_same(tmp_path):
    new = _renamed_kind(tmp_path, by_supplementary_provision=False)
    r = diff(catalog.load(str(SK)), catalog.load(new))
    assert r.same_meaning is not True
    assert r.shapes == []
    _assert_not_proven(r)
    # every shape of either version is listed, with the reason
    assert {(u.version, u.shape) for u in r.uncompared} == {
        ("new", "new sk"), ("new", "change sk"), ("new", "cancellation sk"),
        ("old", "new smartkey"), ("old", "change smartkey"), ("old", "cancellation smartkey")}
    reasons = {u.version: u.reason for u in r.uncompared}
    assert reasons == {"new": "contract kind `sk` is only in the new version",
                       "old": "contract kind `smartkey` is only in the old version"}
    assert all("rename" in u.help for u in r.uncompared)  # the same official name: how to pair them
    # the names section says the kinds do not pair
    kinds = {(n.change, n.path): n for n in r.names if n.what == "contract"}
    assert set(kinds) == {("removed", "smartkey"), ("added", "sk")}
    assert "no 附則 `rename` pairs them" in kinds[("added", "sk")].note


def test_cli_exits_1_when_sameness_is_not_proven(tmp_path):
    new = _renamed_kind(tmp_path, by_supplementary_provision=False)
    code, out, err = run_cli(["diff", str(SK), new])
    assert (code, err) == (1, "")
    assert "meaning: NOT PROVEN: no shape of order could be compared" in out
    assert "contract kind `sk` is only in the new version: new sk, change sk, cancellation sk" in out
    code, out, _ = run_cli(["diff", str(SK), new, "--format", "json"])
    data = json.loads(out)
    assert code == 1 and data["status"] == "not_comparable" and data["same_meaning"] is None
    assert len(data["uncompared"]) == 6
    code, out, _ = run_cli(["diff", str(SK), new, "--format", "markdown"])
    assert code == 1 and "**Meaning**: NOT PROVEN" in out and "## Not compared (6 shapes of order)" in out


def test_diff_pairs_a_contract_kind_renamed_by_a_supplementary_provision(tmp_path):
    old, new = catalog.load(str(SK)), catalog.load(_renamed_kind(tmp_path, by_supplementary_provision=True))
    r = diff(old, new)
    assert r.uncompared == [] and len(r.shapes) == 3
    assert r.status == "different" and r.same_meaning is False
    assert [(g.direction, g.rule.id) for g in r.groups] == [("rejected", "r4_calendar_month")]
    g = r.groups[0]
    assert g.confirmed, g.note
    # the witness is the new version's order; in the old version's names the old version accepts it
    as_old = json.loads(json.dumps(g.witness).replace('"contract": "sk"', '"contract": "smartkey"'))
    assert ConcreteValidator(old).validate(decode_order(as_old, old)).status == "valid"
    broken = ConcreteValidator(new).validate(decode_order(g.witness, new)).violations
    assert "r4_calendar_month" in {v.rule.id for v in broken}
    [renamed] = [n for n in r.names if n.what == "contract"]
    assert (renamed.change, renamed.path) == ("renamed", "sk")
    assert "was `smartkey`" in renamed.note and "附則" in renamed.note
    assert run_cli(["diff", str(SK), new.path])[0] == 1


def test_a_contract_kind_renamed_by_a_supplementary_provision_alone_changes_nothing(tmp_path):
    new = _renamed_kind(tmp_path, by_supplementary_provision=True, tighten=False)
    r = diff(catalog.load(str(SK)), catalog.load(new))
    assert r.status == "same" and r.same_meaning is True and len(r.shapes) == 3
    code, out, _ = run_cli(["diff", str(SK), new])
    assert code == 0 and "proven over 3 shapes of order, every shape of both versions" in out


def test_diff_of_unrelated_tariffs_is_not_same():
    r = diff(catalog.load("smartkey"), catalog.load("secure-endpoint"))
    assert r.status == "unrelated" and r.same_meaning is None
    assert not r.related and r.groups == [] and r.shapes == []
    text = _all_reports(r)
    assert "no semantic change" not in text.lower() and "proven" not in text.lower()
    code, out, err = run_cli(["diff", "smartkey", "secure-endpoint"])
    assert (code, err) == (1, "")
    assert "`smartkey` and `secure_endpoint` are two different tariffs, not two versions of one" in out
    code, out, _ = run_cli(["diff", "smartkey", "secure-endpoint", "--format", "json"])
    data = json.loads(out)
    assert code == 1 and (data["status"], data["same_meaning"]) == ("unrelated", None)


def test_a_contract_kind_only_one_version_has_leaves_the_rest_compared_but_nothing_proven(tmp_path):
    extra = _variant(tmp_path, NOTICE, "extra", [("rule seat_cap", 'contract extra "追加契約" @第7条 {\n}\n\nrule seat_cap')])
    for old, new, side in ((str(NOTICE), extra, "new"), (extra, str(NOTICE), "old")):
        r = diff(catalog.load(old), catalog.load(new))
        assert r.shapes == ["new svc", "change svc", "cancellation svc"]
        assert {(u.version, u.shape) for u in r.uncompared} == {
            (side, "new extra"), (side, "change extra"), (side, "cancellation extra")}
        assert {u.reason for u in r.uncompared} == {f"contract kind `extra` is only in the {side} version"}
        _assert_not_proven(r)
        assert "the 3 shapes of order compared are judged the same" in diff_report.to_text(r)


def test_a_child_of_another_parent_is_not_compared(tmp_path):
    parent = _variant(tmp_path, NOTICE, "parent", [
        ('contract svc "サービス" @第1条 {', 'contract grp "グループ" @第1条 {\n}\n\ncontract svc "サービス" @第1条 parent grp {')])
    r = diff(catalog.load(str(NOTICE)), catalog.load(parent))
    assert r.shapes == []
    _assert_not_proven(r)
    moved = "contract kind `svc` has parent `grp` in the new version and no parent in the old"
    assert {(u.version, u.shape) for u in r.uncompared if u.reason == moved} == {
        (v, f"{request} svc") for v in ("old", "new") for request in ("new", "change", "cancellation")}
    assert f"{moved}: new svc, change svc, cancellation svc (in both versions)" in diff_report.to_text(r)


def test_diff_pairs_options_and_values_renamed_by_a_supplementary_provision(tmp_path):
    renames = [
        ("  as_of 2026-01-01\n", '  as_of 2026-04-01\n\nhistory {\n  version 2026-04-01 "改定" @附則(改定)\n'
                                 '  rename "X オプション" -> xx from 2026-04-01 @附則(改定)第2項\n'
                                 '  rename "B 型" -> b2 from 2026-04-01 @附則(改定)第3項\n}\n'),
        ('b "B 型"', 'b2 "B 型 (新)"'),
        ('option x "X オプション"', 'option xx "X2 オプション"'),
        ("for x require item in {a, b}", "for xx require item in {a, b2}"),
    ]
    same = _variant(tmp_path, NOTICE, "renamed", renames)
    old = catalog.load(str(NOTICE))
    r = diff(old, catalog.load(same))
    assert r.status == "same" and r.same_meaning is True
    changes = {(n.what, n.change, n.path): n.note for n in r.names}
    assert "was `b`" in changes[("value", "renamed", "svc.item.b2")]
    assert "was `x`" in changes[("option", "renamed", "svc.options.xx")]
    # the same renames with X narrowed to the renamed item: the old version accepts X on type A
    tight = _variant(tmp_path, Path(same), "tight", [("for xx require item in {a, b2}", "for xx require item in {b2}")])
    new = catalog.load(tight)
    r = diff(old, new)
    assert r.status == "different"
    assert [(g.direction, g.rule.id) for g in r.groups] == [("rejected", "x_items")]
    g = r.groups[0]
    assert g.confirmed, g.note
    assert "xx" in g.witness["contracts"][0]["options"] and g.witness["contracts"][0]["item"] == "a"


# ---- 2. `-o` to a path that cannot be written -------------------------------------------------------
# `lint` and `diff` check the path before they analyse anything: a bad one costs no minutes.
OUTPUT_COMMANDS = {"lint": ["smartkey"], "diff": ["smartkey", "smartkey"]}


def _no_analysis(monkeypatch) -> None:
    def refuse(*a, **k):
        raise AssertionError("the analysis ran although the report could not be written")

    monkeypatch.setattr("tariffcheck.cli.lint.lint", refuse)
    monkeypatch.setattr("tariffcheck.cli.diff.diff", refuse)


def _assert_r001(code: int, out: str, err: str, path: str, reason: str) -> None:
    assert code == 2 and out == ""
    assert f"error[R001]: cannot write `{path}`: {reason}" in err
    assert "= help:" in err and "Traceback" not in err


@pytest.mark.parametrize("command", sorted(OUTPUT_COMMANDS))
def test_output_to_a_folder_is_an_error_naming_it(command, tmp_path, monkeypatch):
    _no_analysis(monkeypatch)
    code, out, err = run_cli([command, *OUTPUT_COMMANDS[command], "-o", str(tmp_path)])
    _assert_r001(code, out, err, str(tmp_path), "Is a directory")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", sorted(OUTPUT_COMMANDS))
def test_output_in_a_missing_folder_is_an_error_naming_it(command, tmp_path, monkeypatch):
    _no_analysis(monkeypatch)
    path = tmp_path / "missing" / "report.md"
    code, out, err = run_cli([command, *OUTPUT_COMMANDS[command], "-o", str(path)])
    _assert_r001(code, out, err, str(path), "No such file or directory")
    assert f"create the folder `{path.parent}` first" in err
    assert not path.parent.exists()


@pytest.mark.parametrize("command", sorted(OUTPUT_COMMANDS))
def test_output_in_a_read_only_folder_is_an_error_naming_it(command, tmp_path, monkeypatch):
    _no_analysis(monkeypatch)
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if os.access(folder, os.W_OK):  # root writes anyway: refuse as the system refuses anyone else
        real = tempfile.mkstemp

        def refused(*a, dir=None, **k):
            if dir is not None and Path(dir) == folder:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), dir)
            return real(*a, dir=dir, **k)

        monkeypatch.setattr(tempfile, "mkstemp", refused)
    path = folder / "report.md"
    try:
        code, out, err = run_cli([command, *OUTPUT_COMMANDS[command], "-o", str(path)])
        _assert_r001(code, out, err, str(path), "Permission denied")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


def test_a_write_that_fails_midway_leaves_the_old_report_whole_and_no_stray_file(tmp_path, monkeypatch):
    path = tmp_path / "report.txt"
    path.write_text("the previous report\n", encoding="utf-8")

    def disk_full(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", disk_full)
    code, out, err = run_cli(["diff", "smartkey", "smartkey", "-o", str(path)])
    _assert_r001(code, out, err, str(path), os.strerror(errno.ENOSPC))
    assert path.read_text(encoding="utf-8") == "the previous report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_a_report_replaces_the_file_whole_and_keeps_its_permissions(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text("the previous report, longer than the next one will be\n" * 100, encoding="utf-8")
    path.chmod(0o640)
    assert run_cli(["diff", "smartkey", "smartkey", "-o", str(path)])[0] == 0
    text = path.read_text(encoding="utf-8")
    assert text.startswith("diff smartkey") and "previous" not in text and text.endswith("\n")
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]
