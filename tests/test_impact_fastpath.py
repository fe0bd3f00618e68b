"""impact's quick path for a row (impact/judge.py: the text read once, the order decoded once for
both versions when their decoders are the same function) against the plain library path: each
version's `Checker.check` on the row as it is, its JSON as `tariff check --format json` writes it.
The two must give the same result, byte for byte, for every bundled tariff, on a generated base
with broken and malformed rows and on every order of the spec's own tests (new orders, changes,
cancellations), as dicts and as JSON text."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, SPECS

sys.path.insert(0, str(ROOT / "benchmarks"))
from make_base import make_rows  # noqa: E402

from tariffcheck import Checker, catalog  # noqa: E402
from tariffcheck.common.diagnostics import DiagnosticError  # noqa: E402
from tariffcheck.impact import judge as J  # noqa: E402
from tariffcheck.impact.run import result_line  # noqa: E402
from tariffcheck.impact.sources import Row  # noqa: E402
from tariffcheck.report import check_report  # noqa: E402

BUNDLED = sorted(catalog.bundled_names())
# texts that are not orders, or orders no version reads: each must come out as the library says
ODD_ROWS = [
    '{"request": "new", "contracts": []}',
    '{"request": "new", "request": "change", "contracts": []}',  # a key given twice (O012)
    '{"contracts": [{"id": "a", "id": "b"}]}',
    '{"contracts": [{"item": 3}]}',
    '[1, 2, 3]',
    '{"contracts": [{"contract": "no-such-kind"}]}',
    b'\xef\xbb\xbf{"contracts": 7}',
    b'{"contracts": "\xff"}',
    "not json at all",
    '{"contracts": [{"accounts": 1.5}]}',
    '{"contracts": [{"id": "x\\"y", "accounts": 2}]}',
]


def library_result(payload, new: Checker, old: Checker | None) -> dict:
    """What a user's own loop over the library writes for a row: each version's check JSON (less
    `format` and `tariff`), or its errors, and the row's class."""
    def checked(c: Checker):
        try:
            order = c.decode(payload)
            out = check_report.to_json(c.tariff, order, c.check(payload))
        except DiagnosticError as exc:
            return None, {"errors": [{"code": d.code, "message": d.message, "field": d.field}
                                     for d in exc.diagnostics]}
        del out["format"], out["tariff"]
        return order, out

    result: dict = {}
    old_json = checked(old)[1] if old is not None else None
    order, new_json = checked(new)
    if order is None:
        result["class"] = "malformed"
        result["errors"] = new_json["errors"]
    else:
        result["new"] = new_json
        verdicts = (new_json["verdict"], None if old_json is None else old_json.get("verdict"))
        if "unknown" in verdicts:
            result["class"] = "unknown"
        elif old_json is None:
            result["class"] = "broken" if verdicts[0] == "invalid" else "valid"
        else:
            was_valid = verdicts[1] == "valid"
            result["class"] = {(True, True): "newly_broken", (True, False): "already_broken",
                               (False, True): "still_valid", (False, False): "newly_valid"}[
                (verdicts[0] == "invalid", was_valid)]
    if old_json is not None:
        result["old"] = old_json
    return result


def rows_of(name: str) -> list[object]:
    """A generated base of the tariff (a tenth broken, some malformed), the orders of its own
    tests, each also as JSON text, and the odd rows."""
    base = [order for _, order in make_rows(name, 60, seed=5, broken=0.1, malformed=4, pool_size=30)]
    cases = json.loads((SPECS / f"{Path(catalog.spec_path(name)).stem}.tests.json").read_text(encoding="utf-8"))
    orders = [case["order"] for case in cases["cases"] if "order" in case]
    texts = [json.dumps(o, ensure_ascii=False) for o in base + orders if isinstance(o, (dict, list))]
    return base + orders + texts + ODD_ROWS


