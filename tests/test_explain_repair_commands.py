"""`tariff explain` and `tariff repair`: exit codes, bad input told as errors (never a
traceback), the library calls behind them, and repaired orders that `tariff check` accepts.
What the commands print is pinned by tests/test_cli_snapshots.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tariffcheck.api import Checker
from tariffcheck.cli import shared
from tariffcheck.smt.explain import Explanation
from tariffcheck.smt.repair import RepairResult
from tariffcheck.evaluate.verdict import rule_message

from conftest import EXAMPLES, run_cli

INVALID = str(EXAMPLES / "secure_endpoint_invalid.json")
VALID = str(EXAMPLES / "secure_endpoint_valid.json")
INVALID_ORDERS = sorted(EXAMPLES.glob("*_invalid.json"))


def se(command: str, order: str, *extra: str) -> tuple[int, str, str]:
    return run_cli([command, "--tariff", "secure-endpoint", order, *extra])


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker("secure-endpoint")


# ---- exit codes -----------------------------------------------------------------------------------
@pytest.mark.parametrize("args, code", [
    ((VALID,), 0),                                                # nothing to explain
    ((INVALID,), 1),                                              # a conflict
    ((INVALID, "--all", "--limit", "2"), 1),                      # conflicts, the search cut short
    ((VALID, "--why-not", "ダイレクト接続オプション"), 0),           # it can be added
    ((VALID, "--why-not", "recovery_storage", "--contract", "se-1"), 1),  # it cannot
    ((INVALID, "--why-not", "client_filter"), 1),                 # the order fails as it stands
])
def test_explain_exit_codes(args, code):
    got, out, err = se("explain", *args)
    assert (got, err) == (code, "")


@pytest.mark.parametrize("args, code", [
    ((VALID,), 0),                                                # nothing to repair
    ((INVALID,), 0),                                              # a repair
    ((INVALID, "--lock", "accounts", "--lock", "recovery_storage"), 1),  # none keeps the locks
])
def test_repair_exit_codes(args, code):
    got, out, err = se("repair", *args)
    assert (got, err) == (code, "")


def test_explain_says_when_the_search_stopped_at_its_limit():
    code, out, _ = se("explain", INVALID, "--all", "--limit", "2")
    assert code == 1 and out.count("cannot stand together") == 2
    assert "the search is incomplete: stopped at the limit of 2 conflicts" in out
    data = json.loads(se("explain", INVALID, "--all", "--limit", "2", "--format", "json")[1])
    assert (data["complete"], len(data["conflicts"])) == (False, 2)


def test_why_not_says_when_the_option_can_be_added():
    code, out, _ = se("explain", VALID, "--why-not", "direct")
    assert code == 0
    assert "Option ダイレクト接続オプション can be added to contract `se-1`: nothing in the order stands in its way" in out


def test_why_not_on_an_invalid_order_tells_the_order_s_conflicts_first():
    code, out, _ = se("explain", INVALID, "--why-not", "client_filter", "--lang", "ja")
    assert code == 1 and "この注文はこのままでは無効です" in out


def test_why_not_leaves_out_the_option_s_own_fields():
    """The order as it stands lacks the option; its `false` would contradict the question."""
    data = json.loads(se("explain", VALID, "--why-not", "recovery_storage", "--format", "json")[1])
    assert data["question"]["option"] == {"id": "recovery_storage", "name": "復旧用ストレージ追加オプション"}
    paths = [f["path"] for c in data["conflicts"] for r in c["rules"] for f in r["fields"]]
    assert paths == ["contracts[1].item"]


class _Unknown(Checker):
    def explain(self, order, limit=1):
        return Explanation("unknown", complete=False, reason="the solver gave up: timeout")

    def repair(self, order, k=1, locks=(), weights=None, unlock=()):
        return RepairResult("unknown", complete=False, reason="the solver gave up: timeout")


@pytest.mark.parametrize("command", ["explain", "repair"])
def test_no_answer_before_the_time_limit_exits_3(monkeypatch, command):
    monkeypatch.setattr(shared, "Checker", _Unknown)
    code, out, _ = se(command, INVALID)
    assert code == 3
    assert "unknown" in out and "the solver gave up: timeout" in out


def test_timeout_reaches_the_solver(monkeypatch):
    seen = []

    class Recording(Checker):
        def __init__(self, tariff, timeout_ms):
            seen.append(timeout_ms)
            super().__init__(tariff, timeout_ms)

    monkeypatch.setattr(shared, "Checker", Recording)
    assert se("explain", INVALID, "--timeout", "2500")[0] == 1
    assert se("repair", INVALID, "--timeout", "2600")[0] == 0
    assert seen == [2500, 2600]


# ---- bad input: exit 2 with a message, no traceback ----------------------------------------------
@pytest.mark.parametrize("command, args, words", [
    ("repair", ("--lock", "nosuch"), ["error[E002]", "`--lock nosuch` names no field of the order", "help:"]),
    ("repair", ("--weight", "accounts"), ["argument --weight", "`accounts` is not NAME=N"]),
    ("repair", ("--weight", "accounts=two"), ["argument --weight", "the weight `two` is not a whole number"]),
    ("repair", ("--weight", "accounts=-1"), ["argument --weight", "from 0 up"]),
    ("repair", ("--weight", "nosuch=2"), ["error[E002]", "weight `nosuch` names no field of the order"]),
    ("repair", ("--unlock", "accounts"), ["argument --unlock", "application_date"]),
    ("repair", ("--max", "0"), ["argument --max", "must be 1 or more"]),
    ("explain", ("--why-not", "nosuch"), ["`nosuch` is not an option of the order's contracts"]),
    ("explain", ("--why-not", "tunnel"), ["every contract already has `tunnel`"]),
    ("explain", ("--why-not", "recovery_storage", "--contract", "zz"), ["no contract `zz`"]),
    ("explain", ("--limit", "3"), ["`--limit`", "with `--all`"]),
    ("explain", ("--contract", "se-1"), ["`--contract`", "with `--why-not`"]),
    ("explain", ("--timeout", "soon"), ["argument --timeout", "`soon` is not a whole number"]),
])
def test_bad_input_exits_2_with_a_message(command, args, words):
    order = VALID if "--why-not" in args else INVALID
    code, out, err = se(command, order, *args)
    assert code == 2 and out == ""
    assert "Traceback" not in err
    for w in words:
        assert w in err


# ---- repaired orders ------------------------------------------------------------------------------
@pytest.mark.parametrize("example", INVALID_ORDERS, ids=lambda p: p.stem)
def test_each_repaired_order_passes_tariff_check(example, tmp_path):
    tariff = json.loads(example.read_text(encoding="utf-8"))["tariff"]
    code, out, err = run_cli(["repair", "--tariff", tariff, str(example), "--max", "3", "--format", "json"])
    assert code == 0, err
    repairs = json.loads(out)["repairs"]
    assert repairs
    for i, repair in enumerate(repairs):
        path = tmp_path / f"repair{i}.json"
        path.write_text(json.dumps(repair["order"], ensure_ascii=False), encoding="utf-8")
        code, out, err = run_cli(["check", "--tariff", tariff, str(path)])
        assert code == 0, out + err


def test_a_weight_makes_a_kind_of_field_dear(checker):
    """With options dear, the repair keeps the options it can and changes the item instead."""
    order = json.loads(Path(INVALID).read_text(encoding="utf-8"))
    cheap = checker.repair(order, locks=["復旧用ストレージ追加オプション"])
    dear = checker.repair(order, locks=["復旧用ストレージ追加オプション"], weights={"option": 5})
    assert cheap.status == dear.status == "repaired"
    assert {c.path: c.weight for c in dear.repairs[0].changes}["contracts[1].options.tunnel"] == 5
    assert dear.repairs[0].cost == sum(c.weight for c in dear.repairs[0].changes)


# ---- the library ----------------------------------------------------------------------------------
def test_checker_explains_why_nots_and_repairs_from_order_json(checker):
    raw = Path(INVALID).read_text(encoding="utf-8")
    explanation = checker.explain(raw, limit=10)
    assert explanation.status == "invalid" and len(explanation.conflicts) > 1
    assert checker.why_not(Path(VALID).read_text(encoding="utf-8"), "recovery_storage").status == "invalid"
    result = checker.repair(json.loads(raw), k=2)
    assert result.status == "repaired" and len(result.repairs) == 2
    assert all(r.verdict.status == "valid" for r in result.repairs)


def test_checker_keeps_one_explainer_and_one_repairer(checker):
    order = Path(INVALID).read_text(encoding="utf-8")
    checker.explain(order)
    checker.repair(order)
    explainer, repairer = checker.explainer, checker.repairer
    checker.explain(order)
    checker.repair(order)
    assert checker.explainer is explainer and checker.repairer is repairer
    assert repairer.concrete is checker.concrete


PLACEHOLDER_SPEC = """tariff p "P"
contract c "契約" @第1条 {
  dimension item "品目" @第1条 { a "A" }
}
derive earliest "最も早い日" @第2条 = notice_arrived + 30 days
  when is_cancellation
rule r @第2条 {
  when is_cancellation require requested_date >= notice_arrived + 30 days
  ja "解約は 30 日後からです。最も早い日は {earliest} です。"
  en "A cancellation takes 30 days; the earliest day is {earliest}."
}
"""


def test_a_message_never_shows_a_placeholder_it_cannot_fill(tmp_path):
    # the bundled tariffs no longer have such a rule (a cancellation takes effect on the later
    # day, issue 13), so a small spec of the same shape stands in
    spec = tmp_path / "p.tariff"
    spec.write_text(PLACEHOLDER_SPEC, encoding="utf-8")
    checker = Checker(str(spec))
    rule = next(r for r in checker.tariff.rules if r.placeholders)
    name, _ = next(iter(rule.placeholders))
    assert "{" + name + "}" in rule.messages["en"]
    filled = rule_message(checker.tariff, rule, None, {name: "2026-05-01"}, "en")
    assert "2026-05-01" in filled
    for lang in ("en", "ja"):
        bare = rule_message(checker.tariff, rule, None, {}, lang)
        assert "{" not in bare and bare  # the sentence that named the day is left out
    assert rule_message(checker.tariff, rule, None, {}, "en").endswith(".")  # not with the `;` before it
