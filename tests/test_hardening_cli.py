"""Issue 12, hardening of the command line: one test per point, named after it.

Point 5, exit codes that lie: a closed standard output keeps the verdict's exit code, and a
lone surrogate in an order is printed escaped, never a crash. Point 10, terminal safety:
control characters from an order or a spec reach no terminal raw. Then the polish a new user
hits first: `--version`, a spec without a date, English words under `--lang ja`, `quote` of an
invalid order and its amounts said twice, spec paths shown alike, the grammar's cache.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import EXAMPLES, FIXTURES, ROOT, SPECS, run_cli, run_cli_process

# what a terminal acts on: C0 controls but the newline, DEL, C1 controls, bidi overrides
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
FORGED = "se-1\n  ✓ valid\x1b[2J"  # a contract id that would print a line of its own and clear the screen


def _order(example: str, old_id: str = "se-1", new_id: str = FORGED) -> dict:
    data = json.loads((EXAMPLES / example).read_text(encoding="utf-8"))
    for contract in data["contracts"]:
        if contract["id"] == old_id:
            contract["id"] = new_id
    return data


def _write(tmp_path, name: str, data: dict) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")  # ensure_ascii: the id travels as JSON escapes
    return str(path)


def _pipe_closed_early(args: list[str], stdin: bytes) -> subprocess.CompletedProcess:
    """`tariff ARGS` whose reader has closed standard output before the command writes a byte:
    the order comes on standard input, sent only after the read end is closed."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    proc = subprocess.Popen([sys.executable, "-m", "tariffcheck.cli", *args], cwd=ROOT, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    _, err = proc.communicate(stdin, timeout=120)
    return subprocess.CompletedProcess(args, proc.returncode, b"", err)


# ---- point 5: exit codes that lie -------------------------------------------------------------------
@pytest.mark.parametrize("example, extra, code", [
    ("secure_endpoint_invalid.json", [], 1),
    ("secure_endpoint_invalid.json", ["--format", "json"], 1),
    ("secure_endpoint_valid.json", [], 0),
])
def test_exit_codes_that_lie_closed_stdout_keeps_the_verdict(example, extra, code):
    order = (EXAMPLES / example).read_bytes()
    got = _pipe_closed_early(["check", "--tariff", "secure-endpoint", "-", *extra], order)
    assert got.returncode == code  # not 0 for an invalid order, not 120 from a failed flush at exit
    assert got.stderr == b""  # no traceback, no "Exception ignored ... BrokenPipeError"
    # and through a shell pipe, as a user writes it
    shell = subprocess.run(["bash", "-c", 'set -o pipefail; "$0" -m tariffcheck.cli check --tariff secure-endpoint '
                            '"$1" | head -1 >/dev/null', sys.executable, str(EXAMPLES / example)],
                           cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, timeout=120)
    assert shell.returncode == code and shell.stderr == b""


def test_exit_codes_that_lie_lone_surrogate_is_escaped_not_a_crash(tmp_path):
    path = _write(tmp_path, "surrogate.json", _order("secure_endpoint_invalid.json", new_id="\ud800"))
    got = run_cli_process(["check", "--tariff", "secure-endpoint", path], text=False)
    assert got.returncode == 1 and got.stderr == b""  # invalid, as the order is; no UnicodeEncodeError
    assert b"contract `\\ud800`" in got.stdout
    got = run_cli_process(["check", "--tariff", "secure-endpoint", path, "--format", "json"], text=False)
    assert got.returncode == 1 and got.stderr == b""
    assert {v["contract"] for v in json.loads(got.stdout)["violations"]} == {"\ud800"}  # the same id, read back