def assert_same(rows, new: J.Spec, old: J.Spec | None) -> J.Judge:
    c_new = J.checker(new)
    c_old = J.checker(old) if old is not None else None
    # a row alone, and every row through one Judge twice, as a partition judges them: the second
    # time, a row valid under both versions is judged by what the first rows taught the Judge
    # (its line written without its result's dicts), with and without a key
    shared = J.Judge(new, old, J.Options())
    for n, payload in enumerate(rows, 1):
        # the library decodes the row itself: give it a fresh copy, as a loop over the base would
        fresh = json.loads(json.dumps(payload)) if isinstance(payload, (dict, list)) else payload
        want = library_result(fresh, c_new, c_old)
        for judged in (J.judge(Row(n, None, payload), "base", new, old, J.Options()),
                       shared.judge(Row(n, None, _copy(payload)), "base"),
                       shared.judge(Row(n, f"k-{n}", _copy(payload)), "base"),
                       shared.judge(Row(n, n * 7, _copy(payload)), "base")):
            got = dict(judged.result)
            assert (got.pop("source"), got.pop("row"), got.pop("key", None)) == ("base", n, judged.result.get("key"))
            assert result_line(got) == result_line(want), f"row {n}: {str(payload)[:200]}"
            assert judged.cls == want["class"]
            if judged.line is not None:
                assert judged.line == result_line(judged.result), f"row {n}: {str(payload)[:200]}"
    return shared


def _copy(payload):
    return json.loads(json.dumps(payload)) if isinstance(payload, (dict, list)) else payload


def same_format_copy(name: str, tmp_path: Path) -> J.Spec:
    """The bundled spec with a comment added: another version (another hash) that reads orders
    exactly as the bundled one."""
    source = Path(catalog.spec_path(name))
    copy = tmp_path / source.name
    copy.write_text("# the same rules, another version\n" + source.read_text(encoding="utf-8"), encoding="utf-8")
    return J.Spec.of(str(copy))


@pytest.mark.parametrize("name", BUNDLED)
def test_one_decoding_for_two_versions_equals_each_version_checking_the_row(name, tmp_path):
    new, old = same_format_copy(name, tmp_path), J.Spec.of(name)
    assert J.checker(new).quick_decoder.reads_as(J.checker(old).quick_decoder)
    assert J.checker(new).date_calculator.effective_as(J.checker(old).date_calculator)
    assert_same(rows_of(name), new, old)


@pytest.mark.parametrize("name", BUNDLED)
def test_one_version_alone_equals_the_library(name):
    assert_same(rows_of(name), J.Spec.of(name), None)


def test_the_example_new_version_of_secure_endpoint_shares_the_decoding_and_agrees():
    new, old = J.Spec.of(str(EXAMPLES / "secure_endpoint_next.tariff")), J.Spec.of("secure-endpoint")
    assert J.checker(new).quick_decoder.reads_as(J.checker(old).quick_decoder)
    assert J.checker(new).date_calculator.effective_as(J.checker(old).date_calculator)
    judge = assert_same(rows_of("secure-endpoint"), new, old)
    # most rows of the base are valid under both: their lines were written without their dicts
    assert judge._still_valid


def test_versions_that_read_orders_differently_decode_each_for_itself():
    # another tariff as the "old version": its decoder is another function, so each decodes the row
    new, old = J.Spec.of("secure-endpoint"), J.Spec.of("fence-mobile")
    assert not J.checker(new).quick_decoder.reads_as(J.checker(old).quick_decoder)
    assert not J.checker(old).quick_decoder.reads_as(J.checker(new).quick_decoder)
    assert not J.checker(new).date_calculator.effective_as(J.checker(old).date_calculator)
    assert_same(rows_of("secure-endpoint")[:40] + rows_of("fence-mobile")[:40], new, old)


def test_a_renamed_option_makes_the_decoders_differ(tmp_path):
    source = Path(catalog.spec_path("secure-endpoint")).read_text(encoding="utf-8")
    label = next(o.label for k in catalog.load("secure-endpoint").contracts.values() for o in k.options.values())
    assert source.count(f'"{label}"') >= 1
    renamed = tmp_path / "renamed.tariff"
    renamed.write_text(source.replace(f'"{label}"', f'"{label}改"', 1), encoding="utf-8")
    new, old = J.Spec.of(str(renamed)), J.Spec.of("secure-endpoint")
    assert not J.checker(new).quick_decoder.reads_as(J.checker(old).quick_decoder)
    assert_same(rows_of("secure-endpoint")[:60], new, old)


