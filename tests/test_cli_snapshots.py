"""Snapshots of what `tariff check` prints for each example order, in every output form, and
of what `tariff explain` and `tariff repair` print for the Secure Endpoint examples.

When the output changes on purpose, regenerate with `UPDATE_SNAPSHOTS=1 python -m pytest
tests/test_cli_snapshots.py` and review the change with `git diff tests/snapshots`.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from conftest import EXAMPLES, ROOT, run_cli

SNAPSHOTS = ROOT / "tests" / "snapshots"
EXAMPLE_ORDERS = sorted(EXAMPLES.glob("*.json"))
FORMS = {"en": ["--lang", "en"], "ja": ["--lang", "ja"], "json": ["--format", "json"]}


def _tariff_of(example: Path) -> str:
    return json.loads(example.read_text(encoding="utf-8"))["tariff"]


# Spec line numbers and content hashes move with every edit of a spec; they are checked by
# their own tests (test_golden, test_schema). Snapshots pin the shape of the output.
_VOLATILE = [
    (re.compile(r"(\.tariff):\d+"), r"\1:<line>"),
    (re.compile(r'("file": "[^"]*\.tariff",\s*"line": )\d+'), r"\1<line>"),  # the same in JSON
    (re.compile(r"sha256:[0-9a-f]{64}"), "sha256:<hash>"),
]


def _normalise(text: str) -> str:
    for pattern, repl in _VOLATILE:
        text = pattern.sub(repl, text)
    return text


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("example", EXAMPLE_ORDERS, ids=lambda p: p.stem)
def test_check_output_matches_snapshot(example, form):
    code, out, err = run_cli(["check", "--tariff", _tariff_of(example), str(example), *FORMS[form]])
    assert code in (0, 1), err
    _matches_snapshot(f"{example.stem}.{form}.txt", code, out)


def _matches_snapshot(name: str, code: int, out: str) -> None:
    text = _normalise(f"exit {code}\n{out}")
    snap = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snap.write_text(text, encoding="utf-8")
    assert snap.exists(), f"no snapshot {snap.name}; run with UPDATE_SNAPSHOTS=1 and review it"
    assert text == snap.read_text(encoding="utf-8")


# (snapshot name, command, example, expected exit code, extra arguments)
ANALYSES = [
    ("explain.secure_endpoint_invalid", "explain", "secure_endpoint_invalid", 1, []),
    ("explain_all.secure_endpoint_invalid", "explain", "secure_endpoint_invalid", 1, ["--all"]),
    ("explain_why_not.secure_endpoint_valid", "explain", "secure_endpoint_valid", 1,
     ["--why-not", "復旧用ストレージ追加オプション"]),
    ("repair.secure_endpoint_invalid", "repair", "secure_endpoint_invalid", 0, ["--max", "3"]),
]


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("name, command, example, code, extra", ANALYSES, ids=[a[0] for a in ANALYSES])
def test_explain_and_repair_output_matches_snapshot(name, command, example, code, extra, form):
    path = EXAMPLES / f"{example}.json"
    got, out, err = run_cli([command, "--tariff", _tariff_of(path), str(path), *extra, *FORMS[form]])
    assert got == code, err
    _matches_snapshot(f"{name}.{form}.txt", got, out)


def test_every_example_starts_by_saying_what_it_shows():
    for example in EXAMPLE_ORDERS:
        data = json.loads(example.read_text(encoding="utf-8"))
        assert isinstance(data.get("description"), str) and len(data["description"]) > 20, example.name
