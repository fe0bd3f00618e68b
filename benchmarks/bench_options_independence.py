"""How often an open order's contracts are independent given what the order fixes: whether
`options` could ask each contract in a solver of its own (optsplit's next step (1), issue 14).

    .venv/bin/python benchmarks/bench_options_independence.py --corpora service,parent,keys --parts 3 \
        --json benchmarks/results/optcontract_independence.json

The corpora are bench_options_tail.py's (Secure Endpoint). Each order is opened as `options`
opens it (`Propagator.workspace.open`) and answered (`Propagator.propagate`, for its status);
the orders that matter are the open ones with two contracts or more (an invalid order is not
gathered, a one-contract order has nothing to split).

A rule instance *couples* when its term reads the variables of two parties or more, a party
being a contract slot or the order itself (the request's dates, holdings and flags, which every
contract's rules may read). A variable is *fixed* when the request's given facts or the order's
choices pin it (`propagate.pins_of`: `x == value`, `b`, `not b`). The split is sound for an
order when every coupling instance reads open variables of one party at most (the condition of
the brief: "all but one contract's fields it reads are fixed"); an open order-level variable is
shared by every contract, so an instance reading one and a contract's open field blocks too.

Printed per corpus: the open multi-contract orders, how many the condition holds for, the
blocked ones split by what blocks them (an open order-level variable, or two contracts' own open
fields: the parent-service case the idea was about), the rules and order-level variables that
block, and the same for the slowest orders (thread CPU of `propagate`, one pass). Also "if the
order variables were fixed": the condition again with the order-level variables counted as
fixed (what a request naming its dates would allow). Of the instances blocked by an open
order variable: how many become true when their slot's stated end days (`ends_on.known`, the
contract's and its options') are all left unstated (the date rules then read no date), and in
how many the order states such a day. And how many of those orders' contracts
an earlier order of the corpus already had (same request fields, same contract fields, same
parent): what a per-contract answer kept by those would meet again, at most.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import sys
import time
from pathlib import Path

import z3

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_explain import percentile  # noqa: E402
from bench_options_tail import TARIFF, keys_corpus, parent_corpus, service_corpus  # noqa: E402

from tariffcheck import catalog  # noqa: E402
from tariffcheck.orders.decode import decode_partial_order  # noqa: E402
from tariffcheck.smt.propagate import Propagator, given_pins, pins_of, variables_of  # noqa: E402

ORDER = "order"  # the party of the variables no contract slot declares


def fixed_variables(p) -> set[int]:
    """The ids of the variables the given facts or the choices pin."""
    fixed = set(given_pins([f.term for f in p.given]))
    for c in p.choices:
        ctx = c.term.ctx.ref()
        fixed.update(z3.Z3_get_ast_id(ctx, x) for x, _ in pins_of(c.term) or ())
    return fixed


def names_of(p) -> dict[int, str]:
    """Every slot's and the order's variables by id, with their names (for the report)."""
    out = {v.get_id(): str(v) for e in p.order.contracts for v in p.encoder.slot(e.kind, e.index).variables()}
    ov = p.encoder.order_vars
    for v in [ov.request, *(x for pair in ov.dates.values() for x in pair), *ov.holds.values(), *ov.flags.values(),
              *ov.holds_value.values()]:
        out.setdefault(v.get_id(), str(v))
    return out


def classify(p) -> dict:
    """Which coupling instances of an opened order block the split, and why."""
    owner = {v.get_id(): e.index for e in p.order.contracts for v in p.encoder.slot(e.kind, e.index).variables()}
    fixed = fixed_variables(p)
    names = names_of(p)
    out = {"coupling": 0, "blocked": 0, "blocked_by_order": 0, "blocked_by_contracts": 0,
           "true_unstated": 0, "stated_day_pinned": 0,
           "rules": collections.Counter(), "order_vars": collections.Counter()}
    # whether each of a slot's stated end days (the contract's and its options', old and new) is
    # given: a blocking instance made true by all of its slot's left unstated reads the dates
    # only through a day the customer states (see `unstated`)
    unstated = {e.index: [(v, z3.BoolVal(False, v.ctx)) for v in p.encoder.slot(e.kind, e.index).variables()
                          if str(v).endswith("ends_on.known")] for e in p.order.contracts}
    for inst in p.instances:
        reads = variables_of(inst.term)
        parties = {owner.get(v, ORDER) for v in reads}
        if len(parties) < 2:
            continue
        out["coupling"] += 1
        open_parties = {owner.get(v, ORDER) for v in reads if v not in fixed}
        if len(open_parties) < 2:
            continue
        out["blocked"] += 1
        out["rules"][inst.rule.id] += 1
        contracts = open_parties - {ORDER}
        if ORDER in open_parties:
            out["blocked_by_order"] += 1
            subs = unstated.get(inst.slot, [])
            out["true_unstated"] += bool(subs) and z3.is_true(z3.simplify(z3.substitute(inst.term, *subs)))
            out["stated_day_pinned"] += any(v.get_id() in fixed for v, _ in subs if v.get_id() in reads)
            out["order_vars"].update(names.get(v, "?") for v in reads if v not in fixed and v not in owner)
        if len(contracts) >= 2:
            out["blocked_by_contracts"] += 1
    return out


def contract_keys(data: dict, alone: bool = False) -> list[str]:
    """What a per-contract answer would be kept by, from the request itself: the request's own
    fields, the contract's fields (its id and position aside) and its parent's. An estimate of
    the idea's cache keys (upper bound on its hits: every key kept, none evicted). `alone`: the
    contract's own fields and kind only (a looser key than any sound one)."""
    if alone:
        return [json.dumps(["alone", {k: v for k, v in c.items() if k not in ("id", "parent")}], sort_keys=True,
                           ensure_ascii=False) for c in data["contracts"]]
    head = {k: v for k, v in data.items() if k not in ("contracts", "description")}  # (a label)
    by_id = {c.get("id"): c for c in data["contracts"]}
    strip = lambda c: {k: v for k, v in c.items() if k not in ("id", "parent")}  # noqa: E731
    return [json.dumps([head, strip(c), strip(by_id.get(c.get("parent"), {}))], sort_keys=True, ensure_ascii=False)
            for c in data["contracts"]]