def test_a_version_that_moves_a_day_of_taking_effect_works_it_out_for_itself(tmp_path):
    # the same order format, but a cancellation takes effect 31 days after the notice, not 30
    source = Path(catalog.spec_path("secure-endpoint")).read_text(encoding="utf-8")
    assert "notice_arrived + 30 days" in source
    later = tmp_path / "later.tariff"
    later.write_text(source.replace("notice_arrived + 30 days", "notice_arrived + 31 days"), encoding="utf-8")
    new, old = J.Spec.of(str(later)), J.Spec.of("secure-endpoint")
    assert J.checker(new).quick_decoder.reads_as(J.checker(old).quick_decoder)
    assert not J.checker(new).date_calculator.effective_as(J.checker(old).date_calculator)
    rows = rows_of("secure-endpoint")
    cancellations = [r for r in rows if isinstance(r, dict) and r.get("request") == "cancellation"]
    assert cancellations  # the spec's own tests cancel contracts: their days differ between the two
    assert_same(rows, new, old)


# ---- the old version judged on the rules the change touched only (impact/judge.py, _SameRules) ----
def _changed(tmp_path: Path, name: str, edits: list[tuple[str, str]], extra: str = "") -> J.Spec:
    """Secure Endpoint with each (old text, new text) edit made once, and `extra` rules added."""
    source = Path(catalog.spec_path("secure-endpoint")).read_text(encoding="utf-8")
    for before, after in edits:
        assert source.count(before) == 1, before
        source = source.replace(before, after)
    path = tmp_path / f"{name}.tariff"
    path.write_text(source + extra, encoding="utf-8")
    return J.Spec.of(str(path))


CAP_LOWERED = [("for tunnel require it.count <= 4", "for tunnel require it.count <= 3")]
MINIMUM_RAISED = [("for recovery_storage require accounts >= 50", "for recovery_storage require accounts >= 100")]
# one subject taken out of a rule of many: the rule instance for ストレージ追加オプション goes
SUBJECT_DROPPED = [("device_ctrl_mac, mail, app_id, server_mon, storage, rogue_pc",
                    "device_ctrl_mac, mail, app_id, server_mon, rogue_pc")]
# an option withdrawn: a new rule forbids every contract to have it
EDR_WITHDRAWN = """
rule r8_edr_withdrawn @第8条第2項(7) {
  forbid edr
  ja "EDR オプションの提供は終了しました。"
  en "EDR オプション is withdrawn."
}
"""


def _base_near_the_changes() -> list[object]:
    """A generated base (a quarter broken), copies of its contracts on each side of the limits the
    changes move (every counted option at 3, 4 and 5; the accounts at 49, 50, 99 and 100), and
    the spec's own orders."""
    rows = [order for _, order in make_rows("secure-endpoint", 300, seed=11, broken=0.25, malformed=3,
                                             pool_size=150)]
    near = []
    for order in rows[:120]:
        if not isinstance(order, dict):
            continue
        contract = order["contracts"][-1]
        for accounts in (49, 50, 99, 100):
            near.append(json.loads(json.dumps(order)))
            near[-1]["contracts"][-1]["accounts"] = accounts
        for option, value in contract.get("options", {}).items():
            if isinstance(value, dict) and "count" in value:
                for count in (3, 4, 5):
                    near.append(json.loads(json.dumps(order)))
                    near[-1]["contracts"][-1]["options"][option]["count"] = count
    return rows + near + rows_of("secure-endpoint")


@pytest.mark.parametrize("change", ["cap lowered", "minimum raised", "option withdrawn", "all of them",
                                    "all of them, reversed"])
def test_the_old_version_on_the_changed_rules_alone_equals_each_version_checking_the_row(change, tmp_path):
    bundled = J.Spec.of("secure-endpoint")
    edits = {"cap lowered": CAP_LOWERED, "minimum raised": MINIMUM_RAISED, "option withdrawn": SUBJECT_DROPPED}
    if change.startswith("all"):
        changed = _changed(tmp_path, "all", CAP_LOWERED + MINIMUM_RAISED + SUBJECT_DROPPED, EDR_WITHDRAWN)
    elif change == "option withdrawn":
        changed = _changed(tmp_path, "withdrawn", SUBJECT_DROPPED, EDR_WITHDRAWN)
    else:
        changed = _changed(tmp_path, change.replace(" ", "-"), edits[change])
    new, old = (bundled, changed) if change.endswith("reversed") else (changed, bundled)
    judging = J.Judge(new, old, J.Options())
    same = judging.same_rules
    assert same is not None  # the versions read orders alike: the path under test is taken
    differ = {(c.rule.id, c.subject) for cs in same.changed.by_kind.values() for c in cs}
    assert differ and len(same.same) > 10 * len(differ)  # a few instances run again, most shared
    rows = _base_near_the_changes()
    assert_same(rows, new, old)
    classes = {J.judge(Row(n, None, r), "base", new, old, J.Options()).cls for n, r in enumerate(rows, 1)}
    # rows the change breaks (or, reversed, mends) beside rows it leaves as they were
    assert {"newly_valid" if change.endswith("reversed") else "newly_broken", "still_valid",
            "already_broken"} <= classes


