"""Where lint's CPU goes, per check: Z3's own calls (check, model, eval, assert, push) and the rest.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_lint_calls.py --scale 30
    PYTHONPATH=/tmp/old .venv/bin/python benchmarks/bench_lint_calls.py --scale 30   # an older tree

Each of Z3's C functions below is wrapped (in the z3 module, where z3py and the analyses look
them up) to add up its CPU time (`time.process_time`) and its number of calls; after each
check the sums are printed and reset. What is left of a check's CPU beyond them is Python:
building terms, walking them, reading answers. A solver call's cost divided by the calls gives
the cost of one question at that scale, and its growth between scales says whether a check
grows because it asks more questions or because each question costs more.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WRAPPED = ("Z3_solver_check_assumptions", "Z3_solver_check", "Z3_solver_get_model", "Z3_solver_get_unsat_core",
           "Z3_model_eval", "Z3_solver_assert", "Z3_solver_push", "Z3_solver_pop")


def wrap(cpu: collections.Counter, calls: collections.Counter) -> None:
    import z3  # noqa: PLC0415
    import z3.z3 as z3py  # noqa: PLC0415

    for name in WRAPPED:
        fn = getattr(z3py, name)

        def timed(*args, _fn=fn, _name=name):
            t = time.process_time()
            try:
                return _fn(*args)
            finally:
                cpu[_name] += time.process_time() - t
                calls[_name] += 1
        setattr(z3py, name, timed)
        setattr(z3, name, timed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=int, default=600_000, help="ms per solver call")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args(argv)
    cpu, calls = collections.Counter(), collections.Counter()
    wrap(cpu, calls)
    sys.path.insert(0, str(HERE))
    import synthetic  # noqa: PLC0415

    from tariffcheck.analyse.semantics import SemanticLint  # noqa: PLC0415

    tariff = synthetic.load(synthetic.generate(args.scale, seed=args.seed), f"<synthetic x{args.scale}>")
    out: dict[str, dict] = {}
    mark = [time.process_time()]

    def progress(step, _seconds):
        now = time.process_time()
        total, mark[0] = now - mark[0], now
        z3_cpu = sum(cpu.values())
        out[step] = {"cpu": total, "z3_cpu": z3_cpu,
                     "z3": {k[3:]: [round(cpu[k], 4), calls[k]] for k in WRAPPED if calls[k]}}
        parts = ", ".join(f"{k[3:]} {cpu[k]:.2f} s/{calls[k]}" for k, _ in cpu.most_common() if cpu[k] >= 0.01)
        print(f"x{args.scale} {step}: {total:.2f} s CPU, Z3 {z3_cpu:.2f} s ({parts})", flush=True)
        cpu.clear()
        calls.clear()

    SemanticLint(tariff, args.timeout).run(progress=progress)
    if args.json:
        Path(args.json).write_text(json.dumps({"scale": args.scale, "seed": args.seed, "checks": out}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
