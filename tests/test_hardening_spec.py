"""Issue 12: a spec that cannot mean anything does not load, and no spec crashes the pipeline.

Each test is named after the point of the issue it closes. A spec's problems are diagnostics
(`DiagnosticError`, E-coded, with a span), never a Python exception, at every stage.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import tariffcheck
from tariffcheck import Checker
from tariffcheck.common.diagnostics import Diagnostic, DiagnosticError, render_all
from tariffcheck.resolve import resolve
from tariffcheck.syntax.parser import MAX_NESTING, parse_text

from conftest import EXAMPLES, FIXTURES, SPECS, run_cli, spec_variant

HEADER = 'tariff demo "Demo"\n  as_of 2026-01-01\n'
HISTORY = 'history {{\n  version 2025-10-01 "v" @附則(令和7年10月1日変更)\n{renames}}}\n'
SERVICE = '''contract svc "サービス" @第1条 {
  dimension item "品目" @第2条 { a "A 型"  b "B 型" }
  quantity seats "席数" @第3条
  option x "X オプション" @第4条
  option y "Y オプション" @第5条
}
contract other "他の契約" @第1条 {
}
'''
RULE = 'rule r @第3条 in svc {\n  require seats >= 1\n  ja "席数は 1 以上です。"\n  en "At least 1 seat."\n}\n'


def _errors(text: str) -> list[Diagnostic]:
    with pytest.raises(DiagnosticError) as info:
        resolve(parse_text(text, "demo.tariff"))
    rendered = render_all(info.value.diagnostics, info.value.sources)
    for python in ("Traceback", "RecursionError", "<class", "NoneType", "object at 0x"):
        assert python not in rendered, rendered
    for d in info.value.diagnostics:
        assert d.span is not None and d.help, rendered
    return info.value.diagnostics


def _at(text: str, d: Diagnostic, needle: str, occurrence: int = 0) -> None:
    """`d` points at the `occurrence`-th `needle` of `text`."""
    lines = text.split("\n")
    found = [(n + 1, line.index(needle) + 1) for n, line in enumerate(lines) if needle in line]
    assert (d.span.line, d.span.column) == found[occurrence], (d, found)


def _renames(*lines: str) -> str:
    body = "".join(f"  rename {x} from 2025-10-01 @附則(令和7年10月1日変更)第{n}項\n" for n, x in enumerate(lines, 2))
    return HEADER + HISTORY.format(renames=body) + SERVICE + RULE


# ---- 4. specs that cannot mean anything -------------------------------------------------------


def test_specs_that_cannot_mean_anything_a_contract_kind_that_is_its_own_parent():
    text = HEADER + 'contract unit "親" @第1条 parent unit {\n}\n' + SERVICE + RULE
    [d] = _errors(text)
    assert d.code == "E013" and d.message == "contract `unit` is its own parent"
    _at(text, d, "unit {")


def test_specs_that_cannot_mean_anything_kinds_whose_parents_form_a_cycle():
    # two kinds, then three; the cycle is told once, from its first kind in the file, and a kind
    # that hangs below a cycle is not a second report
    two = HEADER + ('contract p "P" @第1条 parent q {\n}\ncontract q "Q" @第1条 parent p {\n}\n'
                    'contract below "下" @第1条 parent q {\n}\n') + SERVICE + RULE
    [d] = _errors(two)
    assert d.code == "E013"
    assert d.message == "the parents of contracts `p` and `q` form a cycle: `p` → `q` → `p`"
    _at(two, d, "q {")
    three = HEADER + ('contract p "P" @第1条 parent r {\n}\ncontract q "Q" @第1条 parent p {\n}\n'
                      'contract r "R" @第1条 parent q {\n}\n') + SERVICE + RULE
    [d] = _errors(three)
    assert d.message == "the parents of contracts `p`, `r` and `q` form a cycle: `p` → `r` → `q` → `p`"
    _at(three, d, "r {")
    # a chain that ends is fine
    fine = HEADER + 'contract p "P" @第1条 {\n}\ncontract q "Q" @第1条 parent p {\n}\n' + SERVICE + RULE
    assert resolve(parse_text(fine)).contracts["p"].child_kinds == ["q"]


def test_specs_that_cannot_mean_anything_a_former_name_that_is_a_current_name():
    cases = [  # rename, the message
        ('"B 型" -> a', "the former name `B 型` is the current name of value `b`"),
        ('"b" -> a', "the former name `b` is the current name of value `b`"),  # an id is a name too
        ('"Y オプション" -> x', "the former name `Y オプション` is the current name of option `y`"),
        ('"他の契約" -> svc', "the former name `他の契約` is the current name of contract `other`"),
        ('"他の契約 " -> svc', "the former name `他の契約 ` is the current name of contract `other`"),  # names
    ]                                                                        # compare as official names do
    for rename, message in cases:
        text = _renames(rename)
        [d] = _errors(text)
        assert (d.code, d.message) == ("E014", message), rename
        _at(text, d, rename.split(" ->")[0])  # at the former name


def test_specs_that_cannot_mean_anything_a_rename_chain_that_loops_or_repeats():
    # A → b and B → a: each former name is the other's current name
    text = _renames('"A 型" -> b', '"B 型" -> a')
    assert [(d.code, d.message) for d in _errors(text)] == [
        ("E014", "the former name `A 型` is the current name of value `a`"),
        ("E014", "the former name `B 型` is the current name of value `b`")]
    # one former name for two things, and the same rename twice: the second is at fault
    text = _renames('"旧 X" -> x', '"旧 X" -> y', '"旧 A" -> a', '"旧 A" -> a')
    first, second = _errors(text)
    assert first.message == "the former name `旧 X` is given to both option `x` and `y`"
    assert second.message == "`旧 A` is renamed twice"
    _at(text, first, '"旧 X"', 1)
    _at(text, second, '"旧 A"', 1)
    # renames of the same former name in different places do not collide; a former name that is
    # the thing's own name says that only its id changed (tariff diff pairs versions by it)
    resolve(parse_text(_renames('"旧" -> a', '"旧" -> x', '"旧" -> svc')))
    resolve(parse_text(_renames('"A型" -> a', '"サービス" -> svc')))


# ---- 6. expressions nested about 200 deep -----------------------------------------------------


def _nested(construct: str, n: int) -> str:
    """A condition nested exactly `n` levels deep, as docs/dsl.md counts them."""
    if construct == "not":
        return "not " * n + "consent"
    if construct in ("and", "or"):
        e = f"consent {construct} consent"
        for _ in range(n - 1):
            e = f"(consent {construct} ({e}))"
        return e
    if construct == "implies":
        e = "consent implies consent"
        for _ in range(n - 1):
            e = f"(({e}) implies consent)"
        return e
    if construct == "mixed":  # not, not, and, or in turn
        e = "consent"
        for i in range(n):
            e = [f"not ({e})", f"not ({e})", f"(consent and {e})", f"({e} or consent)"][i % 4]
        return e
    if construct == "arith":  # a comparison of a sum nested n - 1 deep
        return "(" * (n - 1) + "seats" + " + 1)" * (n - 1) + " >= 1"
    if construct == "chain":  # a comparison of a chain of n - 1 additions
        return " + ".join(["seats"] * n) + " >= 1"
    if construct == "product":
        return "seats" + " * 2" * (n - 1) + " >= 1"
    if construct == "neg":
        return "- " * (n - 1) + "seats >= -10000000"
    if construct in ("later_of", "or_else"):
        e = "start"
        for _ in range(n - 1):
            e = f"{construct}({e}, start)"
        return f"{e} >= start"
    if construct == "multiple_of":
        return "multiple_of(" + "(" * (n - 1) + "seats" + " + 1)" * (n - 1) + ", 2)"
    raise ValueError(construct)


CONSTRUCTS = ["not", "and", "or", "implies", "mixed", "arith", "chain", "product", "neg", "later_of", "or_else",
              "multiple_of"]


def _deep_spec(n: int, constructs=CONSTRUCTS, extra: str = "") -> str:
    """A tariff whose every rule, derived day and fee formula is nested `n` deep."""
    rules = "".join(f'rule r_{c} @第{i + 2}条 {{\n  when seats >= 0 require {_nested(c, n)}\n'
                    f'  ja "深い式 {i}"\n  en "Deep expression {i}."\n}}\n' for i, c in enumerate(constructs))
    day = _nested("later_of", n + 1).rsplit(" >=", 1)[0]
    amount = _nested("arith", n + 1).rsplit(" >=", 1)[0]
    return (HEADER + 'contract svc "サービス" @第1条 {\n  quantity seats "席数" @第1条\n  flag consent "同意" @第1条\n'
            '  date start "開始日" @第1条\n  option x "X オプション" @第1条\n}\n' + rules + extra
            + f'derive deep_day "深い日" @第1条 = {day}\n'
            + f'fee monthly deep_fee "月額" @第1条 {{\n  formula {amount}\n}}\n')


def _deep_order(consent: bool) -> dict:
    return {"tariff": "demo", "application_date": "2026-04-01",
            "contracts": [{"id": "s1", "contract": "サービス", "seats": 3, "consent": consent, "start": "2026-04-01"}]}


def test_expressions_nested_200_deep_are_an_error_at_the_limit_not_a_crash(tmp_path):
    for construct in CONSTRUCTS:
        for n in (MAX_NESTING + 1, 200) + ((3000,) if construct == "not" else ()):  # Lark takes ~1 s per 3000
            text = _deep_spec(n, [construct])
            diags = _errors(text)
            # one for the rule, the derived day and the fee each: every expression is told, once
            assert [d.code for d in diags] == ["E015"] * 3, (construct, n)
            assert all(d.message == f"this expression is nested more than {MAX_NESTING} levels deep" for d in diags)
            assert diags[0].span.line == text.split("\n").index(next(x for x in text.split("\n") if "require" in x)) + 1
    # where the limit is crossed: the 51st `not`, the chain whose operators go past it
    text = _deep_spec(200, ["not"])
    [d, _, _] = _errors(text)
    assert (d.span.column, d.label) == (len("  when seats >= 0 require ") + 1 + 4 * MAX_NESTING, "level 51 starts here")
    text = _deep_spec(60, ["chain"])
    [d, _, _] = _errors(text)
    assert (d.span.column, d.label) == (len("  when seats >= 0 require ") + 1, "this chain goes past the limit")
    # through each door: the library and every command that loads a spec
    path = tmp_path / "deep.tariff"
    path.write_text(_deep_spec(200), encoding="utf-8")
    order = tmp_path / "order.json"
    order.write_text(json.dumps(_deep_order(True), ensure_ascii=False), encoding="utf-8")
    for call in (lambda: Checker(str(path)), lambda: tariffcheck.check(str(path), _deep_order(True)),
                 lambda: tariffcheck.diff(str(path), str(path))):
        with pytest.raises(DiagnosticError) as info:
            call()
        assert {d.code for d in info.value.diagnostics} == {"E015"}
    linted = tariffcheck.lint(str(path))  # a spec that does not load is lint's L000 finding
    assert linted.errors and all(f.message.startswith("E015: ") for f in linted.errors)
    for args in (["check", "--tariff", str(path), str(order)], ["explain", "--tariff", str(path), str(order)],
                 ["lint", str(path)], ["diff", str(path), str(path)], ["test", str(path)]):
        code, out, err = run_cli(args)
        assert code == 2 and "E015" in out + err and "Traceback" not in out + err, (args, out, err)


def test_expressions_nested_200_deep_parentheses_alone_do_not_nest():
    text = _renames().replace("require seats >= 1", "require " + "(" * 5000 + "seats >= 1" + ")" * 5000)
    assert resolve(parse_text(text)).rules[0].id == "r"


def test_expressions_nested_to_the_limit_pass_every_stage(tmp_path):
    # a second version drops one rule, so diff has a difference to find and confirm
    old, new = tmp_path / "old.tariff", tmp_path / "new.tariff"
    old.write_text(_deep_spec(MAX_NESTING), encoding="utf-8")
    new.write_text(_deep_spec(MAX_NESTING, [c for c in CONSTRUCTS if c != "multiple_of"]), encoding="utf-8")
    checker = Checker(str(old))
    good, bad = _deep_order(True), _deep_order(False)
    assert checker.check(good).status == checker.check(good, engine="z3").status == "valid"
    broken = {v.rule.id for v in checker.check(bad).violations}
    assert broken == {v.rule.id for v in checker.check(bad, engine="z3").violations}
    assert {"r_not", "r_and", "r_mixed"} <= broken
    assert checker.explain(bad).status == "invalid"
    [repair] = checker.repair(bad).repairs
    assert checker.check(repair.order).status == "valid"
    assert checker.options({**bad, "contracts": [{"id": "s1", "contract": "サービス", "seats": 3}]}) is not None
    assert checker.dates(good) and checker.quote(good)
    assert not tariffcheck.lint(str(old)).errors
    difference = tariffcheck.diff(str(old), str(new))  # the new version takes an even number of seats
    assert not difference.same_meaning and "r_multiple_of" in {g.rule.id for g in difference.groups}


# ---- holdings = false repeated as the involved fields -----------------------------------------


def test_holdings_false_repeated_as_the_involved_fields_each_field_is_listed_once():
    # 第4条 of Flex Resilience reads three holdings: ZTNA, and Secure Endpoint with either of two
    # items. Each was listed as `holdings = false`; now each is named, once, in the rule's order.
    example = EXAMPLES / "flex_resilience_invalid.json"
    order = json.loads(example.read_text(encoding="utf-8"))
    checker = Checker("flex-resilience")
    want = ["contracts[1].grade", "holdings.ztna", "holdings.secure_endpoint.item.av_symantec",
            "holdings.secure_endpoint.item.av_c"]
    for engine in ("concrete", "z3"):
        [v] = [v for v in checker.check(order, engine=engine).violations if v.rule.id == "r4_designated_service"]
        assert [str(p) for p, _ in v.fields] == want, engine
        assert [value for _, value in v.fields][1:] == [False, False, False]
    for conflict in checker.explain(order, limit=10).conflicts:
        for tie in conflict.rules:
            paths = [str(p) for p, _ in tie.fields]
            assert len(paths) == len(set(paths)), paths
    # the text and the JSON of check, and the JSON of explain
    code, out, _ = run_cli(["check", "--tariff", "flex-resilience", str(example)])
    assert code == 1 and "holdings = false" not in out
    assert all(out.count(f"      {p} = ") == 1 for p in want[1:]), out
    code, out, _ = run_cli(["check", "--tariff", "flex-resilience", str(example), "--format", "json"])
    [result] = [x for x in json.loads(out)["violations"] if x["rule"] == "r4_designated_service"]
    assert [f["path"] for f in result["fields"]] == want
    code, out, _ = run_cli(["explain", "--all", "--tariff", "flex-resilience", str(example), "--format", "json"])
    text = json.dumps(json.loads(out))
    assert '"path": "holdings"' not in text


# ---- --lang ja still prints English in places ---------------------------------------------------

# Words of English prose; ids, paths, the user's data and the spec's own names are removed first.
_ENGLISH = re.compile(r"\b(?:" + "|".join(w + "|" + w.capitalize() for w in (
    "contract contracts valid invalid rule rules option options repair repairs because not the and of is are "
    "cannot conflict conflicts change changes found no none why search stopped limit kept satisfies cost forced "
    "impossible same meaning different witness boundary names added removed shapes shape proven passed failed "
    "cases covered accepted rejected yen days unknown order fields version for with to by in on at as it this "
    "these each every may must can only than solver gave up nothing compared parent new old").split()) + r")\b")

# rustc-style diagnostics keep their keywords in every language (docs/errors.md): the severity and
# code that start a diagnostic, and the `= note:` / `= help:` that start its lines
_DIAGNOSTIC_KEYWORDS = re.compile(r"^(?:error|warning|info)(?:\[[A-Z]\d{3}\])?:|= (?:note|help):")


def _spec_strings(paths) -> list[str]:
    """Every string a spec writes (names, messages, notes): the user's data, in any language."""
    found = set()
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.lstrip().startswith("#"):  # a comment's quotes are not the spec's strings
                found.update(re.findall(r'"((?:[^"\\]|\\.)+)"', line))
    return sorted(found, key=len, reverse=True)