# ---- a row's text (impact/text.py) and its result line (impact/lines.py) ----
TEXTS = ODD_ROWS + [
    '{"a": 1, "a": 2}', '{"a": {"b": 1, "b": 1}}', '{"a:b": 1, "a": 1, "a": 2}',  # a colon in a key
    '{"x": "1:2:3", "y": [{"z": 1}]}', '{"x": "\\u003a", "x": 1}',  # an escaped colon and a twice-given key
    '{"n": 123456789012345678901234567890}', '{"n": -9223372036854775809}', '{"n": 18446744073709551615}',
    '{"n": 1.5}', '{"n": 1e400}', '{"n": NaN}', '"\\ud800"', '{"s": "\\ud83d\\ude00"}', '1:', '""', "7",
    "\ufeff{}", b"\xef\xbb\xbf{}", "[" * 950 + "]" * 950, "[" * 800 + "]" * 800, '{"a": [1, 2,]}',
    "{\"a\": 1}".encode("utf-16"), '{"日本": "語:"}'.encode(), b"\xff\xfe", " {\"a\" :\t1 } ",
    # compact, as orjson writes values (its round trip is the quick test of these)
    '{"a":1,"a":2}', '{"a":{"b":1,"b":1}}', '{"a":{"b":1},"a":{"b":1}}', '{"n":123456789012345678901234567890}',
    '{"n":1.5}', '{"n":-0.0}', '{"n":1e5}', '{"n":100000.0}', '{"n":1.0e+16}', '{"n":9223372036854775807}',
    '{"n":-9223372036854775808}', '{"n":1e+16}', '{"n":1.2345678901234568e+29}', '{"s":"\\ud83d\\ude00"}', '{"s":"😀"}', '{"s":"\\ud800"}', '"\\udc00"',
    '{"s":"a\\u0000\\n\\"\\\\"}', '{"s":"\\u00e9"}', '{"s":"é"}', '[{"a":1},{"a":1}]', '{}', '[]', 'null', '1.5',
]


def _read_both(read, text):
    try:
        value = read(text)
        return "value", json.dumps(value, sort_keys=True), repr(value)
    except DiagnosticError as exc:
        return "error", [(d.code, d.message, d.field, str(d.span)) for d in exc.diagnostics]


@pytest.mark.parametrize("parser", ["orjson", "json"])
def test_a_rows_text_reads_as_the_order_reader_reads_it(parser, monkeypatch):
    from tariffcheck.impact import text
    from tariffcheck.orders.json_text import read_order_text

    if parser == "orjson":
        pytest.importorskip("orjson")
    else:
        monkeypatch.setattr(text, "_loads", None)
    base = [o for _, o in make_rows("secure-endpoint", 40, seed=2, broken=0.2, malformed=2, pool_size=20)]
    texts = TEXTS + [json.dumps(o, ensure_ascii=False) if isinstance(o, dict) else o for o in base]
    texts += [json.dumps(o, ensure_ascii=False, separators=(",", ":")) for o in base if isinstance(o, dict)]
    texts += [t.encode() for t in texts if isinstance(t, str)]
    for t in texts:
        assert _read_both(text.read_row_text, t) == _read_both(read_order_text, t), repr(t)[:200]


def test_a_result_line_is_json_dumps_sorted():
    from tariffcheck.impact.lines import Encoded, result_line

    valid = {"notes": [], "request": "new", "verdict": "valid", "violations": []}
    for result in [{}, {"row": 1, "source": "b:ä\"", "key": "c-1", "class": "still_valid", "new": Encoded(valid),
                        "old": Encoded(valid)},
                   {"row": 2, "key": 7, "class": "malformed", "errors": [{"code": "O001", "field": None}]},
                   {"zeta": 1.5, "Alpha": True, "row": 3, "key": None, "ü": ["x"], "new": {"b": 1, "a": [Encoded({})]}}]:
        assert result_line(result) == (json.dumps(result, ensure_ascii=False, sort_keys=True) + "\n").encode()