# ---- point 10: terminal safety ------------------------------------------------------------------------
def test_terminal_safety_of_every_text_output(tmp_path):
    invalid = _write(tmp_path, "invalid.json", _order("secure_endpoint_invalid.json"))
    valid = _write(tmp_path, "valid.json", _order("secure_endpoint_valid.json"))
    partial = json.loads((EXAMPLES / "partial" / "secure_endpoint.json").read_text(encoding="utf-8"))
    partial["contracts"][1]["id"] = FORGED
    partial = _write(tmp_path, "partial.json", partial)
    # a repair names a contract in its notes: flex-resilience's gives `fr-2` a parent contract of its own
    # (`fr-1`'s parent is locked: giving either one a parent costs the same, and Z3 picks either)
    flex = _write(tmp_path, "flex.json", _order("flex_resilience_invalid.json", old_id="fr-2"))
    runs = {
        "check": (["check", invalid], 1), "explain": (["explain", invalid], 1),
        "explain --why-not": (["explain", valid, "--why-not", "復旧用ストレージ追加オプション", "--contract", FORGED], 1),
        "repair": (["repair", flex, "--lock", "contracts[1].parent"], 0), "options": (["options", partial], 0),
        "dates": (["dates", valid], 0), "quote": (["quote", valid], 0),
    }
    for name, (args, code) in runs.items():
        tariff = "flex-resilience" if args[1] == flex else "secure-endpoint"
        for lang in ("en", "ja"):
            got, out, err = run_cli([args[0], "--tariff", tariff, *args[1:], "--lang", lang])
            assert got == code, (name, err)
            assert "se-1\\n  ✓ valid\\x1b[2J`" in out, name  # the id is shown, escaped
            assert not RAW_CONTROL.search(out + err), name
            assert "\n  ✓ valid" not in out, name  # no forged line
    # JSON escapes them too, and reads back to the same id
    got, out, _ = run_cli(["check", "--tariff", "secure-endpoint", invalid, "--format", "json"])
    assert not RAW_CONTROL.search(out) and {v["contract"] for v in json.loads(out)["violations"]} == {FORGED}
    # an option name the customer gave, in the violation of the clause that lists the options
    bad = _order("secure_endpoint_valid.json")
    bad["contracts"][1]["options"]["トンネル\x1b[2J\n  ✓ valid"] = True
    got, out, err = run_cli(["check", "--tariff", "secure-endpoint", _write(tmp_path, "bad.json", bad)])
    assert got == 1 and "トンネル\\x1b[2J\\n  ✓ valid" in out and not RAW_CONTROL.search(out + err)
    # official names from a spec
    spec = tmp_path / "crafted.tariff"
    spec.write_text((FIXTURES / "small.tariff").read_text(encoding="utf-8")
                    .replace('"Small brute-force tariff"', '"Small\\x1b]0;owned\\x07\\n  ✓ valid"')
                    .replace('"X オプション"', '"X オプション\\u202e\\x1b[31m"'), encoding="utf-8")
    order = {"request": "new", "contracts": [{"id": "c", "item": "c", "seats": 2, "consent": True,
                                              "options": {"x": True}}]}
    for args in (["check"], ["explain"], ["quote"], ["dates"]):
        got, out, err = run_cli([*args, "--tariff", str(spec), _write(tmp_path, "small.json", order)])
        assert not RAW_CONTROL.search(out + err), args
        assert "\n  ✓ valid" not in out, args
    got, out, _ = run_cli(["lint", str(spec), "--only", "names"])
    assert not RAW_CONTROL.search(out)


# ---- the polish a new user hits ------------------------------------------------------------------------
def test_version():
    from tariffcheck import __version__

    got = run_cli_process(["--version"])
    assert got.returncode == 0 and got.stdout == f"tariff {__version__}\n"


def test_a_spec_without_a_date_says_no_version_date():
    for lang, words in (("en", "no version date"), ("ja", "版の日付なし")):
        code, out, _ = run_cli(["check", "--tariff", "fence-mobile", str(EXAMPLES / "fence_mobile_invalid.json"),
                                "--lang", lang])
        assert code == 1 and f"(fence_mobile, {words})" in out.splitlines()[0] and "undated" not in out
    code, out, _ = run_cli(["list"])
    assert "FENCE-Mobile RemoteManager  (no version date," in out


# English a report writes itself; the spec's official names and the order's fields are as given
ENGLISH = ["as of", "contract `", " yen", "note:", "(not given)", "price quoted separately", "the order gives no",
           "unknown", "valid,", "fees for", "days for"]


def test_lang_ja_prints_no_english_labels(tmp_path):
    cancellation = {"tariff": "secure-endpoint", "request": "cancellation", "notice_arrived": "2026-05-01",
                    "requested_date": "2026-06-20",
                    "contracts": [{"id": "se-1", "current": {"item": "IT 資産管理:タイプ X", "accounts": 50,
                                                             "licensor_consent": True}}]}
    runs = [["check", str(EXAMPLES / e)] for e in ("smart_mobile_manager_invalid.json", "fence_mobile_invalid.json",
                                                   "secure_endpoint_valid.json")]
    valid = str(EXAMPLES / "secure_endpoint_valid.json")
    runs += [["quote", valid], ["dates", valid],
             ["quote", _write(tmp_path, "cancel.json", cancellation)], ["dates", str(tmp_path / "cancel.json")],
             ["explain", str(EXAMPLES / "secure_endpoint_invalid.json")],
             ["repair", str(EXAMPLES / "secure_endpoint_invalid.json")],
             ["options", str(EXAMPLES / "partial" / "secure_endpoint.json")]]
    seen = set()
    for args in runs:
        tariff = json.loads(open(args[1], encoding="utf-8").read())["tariff"]
        code, out, err = run_cli([args[0], "--tariff", tariff, args[1], "--lang", "ja"])
        assert code in (0, 1), (args, err)
        assert not [w for w in ENGLISH if w in out], (args, out)
        seen.update(w for w in ("円", "契約 `", "現在", "当社が別途契約者に示す金額", "の指定がありません") if w in out)
    assert seen == {"円", "契約 `", "現在", "当社が別途契約者に示す金額", "の指定がありません"}  # the runs reach each label
    code, out, _ = run_cli(["lint", "secure-endpoint", "--only", "redundant", "--lang", "ja"])
    assert "理由:" in out and "why:" not in out and "0 errors" not in out
    versions = [str(FIXTURES / "diff" / f"notice_v{n}.tariff") for n in (1, 2)]
    code, out, _ = run_cli(["diff", *versions, "--lang", "ja"])
    assert code == 1 and "の境界" in out and not re.search(r"boundary|witness|as of|names:", out)