def _english_left(text: str, spec_strings: list[str]) -> list[str]:
    out = []
    for line in text.splitlines():
        if re.match(r"\s*(?:\d+\s*)?\|", line) or line.lstrip().startswith(("-->", "{", "}", '"', "[", "]")):
            continue  # the spec's source as the caret shows it, a path, a witness order or JSON
        line = _DIAGNOSTIC_KEYWORDS.sub("", line.strip())
        line = re.sub(r"`[^`]*`|\"(?:[^\"\\]|\\.)*\"|\{[^{}]*\}", "", line)  # code, quoted data, inline JSON
        line = re.sub(r"[\w./-]*(?:\.tariff|\.json)\b(?::\d+)?", "", line)  # files
        line = re.sub(r"\b[\w\[\]?-]+(?:\.[\w\[\]?*-]+)+", "", line)  # field paths
        for s in spec_strings:
            line = line.replace(s, "")
        line = re.sub(r"\[[\w:.-]+\]", "", line)  # rule ids
        line = re.sub(r"\b\w*_\w*\b|\b[A-Z]\d{3}\b|\btariff \w+", "", line)  # ids, codes, commands
        line = re.sub(r"\b(?:se|fr|sk|sm|fm|unit|c)\d*(?:-\w+)*\b", "", line)  # contract ids of the examples
        words = _ENGLISH.findall(line)
        if words:
            out.append(f"{words}: {line}")
    return out


