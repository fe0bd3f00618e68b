"""`tariff lint` as a user runs it: the findings on the five bundled tariffs are exactly those
docs/findings.md verifies against the texts; exit codes, formats, and the library call."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tariffcheck.api as api
from tariffcheck import catalog
from tariffcheck.cli import main

# (code, subject, clause) per tariff, each checked against the seed text in docs/findings.md
BUNDLED = {
    "secure-endpoint": {("L006", "r5_13_storage", "第5条第13項"),
                        ("L009", "client_filter_x", "第8条第2項(19)"),
                        ("L015", "r5_18_type_a_support", "第5条第18項"),
                        ("L015", "option_initial_quoted", "別紙1 1(2)"),
                        ("L016", "itam_a_intro", "第8条第2項(37)"),
                        ("L017", "early_option_min_use", "別紙2 2")},
    # the other spellings the texts use (`also spelled`, issue 13 point 7) are L011, defects of the text
    "fence-mobile": {("L009", "ifilter", "4.(4)"),
                     ("L016", "ops_setup", "2.(3)"), ("L016", "ops_agent", "2.(4)"),
                     ("L016", "antivirus", "2.(5)"), ("L016", "remote_help", "2.(7)"),
                     ("L011", "ifilter", "5.(6)")},
    "flex-resilience": {("L012", "r4_designated_service", "第4条"), ("L011", "answer_deadline", "第17条第3項(2)"),
                        ("L011", "answer_deadline", "第17条第4項")},
    "smart-mobile-manager": {("L010", "billing_start", "第11条"), ("L010", "it.billing_start", "第11条"),
                             ("L011", "maas360", "第7条第1項")},
    "smartkey": {("L011", None, "第8条第2項")},
}

CONTRADICTORY = """tariff broken "Broken"
  source "none"
  as_of 2026-01-01

contract svc "サービス" @第1条 {
  dimension item "品目" @第2条 { a "A 型"  b "B 型" }
  quantity seats "席数" @第3条
}

rule at_least @第3条 {
  require seats >= 10
  ja "席数は 10 以上です。"
  en "At least 10 seats."
}
rule at_most @第3条第2項 {
  require seats <= 5
  ja "席数は 5 以下です。"
  en "At most 5 seats."
}
"""


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_findings_are_the_verified_ones(name):
    r = api.lint(name)
    assert r.complete
    assert {(f.code, f.subject, f.clause) for f in r.findings} == BUNDLED[name]
    assert not r.errors


def test_the_redundant_storage_rule_names_what_implies_it():
    [f] = [f for f in api.lint("secure-endpoint").findings if f.code == "L006"]
    assert f.rules == ["r5_9_type_l_options"] and f.severity == "info"


def test_a_contradiction_fails_the_build(tmp_path, capsys):
    spec = tmp_path / "broken.tariff"
    spec.write_text(CONTRADICTORY, encoding="utf-8")
    r = api.lint(str(spec))
    [f] = [f for f in r.findings if f.code == "L001"]
    assert f.severity == "error" and sorted(f.rules) == ["at_least", "at_most"]
    assert main(["lint", str(spec)]) == 1
    out = capsys.readouterr().out
    assert "error[L001]" in out and "at_least" in out and "1 error" in out


def test_a_spec_that_does_not_load_is_reported_not_raised(tmp_path, capsys):
    spec = tmp_path / "bad.tariff"
    spec.write_text('tariff bad "Bad"\n  source "x"\n  as_of 2026-01-01\n\nrule r @第1条 { require nothing_here }\n',
                    encoding="utf-8")
    r = api.lint(str(spec))
    assert r.tariff is None and r.errors and all(f.code == "L000" for f in r.errors)
    assert main(["lint", str(spec), "secure-endpoint"]) == 2
    assert "L000" in capsys.readouterr().out


def test_formats(tmp_path, capsys):
    assert main(["lint", "secure-endpoint", "flex-resilience", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["tariff"]["id"] for s in data["specs"]] == ["secure_endpoint", "flex_resilience"]
    codes = [f["code"] for s in data["specs"] for f in s["findings"]]
    assert codes.count("L012") == 2 and "L006" in codes
    out = tmp_path / "review.md"
    assert main(["lint", "flex-resilience", "--format", "markdown", "-o", str(out)]) == 0
    md = out.read_text(encoding="utf-8")
    assert md.startswith("# tariff lint report") and "| warning | L012 | 第4条 |" in md
    assert main(["lint", "flex-resilience", "--fail-on", "warning"]) == 1
    capsys.readouterr()
    assert main(["lint", "smart-mobile-manager", "--lang", "ja", "-q"]) == 0
    assert "info[" not in capsys.readouterr().out.split("smart_mobile_manager:")[0]


def test_only_runs_the_checks_named(capsys):
    r = api.lint("secure-endpoint", checks=("dead",))
    assert r.findings == [] and "redundant" not in r.seconds
    with pytest.raises(SystemExit):
        main(["lint", "secure-endpoint", "--only", "nonsense"])
    assert "--only" in capsys.readouterr().err


def test_lint_of_every_bundled_spec_is_quick():
    """Not a timing assertion (benchmarks/bench_lint.py measures): lint must finish its every
    question on the bundled specs within the default time limit, never cut short."""
    for name in catalog.bundled_names():
        assert api.lint(name).complete, name
