"""Which contract of a new order is whose parent, as variables a repair may change.

The encoding reads a contract's structure through two numbers per slot: whether it names a
parent contract (`has_parent`) and how many children of each kind it has (`children`). For a
repair of a new order, this module ties them together: each child contract hangs from at most
one parent contract of the order or from a new parent contract (link variables), each parent's
children are the links that name it, and a bare contract (one with no choices of its own, such
as a 親たる契約) may be left out of the order, its rules then no longer applying, and a parent
contract may be given one new child contract of each kind it can have (its choices are the
solver's, and the least the rules allow: the customer still makes them). So "a child with no
parent beside a parent with no child" is repaired by linking them, and "a parent with no
child" by adding a child or leaving the parent out. An order keeps at least one contract.

In a change or cancellation request the structure is what the provider holds, so it stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from ..orders.order import ContractEntry, ContractState, OptionState, Order
from .encode import Instance
from .problem import OrderProblem
from .readback import state_of

NEW = None  # a link to a new parent contract


@dataclass
class Structure:
    p: OrderProblem
    keep: dict[int, z3.BoolRef] = field(default_factory=dict)  # bare contracts that may be left out
    links: dict[tuple[int, int | None], z3.BoolRef] = field(default_factory=dict)  # (child, parent|NEW)
    # a child contract that may be added under a parent: slot index -> (kind, parent index, literal)
    adds: dict[int, tuple[str, int, z3.BoolRef]] = field(default_factory=dict)

    @classmethod
    def of(cls, p: OrderProblem, adding: bool = False) -> "Structure":
        s = cls(p)
        if p.order.request != "new":
            return s
        ctx = p.encoder.ctx
        contracts = p.order.contracts
        for e in contracts:
            if not p.tariff.contracts[e.kind].has_choices and p.tariff.contracts[e.kind].child_kinds:
                s.keep[e.index] = z3.Bool(f"keep:c{e.index}", ctx)
        for e in contracts:
            parent_kind = p.tariff.contracts[e.kind].parent
            if parent_kind is None:
                continue
            for q in contracts:
                if q.kind == parent_kind:
                    s.links[(e.index, q.index)] = z3.Bool(f"link:c{e.index}:c{q.index}", ctx)
            s.links[(e.index, NEW)] = z3.Bool(f"link:c{e.index}:new", ctx)
        slot_index = len(contracts)
        for q in contracts if adding else ():
            for k in p.tariff.contracts[q.kind].child_kinds:
                s.adds[slot_index] = (k, q.index, z3.Bool(f"add:c{slot_index}", ctx))
                slot_index += 1
        return s

    def constraints(self) -> list[z3.BoolRef]:
        """Hard: a child's `has_parent` is its links (at most one), a parent's children count its
        links; in a change or cancellation request, each contract's structure as it is."""
        p = self.p
        out = []
        if p.order.request != "new":
            return [c.term for c in p.choices if c.kind in ("parent", "children")]
        contracts = p.order.contracts
        one = z3.IntVal(1, p.encoder.ctx)
        zero = z3.IntVal(0, p.encoder.ctx)
        if len(self.keep) == len(contracts):  # an order keeps at least one contract
            out.append(z3.Or(list(self.keep.values()) + [b for _, _, b in self.adds.values()]))
        for i, (k, parent, add) in self.adds.items():
            slot = p.encoder.slot(k, i)
            out += p.encoder.axioms(k, i)
            out += [z3.Implies(add, z3.And(x.literal, x.term)) for x in p.encoder.instances(k, i)]
            out += [z3.Implies(add, x) for x in slot.required_set()]
            out += [z3.Implies(add, z3.And(slot.has_parent, z3.Not(slot.cancelled)))]
            out += [n == 0 for n in slot.children.values()]
            out += [z3.Not(k_) for k_ in slot.former.values()]
            if parent in self.keep:
                out.append(z3.Implies(add, self.keep[parent]))
        # each contract's links, as a child and as a parent (by the child's kind), gathered once:
        # scanning every link for every contract grew with the cube of the order
        up: dict[int, list[z3.BoolRef]] = {}
        down: dict[tuple[int, str], list[z3.BoolRef]] = {}
        for (child, parent), b in self.links.items():
            up.setdefault(child, []).append(b)
            down.setdefault((parent, contracts[child].kind), []).append(b)
        for kind, parent, b in self.adds.values():
            down.setdefault((parent, kind), []).append(b)
        for e in contracts:
            slot = p.encoder.slot(e.kind, e.index)
            mine = up.get(e.index, [])
            if mine:
                out.append(slot.has_parent == z3.Or(mine))
                out.append(z3.PbLe([(b, 1) for b in mine], 1))
            elif p.tariff.contracts[e.kind].parent is not None:
                out.append(z3.Not(slot.has_parent))
            for k, n in slot.children.items():
                named = down.get((e.index, k), [])
                out.append(n == z3.Sum([z3.If(b, one, zero) for b in named] + [zero]))
        for (child, parent), b in self.links.items():
            if parent in self.keep:
                out.append(z3.Implies(b, self.keep[parent]))
        return out

    def guard(self, inst: Instance) -> z3.BoolRef:
        """A rule instance holds, unless its contract is left out of the order."""
        keep = self.keep.get(inst.slot)
        return inst.literal if keep is None else z3.Implies(keep, inst.literal)

    # ---- reading a model ------------------------------------------------------------------
    def dropped(self, m: z3.ModelRef) -> list[int]:
        return [i for i, b in self.keep.items() if z3.is_false(m.eval(b, model_completion=True))]

    def added(self, m: z3.ModelRef) -> list[int]:
        return [i for i, (_, _, b) in self.adds.items() if z3.is_true(m.eval(b, model_completion=True))]

    def apply(self, m: z3.ModelRef, new: Order) -> list[str]:
        """Set each contract's parent as the model links it, with new parent contracts where it
        says so; returns notes for the user. (Contracts left out are removed by `finish`.)"""
        notes = []
        taken = {e.id for e in new.contracts}
        contracts = list(new.contracts)
        for i in self.added(m):  # after the order's own contracts, in slot order
            kind, parent, _ = self.adds[i]
            base = f"{contracts[parent].id}-child"
            cid, n = base, 2
            while cid in taken:
                cid, n = f"{base}-{n}", n + 1
            taken.add(cid)
            entry = ContractEntry(cid, kind, contracts[parent].id, state_of(self.p.encoder.slot(kind, i), m),
                                  ContractState(), False, len(new.contracts))
            new.contracts.append(entry)
            notes.append(f"a new {self.p.tariff.contracts[kind].label} `{cid}` under `{contracts[parent].id}`; "
                         "its choices are the least the rules allow, for the customer to make")
        for (child, parent), b in self.links.items():
            if not z3.is_true(m.eval(b, model_completion=True)):
                continue
            e = contracts[child]
            if parent is not NEW:
                if e.parent != contracts[parent].id:
                    notes.append(f"contract `{e.id}` names `{contracts[parent].id}` as its parent contract")
                e.parent = contracts[parent].id
                continue
            base = f"{e.id}-parent"
            pid, n = base, 2
            while pid in taken:
                pid, n = f"{base}-{n}", n + 1
            taken.add(pid)
            kind = self.p.tariff.contracts[e.kind].parent
            like = next((q for q in contracts if q.kind == kind), None)
            state = _copy_state(like.new) if like is not None else ContractState()
            new.contracts.append(ContractEntry(pid, kind, None, state, ContractState(), False, len(new.contracts)))
            e.parent = pid
            notes.append(f"contract `{e.id}` has a new parent contract `{pid}`")
        for e in new.contracts:
            if not any(c == e.index for c, _ in self.links):
                continue
            if not any(z3.is_true(m.eval(b, model_completion=True)) for (c, _), b in self.links.items() if c == e.index):
                e.parent = None
        return notes

    def finish(self, m: z3.ModelRef, new: Order) -> Order:
        """The order without the contracts left out, numbered again, with children recounted."""
        gone = set(self.dropped(m))
        if not gone and not self.links and not self.adds:
            return new
        kept = [e for e in new.contracts if e.index not in gone]
        for i, e in enumerate(kept):
            e.index = i
            e.children = {}
        by_id = {e.id: e for e in kept}
        for e in kept:
            if e.parent is not None and e.parent in by_id:
                q = by_id[e.parent]
                q.children[e.kind] = q.children.get(e.kind, 0) + 1
        new.contracts = kept
        return new


def _copy_state(st: ContractState) -> ContractState:
    import copy

    return copy.deepcopy(st)
