"""What the rules of a tariff mean together: the lint checks that ask the solver.

Every question is asked of the orders of each shape (space.py), all fields open, one solver per
shape reused for every question (assumptions, not new solvers), and every answer that says
"never" or "always" comes with its minimal reason: the smallest set of rule instances that,
with the question, admit no order (a core shrunk by deletion; no choices are involved).

- **contradiction** (L001): no new order of a contract kind is valid;
- **dead** options and dimension values (L002, L003): no valid new order or change request has
  them (a withdrawn value is alive while an existing contract may keep it);
- **forced** options (L004): every valid new order has them; **false-optional** (L005): an option
  that is optional in general but in every valid new order of one item;
- **redundant** rules (L006): no order breaks the rule and keeps every other rule, in any shape;
  **vacuous** rules (L007): no order breaks the rule at all;
- **quantities** (L008): a count or quantity that valid new orders can give only one value, or a
  counted option that can only be ordered once;
- **disagreeing** rules (L009): two rules of the same kind about the same option that read the
  same fields and are not equivalent (Secure Endpoint restates 第5条's eligibility in 第8条第2項).

Models found on the way are kept: a value any model shows is possible needs no call of its own,
and each term is read in each model at most once. Where many terms are asked the same question
and most have the same answer (every option left out, every rule broken, every number given a
second value), they are asked together as group tests without reading a model (Open.possible);
reading a model out costs about as much as a check at 10x Secure Endpoint's size. Whether a
shape has a valid order, and the questions of dead, forced, false-optional, quantities and
redundancy, are asked of a slice of the shape (slices.py, redundancy_slices.py): the options they
read and what those need, every other option absent, which answers as the whole shape does at a
fraction of its cost. Where a dimension sorts the options but the shapes are too small to slice,
a rule that an order breaks alone is shown so by a small solver near a valid order already seen
(local.py), and only the other rules are asked about. A question that hits the time limit is
reported (L014), never taken as an answer.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import z3

from ..model import ir
from ..model import tariff as M
from ..orders.decode import decode_order
from ..evaluate.concrete import ConcreteValidator
from ..smt.encode import Instance
from ..model.limits import DEFAULT_TIMEOUT_MS
from ..smt.problem import Incomplete
from . import option_findings, redundancy_slices, slices
from .boolean_lint import STEPS as BOOLEAN_STEPS, BooleanLint
from .finding import Finding
from .local import Fields, Local
from .space import Open, Space, holds


# the most options a slice of a shape keeps beyond the cone's base (slices.py) before a question
# goes to the whole shape's solver instead: a question of a slice costs what the slice holds
SLICE_MOST = 64
# the checks whose every-rule questions go to slices where the shape can be sliced, in a tariff
# whose options a dimension sorts (`_sorted`: a feature model's constraints chain through the
# tree, and its models, other than the whole shape's, made FRSCS's deletion list three L006
# reasons' rules in another order, the same rules; such tariffs are asked as before).
# false-optional's questions (an order of each item, an option left out of one) each read one
# option or none. dead, forced and quantities ask runs of 64 options, every question of a run
# in the run's one slice (a model leaning to true there shows the run's options of its item at
# once), and read a slice's model only for the options it kept: at 30x dead 7.7 -> 3.3 s and
# quantities 3.8 -> 1.4 s, at 100x no whole shape of a sliced kind is opened by them
# (benchmarks/README.md, lintdead). Redundancy's questions (can a rule instance be broken, alone
# or keeping every other rule) go to the slice of the options the instance reads, with its
# rule's instances left out (redundancy_slices.py, benchmarks/README.md, lintredund).
SLICED_CHECKS = ("contradiction", "false-optional", "dead", "forced", "quantities", "redundant")


@dataclass
class _Seen:
    """What is known so far, per shape: `models` are valid orders (every rule was assumed), and
    `any` adds the orders of questions asked with fewer rules (the redundancy checks), which
    only show that a rule can be broken, never that an order with them is valid. `shown` holds
    the terms that a question (Open.possible) proved some valid order has, without a model, and
    `never` those it proved no valid order has.

    A term is read in each model at most once: `_read` remembers how many of a shape's models
    each term was already found false in, or -1 once one showed it true (the term is kept with
    it, so that its id, which Z3 reuses once a term is freed, stays its own)."""

    models: dict[object, list[z3.ModelRef]] = field(default_factory=dict)
    any: dict[object, list[z3.ModelRef]] = field(default_factory=dict)
    shown: dict[object, dict[int, z3.BoolRef]] = field(default_factory=dict)
    never: dict[object, dict[int, z3.BoolRef]] = field(default_factory=dict)  # proved: no valid order
    _read: dict[tuple, tuple[int, z3.BoolRef]] = field(default_factory=dict)
    # per valid model, the options its slice kept (slices.py), None for a whole shape's model
    origins: dict[object, list[dict | None]] = field(default_factory=dict)
    _having: dict[tuple, tuple[int, list[int], z3.BoolRef]] = field(default_factory=dict)

    def add(self, o: Open, m: z3.ModelRef, valid: bool = True) -> None:
        if valid:
            self.models.setdefault(o.shape, []).append(m)
            self.origins.setdefault(o.shape, []).append(getattr(o, "kept", None))
        self.any.setdefault(o.shape, []).append(m)

    def having(self, o: Open, slot, option: str) -> list[int]:
        """The valid models of the shape (their indices) whose order has the option in the slot's
        contract. A slice's model that left the option out has it absent (slices.py), so it is not
        read: once dead's models come from many slices, most are of other options."""
        key = (o.shape, slot.index, option)
        models, origins = self.models.get(o.shape, []), self.origins.get(o.shape, [])
        done, hits, term = self._having.get(key, (0, [], None))
        if term is None:
            term = slot.option(option)
        for k in range(done, len(models)):
            kept = origins[k]
            if (kept is None or option in kept.get(slot.index, ())) and holds(models[k], term):
                hits.append(k)
        self._having[key] = (len(models), hits, term)
        return hits

    def any_true_having(self, o: Open, term: z3.BoolRef, having: list[int]) -> bool:
        """`any_true` for a term that implies an option's presence: only the models that have
        the option (`having`) are read."""
        if term.get_id() in self.shown.get(o.shape, {}):
            return True
        models = self.models.get(o.shape, ())
        return any(holds(models[k], term) for k in having)

    def show(self, o: Open, term: z3.BoolRef, possible: bool = True) -> None:
        (self.shown if possible else self.never).setdefault(o.shape, {})[term.get_id()] = term

    def impossible(self, o: Open, term: z3.BoolRef) -> bool:
        return term.get_id() in self.never.get(o.shape, {})

    def any_true(self, o: Open, term: z3.BoolRef, valid: bool = True) -> bool:
        if term.get_id() in self.shown.get(o.shape, {}):
            return True
        models = (self.models if valid else self.any).get(o.shape, ())
        key = (o.shape, valid, term.get_id())
        start = self._read.get(key, (0, term))[0]
        if start < 0:
            return True  # found true before
        for k in range(start, len(models)):
            if holds(models[k], term):
                self._read[key] = (-1, term)
                return True
        self._read[key] = (len(models), term)
        return False


