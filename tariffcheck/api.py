"""The library API that order-entry systems and test suites call.

    from tariffcheck import Checker
    checker = Checker("secure-endpoint")        # load and compile once
    verdict = checker.check(order_dict)          # then call per order
    verdict.status, [v.rule.id for v in verdict.violations]
    checker.explain(order_dict)                  # the smallest sets of choices that conflict
    checker.repair(order_dict, k=3)              # the nearest valid orders

A malformed order raises `OrderError` (a DiagnosticError) naming each bad field; it never
yields a verdict.
"""

from __future__ import annotations

import json
import os
import threading
from time import monotonic as _monotonic
from typing import TYPE_CHECKING

from . import catalog
from .common.diagnostics import DiagnosticError
from .model.tariff import Tariff
from .orders.decode import decode_order, read_order_text
from .orders.names import order_names
from .orders.generated import GeneratedDecoder
from .orders.order import Order
from .evaluate.check_verdict import VerdictBuilder
from .evaluate.concrete import ConcreteValidator
from .evaluate.derived_dates import DateCalculator, DerivedDay
from .evaluate.fees import FeeCalculator, QuoteLine, month_of, read_price_book
from .evaluate.verdict import Verdict
from .model.limits import DEFAULT_TIMEOUT_MS

if TYPE_CHECKING:  # the Z3 path is imported on first use: checking an order concretely never loads z3
    from .smt.check import Z3Validator
    from .smt.explain import Explainer, Explanation
    from .smt.propagate import Propagation, Propagator
    from .smt.repair import Repairer, RepairResult

OrderError = DiagnosticError
ENGINES = ("concrete", "z3")


def load_tariff(name_or_path: str) -> Tariff:
    return catalog.load(name_or_path)


def load_tariff_text(text: str, name: str = "<tariff>") -> Tariff:
    """A tariff from its text rather than a file (the service's uploaded specs); `name` stands
    for the file in spans and reports. Raises DiagnosticError as loading a file does."""
    from .common.diagnostics import Diagnostic
    from .resolve import resolve
    from .syntax.parser import MAX_SPEC_BYTES, parse_text

    if len(text.encode("utf-8", "surrogatepass")) > MAX_SPEC_BYTES:
        raise DiagnosticError([Diagnostic("E012", f"`{name}` is larger than {MAX_SPEC_BYTES:,} bytes",
                                          help="a tariff spec is a text of a few hundred lines; "
                                               "is this the right file?")])
    return resolve(parse_text(text, name), catalog.link_bundled)


class _ThreadTools(threading.local):
    """One thread's Z3 tools for one Checker. Each is built on its first use in that thread and
    builds a z3.Context of its own: a Z3 context, and every term, solver and model made in it,
    must never be used by two threads at once. Dropped when the thread ends."""

    z3: Z3Validator | None = None
    explainer: Explainer | None = None
    repairer: Repairer | None = None
    propagator: Propagator | None = None


