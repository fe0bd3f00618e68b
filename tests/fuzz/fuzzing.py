"""What the fuzzers share: how long they run, the real inputs they start from, and the checks
every answer must pass.

How long: each fuzzer asks `budget(NAME)` for its Hypothesis settings. By default (the CI
profile) every fuzzer runs a few dozen examples, derandomized, so a CI run is brief and the same
every time. `TARIFFCHECK_FUZZ_EXAMPLES=N` selects the long profile: N examples in all, shared out
by SHARES (the cheap fuzzers carry most of them, the Z3-heavy ones fewer), with a random seed
and Hypothesis's example database, so a failure found once is replayed first next time.
docs/testing.md has the command and how to read a failure.

The profiles are applied per fuzzer (as the parent of its settings), never loaded globally:
the rest of the suite keeps its own settings.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import time
from functools import lru_cache
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings

from tariffcheck import catalog
from tariffcheck.api import Checker

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
EXAMPLES = ROOT / "examples"

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
          HealthCheck.function_scoped_fixture]
settings.register_profile("fuzz-ci", deadline=None, derandomize=True, database=None, print_blob=True,
                          suppress_health_check=_QUIET)
settings.register_profile("fuzz-long", deadline=None, derandomize=False, print_blob=True,
                          suppress_health_check=_QUIET)

TOTAL = int(os.environ.get("TARIFFCHECK_FUZZ_EXAMPLES", "0") or 0)
PROFILE = "fuzz-long" if TOTAL > 0 else "fuzz-ci"

# each fuzzer's share of a long run, and its examples in CI; the shares add up to 1
SHARES: dict[str, tuple[float, int]] = {
    # decoder: cheapest (decoding and a concrete check, a few milliseconds)
    "decoder_json_values": (0.16, 60),
    "decoder_json_text": (0.14, 40),
    "decoder_mutated_orders": (0.18, 60),
    "decoder_empty_order": (0.03, 20),
    "decoder_mutated_order_text": (0.16, 40),
    # library: the concrete path, dates and quotes; then the Z3 path (tens to hundreds of ms)
    "library_concrete": (0.15, 40),
    "library_engines_agree": (0.07, 30),
    "library_explain": (0.01, 8),
    "library_repair": (0.01, 8),
    "library_options": (0.004, 5),
    # specs: token and line mutations of the real specs; with Z3, a new encoding per example
    "specs_load": (0.04, 30),
    "specs_engines_agree": (0.002, 6),
    # the command line, text and JSON, both languages
    "cli_orders": (0.04, 25),
    "cli_specs": (0.004, 8),
}


def budget(name: str, **overrides):
    """Fuzzer `name`'s settings under the selected profile, as a decorator (above `@given`).
    With `TARIFFCHECK_FUZZ_LOG=FILE`, it also counts the examples the fuzzer runs (shrinking
    included) into FILE, with the process's CPU seconds, every few seconds: a long run cut
    short still says how far it got."""
    share, ci = SHARES[name]
    examples = max(1, round(TOTAL * share)) if TOTAL > 0 else ci
    chosen = settings(settings.get_profile(PROFILE), max_examples=examples, **overrides)

    def apply(test):
        test = chosen(test)
        if _LOG:
            inner = test.hypothesis.inner_test  # Hypothesis lets a wrapper replace the body it runs

            @functools.wraps(inner)
            def counted(*args, **kwargs):
                _count(name)
                return inner(*args, **kwargs)

            test.hypothesis.inner_test = counted
        return test

    return apply


_LOG = os.environ.get("TARIFFCHECK_FUZZ_LOG")
_counts: dict[str, int] = {}
_written = [0.0]


def _count(name: str) -> None:
    _counts[name] = _counts.get(name, 0) + 1
    if time.monotonic() - _written[0] > 5:
        _write_counts()


def _write_counts() -> None:
    _written[0] = time.monotonic()
    record = {"pid": os.getpid(), "cpu_s": round(time.process_time(), 1), "examples": _counts}
    Path(f"{_LOG}.{os.getpid()}").write_text(json.dumps(record), encoding="utf-8")


if _LOG:
    atexit.register(_write_counts)


# ---- the real inputs ---------------------------------------------------------------------------


def _bundled_name(tariff_id: str) -> str:
    return tariff_id.replace("_", "-")


@lru_cache(maxsize=None)
def real_orders() -> list[tuple[str, dict]]:
    """(tariff, order) for every golden case of specs/*.tests.json and every example order."""
    found = []
    for path in sorted(SPECS.glob("*.tests.json")):
        name = _bundled_name(path.name.removesuffix(".tests.json"))
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            if isinstance(case.get("order"), dict):
                found.append((name, case["order"]))
    for path in sorted(EXAMPLES.glob("*.json")):
        order = json.loads(path.read_text(encoding="utf-8"))
        found.append((_bundled_name(order.get("tariff") or path.stem.rsplit("_", 1)[0]), order))
    return found


@lru_cache(maxsize=None)
def partial_orders() -> list[tuple[str, dict]]:
    """(tariff, partial order) for each example of an order being filled in."""
    found = []
    for path in sorted((EXAMPLES / "partial").glob("*.json")):
        order = json.loads(path.read_text(encoding="utf-8"))
        found.append((_bundled_name(order.get("tariff") or path.stem), order))
    return found


@lru_cache(maxsize=None)
def real_specs() -> list[tuple[str, str]]:
    """(file name, text) of every bundled spec."""
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(SPECS.glob("*.tariff"))]


@lru_cache(maxsize=None)
def checker(name: str) -> Checker:
    """One Checker per bundled tariff, for the whole run (a short Z3 time limit: a fuzzer wants
    many examples, and "unknown" is an answer the invariants allow)."""
    return Checker(catalog.load(name), timeout_ms=5000)


def copy(value):
    """A deep copy of a JSON value (mutations must never touch the shared corpus)."""
    if isinstance(value, dict):
        return {k: copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy(v) for v in value]
    return value


# ---- the checks --------------------------------------------------------------------------------

# what must never reach a terminal raw (newlines excepted: they are the report's own): C0 and C1
# controls, DEL, the marks and overrides that reorder text, the line and paragraph separators,
# lone surrogates
UNSAFE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                    r"\u2066-\u2069\ud800-\udfff]")


def assert_terminal_safe(text: str, what: str) -> None:
    bad = UNSAFE.search(text)
    assert bad is None, f"{what} holds a raw {bad.group()!r} at {bad.start()}: {text[max(0, bad.start() - 80):bad.end() + 40]!r}"


def assert_no_python(text: str, what: str) -> None:
    """A user's message holds no Python internals."""
    for python in ("Traceback (most recent call last)", "<class '", "object at 0x", "NoneType"):
        assert python not in text, f"{what} shows Python internals: {text[:2000]}"


def summary(verdict) -> tuple:
    """A verdict as the two evaluation paths must agree on it."""
    return verdict.status, sorted((k.rule, k.contract, k.subject or "") for k in verdict.keys)
