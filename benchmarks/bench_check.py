"""Benchmark `check` on Secure Endpoint orders: the concrete validator against Z3.

    .venv/bin/python benchmarks/bench_check.py [--orders 200] [--rounds 7] [--json PATH]

Paths, all through the library API and all timed in ONE run, interleaved round by round on
the same order list:

  concrete         ConcreteValidator(tariff).validate(order)   compiled once, called per order
  z3               Z3Validator(tariff).validate(order)          one solver, push/pop per order
  naive            naive_validate(tariff, order)                fresh context, encoding, solver
                                                                per order (on a subset: it is slow)
  decode           Checker(tariff).decode(dict)                 JSON dict -> Order
  decode+concrete  decode, then ConcreteValidator.validate      what order entry pays

The corpus is a fixed, seeded set of realistic orders (new, change and cancellation requests;
1 to 3 service contracts, sometimes under a parent contract; ids and official names mixed),
valid ones and ones built to break 1 to 5 rule instances. Orders are decoded once before the
validation paths are timed. Before any timing, every order is checked by all three validation
paths and they must agree on the verdict and on the set of broken rule instances.

Each call is timed alone with time.perf_counter_ns, with the garbage collector off during a
timed pass. An order's time is the median over the rounds; a path's figures are the median and
90th percentile of those over the orders. Ratios are medians over medians of the same run;
naive/concrete compares them on the naive subset only.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import z3

from tariffcheck import catalog
from tariffcheck.api import Checker
from tariffcheck.smt.check import Z3Validator, naive_validate
from tariffcheck.evaluate.concrete import ConcreteValidator

TARIFF = "secure-endpoint"
TARGET_CONCRETE_US = 100.0
TARGET_NAIVE_RATIO = 100.0

# ---- the corpus -------------------------------------------------------------------------------
# What the spec (specs/secure_endpoint.tariff) allows on each item, without prerequisites.
ACCOUNT_OPTS = {  # options whose 利用アカウント数 must equal the contract's (第5条第10項, 第16項)
    "itam_l": ["web_access", "web_access_mac", "device_ctrl", "device_ctrl_mac", "mail", "app_id"],
    "itam_x": ["web_access_x", "web_access_x_mac", "web_access_x_sbc", "device_ctrl_x", "device_ctrl_x_mac",
               "mail_x", "app_id_x", "app_id_x_sbc"],
}
PLAIN_OPTS = {
    "itam_l": ["direct", "itam_intro", "itam_training", "remote_ctrl", "server_mon", "rogue_pc",
               "malware_analysis"],
    "itam_x": ["direct", "itam_intro", "itam_training", "remote_ctrl_x", "server_mon_x", "rogue_pc_x",
               "malware_analysis"],
    "itam_o": ["client_filter", "remote_ctrl", "itam_intro", "itam_training", "malware_analysis"],
    "itam_a": ["client_filter", "remote_ctrl", "lost_support", "vpp", "threat_research", "log_ops",
               "device_inspect", "itam_a_intro", "itam_a_intro_training", "itam_a_training", "malware_analysis"],
    "av_c": ["av_c_support", "hybrid_support", "malware_analysis"],
    "av_d": ["av_c_support", "hybrid_support", "malware_analysis"],
    "av_g": ["av_g_support", "malware_analysis"],
    "browse_b": ["malware_analysis"],
}
STORAGE = {"itam_l": "storage", "itam_x": "storage_x"}
EDR = {"av_c": "edr", "av_d": "av_d_edr"}
# Options each of whose rules is one `item ...` requirement: on another item they break exactly one.
ITEM_ONLY = {
    "direct": {"itam_l", "itam_x"}, "remote_ctrl": {"itam_l", "itam_o", "itam_a"},
    "remote_ctrl_x": {"itam_x"}, "server_mon": {"itam_l"}, "server_mon_x": {"itam_x"}, "rogue_pc": {"itam_l"},
    "rogue_pc_x": {"itam_x"}, "itam_intro": {"itam_l", "itam_o", "itam_x"},
    "itam_training": {"itam_l", "itam_o", "itam_x"}, "lost_support": {"itam_a"}, "vpp": {"itam_a"},
    "threat_research": {"itam_a"}, "log_ops": {"itam_a"}, "device_inspect": {"itam_a"},
    "itam_a_intro": {"itam_a"}, "itam_a_intro_training": {"itam_a"}, "itam_a_training": {"itam_a"},
    "av_c_support": {"av_c", "av_d"}, "hybrid_support": {"av_c", "av_d"}, "edr": {"av_c"},
    "av_d_edr": {"av_d"}, "av_g_support": {"av_g"},
}
ITEM_RULE = {  # the rule that breaks when an ITEM_ONLY option is on another item
    "direct": "r5_2_tunnel_direct", "remote_ctrl": "r5_12_remote_ctrl", "itam_intro": "r5_14_itam_support",
    "itam_training": "r5_14_itam_support", "av_c_support": "r5_5_av_support",
    "hybrid_support": "r5_5_av_support", "edr": "r5_6_edr", "av_d_edr": "r5_7_av_d_edr",
    "av_g_support": "r5_20_av_g_support", "itam_a_intro": "r8_2_37_type_a_intro",
    "itam_a_intro_training": "r5_18_type_a_support", "itam_a_training": "r5_18_type_a_support",
    **{o: "r5_9_type_l_options" for o in ("server_mon", "rogue_pc")},
    **{o: "r5_15_type_x_options" for o in ("remote_ctrl_x", "server_mon_x", "rogue_pc_x")},
    **{o: "r5_17_type_a_options" for o in ("lost_support", "vpp", "threat_research", "log_ops",
                                           "device_inspect")},
}
# Injections that would undo each other on one contract (both touch the same option).
CONFLICTS = {"tunnel_cap": {"connections", "prereq"}, "connections": {"tunnel_cap", "prereq"},
             "prereq": {"tunnel_cap", "connections"}, "cascade": {"storage_cap", "recovery_min"},
             "storage_cap": {"cascade"}, "recovery_min": {"cascade"}, "filter": {"accounts"},
             "accounts": {"filter"}}
ITEMS = list(PLAIN_OPTS)
ITEM_WEIGHTS = [4, 3, 2, 3, 2, 2, 2, 1]  # av_c, av_d, av_g, itam_l, itam_o, itam_x, itam_a, browse_b


class Gen:
    """One order under construction: contract states as plain data, then rendered to JSON."""

    def __init__(self, rng: random.Random, tariff):
        self.rng = rng
        self.kind = tariff.contracts["service"]
        self.item_labels = {v.id: v.label for v in self.kind.dimensions["item"].values.values()}

    # -- valid contract states ------------------------------------------------------------------
    def contract(self) -> dict:
        r = self.rng
        item = r.choices(ITEMS, ITEM_WEIGHTS)[0]
        acc = r.choice([5, 10, 20, 30, 45, 50, 80, 120, 250, 500, 1200])
        opts: dict[str, dict] = {}
        for o in r.sample(PLAIN_OPTS[item], r.randint(0, min(3, len(PLAIN_OPTS[item])))):
            opts[o] = {}
        for o in r.sample(ACCOUNT_OPTS.get(item, []), r.randint(0, 3) if item in ACCOUNT_OPTS else 0):
            opts[o] = {"accounts": acc}
        if item in ("itam_l", "itam_x") and r.random() < 0.5:
            n = r.randint(1, 4)
            opts["tunnel"] = {"count": n, "connections": r.randint(0, 10 * n)} if r.random() < 0.8 else {"count": n}
            if r.random() < 0.5:
                opts["tunnel_device"] = {}
                if r.random() < 0.5:
                    opts["onsite"] = {}
        if item in STORAGE and r.random() < 0.3:
            opts[STORAGE[item]] = {"count": r.randint(1, 4)}
        if item == "itam_l" and "web_access" in opts and r.random() < 0.6:
            opts["client_filter"] = {}
        if item == "itam_x" and r.random() < 0.3:
            opts[r.choice(["web_access_x", "web_access_x_sbc"])] = {"accounts": acc}
            opts["client_filter_x"] = {}
        if item in EDR and r.random() < 0.5:
            opts[EDR[item]] = {}
            if r.random() < 0.5:
                opts["edr_support"] = {}
        if item == "av_g" and acc >= 50 and r.random() < 0.5:
            opts["recovery_storage"] = {}
        start = date(2024, 4, 1) + timedelta(days=r.randint(0, 700))
        return {"item": item, "accounts": acc, "consent": True, "options": opts,
                "billing_start": start.isoformat() if r.random() < 0.6 else None}

    # -- breaking one rule instance -----------------------------------------------------------
    # Each injection changes a (valid) state so that exactly one more instance breaks and
    # returns its key (rule, subject), or returns None when it does not apply to the state.
    def inject(self, c: dict, old: dict | None, used: set[str]):
        r = self.rng
        item, opts, acc = c["item"], c["options"], c["accounts"]
        tries = ["consent", "wrong_item", "accounts", "tunnel_cap", "connections", "storage_cap", "prereq",
                 "filter", "edr_support", "recovery_min"]
        if old is not None:
            tries += ["item_change", "cascade", "together"] * 2
        r.shuffle(tries)
        for t in tries:
            if t in used or CONFLICTS.get(t, set()) & used:
                continue
            if t == "consent":
                c["consent"] = False
                return t, ("r5_1_consent", None)
            if t == "wrong_item":
                cands = [o for o, items in ITEM_ONLY.items() if item not in items and o not in opts
                         and not (o in ("edr", "av_d_edr") and "edr_support" in opts)]
                o = r.choice(cands)
                opts[o] = {}
                return t, (ITEM_RULE[o], o)
            if t == "accounts" and item in ACCOUNT_OPTS:
                have = [o for o in ACCOUNT_OPTS[item] if o in opts]
                o = r.choice(have) if have else r.choice(ACCOUNT_OPTS[item])
                opts[o] = {"accounts": max(0, acc + r.choice([-3, -1, 1, 2, 10]))}
                return t, ("r5_10_equal_accounts" if item == "itam_l" else "r5_16_equal_accounts_x", o)
            if t in ("tunnel_cap", "connections") and item in ("itam_l", "itam_x"):
                if t == "tunnel_cap":
                    n = r.randint(5, 6)
                    opts["tunnel"] = {"count": n, "connections": r.randint(0, 40)}
                    return t, ("r8_3_tunnel_cap", "tunnel")
                n = r.randint(1, 4)
                opts["tunnel"] = {"count": n, "connections": 10 * n + r.randint(1, 20)}
                return t, ("r8_3_connections", "tunnel")
            if t == "storage_cap" and item in STORAGE:
                opts[STORAGE[item]] = {"count": r.randint(5, 8)}
                return t, ("r8_5_storage_cap", STORAGE[item])
            if t == "prereq" and item in ("itam_l", "itam_x") and old is None:
                if "tunnel_device" in opts:
                    del opts["tunnel"]
                    return t, ("r5_3_tunnel_device", "tunnel_device")
                if "tunnel" not in opts and "onsite" not in opts:
                    opts["tunnel_device"] = {}
                    return t, ("r5_3_tunnel_device", "tunnel_device")
            if t == "filter" and item == "itam_l" and "web_access" not in opts:
                opts["client_filter"] = {}
                return t, ("r5_11_client_filter", "client_filter")
            if t == "filter" and item == "itam_x" and not {"web_access_x", "web_access_x_sbc"} & set(opts):
                opts["client_filter_x"] = {}
                return t, ("r8_2_19_client_filter_x", "client_filter_x")
            if t == "edr_support" and item in EDR and EDR[item] not in opts:
                opts["edr_support"] = {}
                return t, ("r5_8_edr_support", "edr_support")
            if t == "recovery_min" and item == "av_g" and acc < 50:
                opts["recovery_storage"] = {}
                return t, ("r5_19_minimum_accounts", "recovery_storage")
            if t == "item_change" and not opts:
                c["item"] = r.choice([i for i in ("av_c", "av_g", "browse_b", "itam_o", "itam_a") if i != item])
                return t, ("r7_1_changeable", None)
            if t == "cascade":
                ended = [o for o in ("storage", "storage_x", "recovery_storage")
                         if o in opts and o in old["options"]]
                if ended:
                    o = r.choice(ended)
                    del opts[o]
                    rule = {"storage": "r10_3_storage_cascade", "storage_x": "r10_4_storage_x_cascade",
                            "recovery_storage": "r10_5_recovery_cascade"}[o]
                    return t, (rule, None)
            if t == "together" and "tunnel_device" in old["options"] and "onsite" not in old["options"] \
                    and "tunnel_device" in opts and "onsite" not in opts:
                opts["onsite"] = {}
                return t, ("r5_4_applied_together", "onsite")
        return None

    # -- rendering ------------------------------------------------------------------------------
    def name(self, id_: str, label: str, style: float) -> str:
        r = self.rng
        if r.random() < style:
            return id_
        return label.replace(" ", "") if r.random() < 0.2 else label

    def option_json(self, o: str, spec: dict, style: float, day: str | None):
        opt = self.kind.options[o]
        if not spec and day is None:
            return True
        if set(spec) == {"count"} and day is None and self.rng.random() < 0.5:
            return spec["count"]
        out = {}
        for k, v in spec.items():
            out[k if k == "count" else self.name(k, opt.quantities[k].label, style)] = v
        if day is not None:
            out[self.name("billing_start", opt.dates["billing_start"].label, style)] = day
        return out

    def state_json(self, c: dict, style: float, base: dict | None = None) -> dict:
        """A full state, or with `base` the changes from base to c."""
        k, out = self.kind, {}
        if base is None or c["item"] != base["item"]:
            out[self.name("item", k.dimensions["item"].label, style)] = \
                self.name(c["item"], self.item_labels[c["item"]], style)
        if base is None or c["accounts"] != base["accounts"]:
            out[self.name("accounts", k.quantities["accounts"].label, style)] = c["accounts"]
        if base is None or c["consent"] != base["consent"]:
            out[self.name("licensor_consent", k.flags["licensor_consent"].label, style)] = c["consent"]
        if base is None and c["billing_start"]:
            out[self.name("billing_start", k.dates["billing_start"].label, style)] = c["billing_start"]
        opts = {}
        for o, spec in c["options"].items():
            if base is not None and base["options"].get(o) == spec:
                continue
            day = c["billing_start"] if base is None and c["billing_start"] and self.rng.random() < 0.3 else None
            opts[self.name(o, k.options[o].label, style)] = self.option_json(o, spec, style, day)
        if base is not None:
            for o in base["options"]:
                if o not in c["options"]:
                    opts[self.name(o, k.options[o].label, style)] = False
        if opts:
            out["options"] = opts
        return out


def make_order(rng: random.Random, tariff, n: int) -> tuple[dict, list]:
    """One order as a JSON dict, and the rule instances it was built to break."""
    g = Gen(rng, tariff)
    request = rng.choices(["new", "change", "cancellation"], [70, 20, 10])[0]
    target = 0 if request == "cancellation" or rng.random() < 0.4 else rng.randint(1, 5)
    style = rng.choice([0.0, 0.5, 1.0])  # ids, official names, or a mix
    with_unit = rng.random() < 0.3
    olds = [g.contract() for _ in range(rng.choices([1, 2, 3], [5, 3, 2])[0])]
    if request == "change":
        news = []
        for c in olds:
            new = json.loads(json.dumps(c))
            if rng.random() < 0.6:  # a change of 契約アカウント数, with the options that must follow it
                new["accounts"] = max(1, c["accounts"] + rng.choice([-10, -5, 5, 10, 50]))
                for o in ACCOUNT_OPTS.get(c["item"], []):
                    if o in new["options"]:
                        new["options"][o]["accounts"] = new["accounts"]
            if rng.random() < 0.3 and "malware_analysis" not in new["options"]:
                new["options"]["malware_analysis"] = {}
            news.append(new)
    else:
        news = olds
    expected = []
    offset = 1 if with_unit else 0
    used: list[set[str]] = [set() for _ in news]
    for _ in range(target * 4):
        if len(expected) == target:
            break
        i = rng.randrange(len(news))
        got = g.inject(news[i], olds[i] if request == "change" else None, used[i])
        if got is not None:
            used[i].add(got[0])
            expected.append((got[1][0], i + offset, got[1][1]))
    contracts: list[dict] = []
    if with_unit:
        unit = {"id": "unit-1", "contract": rng.choice(["unit", "親たる契約"])}
        if request != "new":
            unit["current"] = {}  # a parent contract carries no choices (第4条)
        contracts.append(unit)
    for i, (old, new) in enumerate(zip(olds, news)):
        entry: dict = {"id": f"se-{n}-{i + 1}"}
        if with_unit:
            entry["parent"] = "unit-1"
        if request == "new":
            entry.update(g.state_json(new, style))
        else:
            entry["current"] = g.state_json(old, style)
            if request == "change":
                entry["changes"] = g.state_json(new, style, base=old)
        contracts.append(entry)
    day = date(2026, 1, 5) + timedelta(days=rng.randint(0, 300))
    order = {"description": f"benchmark order {n}", "tariff": rng.choice([TARIFF, "secure_endpoint"]),
             "request": request, "application_date": day.isoformat(), "contracts": contracts}
    if request != "new":
        order["notice_arrived"] = (day + timedelta(days=rng.randint(0, 3))).isoformat()
        order["requested_date"] = (day + timedelta(days=rng.randint(20, 60))).isoformat()
    if request == "new" and rng.random() < 0.5:
        del order["request"]
    return order, expected


def make_corpus(tariff, n: int, seed: int) -> list[tuple[dict, list]]:
    rng = random.Random(seed)
    return [make_order(rng, tariff, i) for i in range(n)]


# ---- measuring ------------------------------------------------------------------------------


def keys(verdict) -> frozenset:
    return frozenset(v.key for v in verdict.violations)


def verify(tariff, cv, zv, decoded) -> Counter:
    """All three paths agree on every order, or stop: timing paths that disagree means nothing."""
    hist: Counter = Counter()
    for i, o in enumerate(decoded):
        a, b, c = cv.validate(o), zv.validate(o), naive_validate(tariff, o)
        if not (a.status == b.status == c.status and keys(a) == keys(b) == keys(c)):
            raise SystemExit(f"order {i}: the paths disagree\n  concrete {a.status} {sorted(map(str, keys(a)))}\n"
                             f"  z3       {b.status} {sorted(map(str, keys(b)))}\n"
                             f"  naive    {c.status} {sorted(map(str, keys(c)))}")
        if a.status not in ("valid", "invalid"):
            raise SystemExit(f"order {i}: verdict {a.status}: {a.reason}")
        hist[len(a.violations)] += 1
    return hist


def time_pass(fn, inputs, indices, samples) -> None:
    pc = time.perf_counter_ns
    gc.collect()
    gc.disable()
    try:
        for i in indices:
            x = inputs[i]
            t0 = pc()
            fn(x)
            samples[i].append(pc() - t0)
    finally:
        gc.enable()


def quantile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    if len(xs) == 1:
        return xs[0]
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def summary(samples: dict[int, list[int]], indices) -> dict:
    per_order = [statistics.median(samples[i]) / 1000 for i in indices]  # µs, median over rounds
    return {"orders": len(per_order), "rounds": len(samples[indices[0]]),
            "median_us": round(statistics.median(per_order), 2), "p90_us": round(quantile(per_order, 0.9), 2),
            "mean_us": round(statistics.fmean(per_order), 2), "min_us": round(min(per_order), 2)}


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "z3": z3.get_version_string(), "cpu_count": os.cpu_count(), "cpu": cpu,
            "platform": platform.platform(), "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]
            if hasattr(os, "getloadavg") else None}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, default=200, help="orders in the corpus (default 200)")
    ap.add_argument("--rounds", type=int, default=7, help="timed rounds over the corpus (default 7)")
    ap.add_argument("--naive-orders", type=int, default=30, help="orders the naive path is timed on (default 30)")
    ap.add_argument("--naive-rounds", type=int, default=3, help="rounds that time the naive path (default 3)")
    ap.add_argument("--seed", type=int, default=20251001, help="corpus seed (default 20251001)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON to PATH")
    args = ap.parse_args(argv)
    if args.orders < 1 or args.rounds < 1 or args.naive_orders < 1 or args.naive_rounds < 1:
        ap.error("--orders, --rounds, --naive-orders and --naive-rounds must be at least 1")
    naive_rounds = min(args.naive_rounds, args.rounds)

    info = machine()
    started = datetime.now(timezone.utc).astimezone()
    tariff = catalog.load(TARIFF)
    checker = Checker(tariff)
    cv = ConcreteValidator(tariff)
    zv = Z3Validator(tariff)

    corpus = make_corpus(tariff, args.orders, args.seed)
    dicts = [o for o, _ in corpus]
    decoded = [checker.decode(d) for d in dicts]
    n = len(decoded)
    subset = sorted(random.Random(args.seed + 1).sample(range(n), min(args.naive_orders, n)))
    requests = Counter(o.request for o in decoded)
    contracts = Counter(sum(1 for e in o.contracts if e.kind == "service") for o in decoded)

    print(f"tariff {tariff.id} ({tariff.version}), {n} orders (seed {args.seed}): "
          + ", ".join(f"{k} {v}" for k, v in sorted(requests.items()))
          + "; service contracts " + ", ".join(f"{k}: {v}" for k, v in sorted(contracts.items())), flush=True)
    print(f"verifying: all three paths on all {n} orders ...", end=" ", flush=True)
    t0 = time.perf_counter()
    hist = verify(tariff, cv, zv, decoded)
    as_built = sum(1 for o, (_, exp) in zip(decoded, corpus) if {(k.rule, k.contract, k.subject)
                   for k in keys(cv.validate(o))} == set(exp))
    print(f"they agree ({time.perf_counter() - t0:.1f} s)")
    print("violations per order: " + ", ".join(f"{k}: {v}" for k, v in sorted(hist.items()))
          + f"; {hist[0]} valid, {n - hist[0]} invalid; {as_built}/{n} break exactly the instances built in")

    def decode_then_check(d):
        return cv.validate(checker.decode(d))

    paths = [  # name, function, inputs, orders timed, rounds timed
        ("concrete", cv.validate, decoded, list(range(n)), args.rounds),
        ("z3", zv.validate, decoded, list(range(n)), args.rounds),
        ("naive", lambda o: naive_validate(tariff, o), decoded, subset, naive_rounds),
        ("decode", checker.decode, dicts, list(range(n)), args.rounds),
        ("decode+concrete", decode_then_check, dicts, list(range(n)), args.rounds),
    ]
    for _, fn, inputs, idx, _ in paths:  # warm-up
        for i in idx[:20]:
            fn(inputs[i])
    samples = {name: {i: [] for i in idx} for name, _, _, idx, _ in paths}
    print(f"timing: {args.rounds} rounds (naive: {len(subset)} orders x {naive_rounds} rounds), paths interleaved",
          flush=True)
    t0 = time.perf_counter()
    for r in range(args.rounds):
        k = r % len(paths)
        for name, fn, inputs, idx, rounds in paths[k:] + paths[:k]:  # rotate which path goes first
            if r < rounds:
                time_pass(fn, inputs, idx, samples[name])
    elapsed = time.perf_counter() - t0

    results = {name: summary(samples[name], idx) for name, _, _, idx, _ in paths}
    on_subset = {name: summary(samples[name], subset) for name in ("concrete", "z3", "naive")}
    statuses = [cv.validate(o).status for o in decoded]
    by_verdict = {status: summary(samples["concrete"], [i for i in range(n) if statuses[i] == status])
                  for status in ("valid", "invalid") if status in statuses}
    c = results["concrete"]["median_us"]
    ratios = {"z3_over_concrete": round(results["z3"]["median_us"] / c, 1),
              "naive_over_concrete": round(on_subset["naive"]["median_us"] / on_subset["concrete"]["median_us"], 1),
              "naive_over_z3": round(on_subset["naive"]["median_us"] / on_subset["z3"]["median_us"], 1)}
    targets = {"concrete_median_under_100us": c < TARGET_CONCRETE_US,
               "naive_over_concrete_at_least_100x": ratios["naive_over_concrete"] >= TARGET_NAIVE_RATIO}

    print(f"\nper-order times in µs (an order's time: median of its rounds), {elapsed:.1f} s of timing")
    print(f"{'path':<19}{'orders':>7}{'rounds':>7}{'median':>12}{'p90':>12}{'mean':>12}")
    rows = [(name, results[name]) for name, *_ in paths] + [
        (f"{name} (subset)", on_subset[name]) for name in ("concrete", "z3")] + [
        (f"concrete ({status})", x) for status, x in by_verdict.items()]
    for name, s in rows:
        print(f"{name:<19}{s['orders']:>7}{s['rounds']:>7}{s['median_us']:>12,.1f}{s['p90_us']:>12,.1f}"
              f"{s['mean_us']:>12,.1f}")
    print(f"\nnaive is timed on a subset of {len(subset)} orders x {naive_rounds} rounds; "
          "naive/concrete compares medians on that subset")
    print(f"z3/concrete    {ratios['z3_over_concrete']:>8,.1f}x")
    print(f"naive/concrete {ratios['naive_over_concrete']:>8,.1f}x")
    print(f"targets: concrete median < {TARGET_CONCRETE_US:.0f} µs: "
          f"{'met' if targets['concrete_median_under_100us'] else 'MISSED'}; naive/concrete >= "
          f"{TARGET_NAIVE_RATIO:.0f}x: {'met' if targets['naive_over_concrete_at_least_100x'] else 'MISSED'}")
    print(f"{info['python']} {info['implementation']}, z3 {info['z3']}, {info['cpu_count']} cpus, {info['cpu']}")

    if args.json:
        out = {
            "benchmark": "check", "tariff": tariff.id, "tariff_version": tariff.version,
            "date": started.isoformat(timespec="seconds"), "machine": info,
            "config": {"orders": n, "rounds": args.rounds, "naive_orders": len(subset), "naive_rounds": naive_rounds,
                       "seed": args.seed, "timer": "time.perf_counter_ns, one call per sample, gc off in a pass",
                       "statistic": "per order: median over rounds; per path: median/p90 over orders"},
            "corpus": {"requests": dict(requests),
                       "service_contracts": {str(k): v for k, v in sorted(contracts.items())},
                       "violations_per_order": {str(k): v for k, v in sorted(hist.items())},
                       "valid": hist[0], "invalid": n - hist[0], "break_as_built": as_built,
                       "paths_agree": True},
            "results_us": results, "naive_subset_us": on_subset, "concrete_by_verdict_us": by_verdict,
            "ratios": ratios, "targets": targets,
            "timing_seconds": round(elapsed, 1),
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