class Checker:
    """One tariff, compiled once for both evaluation paths (the Z3 one on first use).

    `timeout_ms` is the time limit of a check through Z3, and of each solver call that
    explanations, repairs and propagation make.

    A Checker may be shared by threads: any method may be called from many threads at once,
    and each thread's calls answer as the same calls on a Checker of its own would. The
    concrete path (`check`, `dates`, `quote`, decoding) is compiled once and shared: it only
    reads the compiled tariff. The Z3 path (`check(engine="z3")`, `explain`, `why_not`,
    `repair`, `options`) gives each thread its own tools, each with a Z3 context of its own,
    built on the thread's first call of that kind: that call pays for the encoding (up to a
    second), and the thread keeps its solvers until it ends (on the bundled tariffs about 20 MB
    per thread for `check(engine="z3")`, 55-80 MB with explanations and repairs too). A pool
    of long-lived threads reuses them; a new thread per order would not."""

    def __init__(self, tariff: Tariff | str, timeout_ms: int = DEFAULT_TIMEOUT_MS):
        self.tariff = tariff if isinstance(tariff, Tariff) else load_tariff(tariff)
        self.timeout_ms = timeout_ms
        self.concrete = ConcreteValidator(self.tariff)
        self._verdicts = VerdictBuilder(self.concrete)  # validate's verdict, the fields' paths kept
        self.names = order_names(self.tariff)  # the names orders may use, indexed once
        # the common well-formed order, read by code generated for the tariff; decode.py reads the rest
        self.quick_decoder = GeneratedDecoder(self.tariff, self.names)
        self._dates: DateCalculator | None = None
        self._fees: FeeCalculator | None = None
        self._build_lock = threading.Lock()  # the shared calculators are built once, by one thread
        self._own = _ThreadTools()

    @property
    def z3(self) -> Z3Validator:
        """This thread's validator through Z3."""
        if self._own.z3 is None:
            from .smt.check import Z3Validator

            self._own.z3 = Z3Validator(self.tariff, self.timeout_ms)
        return self._own.z3

    def decode(self, order: dict | str | bytes) -> Order:
        data = read_order_text(order) if isinstance(order, (str, bytes)) else order
        found = self.quick_decoder.decode(data)
        return found if found is not None else decode_order(data, self.tariff, self.names)

    def dates(self, order: dict | str | bytes | Order) -> list[DerivedDay]:
        """Every day the tariff defines for the order (billing starts, period and term ends,
        non-renewal notice deadlines, the day a cancellation takes effect), with its clause."""
        decoded = order if isinstance(order, Order) else self.decode(order)
        return self.date_calculator.days(decoded)

    def quote(self, order: dict | str | bytes | Order, prices: dict | None = None,
              month: str | None = None) -> list[QuoteLine]:
        """The initial, monthly, one-off and early-termination amounts of the order, each with its
        clause and when it falls due. `prices` is a price book ({"prices": {KEY: yen}}) for amounts
        quoted separately. `month` ("YYYY-MM") gives instead the monthly fees owed for that month."""
        first = month_of(month) if month is not None else None
        decoded = order if isinstance(order, Order) else self.decode(order)
        book = read_price_book(prices, self.tariff) if prices is not None else {}
        if self._fees is None:
            with self._build_lock:
                if self._fees is None:
                    self._fees = FeeCalculator(self.tariff)
        return self._fees.quote(decoded, self.dates(decoded), book, first)

    def check(self, order: dict | str | bytes | Order, engine: str = "concrete",
              timeout_ms: int | None = None) -> Verdict:
        """Validate an order with the concrete validator (default) or through Z3 (`engine="z3"`).
        Through Z3 the call has a time limit (`timeout_ms`, by default the checker's); when it
        runs out the verdict is "unknown", with the reason. The verdict carries the days the
        request takes effect (`verdict.effective`), each beside the day the request asked for."""
        if engine == "concrete":
            if type(order) is dict:  # the call order entry makes on every order: `decode` inline
                decoded = self.quick_decoder.decode(order)
                if decoded is None:
                    decoded = decode_order(order, self.tariff, self.names)
            else:
                decoded = order if isinstance(order, Order) else self.decode(order)
            verdict = self._verdicts.validate(decoded)
        elif engine == "z3":
            decoded = order if isinstance(order, Order) else self.decode(order)
            verdict = self.z3.validate(decoded, timeout_ms)
        else:
            raise ValueError(f"unknown engine `{engine}`: use one of {', '.join(ENGINES)}")
        dates = self._dates
        verdict.effective = (dates if dates is not None else self.date_calculator).effective(decoded)
        return verdict

    @property
    def date_calculator(self) -> DateCalculator:
        """The calculator of derived days, shared by every thread (built once, by one)."""
        if self._dates is None:
            with self._build_lock:
                if self._dates is None:
                    self._dates = DateCalculator(self.tariff)
        return self._dates

    @property
    def explainer(self) -> Explainer:
        """This thread's explainer."""
        if self._own.explainer is None:
            from .smt.explain import Explainer

            self._own.explainer = Explainer(self.tariff, self.timeout_ms)
        return self._own.explainer

    @property
    def repairer(self) -> Repairer:
        """This thread's repairer (it shares the concrete validator, which re-checks repairs)."""
        if self._own.repairer is None:
            from .smt.repair import Repairer

            self._own.repairer = Repairer(self.tariff, self.timeout_ms, concrete=self.concrete)
        return self._own.repairer

    @property
    def propagator(self) -> Propagator:
        """This thread's choice propagator, for `options`."""
        if self._own.propagator is None:
            from .smt.propagate import Propagator

            self._own.propagator = Propagator(self.tariff, self.timeout_ms)
        return self._own.propagator

    # explain, why-not, options and repair make many solver calls, each within `timeout_ms`;
    # `budget_ms` bounds them all together (the answer is then incomplete, or unknown, when it
    # runs out), which is what a caller who must answer in time wants. None: no such bound.
    def explain(self, order: dict | str | bytes | Order, limit: int = 1, budget_ms: int | None = None) -> Explanation:
        """Why the order is invalid: up to `limit` minimal sets of the customer's choices that
        cannot stand together, each with the rules that tie them (docs/explain.md)."""
        decoded = order if isinstance(order, Order) else self.decode(order)
        with _time_budget(budget_ms):
            return self.explainer.explain(decoded, limit)

    def why_not(self, order: dict | str | bytes | Order, option: str, contract: str | None = None,
                budget_ms: int | None = None) -> Explanation:
        """Why option `option` (its id or official name) cannot be added to the order: the
        minimal set of the customer's choices that keeps it out. `contract` is the id of the
        contract to add it to; by default the first one that may have it and lacks it."""
        decoded = order if isinstance(order, Order) else self.decode(order)
        with _time_budget(budget_ms):
            return self.explainer.why_not(decoded, option, contract)

    def options(self, partial: dict | str | bytes | Order, budget_ms: int | None = None) -> Propagation:
        """For an order being filled in (every field it leaves out is open), what each open field
        may still be, which values are forced and which impossible, each with its reason."""
        from .orders.decode import decode_partial_order

        if isinstance(partial, Order):
            decoded = partial
        else:
            decoded = decode_partial_order(read_order_text(partial) if isinstance(partial, (str, bytes)) else partial,
                                           self.tariff, self.names)
        with _time_budget(budget_ms):
            return self.propagator.propagate(decoded)

    def repair(self, order: dict | str | bytes | Order, k: int = 1, locks=(), weights: dict[str, int] | None = None,
               unlock=(), budget_ms: int | None = None) -> RepairResult:
        """Up to `k` nearest valid orders, cheapest first. `locks` names fields to keep as they
        are, `unlock` default locks to free (the application and notice days), `weights` the
        cost of changing a kind of field or a field (docs/explain.md)."""
        decoded = order if isinstance(order, Order) else self.decode(order)
        with _time_budget(budget_ms):
            return self.repairer.repair(decoded, k, list(locks), weights, list(unlock))


