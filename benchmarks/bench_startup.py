"""What a process pays before its first answer: `import tariffcheck`, and a whole concrete-only
`tariff check` of the bundled example, for this tree and (optionally) other trees, run
alternately in one session so that they share the machine's load.

    python benchmarks/bench_startup.py                       # this tree only
    python benchmarks/bench_startup.py --against /tmp/old    # and a checkout of another commit

Each run is a fresh Python process; its CPU time (user + system, from the OS's accounting of the
child) and its wall time are recorded, and the medians are printed side by side, with the ratio
of each tree's median to the first tree's. CPU time is the figure to trust on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/secure_endpoint_invalid.json"

JOBS = {
    "import tariffcheck": ["-c", "import tariffcheck"],
    "import tariffcheck, z3 loaded?": ["-c", "import sys, tariffcheck; sys.exit(3 if 'z3' in sys.modules else 0)"],
    "tariff check (concrete)": ["-m", "tariffcheck.cli", "check", "--tariff", "secure-endpoint", EXAMPLE],
}


def run(tree: Path, args: list[str]) -> tuple[float, float, int]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    code = subprocess.run([sys.executable, *args], cwd=tree, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, code


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--against", action="append", default=[], metavar="TREE",
                    help="another source tree to measure alternately (e.g. a git worktree of an older commit)")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--json", metavar="FILE", help="also write the medians as JSON")
    args = ap.parse_args()
    trees = [HERE] + [Path(t).resolve() for t in args.against]
    samples = {(str(t), j): [] for t in trees for j in JOBS}
    codes = {}
    for _ in range(args.rounds):
        for job, argv in JOBS.items():
            for t in trees:  # alternate: the trees share whatever load the machine has
                cpu, wall, code = run(t, argv)
                samples[(str(t), job)].append((cpu, wall))
                codes[(str(t), job)] = code
    out = {}
    print(f"{'job':34} {'tree':40} {'CPU median':>11} {'wall median':>12} {'CPU ratio':>10}  exit")
    for job in JOBS:
        base = None
        for t in trees:
            xs = samples[(str(t), job)]
            cpu = statistics.median(x[0] for x in xs)
            wall = statistics.median(x[1] for x in xs)
            base = base or cpu
            out.setdefault(job, {})[str(t)] = {"cpu_s": cpu, "wall_s": wall, "exit": codes[(str(t), job)],
                                              "runs": len(xs)}
            print(f"{job:34} {str(t)[-40:]:40} {cpu * 1000:9.0f}ms {wall * 1000:10.0f}ms {cpu / base:9.2f}x  "
                  f"{codes[(str(t), job)]}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