def test_quote_of_an_invalid_order_says_so_and_exits_1():
    order = str(EXAMPLES / "secure_endpoint_invalid.json")
    code, out, err = run_cli(["quote", "--tariff", "secure-endpoint", order])
    assert code == 1 and out == ""
    assert "the order is invalid (4 broken rules)" in err
    assert f"`tariff check --tariff secure-endpoint {order}`" in err
    # under --format json the same words are JSON on standard output (issue 13, point 5)
    code, out, err = run_cli(["quote", "--tariff", "secure-endpoint", order, "--format", "json"])
    result = json.loads(out)
    assert code == 1 and err == "" and result["status"] == "invalid" and result["command"] == "quote"
    [e] = result["errors"]
    assert e["code"] == "Q001" and "the order is invalid (4 broken rules)" in e["message"]
    assert f"`tariff check --tariff secure-endpoint {order}`" in e["help"]


def test_quote_prints_each_amount_once():
    code, out, _ = run_cli(["quote", "--tariff", "secure-endpoint", str(EXAMPLES / "secure_endpoint_valid.json")])
    assert code == 0
    lines = out.splitlines()
    amounts = [(i, m.group(1)) for i, line in enumerate(lines) if (m := re.match(r"    \S+ +([\d,]+ yen)  ", line))]
    assert ("0 yen" in dict(amounts).values())  # the Web アクセス管理オプション's initial fee
    for i, amount in amounts:
        assert i + 1 == len(lines) or lines[i + 1].strip() != amount, lines[i:i + 2]


def test_spec_paths_are_shown_alike_by_check_lint_and_diff(tmp_path):
    se = "specs/secure_endpoint.tariff"
    code, out, _ = run_cli(["check", "--tariff", str(SPECS / "secure_endpoint.tariff"),
                            str(EXAMPLES / "secure_endpoint_invalid.json")])
    assert f"--> {se}:" in out and str(ROOT) not in out
    code, out, _ = run_cli(["lint", str(SPECS / "secure_endpoint.tariff"), "--only", "redundant"])
    assert f"--> {se}:" in out and str(ROOT) not in out
    code, out, _ = run_cli(["lint", "secure-endpoint", "--only", "redundant", "--format", "json"])
    [spec] = json.loads(out)["specs"]
    assert spec["tariff"]["path"] == se and {f["span"]["file"] for f in spec["findings"]} == {se}
    copy = tmp_path / "smartkey.tariff"
    copy.write_text((SPECS / "smartkey.tariff").read_text(encoding="utf-8"), encoding="utf-8")
    code, out, _ = run_cli(["diff", "smartkey", str(copy)])
    assert code == 0 and "specs/smartkey.tariff)" in out.splitlines()[0] and str(ROOT) not in out
    code, out, _ = run_cli(["diff", "smartkey", str(copy), "--format", "json"])
    assert json.loads(out)["old"]["path"] == "specs/smartkey.tariff"


def test_the_grammar_is_cached_per_user_and_a_cache_it_cannot_use_is_silent(tmp_path):
    order = str(EXAMPLES / "secure_endpoint_invalid.json")
    args = ["check", "--tariff", "secure-endpoint", order]
    cache = tmp_path / "cache"
    for _ in range(2):  # the first run writes the cache, the second reads it
        got = _with_cache(args, cache)
        assert got.returncode == 1 and got.stderr == ""
    folder = cache / "tariffcheck"
    [cached] = folder.glob("grammar-*.lark")
    assert (folder.stat().st_mode & 0o777) == 0o700 and not list(folder.glob("*.tmp"))
    # a folder others may write is not trusted (the cache is a pickle): not used, not written
    shared = tmp_path / "shared"
    (shared / "tariffcheck").mkdir(parents=True)
    os.chmod(shared / "tariffcheck", 0o777)
    got = _with_cache(args, shared)
    assert got.returncode == 1 and got.stderr == "" and not list((shared / "tariffcheck").iterdir())
    # no folder can be made (even as root): the grammar is analysed as before, and nothing said
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    got = _with_cache(args, blocker / "cache")
    assert got.returncode == 1 and got.stderr == ""
    # a corrupt cache file is rebuilt, silently
    cached.write_bytes(b"not a cache")
    got = _with_cache(args, cache)
    assert got.returncode == 1 and got.stderr == "" and cached.read_bytes() != b"not a cache"


def _with_cache(args: list[str], cache_home) -> subprocess.CompletedProcess:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache_home),
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    return subprocess.run([sys.executable, "-m", "tariffcheck.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
