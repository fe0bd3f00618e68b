"""The part of a contract's rules an order's question can reach: its cone of influence.

A tariff of hundreds of options asks explain and repair about an order that orders a few of
them. Every other option is absent in the order, and most rules of those options say nothing
while they stay absent (`storage needs base`, `agent needs 10 licences`, `option X only for
items A, B`). This module finds, per order, the options whose variables a question must keep
(`Cone.needed`) and the axioms and rule instances over those alone (`Cone.select`); the solver
is given only those, so a question costs the order, not the tariff.

**Why the slice gives the same answers.** Write the whole problem of one contract as

    F = H ∪ C ∪ R    (H: axioms and given facts; C: the customer's choices; R: rule instances)

over variables V. Let A be the variables of the options left out of the slice: each of them is
absent from the order in both its states, so its one fact (in C, or in H for the old state and
for a cancelled contract) says "not ordered, count 0", and no other fact mentions it. Let α be
the assignment of A that gives every Boolean False and every number 0: the variables of an
option that is not ordered. `needed` grows the kept set N until every axiom and instance that
reads a variable of A is made true by α alone, whatever values the other variables take
(checked by substituting α and simplifying to `True`: sound, since simplification keeps
meaning; where it cannot show it, the options join N, which only makes the slice larger). The
facts of A's options are true under α by construction. So α is an **autarky** of F: every
constraint that touches A is satisfied by α alone. Then for every subset S ⊆ C ∪ R,

    S ∪ H is satisfiable  ⇔  (S ∪ H) \\ touch(A) is satisfiable,

(⇒: a subset of a satisfiable set; ⇐: take a model of the right side and overwrite A with α:
the constraints not touching A keep their values, those touching A are true under α alone).
Hence:

- **explain**: each subset of choices and rules that the deletion-based shrink tries is unsat
  in the slice exactly when it is unsat in F, and a minimal unsatisfiable subset never holds a
  member of touch(A) (dropping those members keeps it unsat, by the equivalence), so the
  minimal conflicts of the slice are exactly those of F. Which one the shrink reaches first
  depends on the cores the solver returns, so where an order has several, the slice may name
  another one, equally minimal (tests/test_explain_cone.py checks both ways).
- **repair**: a repair changes fields; every cost term (a field's change, a number's distance)
  is zero under α for A's fields (α is the order's own value there) and non-negative
  otherwise. A model of the slice extended by α is a model of F of the same cost; a model of F
  restricted to the slice costs no more. So the least cost is the same, and the repairs the
  slice finds (each with the order's own values on A) are repairs of F of least cost; blocking
  a repair's changed fields speaks only of the slice's fields, so the same holds for the K-th.

Options named by the question itself (why-not's option, a partial order's open fields, every
option of a contract whose options are left open as a whole) are kept, as are options ordered
in either state, so every fact that is not "absent" is in the slice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import z3

from ..model import fields as F
from ..orders.order import ContractEntry
from . import walk

if TYPE_CHECKING:
    from .encode import Encoder



class Cone:
    """For one kind of contract: which options each of its axioms and rule instances reads, and
    which options an order's contract of the kind must keep. The constraints are numbered as
    `Encoder.axioms(kind, i)` followed by `Encoder.instances(kind, i)`: the same positions in
    every slot of the kind, since a slot's terms are the template's, copied."""

    # a kind with fewer options is kept whole: its solver then holds every axiom and instance
    # across orders, as before the cone, which on tariffs of Secure Endpoint's size answers as
    # fast (a few dozen options; asserting the cone per order costs about what it saves)
    SLICE_FROM = 100

    def __init__(self, encoder: "Encoder", kind: str):
        self.kind = kind
        template = encoder.template(kind)
        ctx = encoder.ctx
        axioms = encoder.axioms(kind, -1)
        instances = encoder.instances(kind, -1)
        self.n_axioms = len(axioms)
        self.terms = list(axioms) + [i.term for i in instances]
        self.options = tuple(template.kind.options)
        self.slices = len(self.options) >= self.SLICE_FROM
        if not self.slices:
            self.base = frozenset(self.options)
            self.base_axioms = list(range(self.n_axioms))
            self.base_instances = list(range(len(instances)))
            self.former_read = frozenset(template.former)
            return
        owner: dict[int, str] = {}  # a variable's id -> the option it belongs to
        self._alpha: dict[str, list[tuple[z3.ExprRef, z3.ExprRef]]] = {o: [] for o in self.options}
        false, zero = z3.BoolVal(False, ctx), z3.IntVal(0, ctx)
        for table in (template.vars, template.known):
            for (kind_id, path, _state), x in table.items():
                if F.KINDS[kind_id].where != "option":
                    continue
                owner[x.get_id()] = path[0]
                self._alpha[path[0]].append((x, false if z3.is_bool(x) else zero))
        everything = frozenset(self.options)
        self.reads: list[frozenset[str]] = [_options_read(t, owner, everything) for t in self.terms]
        # the wording of a name (written by its former name) has a variable per dimension and
        # option; one that no axiom or rule reads is alone with its fact, so its fact is left out
        # too (any value the order gives it is a model of that fact alone: an autarky as above).
        # Kept when the order says True, so that a model read back keeps the order's wording.
        read = _constants(self.terms)
        self.former_read = frozenset(path for path, b in template.former.items() if b.get_id() in read)
        self.by_option: dict[str, list[int]] = {o: [] for o in self.options}
        for j, opts in enumerate(self.reads):
            for o in opts:
                self.by_option[o].append(j)
        self._quiet: dict[tuple[int, frozenset[str]], bool] = {}
        # options kept in every order: those a constraint needs present, or set, to hold
        seed = {o for j, opts in enumerate(self.reads) if opts and not self.quiet(j, opts) for o in opts}
        self.base = frozenset(self._grow(set(), seed))
        base = [j for j, opts in enumerate(self.reads) if opts <= self.base]
        self.base_axioms = [j for j in base if j < self.n_axioms]
        self.base_instances = [j - self.n_axioms for j in base if j >= self.n_axioms]

    def quiet(self, j: int, absent: frozenset[str]) -> bool:
        """Does constraint j hold whatever the other variables are, when the options `absent`
        are not ordered (α)? Decided once per (constraint, options) by simplification."""
        key = (j, absent)
        got = self._quiet.get(key)
        if got is None:
            pairs = [pair for o in absent for pair in self._alpha[o]]
            got = self._quiet[key] = z3.is_true(z3.simplify(z3.substitute(self.terms[j], *pairs)))
        return got

    def _grow(self, kept: set[str], new: set[str]) -> set[str]:
        """`kept` ∪ `new`, and every option a constraint over them needs as well, until each
        constraint that reads an option left out holds with the options left out absent."""
        kept |= new
        work = list(new)
        while work:
            o = work.pop()
            for j in self.by_option[o]:
                rest = self.reads[j] - kept
                if rest and not self.quiet(j, rest):
                    kept |= rest
                    work.extend(rest)
        return kept

    def needed(self, entry: ContractEntry, also: set[str] | None) -> "Kept":
        """What a question about `entry` keeps: the options ordered in either state, those in
        `also` (None: every option), what the rules over them need; the wordings read."""
        former = self.former_read | frozenset(entry.former)
        if also is None or not self.slices:
            return Kept(frozenset(self.options), former)
        start = set(entry.new.options) | set(entry.old.options) | also
        start -= self.base
        if not start:
            return Kept(self.base, former)
        return Kept(frozenset(self._grow(set(self.base), start)), former)

    def select(self, kept: frozenset[str]) -> tuple[list[int], list[int]]:
        """The constraints, beyond the base ones, that read only options in `kept` and at least
        one outside the base: (axiom positions, instance positions), each ascending."""
        if not self.slices:
            return [], []
        extra: set[int] = set()
        for o in kept - self.base:
            for j in self.by_option[o]:
                if self.reads[j] <= kept:
                    extra.add(j)
        ordered = sorted(extra)
        return [j for j in ordered if j < self.n_axioms], [j - self.n_axioms for j in ordered if j >= self.n_axioms]


@dataclass(frozen=True)
class Kept:
    """What a problem keeps of one contract: its options, and its wordings (former names)."""

    options: frozenset[str]
    former: frozenset[tuple]


def _constants(terms: list[z3.ExprRef]) -> set[int]:
    """The ids of every node of the terms (constants among them)."""
    return {i for i, _, _ in walk.nodes(terms)}


def _options_read(term: z3.ExprRef, owner: dict[int, str], everything: frozenset[str]) -> frozenset[str]:
    """The options whose variables a term mentions (every option, for a term of a shape this
    walk does not know, such as a quantifier: kept whole, never sliced)."""
    out: set[str] = set()
    for i, _, kind in walk.nodes([term]):
        o = owner.get(i)
        if o is not None:
            out.add(o)
        elif kind != walk.APP and kind != walk.NUMERAL:
            return everything
    return frozenset(out)


def open_options(order, index: int) -> set[str] | None:
    """The options of contract `index` that a partial order leaves open (their fields have no
    fact); None when the order leaves the contract's options open as a whole."""
    out: set[str] = set()
    for path in order.open | order.unset:
        if not isinstance(path, F.FieldRef):
            return None  # a path not known by its parts: keep every option
        if path.contract != index:
            if path.contract is None and path.startswith("contracts["):
                return None  # a contract not known yet (`contracts[?]`): keep every option
            continue
        parts = path.parts
        if not parts:
            return None
        if parts[0] == "options":
            if len(parts) < 2:
                return None
            out.add(parts[1])
    return out