def run_corpus(name: str, corpus: list[dict], slowest: int) -> dict:
    tariff = catalog.load(TARIFF)
    prop = Propagator(tariff)
    rows = []
    seen: set[str] = set()
    # contracts of open multi-contract orders: met before with the request and parent, met
    # before by their own fields alone, all
    repeats = [0, 0, 0]
    for data in corpus:
        order = decode_partial_order(data, tariff)
        with prop.workspace.open(order) as p:
            c = classify(p) if len(order.contracts) >= 2 else None
        t0 = time.thread_time()
        got = prop.propagate(order)
        ms = (time.thread_time() - t0) * 1000
        if c is not None and got.status == "open":
            rows.append(dict(c, ms=ms, contracts=len(order.contracts)))
            for k, alone in zip(contract_keys(data), contract_keys(data, alone=True)):
                repeats[0] += k in seen
                repeats[1] += alone in seen
                repeats[2] += 1
                seen.update((k, alone))
    slow = sorted(rows, key=lambda r: -r["ms"])[:slowest]

    def tally(rs: list[dict]) -> dict:
        rules, order_vars = collections.Counter(), collections.Counter()
        for r in rs:
            rules.update(r["rules"])
            order_vars.update(r["order_vars"])
        return {"orders": len(rs),
                "independent": sum(1 for r in rs if r["blocked"] == 0),
                "blocked_by_an_open_order_variable": sum(1 for r in rs if r["blocked_by_order"]),
                "blocked_by_two_contracts_open_fields": sum(1 for r in rs if r["blocked_by_contracts"]),
                "independent_if_the_order_variables_were_fixed": sum(1 for r in rs if r["blocked_by_contracts"] == 0),
                "blocking_instances_true_with_their_slots_end_days_unstated":
                    f"{sum(r['true_unstated'] for r in rs)} of {sum(r['blocked_by_order'] for r in rs)}",
                "blocking_instances_whose_stated_end_day_the_order_gives": sum(r["stated_day_pinned"] for r in rs),
                "coupling_instances_median": sorted(r["coupling"] for r in rs)[len(rs) // 2] if rs else None,
                "blocking_instances_median": sorted(r["blocked"] for r in rs)[len(rs) // 2] if rs else None,
                "blocking_rules": dict(rules.most_common()),
                "open_order_variables_read": dict(order_vars.most_common())}

    out = {"orders": len(corpus), "open_with_two_contracts_or_more": tally(rows),
           "contracts_met_before": {"with_request_and_parent": repeats[0], "own_fields_alone": repeats[1],
                                    "of": repeats[2]},
           f"slowest_{slowest}": tally(slow)}
    print(f"\n{name}: {len(corpus)} orders; contracts of the open multi-contract orders met before "
          f"(same kind, fields, parent and request): {repeats[0]}, by their own fields alone: "
          f"{repeats[1]}, of {repeats[2]}")
    for k in ("open_with_two_contracts_or_more", f"slowest_{slowest}"):
        print(f"  {k}: " + json.dumps(out[k], ensure_ascii=False))
    return out


def parts_of(data: dict) -> list[dict]:
    """The order cut into one request per contract that is not a parent: that contract with its
    parent, if the order has it (a parent alone when no contract names it)."""
    by_id = {c.get("id"): c for c in data["contracts"]}
    parents = {c.get("parent") for c in data["contracts"]} & set(by_id)
    head = {k: v for k, v in data.items() if k != "contracts"}
    out = [dict(head, contracts=([by_id[c["parent"]]] if c.get("parent") in by_id else []) + [c])
           for c in data["contracts"] if c.get("id") not in parents]
    return out or [data]


def time_parts(name: str, corpus: list[dict], rounds: int) -> dict:
    """What asking each contract of an open multi-contract order alone would cost: `propagate`'s
    thread CPU of the whole order against the sum of its parts (`parts_of`), each part a request
    of its own with the dates still open (what a per-contract solver would be asked, without any
    answer kept across orders). A first pass answers everything (first sight), then `rounds`
    passes (warm, median). The parts' answers are not the order's (their own slots and ids): a
    cost estimate only."""
    tariff = catalog.load(TARIFF)
    prop = Propagator(tariff)
    chosen = []
    for data in corpus:
        order = decode_partial_order(data, tariff)
        if len(order.contracts) >= 2 and prop.propagate(order).status == "open":
            chosen.append(data)
    prop = Propagator(tariff)  # cold again: nothing of the selection pass kept
    cpu: dict[str, list[list[float]]] = {"whole": [[] for _ in chosen], "parts": [[] for _ in chosen]}
    calls = {"whole": [0] * len(chosen), "parts": [0] * len(chosen)}
    for r in range(rounds + 1):
        for i, data in enumerate(chosen):
            for side, reqs in (("whole", [data]), ("parts", parts_of(data)))[:: 1 if (i + r) % 2 == 0 else -1]:
                t0 = time.thread_time()
                n = sum(prop.propagate(decode_partial_order(d, tariff)).calls for d in reqs)
                cpu[side][i].append((time.thread_time() - t0) * 1000)
                calls[side][i] = n
    out = {"orders": len(chosen)}
    for side in cpu:
        first = [x[0] for x in cpu[side]]
        warm = [statistics.median(x[1:]) for x in cpu[side]]
        out[side] = {"first_sight_mean": round(statistics.fmean(first), 2),
                     "first_sight_p90": round(percentile(first, 90), 2),
                     "warm_mean": round(statistics.fmean(warm), 2), "warm_p50": round(percentile(warm, 50), 2),
                     "warm_p90": round(percentile(warm, 90), 2), "warm_max": round(max(warm), 2),
                     "solver_calls_mean": round(statistics.fmean(calls[side]), 2)}
    print(f"\n{name}, whole order against its parts ({len(chosen)} open orders of 2+ contracts, CPU ms):")
    for side in ("whole", "parts"):
        print(f"  {side:>5}: " + json.dumps(out[side]))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpora", default="service,parent,keys")
    ap.add_argument("--slowest", type=int, default=12)
    ap.add_argument("--parts", type=int, default=0, metavar="ROUNDS",
                    help="also time each order whole against its contracts asked alone (`time_parts`)")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    results = {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "load_average_start": os.getloadavg()[0], "corpora": {}}
    for name in args.corpora.split(","):
        corpus = {"service": service_corpus, "parent": parent_corpus, "keys": keys_corpus}[name]()
        results["corpora"][name] = run_corpus(name, corpus, args.slowest)
        if args.parts:
            results["corpora"][name]["whole_against_parts"] = time_parts(name, corpus, args.parts)
    results["load_average_end"] = os.getloadavg()[0]
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
