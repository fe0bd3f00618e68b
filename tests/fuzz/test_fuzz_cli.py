"""Fuzzing the command line with mutated real orders and specs, in text and JSON, in both
languages: the exit code is one the README documents (and `check`'s is the library's verdict),
standard error never holds a traceback, JSON output reads back, and nothing printed holds a raw
control character, bidi mark or lone surrogate."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tariffcheck import OrderError

from conftest import run_cli
from fuzzing import assert_no_python, assert_terminal_safe, budget, checker, partial_orders, real_orders, real_specs
from mutations import json_text, mutated, mutated_spec, nudged, odd_strings, real_keys, real_order

_WORK = tempfile.TemporaryDirectory(prefix="tariffcheck-fuzz-")
WORK = Path(_WORK.name)

# the Z3-backed commands are dearer: check, dates and quote come up more often
COMMANDS = ["check", "check", "check", "dates", "quote", "check-z3", "explain", "repair", "options"]


def run(args: list[str], z3: bool) -> tuple[int, str, str]:
    code, out, err = run_cli(args)
    assert code in ((0, 1, 2, 3) if z3 else (0, 1, 2)), (code, args, err[-2000:])
    assert_no_python(err, "standard error")
    assert_terminal_safe(out, "standard output")
    assert_terminal_safe(err, "standard error")
    as_json = "--format" in args and "json" in args
    if code == 2 and as_json:  # every error is JSON on standard output, standard error says nothing
        result = json.loads(out)
        assert result["status"] == "error" and result["errors"], "bad input without an error in the JSON"
    elif code == 2:
        assert err.strip(), "bad input without a word on standard error"
    elif as_json and out.strip():
        json.loads(out)
    return code, out, err


def _write(name: str, data: str | bytes) -> str:
    path = WORK / name
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    path.write_bytes(data)
    return str(path)


@st.composite
def extra_arguments(draw, command: str) -> list[str]:
    """Options a user might add, now and then with an odd value."""
    args = []
    if command == "explain" and draw(st.booleans()):
        args += ["--all", "--limit", "2"]
    if command == "explain" and draw(st.integers(0, 3)) == 0:
        args += ["--why-not", draw(real_keys | odd_strings)]
    if command == "repair":
        if draw(st.booleans()):
            args += ["--lock", draw(real_keys | odd_strings)]
        if draw(st.integers(0, 3)) == 0:
            args += ["--weight", draw(real_keys | odd_strings) + "=" + draw(st.sampled_from(["2", "0", "-1", "x"]))]
    return args


@budget("cli_orders")
@given(st.sampled_from(COMMANDS), st.sampled_from(["text", "json"]), st.sampled_from(["en", "ja"]), st.data())
def test_commands_on_mutated_orders(command, form, lang, data):
    if command == "options":
        name, partial = data.draw(st.sampled_from(partial_orders()))
        order = data.draw(nudged(partial) | mutated(partial, most=2))
    else:
        name, order = data.draw(real_order() | real_order(mutate=False))
    text = data.draw(json_text(order)) if data.draw(st.booleans()) else json.dumps(order, ensure_ascii=False)
    path = _write("order.json", text)
    z3 = command not in ("check", "dates", "quote")
    args = [command.removesuffix("-z3"), "--tariff", name, path, "--lang", lang, "--format", form]
    if command == "check-z3":
        args += ["--engine", "z3", "--timeout", "5000"]
    elif z3:
        args += ["--timeout", "5000"]
    args += data.draw(extra_arguments(command))
    code, out, err = run(args, z3)
    if command == "check":  # the exit code is the library's verdict on the same text
        try:
            verdict = checker(name).check(text.encode("utf-8", "surrogatepass"))
        except OrderError:
            assert code == 2, (code, out[-500:])
        else:
            assert code == {"valid": 0, "invalid": 1}[verdict.status], (code, verdict.status, err[-500:])


@budget("cli_specs")
@given(st.sampled_from(real_specs()).flatmap(lambda named: st.tuples(st.just(named[0]), mutated_spec(named[1]))),
       st.sampled_from(["check", "schema", "dates"]), st.sampled_from(["text", "json"]), st.sampled_from(["en", "ja"]),
       st.data())
def test_commands_on_mutated_specs(named, command, form, lang, data):
    file_name, text = named
    spec = _write(file_name, text)
    name = file_name.removesuffix(".tariff").replace("_", "-")
    order = data.draw(st.sampled_from([o for n, o in real_orders() if n == name]))
    order = {k: v for k, v in order.items() if k != "tariff"}  # the order names the bundled tariff
    args = [command, "--tariff", spec]
    if command != "schema":
        args += [_write("order.json", json.dumps(order, ensure_ascii=False)), "--lang", lang, "--format", form]
    run(args, z3=False)