def _time_budget(ms: int | None):
    """smt/problem.py's budget (imported when a solver is used: `import tariffcheck` loads no z3)."""
    if ms is not None and (isinstance(ms, bool) or not isinstance(ms, int) or ms < 1):
        raise ValueError(f"`budget_ms` must be a whole number of milliseconds, 1 or more, not {ms!r}")
    from .smt.problem import time_budget

    return time_budget(ms)


_checkers: dict[tuple[str, str], Checker] = {}  # (path, content hash) -> compiled checker
_checkers_lock = threading.Lock()  # one checker per version, even when threads ask for it at once
# what a one-shot call's tariff argument meant last time: (argument, working folder for one that
# is not an absolute path) -> (the spec's absolute path, its (mtime_ns, size) then, the checker)
_named: dict[tuple[str, str], tuple[str, tuple[int, int], Checker]] = {}


# a bundled name or an absolute path, seen less than RECHECK_SECONDS ago: its checker, and until when
# (time.monotonic) it is used without looking at the spec again
_fresh: dict[str, tuple[Checker, float]] = {}
RECHECK_SECONDS = 1.0


def check(tariff: Tariff | str, order: dict | str | bytes) -> Verdict:
    """One-off validation. Compiling a tariff takes milliseconds, so the checker is kept per
    tariff version (same file, same content) for the next call, shared by every thread.

    A bundled name or an absolute path is looked at again at most once a second: a call within
    a second of the last look costs what a kept Checker's does (a `stat` of the spec on every
    call made such a call about 1.2 times as slow: tens of thousands of checks a second each
    paid for a system call). Otherwise the spec is stat'ed, and loaded again only when its
    modification time or size changed, as `catalog.load` would: a spec edited, or a working
    folder changed, is seen within a second. A relative path, which names another file in
    another working folder, is looked at on every call."""
    if isinstance(tariff, Tariff):
        return _checker_of(tariff).check(order)
    fresh = _fresh.get(tariff)
    if fresh is not None and _monotonic() < fresh[1]:
        return fresh[0].check(order)
    return _checker_named(tariff).check(order)