class SemanticLint:
    def __init__(self, tariff: M.Tariff, timeout_ms: int = DEFAULT_TIMEOUT_MS, space: Space | None = None,
                 boolean: bool = True):
        """`boolean`: answer the contradiction, dead, forced and false-optional checks of a purely
        Boolean tariff on the SAT solver (boolean_lint.py) where it applies; False asks Z3 always."""
        self.tariff = tariff
        self.boolean = boolean
        self.solver_used = "z3"  # "sat" once boolean_lint.py answered the Boolean checks
        self.timeout_ms = timeout_ms
        self._space = space
        self.seen = _Seen()
        self.findings: list[Finding] = []
        self.cut: list[str] = []
        self.timings: dict[str, float] = {}
        self._validator: ConcreteValidator | None = None
        self._slicers: dict[object, slices.Slicer] = {}
        self._slicing = False  # whether the check running asks slices (SLICED_CHECKS)
        self._rule_slices: list = []  # redundancy's slices, shape by shape (redundancy_slices.py)

    @property
    def space(self) -> Space:
        """The Z3 side, made when a check first asks it (a Boolean tariff's checks may never:
        a Z3 context alone costs more than their SAT calls)."""
        if self._space is None:
            self._space = Space(self.tariff, self.timeout_ms)
        return self._space

    # ---- the shapes -----------------------------------------------------------------------
    def _valid_shapes(self, requests=("new", "change")) -> list[Open]:
        out = []
        for shape in self.space.shapes(requests):
            o = self.space.open(shape)
            if o.shape not in self._sat:
                continue
            out.append(o)
        return out

    def run(self, checks: tuple[str, ...] | None = None, progress=None) -> list[Finding]:
        """Every check (or those named); `progress(step, seconds)` is called after each."""

        steps = [("contradiction", self.contradictions), ("dead", self.dead), ("forced", self.forced),
                 ("false-optional", self.false_optional), ("redundant", self.redundant),
                 ("quantities", self.quantities), ("disagreeing", self.disagreeing)]
        self._sat: set = set()
        booleans = BooleanLint.of(self.tariff) if self.boolean else None
        shapes_decided = booleans is None  # else the Z3 checks decide the shapes first
        if booleans is not None:
            self.solver_used = "sat"
        try:
            for step, fn in steps:
                if checks is not None and step not in checks and step != "contradiction":
                    continue
                t0 = time.perf_counter()
                self._slicing = step in SLICED_CHECKS and self._sorted()
                try:
                    if booleans is not None and step in BOOLEAN_STEPS:
                        self.findings += booleans.run(step)
                    else:
                        if not shapes_decided:
                            self._decide_shapes()
                            shapes_decided = True
                        fn()
                except Incomplete as e:
                    self.cut.append(f"{step}: {e.reason}")
                self.timings[step] = time.perf_counter() - t0
                if progress is not None:
                    progress(step, self.timings[step])
        finally:
            if booleans is not None:
                booleans.close()
        for what in self.cut:
            self.findings.append(Finding(
                "L014", "warning", f"an analysis was cut short: {what}",
                explanation="the solver hit its time limit; what this analysis would have found is not reported, "
                            "and its silence proves nothing (raise --timeout)",
                explanation_ja="ソルバーが制限時間に達しました。この解析が見つけたはずのものは報告されず、"
                               "指摘がないことは何も証明しません (--timeout を増やしてください)",
                message_ja=f"解析が時間制限で打ち切られました: {what}"))
        return self.findings

    def _check(self, o: Open, what: str, instances=None, terms=(), keep: bool = True) -> z3.CheckSatResult | None:
        """One question; a time-out is noted and answers None (neither yes nor no). The model of a
        yes is kept (`keep`) for later questions: reading it out costs about as much as a check."""
        if instances is None and len(terms) == 1 and self.seen.impossible(o, terms[0]):
            return z3.unsat  # settled by an earlier question (Open.possible)
        if instances is None and self._slicing:  # in a slice of the shape, where the terms read few options
            sliced = slices.ask(self._slicer(o.shape), list(terms), SLICE_MOST, o._phase)
            if sliced is not None:
                r, sl = sliced
                if r == z3.sat and keep:
                    self.seen.add(sl, sl.model())
                return r
        try:
            r = o.check(instances, list(terms))
        except Incomplete as e:
            self.cut.append(f"{what} ({o.shape.label}): {e.reason}")
            return None
        if r == z3.sat and keep:
            self.seen.add(o, o.model(), valid=instances is None)
        return r

    def _check_in(self, sl: slices.Slice | None, o: Open, what: str, terms: list) -> z3.CheckSatResult | None:
        """`_check` (every rule) asked of `sl`, a slice of the shape that keeps every option the
        terms read, instead of the slice of the terms' own options; as `slices.ask`, a time-out
        there, or no slice, asks the whole shape."""
        if sl is not None:
            sl.lean(o._phase)
            try:
                r = sl.check(None, list(terms))
            except Incomplete:
                return self._check(o, what, terms=terms)
            if r == z3.sat:
                self.seen.add(sl, sl.model())
            return r
        return self._check(o, what, terms=terms)

    # ---- L001 ------------------------------------------------------------------------------
    def contradictions(self) -> None:
        self._decide_shapes()
        for kind in self.tariff.contracts.values():
            shapes = [s for s in self.space.shapes(("new",)) if kind.id in s.kinds]
            if any(s in self._sat for s in shapes):
                continue
            blame = self._blame([(self.space.open(s), []) for s in shapes])
            self.findings.append(option_findings.contradiction(kind, [i.rule for i in blame]))

    def _decide_shapes(self) -> None:
        """Which shapes have a valid order (`_sat`), as every later check needs to know."""
        for shape in self.space.shapes():
            # first in the slice of the options every order needs (slices.py): its answer is the
            # whole shape's, whose solver is then opened only by a check that needs it
            sliced = slices.ask(self._slicer(shape)) if "contradiction" in SLICED_CHECKS and self._sorted() else None
            if sliced is not None:
                if sliced[0] == z3.sat:
                    self._sat.add(shape)
                    self.seen.add(sliced[1], sliced[1].model())
                continue
            o = self.space.open(shape)
            # a shape the time limit left undecided may have valid orders: the later checks ask
            # it too (and are cut short in turn), and it is never called contradictory
            if self._check(o, "is any order valid") != z3.unsat:
                self._sat.add(shape)

    def _slicer(self, shape) -> slices.Slicer:
        got = self._slicers.get(shape)
        if got is None:
            got = self._slicers[shape] = slices.Slicer(self.space, shape)
        return got

    def _blame(self, asks: list[tuple[Open, list]], besides: M.Rule | None = None) -> list[Instance]:
        """A minimal set of rules that admit no order of any of the asked shapes with its terms
        (one instance of each, for its name). Each shape's own core is minimal there, but the
        finding is about all of them: a rule that one shape needs (a child alone breaks the
        `has_parent` rule) may be needless once another shape's core is in, and a shape's core
        may miss what another needs (a change request, when only new orders are forbidden).
        So the union of the cores is shrunk by deletion, a rule at a time, across the shapes."""
        def pool(o: Open) -> list[Instance]:
            return [i for i in o.instances if i.rule is not besides]
        first: dict[str, Instance] = {}
        for o, terms in asks:
            for i in o.blame(terms, pool(o)):
                first.setdefault(i.rule.id, i)
        rules = list(first)
        k = 0
        while k < len(rules):
            trial = set(rules[:k] + rules[k + 1:])
            if all(o.check([i for i in pool(o) if i.rule.id in trial], terms) == z3.unsat for o, terms in asks):
                del rules[k]
            else:
                k += 1
        return [first[r] for r in rules]

    def _with_kind(self, kind: str, requests=("new", "change")) -> list[Open]:
        return [o for o in self._valid_shapes(requests) if self._entries(o, kind)]

    # ---- L002, L003 --------------------------------------------------------------------------
    def _entries(self, o: Open, kind: str) -> list:
        return [o.encoder.slot(e.kind, e.index) for e in o.order.contracts if e.kind == kind]

    def _possible(self, kind: str, term_of, what: str, requests=("new", "change")) -> tuple[bool, Open | None]:
        """Is there a valid order (of these requests) where term_of(slot) holds for a contract of
        the kind? Also the first valid new shape with such a contract, for blame."""
        first = None
        shapes = [o for o in self._valid_shapes(requests) if self._entries(o, kind)]
        for o in shapes:
            if first is None and o.shape.request == "new":
                first = o
            if any(self.seen.any_true(o, term_of(slot)) for slot in self._entries(o, kind)):
                return True, first
        for o in shapes:
            for slot in self._entries(o, kind):
                r = self._check(o, what, terms=[term_of(slot)])
                if r is None:
                    return True, first  # unknown: not reported as impossible
                if r == z3.sat:
                    return True, first
        return False, first or (shapes[0] if shapes else None)

    @contextmanager
    def _leaning(self, shapes: list[Open], truth: bool):
        """While asking, let the solver try `truth` first for every undecided yes/no (Z3's
        phase_selection: 1 always true, 0 always false; 3, its default, caches): models then
        show many options at once (true) or few (false), so one model answers many questions.
        Only the models differ; every answer is the same."""
        for o in shapes:
            o.lean(1 if truth else 0)
        try:
            yield
        finally:
            for o in shapes:
                o.lean(3)

    def _cover(self, kind: str, terms_of: list, what: str, requests=("new", "change"), truth: bool = True) -> None:
        """Find valid orders that show as many of the terms as possible, few questions for many
        terms: ask for an order with any term not yet seen, keep its model (which may show
        several), and ask again, until every term is seen or none of the rest can be. A term is
        then possible or it is not, and `_possible` asks about each only what no model showed."""
        shapes = self._valid_shapes(requests)
        with self._leaning(shapes, truth):
            self._cover_in(shapes, kind, terms_of, what)

    def _cover_in(self, shapes: list[Open], kind: str, terms_of: list, what: str) -> None:
        # a term one shape's model shows is possible (`_possible` asks for any shape): the later
        # shapes ask only about the rest (at 10x, the change requests' shapes asked again about
        # nearly every option a new order had shown, two thirds of the check's questions)
        shown: set[int] = set()
        for o in shapes:
            for slot in self._entries(o, kind):
                unseen = [(k, t(slot)) for k, t in enumerate(terms_of) if k not in shown]
                for m in self.seen.models.get(o.shape, []):
                    unseen = [(k, t) for k, t in unseen if not holds(m, t)]
                # in runs of terms whose slice (slices.py) is small, where the shape can be sliced
                slicer = self._slicer(o.shape) if self._slicing else None
                left = []
                for run in slicer.blocks(unseen, SLICE_MOST) if slicer and slicer.usable else [unseen]:
                    # every question of a run goes to the run's slice, made once: the slice of
                    # what is left of the run would be another slice each time
                    within = slicer.slice([t for _, t in run], SLICE_MOST) if slicer and slicer.usable else None
                    r = None
                    while run and (r := self._check_in(within, o, what, [z3.Or([t for _, t in run])])) == z3.sat:
                        m = self.seen.any[o.shape][-1]  # only the newest model can show what none before did
                        run = [(k, t) for k, t in run if not holds(m, t)]
                    if r == z3.unsat and within is not None:
                        for _, t in run:  # none of them in any valid order of the shape
                            self.seen.show(o, t, False)
                    left += run
                shown.update(set(range(len(terms_of))) - {k for k, _ in left})

    def _settle(self, kind: str, terms_of: list, what: str, requests=("new", "change"),
                within: list | None = None) -> None:
        """Settle, for each term, whether some valid order holds it for a contract of the kind,
        without reading models: the terms no model has shown yet are asked together
        (Open.possible), and every answer is kept for `_possible` and `_some`. For terms most of
        which can hold at once (numbers that can take a second value) that is a question or
        two per shape where `_cover` needs a model for each few.

        `within` (beside `terms_of`: an option or None) says what each term is about, such as
        the option a quantity belongs to (the term implies the option): terms are asked in
        groups, one per valid order seen so far, each with the terms whose option that order has,
        since options that cannot be in one order (those of other items) would only make the
        group's answer a no to be split."""
        for o in self._valid_shapes(requests):
            for slot in self._entries(o, kind):
                groups: dict[int, list[z3.BoolRef]] = {}
                for k, make in enumerate(terms_of):
                    t = make(slot)
                    about = within[k] if within is not None else None
                    if about is None:
                        if self.seen.any_true(o, t):
                            continue
                        at = -1
                    else:  # only the models that have the option can show the term
                        having = self.seen.having(o, slot, about)
                        if self.seen.any_true_having(o, t, having):
                            continue
                        at = having[0] if having else -1
                    groups.setdefault(at, []).append(t)
                slicer = self._slicer(o.shape) if self._slicing else None
                if slicer and slicer.usable:
                    # in runs of terms whose slice (slices.py) is small, each run's groups asked of
                    # the run's one slice (a slice per group and run made a slice for nearly
                    # every few terms once the models seen were those of many slices)
                    runs = slicer.blocks([(at, t) for at, group in groups.items() for t in group], SLICE_MOST)
                    asks = []
                    for run in runs:
                        asker = slicer.slice([t for _, t in run], SLICE_MOST)
                        by: dict[int, list[z3.BoolRef]] = {}
                        for at, t in run:
                            by.setdefault(at, []).append(t)
                        asks += [(asker, group) for group in by.values()]
                else:
                    asks = [(None, group) for group in groups.values()]
                for asker, unseen in asks:
                    if asker is not None:
                        asker.lean(o._phase)
                    try:
                        answers = (asker or o).possible(unseen)
                    except Incomplete as e:
                        self.cut.append(f"{what} ({o.shape.label}): {e.reason}")
                        return
                    for t, a in zip(unseen, answers):
                        self.seen.show(o, t, a)

    def dead(self) -> None:
        for kind in self.tariff.contracts.values():
            options = [lambda slot, o=o: slot.option(o.id) for o in kind.options.values()]
            values = [lambda slot, d=d, i=i: slot.dimension(d.id) == i
                      for d in kind.dimensions.values() for i in range(len(d.values))]
            if values:
                # options belong to items: an order of one item, leaning to every option it can
                # have, shows many at once, and group tests would meet a conflict per other item
                self._cover(kind.id, options + values, "which options and values can be sold")
            else:
                # no dimension sorts the options (a feature model): they conflict in pairs (the
                # alternatives of a group), which group tests settle in a few questions each,
                # where leaning to true makes every check an order of magnitude slower
                self._settle(kind.id, options, "which options can be sold")
            for opt in kind.options.values():
                def present(slot, o=opt):
                    return slot.option(o.id)
                ok, o = self._possible(kind.id, present, f"can `{opt.id}` be sold")
                if ok or o is None:
                    continue
                blame = self._blame([(x, [present(self._entries(x, kind.id)[-1])])
                                     for x in self._with_kind(kind.id)])
                self.findings.append(option_findings.dead_option(opt, [i.rule for i in blame]))
            for dim in kind.dimensions.values():
                for i, value in enumerate(dim.values.values()):
                    def chosen(slot, d=dim, i=i):
                        return slot.dimension(d.id) == i
                    ok, o = self._possible(kind.id, chosen, f"can {dim.id} be `{value.id}`")
                    if ok or o is None:
                        continue
                    blame = self._blame([(x, [chosen(self._entries(x, kind.id)[-1])])
                                         for x in self._with_kind(kind.id)])
                    names = _rule_list(blame)
                    self.findings.append(Finding(
                        "L003", "warning",
                        f"{dim.label} `{value.label}` ({value.id}) can never be chosen: no valid order has it",
                        value.span, _clause(value.citation or dim.citation),
                        explanation=f"with this value, these rules admit no order: {names}",
                        explanation_ja=f"この値を選ぶと、次の規定を満たす申込みはありません: {names}",
                        message_ja=f"{dim.label}「{value.label}」はどの有効な申込みでも選べません: {names}",
                        subject=f"{dim.id}={value.id}", rules=_rule_ids(blame)))

    # ---- L004, L005 -----------------------------------------------------------------------------
    def _always(self, kind: str, term_of, what: str) -> tuple[bool, Open | None]:
        """Does every valid new order hold term_of(slot) for each contract of the kind?"""
        ok, o = self._possible(kind, lambda s: z3.Not(term_of(s)), what, requests=("new",))
        return (not ok and o is not None), o

    def _dead_ids(self) -> set[str]:
        return {f.subject for f in self.findings if f.code == "L002"}

    def forced(self) -> None:
        dead = self._dead_ids()
        for kind in self.tariff.contracts.values():
            # most options can be left out all at once: one question answers them together
            self._settle(kind.id, [lambda slot, o=o: z3.Not(slot.option(o.id))
                                   for o in kind.options.values() if o.id not in dead],
                         "which options can be left out", ("new",))
            for opt in kind.options.values():
                if opt.id in dead:
                    continue

                def present(slot, o=opt):
                    return slot.option(o.id)
                always, o = self._always(kind.id, present, f"must `{opt.id}` be ordered")
                if not always:
                    continue
                blame = self._blame([(x, [z3.Not(present(self._entries(x, kind.id)[-1]))])
                                     for x in self._with_kind(kind.id, ("new",))])
                self.findings.append(option_findings.forced_option(opt, [i.rule for i in blame]))

    def false_optional(self) -> None:
        """An option that is optional in general but in every valid new order with some value of a
        dimension (an item): for that item the option is not a choice."""
        skip = self._dead_ids() | {f.subject for f in self.findings if f.code in ("L003", "L004")}
        for kind in self.tariff.contracts.values():
            opts = [o for o in kind.options.values() if o.id not in skip]
            values = [(d, i, v) for d in kind.dimensions.values() for i, v in enumerate(d.values.values())
                      if f"{d.id}={v.id}" not in skip]
            shapes = [o for o in self._valid_shapes(("new",)) if self._entries(o, kind.id)]
            # (option, value) is refuted by a valid order with the value and without the option;
            # the models found so far refute most pairs. `apart[(dimension, value)]`: the options
            # refuted so far with that value
            apart: dict[tuple[str, str], set[str]] = {}
            every = frozenset(a.id for a in opts)

            def learn(o: Open, m: z3.ModelRef, kept: dict | None) -> None:
                for slot in self._entries(o, kind.id):
                    def val(x):
                        return m.eval(x, model_completion=True)
                    # a slice's model has every option the slice left out absent (slices.py): only
                    # those it kept are read (dead's models come from many slices, each of a few)
                    mine = every if kept is None else every & kept.get(slot.index, every)
                    has = {x for x in mine if holds(m, slot.option(x))}
                    for d in kind.dimensions.values():
                        i = val(slot.dimension(d.id)).as_long()
                        if i >= 0:
                            apart.setdefault((d.id, list(d.values)[i]), set()).update(every - has)

            learnt: dict[object, int] = {}  # per shape, how many of its models `learn` has read

            def learn_new(o: Open) -> None:
                # each model is read once (it was read again after the orders of each item were
                # asked for, and its option values fetched twice: 530,000 evaluations at 30x)
                models, origins = self.seen.models.get(o.shape, []), self.seen.origins.get(o.shape, [])
                for k in range(learnt.get(o.shape, 0), len(models)):
                    learn(o, models[k], origins[k])
                learnt[o.shape] = len(models)

            for o in shapes:
                learn_new(o)
            chosen = set()  # values some valid new order has; the others are not asked about
            for d, i, v in values:
                ok, _ = self._possible(kind.id, lambda slot, d=d, i=i: slot.dimension(d.id) == i,
                                       f"can a new order have {d.id} `{v.id}`", requests=("new",))
                if ok:
                    chosen.add((d.id, v.id))
            with self._leaning(shapes, False):  # an order of each item with few options refutes most pairs
                for d, i, v in values:
                    if (d.id, v.id) in chosen and shapes:
                        o = shapes[0]
                        for slot in self._entries(o, kind.id):
                            self._check(o, f"an order of {d.id} `{v.id}`",
                                        terms=[slot.dimension(d.id) == i])
            for o in shapes:
                learn_new(o)
            for a in opts:
                for d, i, v in values:
                    if a.id in apart.get((d.id, v.id), ()) or (d.id, v.id) not in chosen:
                        continue

                    def without(slot, a=a, d=d, i=i):
                        return z3.And(slot.dimension(d.id) == i,
                                      z3.Not(slot.option(a.id)))
                    found, unknown = False, False
                    for o in shapes:
                        for slot in self._entries(o, kind.id):
                            r = self._check(o, f"must `{d.id}={v.id}` have `{a.id}`", terms=[without(slot)])
                            if r == z3.sat:
                                learn_new(o)  # the model `_check` kept
                                found = True
                            unknown = unknown or r is None
                        if found:
                            break
                    if found or unknown or not shapes:
                        continue
                    blame = self._blame([(x, [without(self._entries(x, kind.id)[-1])]) for x in shapes])
                    names = _rule_list(blame)
                    self.findings.append(Finding(
                        "L005", "warning",
                        f"option `{a.label}` ({a.id}) is in every valid new order of {d.label} `{v.label}`",
                        a.span, _clause(a.citation),
                        explanation=f"`{a.id}` is optional, but with {d.id} `{v.id}` these rules leave no order "
                                    f"without it: {names}",
                        explanation_ja=f"`{a.id}` は選択できるはずですが、{d.id} が `{v.id}` のとき、次の規定は"
                                       f"これを含まない申込みを認めません: {names}",
                        message_ja=f"{d.label}「{v.label}」の有効な新規の申込みには必ず「{a.label}」が含まれます: {names}",
                        subject=a.id, rules=_rule_ids(blame)))

    # ---- L006, L007 -----------------------------------------------------------------------------
    def redundant(self) -> None:
        # every shape, valid or not: a shape no order of which is valid may be so because of this rule
        shapes = [self.space.open(s) for s in self.space.shapes()]
        if self._slicing:  # in tariffs a dimension sorts (`_sorted`)
            reads: dict = {}
            sliced = [redundancy_slices.ShapeSlices(self._slicer(o.shape), SLICE_MOST, reads) for o in shapes]
            if any(x.usable for x in sliced):  # (a shape of kinds the cone keeps whole is asked whole)
                self._rule_slices = sliced  # (their solver calls, for benchmarks)
                self._redundant_sliced(shapes, sliced)
                return
        # a rule that some order breaks while keeping every other rule is neither vacuous nor
        # implied, and gets no finding: found near known valid orders (local.py), most rules
        # need no question of the shape's solver at all, and only the rest are asked about
        unimplied = self._unimplied(shapes) if self._sorted() else set()
        rules = [r for r in self.tariff.rules if r.id not in unimplied]
        asked = {r.id for r in rules}
        breakable, needed = self._breakable(shapes, lambda i: i.rule.id in asked), {}
        if breakable is None:
            return
        for o in shapes:
            if o.shape not in self._sat:
                # no order of this shape keeps every rule; a rule outside the core that says so
                # leaves the others just as unsatisfiable, so asking whether they imply it
                # tells nothing (it adds nothing here), and only the core's rules are asked about
                if self._check(o, "which rules leave no order", instances=o.instances, keep=False) == z3.unsat:
                    core = {x.get_id() for x in o.p.solver.unsat_core()}
                    needed[o.shape] = {i.rule.id for i in o.instances if i.literal.get_id() in core}
        for rule in rules:
            vacuous, implied, asks = True, True, []
            for o in shapes:
                mine = [i for i in o.instances if i.rule is rule]
                others = None
                for inst in mine:
                    if not breakable[o.shape, id(inst)]:
                        continue
                    vacuous = False  # some order (perhaps invalid otherwise) breaks it
                    if o.shape in needed and rule.id not in needed[o.shape]:
                        continue  # the other rules admit no order of this shape: nothing to add
                    if others is None:
                        others = [i for i in o.instances if i.rule is not rule]
                    r = self._check(o, f"is `{rule.id}` implied", instances=others, terms=[z3.Not(inst.term)],
                                    keep=False)
                    if r is None:
                        return
                    if r == z3.sat:
                        implied = False
                        break
                    others_ok = self._check(o, "are the other rules satisfiable", instances=others, keep=False)
                    if others_ok is None:
                        return
                    if others_ok == z3.sat:
                        asks.append((o, [z3.Not(inst.term)]))
                    # else no order of this shape keeps the others: the rule adds nothing here
                if not implied:
                    break
            self._report_redundant(rule, vacuous, implied, asks)

    def _report_redundant(self, rule: M.Rule, vacuous: bool, implied: bool, asks: list) -> None:
        """L007 for a rule no order breaks; L006 for one no order breaks while keeping the others,
        with the least set of other rules that do so (`asks`: the shapes and terms where the
        others admit orders but none that breaks it; none: the others contradict each other, L001)."""
        if vacuous:
            self.findings.append(Finding(
                "L007", "warning", f"rule `{rule.id}` can never be broken: no order of any kind breaks it",
                rule.span, _clause(rule.citation),
                explanation="its condition never holds or its requirement always does, in new orders, change "
                            "requests and cancellations alike; it checks nothing",
                explanation_ja="新規の申込み、変更の申込み、解約の申込みのいずれでも、条件が成り立つことがないか、"
                               "要件が常に満たされます。この規定は何も確かめていません",
                message_ja=f"規定 `{rule.id}` に反する申込みはありません(何も確かめていません)",
                subject=rule.id, rules=[rule.id]))
        elif implied and asks:  # (asks none: the other rules contradict each other, L001)
            by = self._blame(asks, besides=rule)
            names = _rule_list(by)
            self.findings.append(Finding(
                "L006", "info", f"rule `{rule.id}` is implied by other rules: {names}",
                rule.span, _clause(rule.citation),
                explanation="no order breaks it while keeping the others; removing it alone changes nothing "
                            "(a tariff that states a thing twice is often on purpose)",
                explanation_ja="ほかの規定を守ったままこの規定だけに反する申込みはなく、この規定だけを除いても"
                               "何も変わりません (同じことを二度定める料金表は、意図してそうしていることもよくあります)",
                message_ja=f"規定 `{rule.id}` は他の規定から導かれます: {names}",
                subject=rule.id, rules=_rule_ids(by)))

    def _redundant_sliced(self, shapes: list[Open], sliced: list) -> None:
        """`redundant`, each question asked of a slice of the options the rule instance reads
        (redundancy_slices.py: the answer is the whole shape's) instead of the shape's whole
        solver, which is asked only where no slice can be (and for a finding's reasons). The
        shapes are asked in order, each in runs of its instances; a rule an order of one shape
        breaks while keeping the others is not asked about again, as `redundant` stops at it.
        The findings are reported at the end, in the order of the rules."""
        broken: set[str] = set()  # rules some order breaks (not vacuous)
        unimplied: set[str] = set()  # rules some order breaks while keeping every other rule
        asks: dict[str, list] = {}  # per rule, where the other rules admit orders but none breaks it
        for o, ss in zip(shapes, sliced):
            needed = None if o.shape in self._sat else self._needed_sliced(o, ss)
            if needed is False:
                return
            todo = [i for i in ss.instances() if i.rule.id not in unimplied]
            for run in ss.runs(todo) if ss.usable else [todo]:
                run = [i for i in run if i.rule.id not in unimplied]
                if not run:
                    continue
                asker = (ss.slice_of(run) if ss.usable else None) or o
                terms = [z3.Not(i.term) for i in run]
                answers = redundancy_slices.ask(asker, "possible", terms, [])
                if answers is None:
                    asker, answers = o, self._breakable([o], lambda i, ids={id(i) for i in run}: id(i) in ids)
                    if answers is None:
                        return
                    answers = [answers[o.shape, id(i)] for i in run]
                for inst, term, can in zip(run, terms, answers):
                    rule = inst.rule
                    if not can or rule.id in unimplied:
                        continue
                    broken.add(rule.id)
                    if needed is not None and rule.id not in needed:
                        continue  # the other rules admit no order of this shape: nothing to add
                    r = self._ask_besides(asker, o, rule, [term], f"is `{rule.id}` implied")
                    if r is None:
                        return
                    if r == z3.sat:
                        unimplied.add(rule.id)
                        continue
                    others_ok = self._ask_besides(asker, o, rule, [], "are the other rules satisfiable")
                    if others_ok is None:
                        return
                    if others_ok == z3.sat:
                        asks.setdefault(rule.id, []).append((o, [term]))
        for rule in self.tariff.rules:
            if rule.id not in unimplied:
                self._report_redundant(rule, rule.id not in broken, True, asks.get(rule.id, []))

    def _ask_besides(self, asker, o: Open, rule: M.Rule, terms: list, what: str) -> z3.CheckSatResult | None:
        """Is there an order with the terms that keeps every rule but `rule`, asked of `asker` (a
        slice of the shape `o`, or `o` itself)? A slice cut short by the time limit passes the
        question to the whole shape; None when that too is cut short (noted)."""
        if asker is not o:
            r = redundancy_slices.ask(asker, "check", redundancy_slices.others(asker, rule), terms)
            if r is not None:
                return r
        return self._check(o, what, instances=redundancy_slices.others(o, rule), terms=terms, keep=False)

    def _needed_sliced(self, o: Open, ss) -> set[str] | None | bool:
        """For a shape no order of which keeps every rule: the rules of an unsat core (a rule
        outside it leaves the others just as unsatisfiable, so asking whether they imply it tells
        nothing), found in the slice of the cone's base where it can be, else in the whole shape.
        Any core will do: it only spares questions whose answer it already gives. None: every
        rule is asked; False: the time limit cut the question short (noted)."""
        asker = ss.base()
        if asker is not None and redundancy_slices.ask(asker, "check", None, []) == z3.unsat:
            core = {x.get_id() for x in asker.p.solver.unsat_core()}
            return {i.rule.id for i in asker.instances if i.literal.get_id() in core}
        r = self._check(o, "which rules leave no order", instances=o.instances, keep=False)
        if r is None:
            return False
        if r == z3.unsat:
            core = {x.get_id() for x in o.p.solver.unsat_core()}
            return {i.rule.id for i in o.instances if i.literal.get_id() in core}
        return None

    def _breakable(self, shapes: list[Open], wanted=lambda i: True) -> dict[tuple, bool] | None:
        """Which rule instances (those `wanted`) some order breaks, rules or no rules (a rule no
        order breaks is vacuous, L007): per shape, one question for all of its instances
        (Open.possible), by shape and `id` of the instance (shapes of the same slots share their
        instances). None when the time limit cut a question short."""
        out: dict[tuple, bool] = {}
        for o in shapes:
            mine = [i for i in o.instances if wanted(i)]
            try:
                answers = o.possible([z3.Not(i.term) for i in mine], instances=[])
            except Incomplete as e:
                self.cut.append(f"which rules can be broken ({o.shape.label}): {e.reason}")
                return None
            out.update(((o.shape, id(i)), a) for i, a in zip(mine, answers))
        return out

    def _sorted(self) -> bool:
        """Does a dimension sort the options (an item)? Then most rules are local to a family of
        options that the item makes independent of the others, and a witness near a valid order
        is found in a small solver. A feature model (a UVL import: no dimension) chains its
        constraints through the tree: two steps out from a rule reach much of the model, and
        looking for witnesses there cost more than the questions it saved (decisionmaking: 12 s
        of CPU for 160 of 253 rules), so its rules are asked about as before."""
        return any(k.dimensions for k in self.tariff.contracts.values())

    def _unimplied(self, shapes: list[Open], models_per_instance: int = 4) -> set[str]:
        """Rules that some order breaks while it keeps every other rule, each shown by a witness
        found near a valid order already seen (local.py): the order's fields but those next to
        the rule's, kept, and the rest solved for in a small solver. A rule not shown here may
        still be one; the shape's solver is asked about it as before."""
        fields = Fields(self.space.encoder.ctx)
        found: set[str] = set()
        near: dict[object, Local] = {}
        for rule in self.tariff.rules:
            for o in shapes:
                models = self.seen.models.get(o.shape, []) if o.shape in self._sat else []
                mine = [i for i in o.instances if i.rule is rule]
                if not models or not mine:
                    continue
                if o.shape not in near:
                    near[o.shape] = Local(o, fields)
                local = near[o.shape]
                if any(local.witness(m, z3.Not(i.term), leave_out=lambda x: x.rule is rule)
                       for i in mine[:2] for m in self._likely(o, i, models)[:models_per_instance]):
                    found.add(rule.id)
                    break
        return found

    def _likely(self, o: Open, inst: Instance, models: list) -> list:
        """The models to look for a witness near first, taking turns: one that has an option the
        rule instance reads (a cap or a prerequisite is broken most easily where the option is),
        one that has none of them (an eligibility rule, where the item is one the option is not
        for: the item stays as the model has it)."""
        entry = next((e for e in o.order.contracts if e.index == inst.slot), None)
        if entry is None:
            return models
        slot, kind = o.encoder.slot(entry.kind, entry.index), self.tariff.contracts[entry.kind]
        opts = [f.path[0] for f in ir.fields_of(inst.rule.condition(inst.subject)) if f.kind == "opt"]
        if inst.subject is not None and inst.subject in kind.options:
            opts.insert(0, inst.subject)
        terms = [slot.option(x) for x in dict.fromkeys(opts) if x in kind.options]
        if not terms:
            return models
        has, lacks = [], []
        for m in models:
            (has if any(holds(m, t) for t in terms) else lacks).append(m)
        turns = [x for pair in zip(has, lacks) for x in pair]
        return turns + has[len(turns) // 2:] + lacks[len(turns) // 2:]

    # ---- L008 -------------------------------------------------------------------------------------
    def quantities(self) -> None:
        for kind in self.tariff.contracts.values():
            fields = [(f"`{q.label}` ({q.id})", q.span, q.citation, ir.Field("qty", (q.id,), type="int"), None, False)
                      for q in kind.quantities.values()]
            for opt in kind.options.values():
                if opt.counted:
                    fields.append((f"the count of `{opt.label}` ({opt.id})", opt.span, opt.citation,
                                   ir.Field("optcount", (opt.id,), type="int"), ir.Field("opt", (opt.id,)), True))
                for q in opt.quantities.values():
                    fields.append((f"`{q.label}` of `{opt.label}` ({opt.id}.{q.id})", q.span, q.citation or opt.citation,
                                   ir.Field("optqty", (opt.id, q.id), type="int"), ir.Field("opt", (opt.id,)), False))
            # few questions for many numbers: orders where as many counted options as can be are
            # ordered twice or more, and as many other numbers as can be take a second value
            def guarded(slot, key, under, test):
                return z3.And(slot.term(under), test(slot.term(key))) if under else test(slot.term(key))
            firsts = {key: self._first_value(kind.id, key, under) for _, _, _, key, under, counted in fields
                      if not counted}
            terms = [lambda slot, k=key, u=under: guarded(slot, k, u, lambda x: x >= 2)
                     for _, _, _, key, under, counted in fields if counted]
            terms += [lambda slot, k=key, u=under, v=firsts[key]: guarded(slot, k, u, lambda x: x != v)
                      for _, _, _, key, under, counted in fields if not counted and firsts[key] is not None]
            unders = [under.path[0] if under else None for _, _, _, key, under, counted in fields if counted]
            unders += [under.path[0] if under else None
                       for _, _, _, key, under, counted in fields if not counted and firsts[key] is not None]
            if terms:
                self._settle(kind.id, terms, "which numbers can vary", ("new",), within=unders)
            for label, span, cite, key, under, counted in fields:
                def ask(more, key=key, under=under):
                    return [(o, ([s.term(under)] if under else []) + [more(s.term(key))])
                            for o in self._with_kind(kind.id, ("new",)) for s in self._entries(o, kind.id)]
                if counted:
                    more = self._some(kind.id, key, under, lambda x: x >= 2)
                    if more is not False:
                        continue  # twice is possible (or undecided, which claims nothing)
                    if self._some(kind.id, key, under, lambda x: x >= 0) is not True:
                        continue  # no valid order has the option: L002 says so
                    blame = self._blame(ask(lambda x: x >= 2))
                    self.findings.append(Finding(
                        "L008", "warning", f"{label} can only be 1: the option is counted but cannot be ordered twice",
                        span, _clause(cite),
                        explanation="valid new orders that have the option have exactly one of it; "
                                    f"these rules allow no more: {_rule_list(blame)}",
                        explanation_ja="このオプションを含む有効な新規の申込みでは、その数は必ず 1 です。"
                                       f"次の規定が 2 以上を認めません: {_rule_list(blame)}",
                        message_ja=f"{label_ja(key)} は 1 にしかなりません(数を指定できるのに 2 以上にできません)",
                        subject=".".join(key.path), rules=_rule_ids(blame)))
                    continue
                seen = self._first_value(kind.id, key, under)
                if seen is None:
                    continue
                other = self._some(kind.id, key, under, lambda x, v=seen: x != v)
                if other is not False:
                    continue
                blame = self._blame(ask(lambda x, v=seen: x != v))
                self.findings.append(Finding(
                    "L008", "warning", f"{label} can only be {seen} in a valid new order",
                    span, _clause(cite),
                    explanation=f"the rules leave this number one possible value: {_rule_list(blame)}",
                    explanation_ja=f"次の規定により、この数が取りうる値は一つだけです: {_rule_list(blame)}",
                    message_ja=f"{label_ja(key)} は有効な新規の申込みでは {seen} にしかなりません",
                    subject=".".join(key.path), rules=_rule_ids(blame)))

    def _first_value(self, kind: str, key, under) -> int | None:
        """The value of the field in some valid new order (with the option, when `under`)."""
        for o in self._with_kind(kind, ("new",)):
            models = self.seen.models.get(o.shape, [])
            for slot in self._entries(o, kind):
                having = self.seen.having(o, slot, under.path[0]) if under else range(len(models))
                if having:
                    return models[having[0]].eval(slot.term(key), model_completion=True).as_long()
        ok = self._some(kind, key, under, lambda x: x >= 0)
        return self._first_value(kind, key, under) if ok is True else None

    def _some(self, kind: str, key, under, test) -> bool | None:
        """Does some valid new order (with the option, when `under`) give the field a value that
        passes `test`? One question per shape at most: models seen so far answer first. None when
        the time limit left it undecided."""
        undecided = False
        shapes = self._with_kind(kind, ("new",))
        for o in shapes:
            for slot in self._entries(o, kind):
                if under:  # the term implies the option: only the models that have it are read
                    term = z3.And(slot.term(under), test(slot.term(key)))
                    if self.seen.any_true_having(o, term, self.seen.having(o, slot, under.path[0])):
                        return True
                elif self.seen.any_true(o, test(slot.term(key))):
                    return True
        for o in shapes:
            for slot in self._entries(o, kind):
                term = z3.And(slot.term(under), test(slot.term(key))) if under else test(slot.term(key))
                r = self._check(o, f"values of {'.'.join(key.path)}", terms=[term])
                if r == z3.sat:
                    return True
                undecided = undecided or r is None
        return None if undecided else False

    # ---- L009 ---------------------------------------------------------------------------------------
    def disagreeing(self) -> None:
        rules = [r for r in self.tariff.rules if any(s is not None for s in r.subjects)]
        shapes = [o for o in self._valid_shapes(("new",))]
        for i, a in enumerate(rules):
            for b in rules[i + 1:]:
                if a.scope != b.scope or a.kind != b.kind:
                    continue
                for subject in [s for s in a.subjects if s is not None and s in b.subjects]:
                    fa = {f for f in ir.fields_of(a.bodies[subject]) if f.kind != "opt"}
                    fb = {f for f in ir.fields_of(b.bodies[subject]) if f.kind != "opt"}
                    if not fa or fa != fb:
                        continue  # rules that read different fields say different things
                    self._compare(a, b, subject, shapes)

    def _compare(self, a: M.Rule, b: M.Rule, subject: str, shapes: list[Open]) -> None:
        for o in shapes:
            ia = next((i for i in o.instances if i.rule is a and i.subject == subject), None)
            ib = next((i for i in o.instances if i.rule is b and i.subject == subject), None)
            if ia is None or ib is None:
                continue
            for keep, other in ((ia, ib), (ib, ia)):
                # best, an order every other rule accepts; else one that only the two judge
                rest = [i for i in o.instances if i.rule is not other.rule]
                r = self._check(o, f"does `{other.rule.id}` alone reject an order", instances=rest,
                                terms=[z3.Not(other.term)], keep=False)
                if r != z3.sat:
                    r = self._check(o, f"do `{a.id}` and `{b.id}` agree", instances=[],
                                    terms=[keep.term, z3.Not(other.term)], keep=False)
                if r != z3.sat:
                    continue
                witness = self._confirmed(o.order_json(o.model()), keep.rule.id, other.rule.id)
                opt = self.tariff.contracts[a.scope].options[subject]
                self.findings.append(Finding(
                    "L009", "warning",
                    f"rules `{keep.rule.id}` ({keep.rule.citation}) and `{other.rule.id}` ({other.rule.citation}) "
                    f"disagree about `{opt.label}` ({subject})",
                    other.rule.span, _clause(other.rule.citation),
                    explanation=f"both are {a.kind} rules about `{subject}`, but an order that keeps "
                                f"`{keep.rule.id}` breaks `{other.rule.id}` (the witness); where the text states "
                                "one condition twice, the two statements should agree",
                    explanation_ja=f"どちらも `{subject}` についての規定ですが、`{keep.rule.id}` を満たす申込み"
                                   f"(例となる注文) が `{other.rule.id}` に反します。本文が一つの条件を二度定めているなら、"
                                   "二つの定めは一致するはずです",
                    message_ja=f"「{opt.label}」について {keep.rule.citation} と {other.rule.citation} の定めが一致しません",
                    subject=subject, rules=[keep.rule.id, other.rule.id], witness=witness))
                return


    def _confirmed(self, witness: dict | None, keeps: str, breaks: str) -> dict | None:
        """The witness, if the concrete validator agrees that it keeps one rule and breaks the
        other; None (no witness shown) otherwise."""
        if witness is None:
            return None
        if self._validator is None:
            self._validator = ConcreteValidator(self.tariff)
        try:
            broken = {v.rule.id for v in self._validator.validate(decode_order(witness, self.tariff)).violations}
        except Exception:  # noqa: BLE001 - a witness the decoder refuses is not shown
            return None
        return witness if breaks in broken and keeps not in broken else None


def label_ja(key: ir.Field) -> str:
    """A number's name for a Japanese message: its path (the labels are in the English line)."""
    return ("契約数 " if key.kind == "optcount" else "") + ".".join(key.path)


_clause = option_findings.clause


def _rule_ids(blame: list[Instance]) -> list[str]:
    return option_findings.rule_ids([i.rule for i in blame])


def _rule_list(blame: list[Instance]) -> str:
    return option_findings.rule_list([i.rule for i in blame])
