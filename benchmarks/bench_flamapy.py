"""Dead and core features of each UVL model of ../shared/uvl/, by flamapy and by tariffcheck, side by side.

    .venv-own/bin/python benchmarks/bench_flamapy.py --json benchmarks/results/flamapy.json
    .venv-own/bin/python benchmarks/bench_flamapy.py --max-bytes 50000 --cpu-limit 120   # the small ones
    .venv-own/bin/python benchmarks/bench_flamapy.py --only fmb_windows8 --only fmb_tankwar
    .venv-own/bin/python benchmarks/bench_flamapy.py --table-from benchmarks/results/flamapy.json
    .venv-own/bin/python benchmarks/bench_flamapy.py --max-bytes 200000 --before /tmp/old   # and 76fe0f6
    .venv-own/bin/python benchmarks/bench_flamapy.py --only uclibc --flamapy-from /tmp/fl   # flamapy run earlier

Needs flamapy in the interpreter that runs it (`pip install flamapy-fm flamapy-sat`, or the
`flamapy` meta package); it is not a dependency of tariffcheck, only of this benchmark.

For each model, smallest first, child processes (a hang or a parse of many minutes stops only
that model and tool; each is bounded by --cpu-limit seconds of CPU and 4× that of wall):

- **flamapy**: parse (its `UVLReader`, which reads with uvlparser like tariffcheck does), then the
  question of issue 17: the CNF (`FmToPysat`), `PySATCoreFeatures`, `PySATDeadFeatures` and
  `PySATFalseOptionalFeatures` (glucose3; the CNF made once and counted in core, as flamapy's
  facade makes it lazily for the first operation that needs it);
- **tariffcheck**, the same question: read (uvlparser and `read_uvl`), then the tree straight
  to clauses, its backbone (core and dead) and false-optional features (sat/feature_tree.py):
  the answer a feature-model tool gives, without reasons. Then, apart, lint on the imported
  tariff (`import_uvl_model`, the spec parsed and resolved; dead L002 and forced L004 in two
  fresh lints, and dead + forced + L005 in one lint of a tariff resolved again), every finding
  with its minimal reason, which flamapy does not compute: reported beside the question, not in
  its ratio. Lint's dead and forced options are compared with the tree's dead and core;
- the question on both sides is asked again, afresh each time, until 0.5 s of CPU is spent
  (`--repeat`, models below `--repeat-below` bytes): this machine's CPU clock moves in steps;
- **third check** (where the tools differ or one fails, or with --always-check): the feature
  tree and constraints as read from the UVL written straight into Z3 here, its backbone computed
  by one incremental solver with assumptions, and false-optional by one Z3 question a feature.
  It decides who is right where the two tools differ;
- **before** (`--before DIR`, an older tree from `git archive`): that tree's own benchmark child,
  its read, import and dead and core lints, in the same run.

What counts (the comparison is on the same set): every feature below the root, abstract ones
included (flamapy's SAT model has a variable for every feature, abstract or not; the import makes
every feature below the root an option). The root is core for flamapy and is no option in
tariffcheck (it is the contract itself): it is left out of both sets and said.

The machine is shared: compare CPU times; wall times include waiting for the CPU.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODELS = ROOT.parent / "shared" / "uvl"
TOOLS = ("flamapy", "tariffcheck", "check")


class _Clock:
    """CPU and wall seconds of each stage, written to `out` as soon as a stage ends (a child killed
    at its limit still leaves what it finished)."""

    def __init__(self, out: Path, record: dict):
        self.out, self.record = out, record
        self.record.setdefault("cpu_s", {})
        self.record.setdefault("wall_s", {})

    def stage(self, name: str, fn, *args, **kw):
        wall, cpu = time.perf_counter(), time.process_time()
        value = fn(*args, **kw)
        self.record["cpu_s"][name] = time.process_time() - cpu
        self.record["wall_s"][name] = time.perf_counter() - wall
        self.save()
        return value

    def save(self) -> None:
        tmp = self.out.with_suffix(".part")
        tmp.write_text(json.dumps(self.record, ensure_ascii=False))
        tmp.replace(self.out)


# ---- asking again ---------------------------------------------------------------------------------
# This machine's CPU clock of a process moves in steps (a stage of 3 ms reads 0 or 10 ms), so a
# question of a few milliseconds is asked again until its runs add up to REPEAT_CPU seconds (at
# least `repeat` times, at most REPEAT_MAX), and each stage's CPU time is the mean over the runs
# (the steps average out); its wall time is the median.
REPEAT_CPU, REPEAT_MAX = 0.5, 500


def _again(runs: list, repeat: int) -> bool:
    if repeat <= 1:
        return False
    spent = sum(c for times, _ in runs for c, _w in times.values())
    return len(runs) < repeat or (spent < REPEAT_CPU and len(runs) < REPEAT_MAX)


def _settle(r: dict, runs: list) -> None:
    for name in runs[0][0]:
        r["cpu_s"][name] = sum(t[name][0] for t, _ in runs) / len(runs)
        r["wall_s"][name] = statistics.median(t[name][1] for t, _ in runs)
    r["runs"] = len(runs)


def _collected(value):
    gc.collect()
    return value


# ---- flamapy ---------------------------------------------------------------------------------------
def run_flamapy(path: Path, clock: _Clock, repeat: int = 1) -> None:
    from flamapy.metamodels.fm_metamodel.transformations import UVLReader
    from flamapy.metamodels.pysat_metamodel.operations import (PySATCoreFeatures, PySATDeadFeatures,
                                                               PySATFalseOptionalFeatures)
    from flamapy.metamodels.pysat_metamodel.transformations import FmToPysat

    r = clock.record
    # the parse's garbage collected inside its stage (the ANTLR tree is cyclic: left lying, a
    # collection during the question would charge the question for it), on both sides
    fm = clock.stage("parse", lambda: _collected(UVLReader(str(path)).transform()))
    r["root"] = fm.root.name
    r["features"] = len(fm.get_features())
    r["constraints"] = len(fm.get_constraints())
    clock.save()

    def once():
        t = [(time.process_time(), time.perf_counter())]
        sat = FmToPysat(fm).transform()
        t.append((time.process_time(), time.perf_counter()))
        core = PySATCoreFeatures().execute(sat).get_result()
        t.append((time.process_time(), time.perf_counter()))
        dead = PySATDeadFeatures().execute(sat).get_result()
        t.append((time.process_time(), time.perf_counter()))
        fo = PySATFalseOptionalFeatures().execute(sat).get_result()
        t.append((time.process_time(), time.perf_counter()))
        times = {name: (t[i + 1][0] - t[i][0], t[i + 1][1] - t[i][1])
                 for i, name in enumerate(("cnf", "core_only", "dead", "false_optional"))}
        return times, (core, dead, fo)

    # the question asked `repeat` times afresh (a new CNF each time), the median kept
    runs = []
    while not runs or _again(runs, repeat):
        runs.append(once())
        if len(runs) == 1:
            for name, (c, w) in runs[0][0].items():
                r["cpu_s"][name], r["wall_s"][name] = c, w
            clock.save()
    _settle(r, runs)
    for k in ("cpu_s", "wall_s"):
        r[k]["core"] = r[k]["cnf"] + r[k]["core_only"]  # the CNF is made lazily for the first operation
        r[k]["question"] = r[k]["core"] + r[k]["dead"] + r[k]["false_optional"]
    core, dead, fo = runs[0][1]
    r["core"], r["dead"] = sorted(str(x) for x in core), sorted(str(x) for x in dead)
    r["false_optional"] = sorted(str(x) for x in fo)
    r["done"] = True
    clock.save()


# ---- tariffcheck -----------------------------------------------------------------------------------
def run_tariffcheck(path: Path, clock: _Clock, timeout_ms: int, repeat: int = 1, lint: bool = True) -> None:
    from tariffcheck.analyse.lint import lint_tariff
    from tariffcheck.interop.uvl_import import import_uvl_model
    from tariffcheck.interop.uvl_read import read_uvl_file
    from tariffcheck.resolve import resolve
    from tariffcheck.sat.feature_tree import TreeQuestions, compile_tree
    from tariffcheck.syntax.parser import parse_text
    import pysat.card  # noqa: F401  (imported before the clock, as flamapy's modules are)

    r = clock.record
    model = clock.stage("read", lambda: _collected(read_uvl_file(str(path))))
    r["root"] = model.root.name
    clock.save()

    # the question itself, the short way (sat/feature_tree.py): the tree read from the UVL to
    # clauses, the backbone (core and dead), false-optional; no reasons. Asked `repeat` times
    # afresh, the median kept (a small model's answer takes a millisecond or less)
    def tree_once():
        times = {}
        c = time.process_time(), time.perf_counter()
        tree = compile_tree(model.root, model.constraints)
        c2 = time.process_time(), time.perf_counter()
        q = TreeQuestions(tree)
        core, dead = q.core(), q.dead()
        c3 = time.process_time(), time.perf_counter()
        fo = q.false_optional()
        c4 = time.process_time(), time.perf_counter()
        for name, a, b in (("tree_cnf", c, c2), ("tree_core_dead", c2, c3), ("tree_false_optional", c3, c4)):
            times[name] = (b[0] - a[0], b[1] - a[1])
        answer = {"core": sorted(core), "dead": sorted(dead), "false_optional": sorted(fo), "calls": q.calls,
                  "variables": tree.top, "clauses": len(tree.clauses), "skipped": tree.skipped}
        q.close()
        return times, answer

    runs = []
    while not runs or _again(runs, repeat):
        runs.append(tree_once())
    _settle(r, runs)
    for k in ("cpu_s", "wall_s"):
        r[k]["question"] = r[k]["tree_cnf"] + r[k]["tree_core_dead"] + r[k]["tree_false_optional"]
    answer = runs[0][1]
    r["tree"] = {k: answer[k] for k in ("calls", "variables", "clauses", "skipped")}
    # the root is core for the tree as for flamapy, and no option of the tariff: left out (compare() does too)
    r["core"] = [n for n in answer["core"] if n != model.root.name]
    r["dead"], r["false_optional"] = answer["dead"], answer["false_optional"]
    clock.save()

    # lint, the long way: the import to a tariff, its parse and resolution, then lint's checks
    # with every finding's minimal reason (work flamapy does not do)
    if not lint:
        r["lint_skipped"] = "--lint-below"
        r["done"] = True
        clock.save()
        return
    imported = clock.stage("import", import_uvl_model, model)
    tariff = clock.stage("resolve", lambda: resolve(parse_text(imported.text, str(path))))
    r["cpu_s"]["parse"] = r["cpu_s"]["read"]
    r["wall_s"]["parse"] = r["wall_s"]["read"]
    r["cpu_s"]["lint_parse"] = sum(r["cpu_s"][k] for k in ("read", "import", "resolve"))
    r["wall_s"]["lint_parse"] = sum(r["wall_s"][k] for k in ("read", "import", "resolve"))
    r["features"], r["constraints"] = imported.features, imported.constraints
    r["not_carried"] = imported.not_carried
    clock.save()
    name_of = {oid: name for name, oid in imported.ids.items()}

    def answer(checks, codes):
        result = lint_tariff(tariff, timeout_ms=timeout_ms, checks=checks)
        out = {code: sorted(name_of.get(f.subject, f.subject) for f in result.findings if f.code == code)
               for code in codes}
        out["cut_short"] = [f.message for f in result.findings if f.code == "L014"]
        out["seconds"] = result.seconds  # lint's own wall time per check
        return out

    dead = clock.stage("lint_dead", answer, ("dead",), ("L002",))
    r["lint_dead"], r["dead_cut_short"], r["dead_lint_seconds"] = dead["L002"], dead["cut_short"], dead["seconds"]
    clock.save()
    core = clock.stage("lint_core", answer, ("forced",), ("L004",))
    r["lint_core"], r["core_cut_short"], r["core_lint_seconds"] = core["L004"], core["cut_short"], core["seconds"]
    clock.save()
    # the one-lint question on a tariff resolved again (not timed): lint writes a Boolean tariff's
    # clauses once per tariff object, and this lint must pay for them as a lint of its own would
    tariff = resolve(parse_text(imported.text, str(path)))
    both = clock.stage("dead_core_fo", answer, ("dead", "forced", "false-optional"), ("L002", "L004", "L005"))
    r["together"] = {"dead": both["L002"], "core": both["L004"], "false_optional": both["L005"],
                     "cut_short": both["cut_short"], "lint_seconds": both["seconds"]}
    r["done"] = True
    clock.save()


# ---- the third check ------------------------------------------------------------------------------
def tree_formula(model):
    """The UVL model as Z3 facts over one Bool per feature, written from the tree and constraints
    read from the UVL (nothing of the import or of lint), and what could not be said."""
    import z3

    var: dict[str, z3.BoolRef] = {}
    facts, skipped = [], []
    features = model.features()
    for f in features:
        var[f.name] = z3.Bool(f.name)
        if f.type and f.type != "Boolean" or f.cardinality:
            skipped.append(f"feature {f.name}: type {f.type} / cardinality {f.cardinality}")
    facts.append(var[model.root.name])
    for f in features:
        p = var[f.name]
        for g in f.groups:
            kids = [var[c.name] for c in g.children]
            facts += [z3.Implies(k, p) for k in kids]
            if not kids or g.kind == "optional":
                continue
            if g.kind == "mandatory":
                facts += [z3.Implies(p, k) for k in kids]
                continue
            low, high = g.low, g.high
            weights = [(k, 1) for k in kids]
            need = [z3.PbGe(weights, low)] if low > 0 else []
            if high is not None:
                need.append(z3.PbLe(weights, high))
            if need:
                facts.append(z3.Implies(p, z3.And(need)))

    def expr(c):
        kind = c[0]
        if kind == "ref":
            if c[1] not in var:
                raise KeyError(c[1])
            return var[c[1]]
        if kind == "not":
            return z3.Not(expr(c[1]))
        if kind in ("and", "or"):
            parts = [expr(x) for x in c[1]]
            return z3.And(parts) if kind == "and" else z3.Or(parts)
        if kind == "implies":
            return z3.Implies(expr(c[1]), expr(c[2]))
        if kind == "iff":
            return expr(c[1]) == expr(c[2])
        raise ValueError(kind)

    for line, c, text in model.constraints:
        try:
            facts.append(expr(c))
        except (KeyError, ValueError) as exc:
            skipped.append(f"constraint on line {line}: {type(exc).__name__} {exc}")
    return var, facts, skipped


def backbone(var: dict, facts: list, names: list[str] | None = None) -> tuple[list[str], list[str]] | None:
    """(core, dead) among `names` (default every feature): one solver, a candidate literal ruled out
    by each model found, the rest asked one at a time under the assumption of its negation.
    None when the facts admit no configuration."""
    import z3

    s = z3.Solver()
    s.add(facts)
    if s.check() != z3.sat:
        return None
    names = list(var) if names is None else names
    m = s.model()
    cand = {n: z3.is_true(m.eval(var[n], model_completion=True)) for n in names}
    core, dead = [], []
    while cand:
        n, value = cand.popitem()
        lit = var[n] if value else z3.Not(var[n])
        if s.check(z3.Not(lit)) == z3.unsat:
            (core if value else dead).append(n)
            s.add(lit)
            continue
        m = s.model()
        cand = {k: v for k, v in cand.items() if z3.is_true(m.eval(var[k], model_completion=True)) == v}
    return sorted(core), sorted(dead)


def run_check(path: Path, clock: _Clock) -> None:
    from tariffcheck.interop.uvl_read import read_uvl_file

    r = clock.record
    model = clock.stage("read", read_uvl_file, str(path))
    var, facts, skipped = clock.stage("formula", tree_formula, model)
    r["root"], r["skipped"] = model.root.name, skipped
    clock.save()
    found = clock.stage("backbone", backbone, var, facts)
    r["satisfiable"] = found is not None
    r["core"], r["dead"] = found if found is not None else ([], sorted(var))
    clock.save()
    r["false_optional"] = clock.stage("false_optional", false_optional, model, var, facts)
    r["done"] = True
    clock.save()


def false_optional(model, var: dict, facts: list) -> list[str]:
    """Features below the root that are not mandatory (flamapy's reading: the one child of a group
    wanting exactly one) but are there whenever their parent is: one Z3 question each."""
    import z3

    s = z3.Solver()
    s.add(facts)
    out = []
    for f in model.features():
        for g in f.groups:
            alone = len(g.children) == 1 and g.low == 1 and (g.high == 1 or g.kind in ("alternative", "or"))
            if g.kind == "mandatory" or alone:
                continue
            for c in g.children:
                if s.check(var[f.name], z3.Not(var[c.name])) == z3.unsat:
                    out.append(c.name)
    return sorted(set(out))


def child(tool: str, path: Path, out: Path, timeout_ms: int, repeat: int = 1, lint: bool = True) -> int:
    # ANTLR's runtime recurses once per nested constraint; the limit goes back afterwards, since a
    # test calls this in its own process, where a raised limit lets deep recursion elsewhere (the
    # json module's C decoder) overflow the C stack instead of raising RecursionError
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100_000))
    clock = _Clock(out, {"tool": tool, "model": path.name})
    try:
        if tool == "flamapy":
            run_flamapy(path, clock, repeat)
        elif tool == "tariffcheck":
            run_tariffcheck(path, clock, timeout_ms, repeat, lint)
        else:
            run_check(path, clock)
    except Exception as exc:  # a model a tool cannot read is a result, not the end of the run
        clock.record["error"] = f"{type(exc).__name__}: {exc}"[:500]
        clock.save()
    finally:
        sys.setrecursionlimit(limit)
    return 0


# ---- the parent ------------------------------------------------------------------------------------
def spawn(tool: str, path: Path, cpu_limit: int, timeout_ms: int, repeat: int = 1, root: Path = ROOT,
          lint: bool = True) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench_flamapy_") as tmp:
        out = Path(tmp) / "result.json"

        def limit():  # in the child: a CPU budget of its own; SIGXCPU ends it at the soft limit
            resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit, cpu_limit + 5))

        cmd = [sys.executable, str(root / "benchmarks" / "bench_flamapy.py"), "--child", tool, str(path), "--out",
               str(out), "--timeout-ms", str(timeout_ms)] + (["--repeat", str(repeat)] if _asks_again(root) else []) + (
               [] if lint else ["--no-lint"])
        env = dict(os.environ, PYTHONPATH=str(root))
        wall = time.perf_counter()
        try:
            proc = subprocess.run(cmd, env=env, preexec_fn=limit, capture_output=True, text=True,
                                  timeout=4 * cpu_limit)
            status = proc.returncode
            tail = proc.stderr[-400:]
        except subprocess.TimeoutExpired:
            status, tail = "wall limit", ""
        record = json.loads(out.read_text()) if out.exists() else {"tool": tool, "model": path.name}
    record["child_wall_s"] = time.perf_counter() - wall
    if not record.get("done") and "error" not in record:
        stage = "parse" if "root" not in record else "analysis"
        record["error"] = (f"stopped in its {stage} at the limit ({cpu_limit} s CPU, {4 * cpu_limit} s wall)"
                           if status in (-24, "wall limit", -9) else f"exit status {status}: {tail}")
    return record


ASKED = ("core", "dead", "false_optional")


def _asks_again(root: Path) -> bool:
    """Whether the tree at `root` has a benchmark that asks the question again (`--repeat`; trees
    before 76fe0f6's successor do not)."""
    return root == ROOT or '"--repeat"' in (root / "benchmarks" / "bench_flamapy.py").read_text()


def compare(name: str, size: int, results: dict) -> dict:
    fl, tc, ck = results["flamapy"], results["tariffcheck"], results["check"]
    row = {"model": name, "bytes": size, "flamapy": fl, "tariffcheck": tc, "check": ck}
    root = tc.get("root") or fl.get("root") or ck.get("root")
    row["root"] = root
    row["features"] = tc.get("features") or fl.get("features")
    row["constraints"] = tc.get("constraints") if tc.get("constraints") is not None else fl.get("constraints")
    verdicts = {}
    for what in ASKED:
        sets = {t: set(r[what]) - {root} for t, r in results.items() if what in r}
        v = {"flamapy": None, "tariffcheck": None, "check": None}
        for t, s in sets.items():
            v[t] = len(s)
        if "flamapy" in sets and "tariffcheck" in sets:
            a, b = sets["flamapy"], sets["tariffcheck"]
            v["same"] = a == b
            v["only_flamapy"], v["only_tariffcheck"] = sorted(a - b), sorted(b - a)
        if "check" in sets and ck.get("done") and not ck.get("skipped"):
            v["flamapy_right"] = sets["check"] == sets["flamapy"] if "flamapy" in sets else None
            v["tariffcheck_right"] = sets["check"] == sets["tariffcheck"] if "tariffcheck" in sets else None
        verdicts[what] = v
    row["answers"] = verdicts
    # lint's dead (L002) and forced (L004) options against the short way's dead and core features
    if "lint_dead" in tc and "lint_core" in tc:
        row["lint_same_as_tree"] = (set(tc["lint_dead"]) == set(tc["dead"]) - {root}
                                    and set(tc["lint_core"]) == set(tc["core"]) - {root})
    fc, tcc = fl.get("cpu_s", {}), tc.get("cpu_s", {})
    if fl.get("done") and "question" in tcc:
        row["ratio_cpu"] = tcc["question"] / max(fc["question"], 1e-9)
        row["ratio_cpu_each"] = {
            "cnf": tcc["tree_cnf"] / max(fc["cnf"], 1e-9),
            "core+dead": tcc["tree_core_dead"] / max(fc["core_only"] + fc["dead"], 1e-9),
            "false_optional": tcc["tree_false_optional"] / max(fc["false_optional"], 1e-9)}
        row["ratio_cpu_with_parse"] = (tcc["read"] + tcc["question"]) / (fc["parse"] + fc["question"])
        row["met_one_tenth"] = row["ratio_cpu"] <= 0.1
        if "dead_core_fo" in tcc:
            row["ratio_cpu_lint"] = tcc["dead_core_fo"] / max(fc["question"], 1e-9)
    if "parse" in fc and "read" in tcc:
        row["parse_ratio_cpu"] = tcc["read"] / max(fc["parse"], 1e-9)
    return row


def _t(r: dict, stage: str) -> str:
    c, w = r.get("cpu_s", {}).get(stage), r.get("wall_s", {}).get(stage)
    if c is None:
        return "—"
    return f"{c:.2f} / {w:.1f}" if c >= 1 else f"{c * 1000:.1f} ms / {w * 1000:.1f} ms"


def _verdict(v: dict) -> str:
    if v.get("same") is None:  # one tool gave no answer: is the other's right?
        for tool in ("tariffcheck", "flamapy"):
            if v.get(tool) is not None:
                right = v.get(f"{tool}_right")
                return (f"{tool} only: {v[tool]}" + (", right by the third check" if right
                                                    else ", third check differs" if right is False else ""))
        return "neither tool answered" + (f" (the third check: {v['check']})" if v.get("check") is not None else "")
    if v["same"]:
        ok = v.get("flamapy_right")
        return f"same ({v['tariffcheck']})" + (" (third check differs)" if ok is False else "")
    who = []
    if v.get("flamapy_right"):
        who.append("flamapy right")
    if v.get("tariffcheck_right"):
        who.append("tariffcheck right")
    if not who:
        who.append("neither matches the third check" if v.get("flamapy_right") is False else "unchecked")
    return (f"**different**: flamapy {v['flamapy']}, tariffcheck {v['tariffcheck']} "
            f"({len(v['only_flamapy'])} only flamapy, {len(v['only_tariffcheck'])} only tariffcheck); {', '.join(who)}")


def table(rows: list[dict]) -> str:
    out = ["| model | features | constraints | parse CPU / wall: flamapy · tariffcheck | "
           "core+dead+false-opt. CPU / wall (CNF included): flamapy · tariffcheck | CPU ratio (≤ 0.1: met) | "
           "each: CNF · core+dead · false-opt. | with parse | lint dead+forced+L005 with reasons, CPU / wall (ratio) | "
           "core | dead | false-optional | lint = tree | before (old tree): read CPU s · its question's CPU (ratio) or dead+core lints CPU s, same sets |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- | --- |"]
    for r in rows:
        fl, tc = r["flamapy"], r["tariffcheck"]
        ratio = f"**{r['ratio_cpu']:.3f}** ({'met' if r['met_one_tenth'] else 'not met'})" if "ratio_cpu" in r else "—"
        each = (" · ".join(f"{x:.2f}" for x in r["ratio_cpu_each"].values())) if "ratio_cpu_each" in r else "—"
        with_parse = f"{r['ratio_cpu_with_parse']:.2f}" if "ratio_cpu_with_parse" in r else "—"
        lint = _t(tc, "dead_core_fo") + (f" ({r['ratio_cpu_lint']:.2f})" if "ratio_cpu_lint" in r else "")
        notes = [f"{tool}: {x[tool]['error']}" for tool, x in (("flamapy", r), ("tariffcheck", r), ("third check", {"third check": r["check"]}))
                 if x[tool].get("error")]
        verdicts = [_verdict(r["answers"][k]) for k in ASKED]
        if notes:
            verdicts[-1] += "; " + "; ".join(n.replace("|", "\\|").replace("\n", " ")[:160] for n in notes)
        same = {True: "yes", False: "**no**", None: "—"}[r.get("lint_same_as_tree")]
        b = r.get("before_cpu")
        before = (f"{b['read']:.2f} · " + (f"question {b['question'] * 1000:.1f} ms" + (
                  f" ({r['before_ratio_cpu']:.3f})" if "before_ratio_cpu" in r else "") if b.get("question")
                  else f"{b['dead_core_lint']:.3f}") + f", {'same' if r['before_same'] else '**different**'}"
                  if b else (r["before"].get("error", "—")[:60] if r.get("before") else "—"))
        out.append(f"| {r['model']} | {r['features'] or ''} | {r['constraints'] if r['constraints'] is not None else ''} | "
                   f"{_t(fl, 'parse')} · {_t(tc, 'read')} | {_t(fl, 'question')} · {_t(tc, 'question')} | {ratio} | "
                   f"{each} | {with_parse} | {lint} | {' | '.join(verdicts)} | {same} | {before} |")
    return "\n".join(out)


def earlier_flamapy(earlier: Path) -> dict:
    """flamapy's record of a model from an earlier `--child flamapy` run (its time does not depend
    on tariffcheck's code)."""
    if not earlier.exists():
        return {"tool": "flamapy", "error": f"not measured: the earlier run has no `{earlier.name}` (not reached)"}
    record = json.loads(earlier.read_text())
    record["from_earlier_run"] = str(earlier)
    for k in ("cpu_s", "wall_s"):
        t = record.get(k, {})
        if "question" not in t and all(x in t for x in ("core", "dead", "false_optional")):
            t["question"] = t["core"] + t["dead"] + t["false_optional"]
    if not record.get("done") and "error" not in record:
        record["error"] = "stopped at its limit in the earlier run (600 s CPU)"
    return record


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=str(MODELS), help="the folder of .uvl files (default ../shared/uvl)")
    ap.add_argument("--max-bytes", type=int, default=None, help="skip models larger than this")
    ap.add_argument("--only", action="append", default=[], help="only models whose file name contains this (repeatable)")
    ap.add_argument("--cpu-limit", type=int, default=900, help="CPU seconds for each tool on each model (wall: 4×)")
    ap.add_argument("--timeout-ms", type=int, default=60_000, help="lint's time limit per solver question")
    ap.add_argument("--always-check", action="store_true",
                    help="run the third check on every model (by default only where the tools differ or one fails)")
    ap.add_argument("--jobs", type=int, default=1, help="child processes at once (CPU times stay comparable)")
    ap.add_argument("--json", help="write the results to this file (rewritten after each model)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="ask each tool's question (CNF, core, dead, false-optional) at least this many times "
                         "afresh, and until 0.5 s of CPU is spent; the mean CPU kept (parse and lint once)")
    ap.add_argument("--repeat-below", type=int, default=200_000,
                    help="repeat only on models of fewer bytes than this (a large one's question takes seconds)")
    ap.add_argument("--before", metavar="DIR",
                    help="also run the tariffcheck of an older tree (`git archive 76fe0f6 | tar -x -C DIR`) with "
                         "that tree's own benchmark: its read, import and lint of dead and core, in the same run")
    ap.add_argument("--flamapy-from", metavar="DIR",
                    help="take flamapy's record of each model from DIR/flamapy_<model>.json (an earlier run of "
                         "`--child flamapy`) instead of running it again; said in the results")
    ap.add_argument("--table-from", metavar="JSON", help="only print the Markdown table of a results file")
    ap.add_argument("--lint-below", type=int, default=None,
                    help="run lint (the long way, with reasons) only on models of fewer bytes than this")
    ap.add_argument("--no-lint", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--child", nargs=2, metavar=("TOOL", "MODEL"), help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args.child[0], Path(args.child[1]), Path(args.out), args.timeout_ms, args.repeat,
                     not args.no_lint)
    if args.table_from:
        print(table(json.loads(Path(args.table_from).read_text())["models"]))
        return 0
    folder = Path(args.models)
    if not folder.is_dir():
        print(f"no models: `{folder}` is not a folder (the shared UVL models live in ../shared/uvl)", file=sys.stderr)
        return 2
    try:
        import flamapy.metamodels.pysat_metamodel  # noqa: F401
    except ImportError:
        print("flamapy is not installed in this interpreter\nhelp: `pip install flamapy-fm flamapy-sat` "
              "in a venv of the benchmark's own (it is no dependency of tariffcheck)", file=sys.stderr)
        return 2
    paths = [p for p in sorted(folder.glob("*.uvl"), key=lambda p: p.stat().st_size)
             if not (args.max_bytes and p.stat().st_size > args.max_bytes)
             and (not args.only or any(o in p.name for o in args.only))]
    versions = {}
    for pkg in ("flamapy-fw", "flamapy-fm", "flamapy-sat", "uvlparser", "z3-solver", "python-sat"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    rows: list[dict] = []
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for path in paths:
            repeat = args.repeat if path.stat().st_size < args.repeat_below else 1
            earlier = Path(args.flamapy_from or ".") / f"flamapy_{path.stem}.json"
            tools = TOOLS[1:2] if args.flamapy_from else TOOLS[:2]
            lint = args.lint_below is None or path.stat().st_size < args.lint_below
            futures = {t: pool.submit(spawn, t, path, args.cpu_limit, args.timeout_ms, repeat, ROOT, lint)
                       for t in tools}
            results = {t: f.result() for t, f in futures.items()}
            if "flamapy" not in results:
                results["flamapy"] = earlier_flamapy(earlier)
            if args.always_check or not all(results[t].get("done") for t in TOOLS[:2]) or any(
                    set(results["flamapy"][k]) - {results["flamapy"]["root"]} != set(results["tariffcheck"][k])
                    for k in ASKED):
                results["check"] = spawn("check", path, args.cpu_limit, args.timeout_ms)
            else:
                results["check"] = {"tool": "check", "model": path.name, "not_run": "the two tools agree"}
            row = compare(path.name, path.stat().st_size, results)
            if args.before:
                old = spawn("tariffcheck", path, args.cpu_limit, args.timeout_ms, repeat, root=Path(args.before).resolve(),
                            lint=lint)
                row["before"] = old
                oc = old.get("cpu_s", {})
                if old.get("done"):
                    root_name = row["root"]
                    row["before_same"] = all(set(old[k]) - {root_name} == set(results["tariffcheck"][k]) - {root_name}
                                             for k in ASKED if k in old)
                    row["before_cpu"] = {"read": oc.get("read"), "dead_core_lint": oc.get("dead", 0) + oc.get("core", 0),
                                         "dead_core_fo_lint": oc.get("dead_core_fo"), "question": oc.get("question")}
                    if oc.get("question") and "question" in results["flamapy"].get("cpu_s", {}):
                        row["before_ratio_cpu"] = oc["question"] / max(results["flamapy"]["cpu_s"]["question"], 1e-9)
            rows.append(row)
            print(json.dumps({k: row[k] for k in ("model", "features", "constraints", "answers")}, default=str)[:600],
                  file=sys.stderr, flush=True)
            if args.json:
                Path(args.json).write_text(json.dumps(
                    {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
                     "versions": versions, "before": args.before, "flamapy_from": args.flamapy_from,
                     "cpu_limit_s": args.cpu_limit, "lint_timeout_ms": args.timeout_ms,
                     "models": rows}, ensure_ascii=False, indent=1) + "\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
