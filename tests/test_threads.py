"""A Checker shared by threads (issue 12, hardening point 2): every method, called from eight
threads at once on ONE Checker, answers exactly as the same calls made one after another.

Each test runs this file as a script in a subprocess of its own: a crash inside Z3 (a
segfault, an assertion of its own) then fails the test instead of killing pytest, and every
run starts with nothing loaded or cached, so threads also race to load the tariff and to
build each tool. A Barrier makes the threads start together.

The threads run first, on a shared Checker; the reference afterwards, on a fresh Checker of
its own in one thread. Every thread makes the reference's calls in the reference's order:
among equally good answers (two repairs of the same cost) which one the solver finds first
may depend on what it was asked before, in one thread as in many.

In the Z3 tests z3's global default context is replaced by one that refuses to be used: the
library must build every term in a context of its own. The concrete tests require that z3 is
never imported. The solver's time limit is raised far above what any call needs, so that two
cores shared by eight threads (and other work) never turn an answer into `unknown`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import traceback
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
THREADS = 8
TARIFF = "secure-endpoint"
TIMEOUT_MS = 300_000  # far above any call: the answer must not depend on the machine's load

Z3_METHODS = ("check_z3", "explain", "why_not", "repair", "options")
CONCRETE_METHODS = ("check_concrete", "dates", "quote", "one_shot")


# ---- the orders ---------------------------------------------------------------------------------
def _json(path: str) -> dict:
    return json.loads((ROOT / path).read_text(encoding="utf-8"))


def _golden(tariff: str, expect: str, n: int) -> list[dict]:
    """The first n golden orders of a bundled tariff that are `expect` (valid | invalid)."""
    cases = _json(f"specs/{tariff.replace('-', '_')}.tests.json")["cases"]
    return [c["order"] for c in cases if c.get("expect") == expect][:n]


SMALL = str(ROOT / "tests" / "fixtures" / "small.tariff")


def _tariff(method: str) -> str:
    # `options` on Secure Endpoint weighs 40-odd open options per call (2 s); the small fixture
    # tariff keeps the test quick and still has every kind of open field
    return SMALL if method == "options" else TARIFF


def _orders(method: str) -> list:
    """The orders each thread runs the method on: the examples, a test fixture and golden
    orders, valid and invalid; fewer where each call costs more."""
    examples = [_json("examples/secure_endpoint_invalid.json"), _json("examples/secure_endpoint_valid.json")]
    fixture = _json("tests/fixtures/former_item_name_order.json")
    if method in ("check_concrete", "dates", "quote"):
        return examples + [fixture] + _golden(TARIFF, "invalid", 8) + _golden(TARIFF, "valid", 4)
    if method == "check_z3":
        return examples + [fixture] + _golden(TARIFF, "invalid", 4) + _golden(TARIFF, "valid", 2)
    if method in ("explain", "repair"):
        return _golden(TARIFF, "invalid", 4)[1:]
    if method == "why_not":  # (order, option): what keeps the option out, or nothing
        return [(o, option) for o in examples[1:] + [fixture] for option in ("edr", "mail", "vpp")]
    if method == "options":  # partial orders of the small tariff: what is left out is open
        day = "2026-04-01"
        return [{"application_date": day, "contracts": [c]} for c in (
            {}, {"item": "a"}, {"item": "c", "seats": 3}, {"seats": 7, "options": {"y": {"seats": 3}}},
            {"item": "b", "options": {"z": {"count": 2}}})]
    if method == "one_shot":  # (tariff, order); Flex Resilience links Secure Endpoint on loading
        flex = [("flex-resilience", _json("examples/flex_resilience_invalid.json"))] + [
            ("flex-resilience", o) for o in _golden("flex-resilience", "valid", 3)]
        return flex + [(TARIFF, o) for o in examples + [fixture]]
    raise ValueError(method)


# ---- what is compared ---------------------------------------------------------------------------
def _verdict(v) -> tuple:
    return (v.status, sorted((x.key.rule, x.key.contract, x.key.subject, x.contract_id,
                              tuple(sorted(x.values.items()))) for x in v.violations))


def _conflict(c) -> tuple | None:
    if c is None:
        return None
    return (sorted((x.path, repr(x.value)) for x in c.choices),
            sorted((t.key.rule, t.key.contract, t.key.subject) for t in c.rules))


def _explanation(e) -> tuple:
    return (e.status, e.complete, e.question, [_conflict(c) for c in e.conflicts])


def _repairs(r) -> tuple:
    return (r.status, r.complete, r.locked, [
        (rep.cost, rep.distance, rep.verdict.status,
         [(c.path, repr(c.before), repr(c.after), sorted(t.key.rule for t in c.satisfies)) for c in rep.changes])
        for rep in r.repairs])


def _propagation(p) -> tuple:
    return (p.status, p.complete, _conflict(p.conflict), p.not_analysed, [
        (f.path, f.kind, f.low, f.high, _conflict(f.low_reason), _conflict(f.high_reason),
         [(repr(v.value), v.possible, _conflict(v.reason)) for v in f.values])
        for f in p.fields])


def _call(method: str, checker, item):
    """One call of the method, summarised as comparable values."""
    import tariffcheck

    if method == "check_concrete":
        return _verdict(checker.check(item))
    if method == "check_z3":
        return _verdict(checker.check(item, engine="z3"))
    if method == "explain":
        return _explanation(checker.explain(item, limit=2))
    if method == "why_not":
        order, option = item
        return _explanation(checker.why_not(order, option))
    if method == "repair":
        return _repairs(checker.repair(item, k=2))
    if method == "options":
        return _propagation(checker.options(item))
    if method == "dates":
        return [(d.id, d.what, d.contract, d.subject, d.day, d.start, d.term, d.missing) for d in checker.dates(item)]
    if method == "quote":
        return [(q.fee, q.contract, q.subject, q.amount, q.basis, q.missing) for q in checker.quote(item)]
    if method == "one_shot":  # the module's own cached checkers: `checker` is not used
        tariff, order = item
        return _verdict(tariffcheck.check(tariff, order))
    raise ValueError(method)


# ---- the run (in the subprocess) ----------------------------------------------------------------
def _refuse_default_context() -> None:
    import z3
    import z3.z3

    def refuse(*_):
        raise AssertionError("z3's global default context was used")

    z3.z3.main_ctx = refuse


def run(method: str) -> list[str]:
    """The problems found: exceptions in a thread, answers unlike the reference's."""
    if method in Z3_METHODS:
        _refuse_default_context()
    import tariffcheck.api as api

    built: list[str] = []  # every Checker constructed, by the one-shot function too

    class CountedChecker(api.Checker):
        def __init__(self, tariff, *args, **kwargs):
            built.append(getattr(tariff, "id", tariff))
            super().__init__(tariff, *args, **kwargs)

    api.Checker = CountedChecker
    items = _orders(method)
    shared = None if method == "one_shot" else api.Checker(_tariff(method), timeout_ms=TIMEOUT_MS)
    start = threading.Barrier(THREADS)
    answers: list[list | None] = [None] * THREADS
    problems: list[str] = []

    def thread(i: int) -> None:
        try:
            out = []
            for n, item in enumerate(items):
                # together at the first order, and in one_shot at each tariff's first order: the
                # threads ask for its checker at the same moment
                if n == 0 or method == "one_shot" and item[0] != items[n - 1][0]:
                    start.wait()
                out.append(_call(method, shared, item))
            answers[i] = out
        except BaseException:
            problems.append(f"thread {i} raised:\n{traceback.format_exc()}")

    threads = [threading.Thread(target=thread, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    if method == "one_shot":
        tariffs = {tariff for tariff, _ in items}
        if len(built) != len(tariffs):
            problems.append(f"tariffcheck.check built {len(built)} checkers for {len(tariffs)} tariffs: {built}")
        fresh = {tariff: api.Checker(tariff) for tariff in tariffs}
        reference = [_verdict(fresh[tariff].check(order)) for tariff, order in items]
    else:
        fresh = api.Checker(_tariff(method), timeout_ms=TIMEOUT_MS)
        reference = [_call(method, fresh, item) for item in items]

    for i, got in enumerate(answers):
        if got is None:
            continue
        for n, (want, have) in enumerate(zip(reference, got)):
            if want != have:
                problems.append(f"thread {i}, order {n}: {have!r}\n  alone: {want!r}")
                break
    if method in CONCRETE_METHODS and "z3" in sys.modules:
        problems.append("the concrete path imported z3")
    return problems


# ---- the tests ----------------------------------------------------------------------------------
def _in_subprocess(method: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        done = subprocess.run([sys.executable, __file__, method], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=240)
    except subprocess.TimeoutExpired as exc:  # a deadlock, most likely
        pytest.fail(f"{method} from {THREADS} threads did not finish in {exc.timeout} s")
    if done.returncode < 0:
        pytest.fail(f"{method} from {THREADS} threads crashed the process (signal {-done.returncode}):\n"
                    f"{done.stderr[-3000:]}")
    assert done.returncode == 0, f"{method} from {THREADS} threads:\n{done.stdout[-6000:]}{done.stderr[-3000:]}"


def test_shared_checker_is_safe_from_threads_check_concrete():
    _in_subprocess("check_concrete")


def test_shared_checker_is_safe_from_threads_check_z3():
    _in_subprocess("check_z3")


def test_shared_checker_is_safe_from_threads_explain():
    _in_subprocess("explain")


def test_shared_checker_is_safe_from_threads_why_not():
    _in_subprocess("why_not")


def test_shared_checker_is_safe_from_threads_repair():
    _in_subprocess("repair")


def test_shared_checker_is_safe_from_threads_options():
    _in_subprocess("options")


def test_shared_checker_is_safe_from_threads_dates():
    _in_subprocess("dates")


def test_shared_checker_is_safe_from_threads_quote():
    _in_subprocess("quote")


def test_one_shot_check_is_safe_from_threads():
    """`tariffcheck.check` keeps one checker per tariff version for every thread; the first
    calls race to load the tariffs (one of which links another) and to build it."""
    _in_subprocess("one_shot")


def test_each_thread_has_its_own_z3_tools_and_the_concrete_ones_are_shared():
    from tariffcheck.api import Checker

    checker = Checker(TARIFF)
    mine = (checker.z3, checker.explainer, checker.repairer, checker.propagator)
    assert (checker.z3, checker.explainer, checker.repairer, checker.propagator) == mine  # kept per thread
    theirs = []
    t = threading.Thread(target=lambda: theirs.extend(
        (checker.z3, checker.explainer, checker.repairer, checker.propagator, checker.concrete)))
    t.start()
    t.join()
    for here, there in zip(mine, theirs):
        assert here is not there
        assert here.tariff is there.tariff
    contexts = {id(x.encoder.ctx) for x in (mine[0], theirs[0])}
    contexts |= {id(x.workspace.encoder.ctx) for x in mine[1:] + tuple(theirs[1:4])}
    assert len(contexts) == 8  # one Z3 context per tool and thread
    assert theirs[4] is checker.concrete and theirs[2].concrete is checker.concrete


def test_calendar_terms_stay_in_the_context_of_their_day(monkeypatch):
    """The month arithmetic builds its terms in its day's context, also where the tariff gives
    a month as a number (the data erasure table): never in z3's global default context."""
    import z3
    import z3.z3

    from tariffcheck.smt import calendar_terms as C

    def refuse(*_):
        raise AssertionError("z3's global default context was used")

    monkeypatch.setattr(z3.z3, "main_ctx", refuse)
    ctx = z3.Context()
    n = z3.Int("n", ctx)
    terms = [C.add_months(n, 3), C.end_of_month(n), C.first_of_next_month(n), C.period_last_day_months(n, 12),
             C.period_last_day_months(n, 1, first_day_counted=False), C.data_erasure_day(n),
             C.days_in_month(n, 2), C.days_from_civil(n, 2, 28)]
    assert all(t.ctx is ctx for t in terms)


if __name__ == "__main__":
    found = run(sys.argv[1])
    print("\n".join(found))
    sys.exit(1 if found else 0)
