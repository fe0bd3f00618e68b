"""The arguments the commands share are declared once (tariffcheck/cli/shared.py), so they
read and check the same everywhere: every time limit must be 1 ms or more, and every
--tariff, --lang and --format says what it is."""

from __future__ import annotations

import argparse

import pytest

from tariffcheck.cli import build_parser

from conftest import EXAMPLES, run_cli

ORDER = str(EXAMPLES / "secure_endpoint_invalid.json")
# each command with a time limit, and the rest of a command line it accepts
TIMED = {
    "check": ["--tariff", "secure-endpoint", ORDER, "--engine", "z3"],
    "explain": ["--tariff", "secure-endpoint", ORDER],
    "repair": ["--tariff", "secure-endpoint", ORDER],
    "options": ["--tariff", "secure-endpoint", ORDER],
    "lint": ["secure-endpoint"],
    "diff": ["secure-endpoint", "secure-endpoint"],
    "review": ["secure-endpoint", "secure-endpoint"],
    "serve": [],  # the limit of each solver call its requests make
}


def _commands() -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


@pytest.mark.parametrize("command", sorted(TIMED))
@pytest.mark.parametrize("limit", ["0", "-5"])
def test_every_time_limit_must_be_one_millisecond_or_more(command, limit):
    code, out, err = run_cli([command, *TIMED[command], "--timeout", limit])
    assert (code, out) == (2, "")
    assert f"argument --timeout: `{limit}` is no time limit: give 1 millisecond or more" in err


def test_the_commands_with_a_time_limit_are_those_that_call_the_solver():
    timed = {name for name, p in _commands().items() if any("--timeout" in a.option_strings for a in p._actions)}
    assert timed == set(TIMED)


@pytest.mark.parametrize("option", ["--tariff", "--lang", "--format", "--timeout"])
def test_every_shared_option_has_a_help_text(option):
    found = 0
    for name, p in _commands().items():
        for action in p._actions:
            if option in action.option_strings:
                found += 1
                assert action.help, f"`tariff {name} {option}` has no help text"
    assert found >= 2, option  # shared by several commands, or the test looks for the wrong name
