"""How long importing each UVL model of ../shared/uvl/ takes, and what does not carry over.

    .venv/bin/python benchmarks/bench_uvl_import.py                 # every model (several minutes)
    .venv/bin/python benchmarks/bench_uvl_import.py --json benchmarks/results/uvl_import.json
    .venv/bin/python benchmarks/bench_uvl_import.py --max-bytes 50000   # the small ones only

For each model: its features and constraints, what the import did not carry over (by kind) and
what it read leniently, then the CPU and wall time of the three stages: reading the model with
uvlparser (`read`), writing the spec text (`write`) and parsing and resolving that spec as any
.tariff is (`resolve`). CPU time is this process's; wall time includes waiting for a shared
machine. Prints a Markdown table for benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tariffcheck.interop.uvl_import import import_uvl_model  # noqa: E402
from tariffcheck.interop.uvl_read import read_uvl_file  # noqa: E402
from tariffcheck.resolve import resolve  # noqa: E402
from tariffcheck.syntax.parser import parse_text  # noqa: E402

MODELS = ROOT.parent / "shared" / "uvl"


def _timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.process_time() - cpu, time.perf_counter() - wall


def measure(path: Path) -> dict:
    model, read_cpu, read_wall = _timed(read_uvl_file, str(path))
    imported, write_cpu, write_wall = _timed(import_uvl_model, model)
    tariff, resolve_cpu, resolve_wall = _timed(lambda: resolve(parse_text(imported.text, str(path))))
    kinds: dict[str, int] = {}
    for what in imported.not_carried:
        kind = what.split(" ", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "model": path.name, "bytes": path.stat().st_size,
        "features": imported.features, "constraints": imported.constraints,
        "options": sum(len(k.options) for k in tariff.contracts.values()), "rules": len(tariff.rules),
        "not_carried": imported.not_carried, "not_carried_by_kind": kinds, "lenient": imported.lenient,
        "cpu_s": {"read": read_cpu, "write": write_cpu, "resolve": resolve_cpu},
        "wall_s": {"read": read_wall, "write": write_wall, "resolve": resolve_wall},
    }


def table(rows: list[dict]) -> str:
    out = ["| model | KB | features | constraints | rules | not carried over | read leniently | "
           "read CPU / wall (s) | write + resolve CPU / wall (s) |",
           "| --- | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |"]
    for r in rows:
        if "error" in r:
            out.append(f"| {r['model']} | {r['bytes'] // 1000} | | | | error: {r['error']} | | | |")
            continue
        lost = ", ".join(f"{n} {k}" for k, n in sorted(r["not_carried_by_kind"].items())) or "nothing"
        c, w = r["cpu_s"], r["wall_s"]
        out.append(
            f"| {r['model']} | {r['bytes'] // 1000} | {r['features']} | {r['constraints']} | {r['rules']} | {lost} | "
            f"{len(r['lenient']) or ''} | {c['read']:.1f} / {w['read']:.1f} | "
            f"{c['write'] + c['resolve']:.1f} / {w['write'] + w['resolve']:.1f} |")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=str(MODELS), help="the folder of .uvl files (default ../shared/uvl)")
    ap.add_argument("--max-bytes", type=int, default=None, help="skip models larger than this")
    ap.add_argument("--json", help="write the results to this file")
    args = ap.parse_args(argv)
    folder = Path(args.models)
    if not folder.is_dir():
        print(f"no models: `{folder}` is not a folder (the shared UVL models live in ../shared/uvl)", file=sys.stderr)
        return 2
    rows = []
    for path in sorted(folder.glob("*.uvl"), key=lambda p: p.stat().st_size):
        if args.max_bytes and path.stat().st_size > args.max_bytes:
            continue
        try:
            row = measure(path)
        except Exception as exc:  # a model that does not import is a result to record, not the end of the run
            row = {"model": path.name, "bytes": path.stat().st_size, "error": f"{type(exc).__name__}: {exc}"[:300]}
        rows.append(row)
        print(json.dumps({k: v for k, v in row.items() if k not in ("not_carried",)}), file=sys.stderr, flush=True)
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps({"python": platform.python_version(), "machine": platform.machine(),
                                               "models": rows}, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
