"""The words a citation cites (model/clauses.py) and `tariff clause NAME CITATION`."""

from __future__ import annotations

import json

import pytest

from conftest import SPECS, run_cli
from tariffcheck.model.citation import parse_citation
from tariffcheck.model.clauses import cited_words, index_text, load_index

TEXT = """個別規程 テスト

第 1 条(品目)

本サービスには、次の品目があります。

2 品目の変更は、次の事項に限ります。

- (1) 席数
- (2) 期間

第2条(オプション)

オプションは次のとおりです。一のオプションの契約可能数の上限は、一の契約あたり 4 と
します。

附則

令和 7 年 10 月 1 日変更

1 この契約約款は、令和 7 年 10 月 1 日から実施します。

2 旧品目は新品目として存続します。

別紙 1 料金表
品目\t月額
A 型\t100 円
"""

SPEC = '''tariff t "T"
  source "t.txt"
contract svc "サービス契約" @第1条 {
  dimension item "品目" @第1条 { a "A 型" }
  quantity seats "席数" @第1条第2項(1)
}
rule r_seats @第1条第2項(1) { require seats >= 1  ja "1 席以上です。" en "At least 1 seat." }
'''


def words(c: str) -> str | None:
    return index_text(TEXT).words(parse_citation(c))


def test_each_clause_has_its_own_words_and_its_parts():
    assert words("第1条第2項(2)") == "- (2) 期間"
    assert words("第1条第2項") == "2 品目の変更は、次の事項に限ります。\n- (1) 席数\n- (2) 期間"
    assert words("第1条第1項") == "本サービスには、次の品目があります。"
    assert words("第1条").startswith("第 1 条(品目)\n本サービス")  # the heading, then the first paragraph
    assert words("附則(令和7年10月1日変更)第2項") == "2 旧品目は新品目として存続します。"
    assert words("別紙1 2(1)") == "別紙 1 料金表\n品目\t月額\nA 型\t100 円"  # an annex is quoted whole


def test_a_line_the_extraction_broke_is_joined_again():
    assert words("第2条第1項") == "オプションは次のとおりです。一のオプションの契約可能数の上限は、一の契約あたり 4 とします。"


def test_a_clause_the_text_lacks_has_no_words_but_its_nearest_neighbours():
    index = index_text(TEXT)
    assert words("第1条第3項") is None and words("第3条") is None
    assert [str(c) for c in index.nearest(parse_citation("第1条第3項"))] == ["第1条第1項", "第1条第2項"]
    assert [str(c) for c in index.nearest(parse_citation("第1条第2項(5)"))] == ["第1条第2項(1)", "第1条第2項(2)"]
    assert [str(c) for c in index.nearest(parse_citation("附則(令和7年10月1日変更)第4項"))] == [
        "附則(令和7年10月1日変更)第1項", "附則(令和7年10月1日変更)第2項"]
    assert [str(c) for c in index.nearest(parse_citation("別紙3"))] == ["別紙1"]


def test_cited_words_finds_the_text_by_the_specs_source(tmp_path):
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    found = cited_words("t.txt", str(tmp_path / "t.tariff"), parse_citation("第1条第2項(1)"), str(tmp_path))
    assert (found.found, found.words, found.source) == (True, "- (1) 席数", "t.txt")
    missing = cited_words("t.txt", None, parse_citation("第1条第9項"), str(tmp_path))
    assert not missing.found and missing.source == "t.txt" and missing.nearest
    assert cited_words("none.txt", None, parse_citation("第1条"), str(tmp_path)).source is None


def test_tariff_clause_prints_the_words_and_the_rules_that_cite_them(tmp_path):
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    spec = tmp_path / "t.tariff"
    spec.write_text(SPEC, encoding="utf-8")
    code, out, err = run_cli(["clause", str(spec), "第1条第2項(1)", "--sources", str(tmp_path)])
    assert (code, err) == (0, "")
    assert "- (1) 席数" in out and "source: t.txt" in out and "cited by: r_seats" in out
    code, out, _ = run_cli(["clause", str(spec), "第 1 条 第 2 項", "--sources", str(tmp_path), "--format", "json"])
    data = json.loads(out)
    assert code == 0 and data["citation"]["text"] == "第1条第2項" and data["text"].endswith("- (2) 期間")
    code, out, _ = run_cli(["clause", str(spec), "第1条", "--sources", str(tmp_path), "--lang", "ja"])
    assert code == 0 and "原文: t.txt" in out


@pytest.mark.parametrize("args,code,words", [
    (["nosuch", "第1条"], "T001", ["`nosuch`"]),
    (["{spec}", "第x条"], "E006", ["`第x条` is not a citation", "help:"]),
    (["{spec}", "第1条第3項"], "C001", ["has no clause `第1条第3項`", "help: the nearest clauses it has: "
                                                                     "`第1条第1項`, `第1条第2項`"]),
    (["{spec}", "第1条", "--sources", "{tmp}/none"], "C002", ["`t.txt`", "--sources DIR"]),
])
def test_tariff_clause_errors_name_the_input_and_help(tmp_path, args, code, words):
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    spec = tmp_path / "t.tariff"
    spec.write_text(SPEC, encoding="utf-8")
    args = [a.format(spec=spec, tmp=tmp_path) for a in args]
    if "--sources" not in args:
        args += ["--sources", str(tmp_path)]
    rc, out, err = run_cli(["clause", *args])
    assert rc == 2 and out == "" and f"error[{code}]" in err
    assert all(w in err for w in words), err


def test_the_seed_texts_give_the_words_of_a_bundled_citation():
    index = load_index("003_4e2883f6cd111e59.txt", str(SPECS / "secure_endpoint.tariff"))
    if index is None:
        pytest.skip("the source texts (../shared/seeds) are not beside this checkout")
    text = index.words(parse_citation("第5条第19項"))
    assert text.startswith("19 復旧用ストレージ追加オプション") and "50以上" in text
    code, out, _ = run_cli(["clause", "secure_endpoint", "第5条第19項"])
    assert code == 0 and "r5_19_minimum_accounts" in out and "50以上" in out


@pytest.mark.parametrize("text, expected", [
    ("第8条第2項(19)", {"article": 8, "paragraph": 2, "item": 19, "text": "第8条第2項(19)"}),
    ("別紙1 2(1) 備考(1)", {"annex": 1, "annex_part": "2(1) 備考(1)", "text": "別紙1 2(1) 備考(1)"}),
    ("附則(令和7年10月1日変更)第2項", {"paragraph": 2, "supplement": "令和7年10月1日変更",
                                     "text": "附則(令和7年10月1日変更)第2項"}),
    ("5.(4)", {"item": 4, "section": 5, "text": "5.(4)"}),
])
def test_a_citations_json_is_kept_but_each_caller_gets_its_own_dict(text, expected):
    citation = parse_citation(text)
    first = citation.to_json()
    assert first == expected and list(first)[-1] == "text"
    first["text"] = "changed by a caller"
    first["extra"] = 1
    again = parse_citation(text).to_json()  # an equal citation: the kept form, untouched
    assert again == expected and again is not first
