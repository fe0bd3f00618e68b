"""How `check(order, engine="z3")` grows with the number of contracts in an order, before and
after a change, measured side by side in one run.

    .venv/bin/python benchmarks/bench_many_contracts.py                      # 50..800 pairs
    .venv/bin/python benchmarks/bench_many_contracts.py --pairs 50 100 --rounds 1   # quick look
    git worktree add /tmp/before-z3 6de774e                                 # the "before" tree
    .venv/bin/python benchmarks/bench_many_contracts.py --before /tmp/before-z3 --json out.json

An order of N pairs is a new Secure Endpoint order with N parent contracts (親たる契約), each
with one service contract under it: examples/secure_endpoint_valid.json's pair, repeated with
fresh ids, and every seventh service given 37 accounts (its Web access management keeps 120,
第5条第10項), so the order is invalid and the verdict names N/7 broken instances.

Each measurement runs in a fresh interpreter with one source tree first on its path (this
checkout: "after"; `--before`: the other), so the two never share a module or a Z3 context.
In it, `Checker(tariff, timeout_ms=...)` is made, the order decoded once, then:

  first   the first `check(order, engine="z3")`: the Z3 encoding of the order's contracts built
          and the order checked (what a one-off command pays);
  again   the same call once more (what a long-running service pays for the next such order).

Each is timed in CPU seconds of the process (time.process_time) and wall seconds
(time.perf_counter). The verdict must equal the concrete validator's (status and broken
instances) or the run stops. The time limit is set high (`--timeout-ms`, default 10 minutes)
so that neither tree answers "unknown" for lack of time: the point is how long an answer takes.

The trees are run interleaved, size by size, in the order before, after (then after, before in
the next round), so the load of a shared machine falls on both alike. Compare the ratios of one
run, and the growth from one size to the next (x2 the pairs should cost about x2).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "examples" / "secure_endpoint_valid.json"
BROKEN_EVERY = 7  # every this many pairs, one service breaks 第5条第10項


def make_order(pairs: int) -> dict:
    """A new order of `pairs` parent contracts, each with one service contract."""
    base = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    parent, service = base["contracts"]
    contracts = []
    for i in range(pairs):
        p = copy.deepcopy(parent)
        p["id"] = f"unit-{i + 1}"
        s = copy.deepcopy(service)
        s["id"], s["parent"] = f"se-{i + 1}", p["id"]
        if i % BROKEN_EVERY == BROKEN_EVERY - 1:
            s["契約アカウント数"] = 37
        contracts += [p, s]
    base.pop("description", None)
    base["contracts"] = contracts
    return base


def worker(pairs: int, timeout_ms: int) -> dict:
    """One measurement, in this interpreter (whose tariffcheck is the tree under test)."""
    from tariffcheck import Checker

    checker = Checker("secure-endpoint", timeout_ms=timeout_ms)
    order = checker.decode(make_order(pairs))
    expected = checker.check(order)
    out = {"pairs": pairs, "contracts": len(order.contracts)}
    for step in ("first", "again"):
        cpu, wall = time.process_time(), time.perf_counter()
        verdict = checker.check(order, engine="z3")
        out[step] = {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall,
                     "status": verdict.status, "reason": verdict.reason}
        if verdict.status != expected.status or set(verdict.keys) != set(expected.keys):
            raise SystemExit(f"{pairs} pairs, {step} call: z3 says {verdict.status} ({verdict.reason}), "
                             f"{len(verdict.keys)} broken; concrete says {expected.status}, {len(expected.keys)}")
    return out


def _commit(tree: Path) -> str:
    """The commit a tree is at, with `+changes` when it has uncommitted ones."""
    def git(*args):
        return subprocess.run(["git", "-C", str(tree), *args], capture_output=True, text=True).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def measure(tree: Path, pairs: int, timeout_ms: int) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree)
    r = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", str(pairs),
                        "--timeout-ms", str(timeout_ms)], env=env, cwd=tree, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{tree}, {pairs} pairs:\n{r.stderr}{r.stdout}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def _growth(rows: list[dict], tree: str, step: str, what: str) -> list[str]:
    out = ["-"]
    for a, b in zip(rows, rows[1:]):
        out.append(f"x{b[tree][step][what] / a[tree][step][what]:.1f}")
    return out


def report(rows: list[dict], trees: list[str]) -> str:
    lines = []
    for step in ("first", "again"):
        lines.append(f"\n{step} call of check(order, engine=\"z3\") (seconds; growth from the previous size)")
        head = f"{'pairs':>6} {'contracts':>9}"
        for t in trees:
            head += f" | {t + ' cpu':>12} {'':>5} {t + ' wall':>12} {'':>5}"
        if len(trees) == 2:
            head += f" | {'before/after cpu':>16} {'wall':>6}"
        lines.append(head)
        growth = {(t, w): _growth(rows, t, step, w) for t in trees for w in ("cpu_s", "wall_s")}
        for i, r in enumerate(rows):
            line = f"{r['pairs']:>6} {r['contracts']:>9}"
            for t in trees:
                line += (f" | {r[t][step]['cpu_s']:>12.2f} {growth[(t, 'cpu_s')][i]:>5}"
                         f" {r[t][step]['wall_s']:>12.2f} {growth[(t, 'wall_s')][i]:>5}")
            if len(trees) == 2:
                line += (f" | {r['before'][step]['cpu_s'] / r['after'][step]['cpu_s']:>15.1f}x"
                         f" {r['before'][step]['wall_s'] / r['after'][step]['wall_s']:>5.1f}x")
            lines.append(line)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, nargs="+", default=[50, 100, 200, 400, 800])
    ap.add_argument("--before", type=Path, default=None,
                    help="a source tree to compare with (e.g. `git worktree add /tmp/before-z3 6de774e`)")
    ap.add_argument("--rounds", type=int, default=1, help="measurements per size and tree; the least is kept")
    ap.add_argument("--timeout-ms", type=int, default=600_000)
    ap.add_argument("--json", type=Path, default=None, help="write the results here")
    ap.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args.worker, args.timeout_ms)))
        return 0

    trees = {"after": ROOT}
    if args.before is not None:
        trees = {"before": args.before.resolve(), "after": ROOT}
    names = list(trees)
    commits = {n: _commit(p) for n, p in trees.items()}
    load = os.getloadavg()[0]
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load:.1f}; trees: "
          + ", ".join(f"{n} = {p} ({commits[n]})" for n, p in trees.items()), flush=True)
    rows = []
    for pairs in args.pairs:
        row: dict = {"pairs": pairs}
        for rnd in range(args.rounds):
            for name in (names if rnd % 2 == 0 else names[::-1]):
                m = measure(trees[name], pairs, args.timeout_ms)
                row["contracts"] = m["contracts"]
                best = row.get(name)
                if best is None:
                    row[name] = {step: m[step] for step in ("first", "again")}
                else:  # the least of the rounds, per step and measure
                    for step in ("first", "again"):
                        for what in ("cpu_s", "wall_s"):
                            best[step][what] = min(best[step][what], m[step][what])
                print(f"  {pairs} pairs, {name}: first {m['first']['cpu_s']:.2f} s cpu / "
                      f"{m['first']['wall_s']:.2f} s wall, again {m['again']['cpu_s']:.2f} / "
                      f"{m['again']['wall_s']:.2f}", flush=True)
        rows.append(row)
    print(report(rows, names))
    if args.json is not None:
        args.json.write_text(json.dumps({"python": platform.python_version(), "cpus": os.cpu_count(),
                                         "load_average_at_start": round(load, 2),
                                         "trees": {n: str(p) for n, p in trees.items()}, "commits": commits,
                                         "timeout_ms": args.timeout_ms, "rows": rows}, indent=2) + "\n",
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