def _checker_named(tariff: str) -> Checker:
    """The checker a one-shot call's `tariff` means now: the spec looked at again."""
    checker = _looked_up(tariff)
    if os.path.isabs(tariff) or not (os.sep in tariff or tariff.endswith((".tariff", ".uvl"))):
        _fresh[tariff] = (checker, _monotonic() + RECHECK_SECONDS)
    return checker


def _looked_up(tariff: str) -> Checker:
    key = (tariff, "" if os.path.isabs(tariff) else os.getcwd())
    kept = _named.get(key)
    if kept is not None:
        path, signature, checker = kept
        try:
            st = os.stat(path)
        except OSError:
            st = None
        if st is not None and (st.st_mtime_ns, st.st_size) == signature:
            return checker
    path = os.path.abspath(catalog.spec_path(tariff))
    try:
        st = os.stat(path)  # before loading: a change in between is seen by the next call
    except OSError:
        st = None
    checker = _checker_of(load_tariff(tariff))  # reports a spec that is gone (E012) as before
    if st is not None:
        _named[key] = (path, (st.st_mtime_ns, st.st_size), checker)
    return checker


def _checker_of(t: Tariff) -> Checker:
    key = (t.path, t.content_hash)
    checker = _checkers.get(key)
    if checker is None:
        with _checkers_lock:
            checker = _checkers.get(key)
            if checker is None:
                checker = _checkers[key] = Checker(t)
    return checker


def lint(spec: Tariff | str, timeout_ms: int = DEFAULT_TIMEOUT_MS, checks: tuple[str, ...] | None = None):
    """Everything `tariff lint` reports about one spec (a bundled name, a path or a loaded
    Tariff), as a LintResult. A spec that does not load gives its errors as L000 findings
    instead of raising, so a test can assert on them:

        result = tariffcheck.lint("specs/my_tariff.tariff")
        assert not result.errors, [f.message for f in result.errors]
    """
    from .analyse.lint import lint_tariff, load_failure

    if isinstance(spec, Tariff):
        return lint_tariff(spec, timeout_ms=timeout_ms, checks=checks)
    try:
        tariff = load_tariff(spec)
    except DiagnosticError as exc:
        return load_failure(spec, exc.diagnostics)
    return lint_tariff(tariff, spec, timeout_ms, checks)


def diff(old: Tariff | str, new: Tariff | str, timeout_ms: int = DEFAULT_TIMEOUT_MS):
    """The difference between two versions of a tariff, in names and in meaning (a DiffResult):

        d = tariffcheck.diff("specs/old.tariff", "specs/new.tariff")
        assert d.same_meaning, [(g.direction, g.rule.id) for g in d.groups]

    Raises DiagnosticError when either spec does not load."""
    from .analyse.diff import diff as _diff

    a = old if isinstance(old, Tariff) else load_tariff(old)
    b = new if isinstance(new, Tariff) else load_tariff(new)
    return _diff(a, b, timeout_ms)


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