def test_lang_ja_still_prints_english_in_places_every_command_speaks_japanese(tmp_path):
    examples = {p.stem: str(p) for p in EXAMPLES.glob("*.json")}
    tariff_of = {k: json.loads(Path(v).read_text(encoding="utf-8"))["tariff"] for k, v in examples.items()}
    runs = [["check", "--tariff", tariff_of[k], v] for k, v in examples.items()]
    runs += [["check", "--tariff", "secure-endpoint", str(FIXTURES / "former_item_name_order.json")]]
    se_bad, se_good = examples["secure_endpoint_invalid"], examples["secure_endpoint_valid"]
    se = ["--tariff", "secure-endpoint"]
    runs += [["explain", *se, se_bad, "--all"], ["explain", *se, se_bad, "--all", "--limit", "2"],
             ["explain", *se, se_good], ["explain", *se, se_good, "--why-not", "復旧用ストレージ追加オプション"],
             ["explain", *se, se_bad, "--all", "--timeout", "1"], ["check", *se, se_bad, "--engine", "z3", "--timeout", "1"],
             ["explain", "--tariff", "flex-resilience", examples["flex_resilience_invalid"], "--all"],
             ["repair", *se, se_bad, "--max", "3"], ["repair", *se, se_bad, "--lock", "accounts", "--lock", "item"],
             ["repair", *se, se_bad, "--timeout", "1"], ["repair", *se, se_good],
             ["repair", "--tariff", "flex-resilience", examples["flex_resilience_invalid"]],
             ["options", *se, str(EXAMPLES / "partial" / "secure_endpoint.json")],
             ["dates", *se, se_good], ["quote", *se, se_good], ["quote", *se, se_bad],
             ["lint"], ["lint", "--format", "markdown"], ["test"]]
    notice = [str(FIXTURES / "diff" / f"notice_v{n}.tariff") for n in (1, 2)]
    kind = 'contract smartkey "IIJ SmartKey マネージメントサービス契約" @第2条 {'
    renamed = spec_variant(tmp_path, SPECS / "smartkey.tariff", "sk", [(kind, kind.replace("smartkey", "sk", 1))])
    for pair in (notice, [str(SPECS / "smartkey.tariff"), str(SPECS / "secure_endpoint.tariff")],
                 [str(SPECS / "smartkey.tariff"), renamed]):
        runs += [["diff", *pair], ["diff", *pair, "--format", "markdown"]]
    strings = _spec_strings([*SPECS.glob("*.tariff"), *notice])
    left = {}
    for args in runs:
        code, out, err = run_cli([*args, "--lang", "ja"])
        assert code in (0, 1, 3), (args, err)
        english = _english_left(out + err, strings)
        if english:
            left[" ".join(args)] = english
    assert not left, json.dumps(left, ensure_ascii=False, indent=1)
