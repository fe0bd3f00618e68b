"""The HTML reports (report/html.py, report/readable.py): what the page says, in the tariff's own
names and words, and that it stands alone (no script, nothing fetched)."""

from __future__ import annotations

import json
import re

import pytest

from conftest import run_cli
from tariffcheck import catalog
from tariffcheck.analyse.broken_contracts import broken_contracts
from tariffcheck.analyse.diff import diff
from tariffcheck.analyse.lint import lint_tariff
from tariffcheck.api import Checker
from tariffcheck.report import html
from tariffcheck.report.readable import field_label, readable_order

pytest.importorskip("jinja2")

TEXT = """個別規程 テスト

第 1 条(品目)

本サービスには、次の品目があります。

第 2 条(席数)

一の契約の席数の上限は {cap} とします。
"""

SPEC = '''tariff t "テストサービス"
  source "{source}"
contract svc "サービス契約" @第1条 {{
  dimension item "品目" @第1条 {{ a "A 型" b "B 型" }}
  quantity seats "席数" @第2条
}}
rule r_cap @第2条 {{ require seats <= {cap}  ja "席数の上限は {cap} です。<b>太字</b>" en "At most {cap} seats." }}
rule r_cite @第2条第4項 {{ require seats >= 0  ja "席数は 0 以上です。" en "Seats are 0 or more." }}
'''


@pytest.fixture
def versions(tmp_path, monkeypatch):
    """An old version capping seats at 3 and a new one at 4, each citing its own text."""
    monkeypatch.setenv("TARIFFCHECK_SOURCES", str(tmp_path))
    paths = []
    for name, cap in (("old", 3), ("new", 4)):
        (tmp_path / f"t_{name}.txt").write_text(TEXT.format(cap=cap), encoding="utf-8")
        spec = tmp_path / f"t_{name}.tariff"
        spec.write_text(SPEC.format(source=f"t_{name}.txt", cap=cap), encoding="utf-8")
        paths.append(str(spec))
    return paths


@pytest.fixture
def result(versions):
    return diff(catalog.load(versions[0]), catalog.load(versions[1]))


def test_marked_gives_what_each_side_alone_has():
    old, new = html.marked("上限は 3 とします。", "上限は 4 とします。")
    assert [x for x in old if x[1] != "same"] == [("3", "del")]
    assert [x for x in new if x[1] != "same"] == [("4", "ins")]
    assert "".join(t for t, _ in old) == "上限は 3 とします。" and "".join(t for t, _ in new) == "上限は 4 とします。"


def test_a_witness_reads_in_the_tariffs_own_names(versions):
    t = catalog.load(versions[1])
    order = {"request": "change", "contracts": [{"id": "k1", "contract": "svc", "current": {"item": "a", "seats": 2},
                                                 "changes": {"seats": 4}}]}
    r = readable_order(order, t, "ja")
    assert r.about[0].label == "申込みの種類" and r.about[0].values == ["変更の申込み"]
    table = r.contracts[0]
    assert table.title == "サービス契約 (k1)" and table.columns == ["項目", "現在", "変更後"]
    rows = {row.label: (row.values, row.changed) for row in table.rows}
    assert rows == {"品目": (["A 型", "A 型"], False), "席数": (["2", "4"], True)}
    en = readable_order(order, t, "en")
    assert en.about[0].values == ["change request"] and en.contracts[0].columns == ["field", "now", "after the change"]
    assert [row.label for row in en.contracts[0].rows] == ["品目", "席数"]  # the names stay official
    assert field_label("contracts[0].seats", order, t) == "席数 (k1)"


def test_the_diff_page_shows_rule_clause_words_witness_and_boundary(result):
    page = html.diff_page(result, "ja")
    assert "新たに受け付けられる申込み" in page and "第2条" in page and "r_cap" in page
    # the clause's words of both versions, the difference marked
    assert "一の契約の席数の上限は <del>3</del> とします。" in page
    assert "一の契約の席数の上限は <ins>4</ins> とします。" in page
    # the witness as a table in official names, not ids
    assert "<caption>サービス契約 (" in page and "<th>席数</th>" in page and re.search(r"<td>[AB] 型</td>", page)
    assert '"item"' not in page
    # the boundary: 4 seats are judged differently, 3 (or 5) alike
    assert re.search(r"境界: <b>席数 \(c\d\)</b> — [35] \(両版の判定が一致\) / 4 \(判定が異なる\)", page)
    # a value cannot add markup: the rule's message is escaped
    assert "&lt;b&gt;太字&lt;/b&gt;" in page and "<b>太字</b>" not in page


def test_the_pages_stand_alone(result, versions):
    lint = lint_tariff(catalog.load(versions[1]), checks=("names", "citations"))
    for page in (html.diff_page(result), html.lint_page([lint]), html.review_page(result, lint)):
        assert page.startswith("<!DOCTYPE html>") and "<style>" in page
        assert "<script" not in page.lower()
        assert re.findall(r"(?:src|href)=\"(?!data:|#)[^\"]*\"", page) == []
        assert re.findall(r"https?://", page) == ["http://"] * page.count('xmlns="http://www.w3.org/2000/svg"')


