"""Checking an order needs no Z3: an order-entry system may install tariffcheck and call
`Checker.check`, `dates` and `quote`, or `tariff check`, where z3 cannot be imported.

Each test runs a fresh interpreter in which importing z3 fails, as it would were z3 not
installed (this process has long loaded it).
"""

from __future__ import annotations

import json
from pathlib import Path

from tariffcheck import Checker, catalog

from conftest import EXAMPLES, run_cli, run_python

BLOCK_Z3 = '''
import sys


class NoZ3:
    """Finds every module but z3, whose import fails as if it were not installed."""

    def find_spec(self, name, path=None, target=None):
        if name == "z3" or name.startswith("z3."):
            raise ImportError(f"no module named {name!r} (blocked by the test)")
        return None


sys.meta_path.insert(0, NoZ3())
'''

WITHOUT_Z3 = BLOCK_Z3 + '''
import contextlib
import io
import json

import tariffcheck
from tariffcheck import catalog
from tariffcheck.cli import main

seen = {"specs": {}, "orders": {}}
for name in catalog.bundled_names():
    seen["specs"][name] = len(catalog.load(name).rules)
for path in sys.argv[2:]:
    order = json.loads(open(path, encoding="utf-8").read())
    checker = tariffcheck.Checker(order["tariff"])
    seen["orders"][path] = {"check": checker.check(order).status, "dates": len(checker.dates(order)),
                            "quote": len(checker.quote(order))}
with contextlib.redirect_stdout(io.StringIO()) as out:
    seen["cli"] = main(["check", "--tariff", "secure-endpoint", sys.argv[1]])
seen["cli_out"] = out.getvalue()
seen["solver_modules"] = sorted(m for m in sys.modules if m == "z3" or m.startswith(("z3.", "tariffcheck.smt",
                                                                                   "tariffcheck.analyse")))
print(json.dumps(seen))
'''

EXPLAIN_WITHOUT_Z3 = BLOCK_Z3 + '''
from tariffcheck.cli import main

try:
    main(["explain", "--tariff", "secure-endpoint", sys.argv[1]])
except ImportError as exc:
    print(f"ImportError: {exc}")
else:
    print("explain ran")
'''


def _answers(path: str) -> dict:
    order = json.loads(Path(path).read_text(encoding="utf-8"))
    checker = Checker(order["tariff"])
    return {"check": checker.check(order).status, "dates": len(checker.dates(order)),
            "quote": len(checker.quote(order))}


def test_checking_dates_quotes_and_tariff_check_never_import_z3():
    orders = sorted(str(p) for p in EXAMPLES.glob("*.json"))
    se_valid = str(EXAMPLES / "secure_endpoint_valid.json")
    r = run_python(["-c", WITHOUT_Z3, se_valid, *orders])
    assert r.returncode == 0, r.stderr
    seen = json.loads(r.stdout)
    # the same answers as in this process, where z3 is at hand
    assert seen["specs"] == {name: len(catalog.load(name).rules) for name in catalog.bundled_names()}
    assert seen["orders"] == {path: _answers(path) for path in orders}
    assert {o["check"] for o in seen["orders"].values()} == {"valid", "invalid"}
    assert (seen["cli"], seen["cli_out"]) == run_cli(["check", "--tariff", "secure-endpoint", se_valid])[:2]
    assert seen["solver_modules"] == []


def test_the_block_is_real_explain_needs_z3_and_fails_without_it():
    r = run_python(["-c", EXPLAIN_WITHOUT_Z3, str(EXAMPLES / "secure_endpoint_invalid.json")])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ImportError: no module named 'z3' (blocked by the test)"), r.stdout