def test_lint_findings_show_the_words_of_their_clause_or_say_it_is_missing(versions):
    lint = lint_tariff(catalog.load(versions[1]), checks=("citations",))
    assert [f.code for f in lint.findings] == ["L018"]
    page = html.lint_page([lint], "en")
    assert "L018" in page and "第2条第4項" in page and "the source text has no such clause" in page
    view = html.lint_view([lint], "ja")[0]["findings"][0]
    assert view["words"] is None and view["words_missing"] == "原文にこの条項はありません"


def test_the_review_page_sums_up_and_charts_the_change(result, versions):
    lint = lint_tariff(catalog.load(versions[1]), checks=("citations",))
    page = html.review_page(result, lint, "ja")
    summary = page[page.index('<section id="summary">'):page.index("</section>")]
    assert re.search(r'<div class="n">異なる</div>意味は同じか', summary)
    assert re.search(r'<div class="n">0</div>種類の申込みが新たに拒否', summary)
    assert re.search(r'<div class="n">1</div>種類の申込みが新たに受付', summary)
    assert "<svg" in summary and "第2条 r_cap" in summary
    assert '<section id="lint">' in page and "L018" in page
    en = html.review_page(result, lint, "en")
    assert '<div class="n">different</div>meaning of the two versions' in en and "newly accepted" in en
    assert "<th>席数</th>" in en  # the tariff's names stay official


def test_broken_contracts_are_counted_per_rule_by_a_loop_over_two_checkers(versions):
    old, new = Checker(versions[0]), Checker(versions[1])
    base = [json.dumps({"request": "new", "contracts": [{"id": f"k{n}", "contract": "svc", "item": "a",
                                                         "seats": n}]}) for n in (2, 3, 4)]
    # the new version allows more seats: nothing breaks going forward, everything going back
    assert broken_contracts(old, new, base).broken == 0
    back = broken_contracts(new, old, base + ["", "not json"])
    assert (back.total, back.broken, list(back.by_rule)) == (4, 1, ["r_cap"])
    assert back.by_rule["r_cap"].rows[0].line == 3 and back.by_rule["r_cap"].rows[0].contract_ids == ["k4"]
    assert [line for line, _ in back.unreadable] == [5]
    view = html.contracts_view(back, old.tariff, "en")
    assert view["summary"].startswith("1 of 4 contracts") and view["rules"][0]["words"].endswith("上限は 3 とします。")


def test_the_commands_write_html(versions, tmp_path):
    code, out, err = run_cli(["diff", *versions, "--format", "html"])
    assert (code, err) == (1, "") and "<del>3</del>" in out
    code, out, _ = run_cli(["lint", versions[1], "--format", "html", "--only", "citations", "--lang", "ja"])
    assert code == 0 and "第2条第4項" in out and "原文にこの条項はありません" in out
    base = tmp_path / "base.jsonl"
    base.write_text(json.dumps({"request": "new", "contracts": [{"id": "k", "contract": "svc", "item": "a",
                                                                "seats": 4}]}) + "\n", encoding="utf-8")
    page = tmp_path / "review.html"
    code, out, err = run_cli(["review", versions[1], versions[0], "--contracts", str(base), "-o", str(page)])
    text = page.read_text(encoding="utf-8")
    assert (code, out, err) == (1, "", "")
    assert '<section id="contracts">' in text and "1 件の契約のうち 1 件" in text and "k" in text
    code, _, err = run_cli(["review", *versions, "--contracts", str(tmp_path / "none.jsonl")])
    assert code == 2 and "error[O011]" in err and "none.jsonl" in err


def test_review_checks_its_output_before_it_analyses(versions, tmp_path, monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("the comparison ran although the page could not be written")

    monkeypatch.setattr("tariffcheck.analyse.diff.diff", refuse)
    code, out, err = run_cli(["review", *versions, "-o", str(tmp_path)])
    assert (code, out) == (2, "") and f"error[R001]: cannot write `{tmp_path}`" in err


def test_a_version_reviewed_against_itself_is_the_same_with_nothing_to_show(versions):
    t = catalog.load(versions[1])
    same = diff(t, t)
    assert same.status == "same"
    page = html.review_page(same, None, "ja")
    assert '<div class="n">同じ</div>意味は同じか' in page and "<svg" not in page
    assert 'class="card' not in page and "変更なし" in page


def test_the_readme_example_shows_three_rules_and_three_broken_contracts():
    from conftest import EXAMPLES

    old, new = Checker(str(EXAMPLES / "secure_endpoint_2025-04.tariff")), Checker("secure-endpoint")
    r = diff(old.tariff, new.tariff)
    assert sorted((g.direction, g.rule.id) for g in r.groups) == [
        ("accepted", "r8_3_connections"), ("rejected", "r5_19_minimum_accounts"), ("rejected", "r8_3_tunnel_cap")]
    assert all(g.confirmed for g in r.groups)
    lines = (EXAMPLES / "secure_endpoint_contracts.jsonl").read_text(encoding="utf-8").splitlines()
    counted = broken_contracts(old, new, lines)
    assert (counted.total, counted.broken, counted.unreadable) == (5, 3, [])
    assert {k: v.count for k, v in counted.by_rule.items()} == {"r8_3_tunnel_cap": 1, "r5_19_minimum_accounts": 2}
    page = html.review_page(r, None, "ja", html.contracts_view(counted, new.tariff, "ja"))
    assert '<div class="n">3 / 5</div>' in page and "<caption>子たる契約 (c1)</caption>" in page
