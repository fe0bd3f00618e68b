"""What the tests share: where the project's files are, and two ways to run the `tariff` command.

Test modules import these directly (`from conftest import ROOT, run_cli`); pytest puts this
folder on `sys.path` before it collects them.
"""

from __future__ import annotations

import contextlib
import itertools
import io
import os
import subprocess
import sys
from pathlib import Path

from tariffcheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"  # the bundled tariffs
EXAMPLES = ROOT / "examples"  # example orders, each naming its tariff
FIXTURES = ROOT / "tests" / "fixtures"


def synthetic_tariff(scale: int, seed: int = 1, extra: str = "", name: str | None = None):
    """A synthetic tariff of benchmarks/synthetic.py at `scale`, with `extra` spec text appended
    (rules a test adds), loaded; benchmarks/ is not left on sys.path."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import synthetic
    finally:
        sys.path.pop(0)
    return synthetic.load(synthetic.generate(scale, seed=seed) + extra, name or f"<synthetic x{scale} seed {seed}>")


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of `tariff ARGS`, run in this process; argparse's usage
    errors exit, and give their exit code too."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def run_python(args: list[str], *, cwd: Path | str = ROOT, stdin: str | bytes | None = None, text: bool = True,
               timeout: float = 120) -> subprocess.CompletedProcess:
    """`python ARGS` in a fresh interpreter, with this checkout's tariffcheck first on the path
    (whatever the working directory, and whichever tariffcheck is installed)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, *args], cwd=cwd, input=stdin, capture_output=True, text=text,
                          timeout=timeout, env=env)


def run_cli_process(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """`tariff ARGS` as a user runs it (`python -m tariffcheck.cli`); the keywords of run_python."""
    return run_python(["-m", "tariffcheck.cli", *args], **kwargs)


def spec_variant(tmp_path: Path, source: Path, name: str, edits: list[tuple[str, str]]) -> str:
    """A copy of a spec with each (old, new) text replaced (each must occur), in tmp_path."""
    text = source.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"{name}.tariff"
    path.write_text(text, encoding="utf-8")
    return str(path)


def uvl_configurations(model) -> tuple[list[str], list[set[str]]]:
    """Every feature of a read UVL model (root first) and every valid configuration, by listing
    assignments: UVL's semantics written again here (the tree and the Boolean constraints,
    nothing arithmetic), as a third opinion for small models."""
    features = model.features()
    root, names = features[0].name, [f.name for f in features[1:]]

    def holds(c, on):
        k = c[0]
        if k == "ref":
            return c[1] in on
        if k == "not":
            return not holds(c[1], on)
        if k in ("and", "or"):
            return (all if k == "and" else any)(holds(x, on) for x in c[1])
        a, b = holds(c[1], on), holds(c[2], on)
        return (not a or b) if k == "implies" else a == b

    def tree(on):
        for f in features:
            for g in f.groups:
                n = sum(c.name in on for c in g.children)
                if n and f.name not in on:
                    return False
                if f.name in on:
                    if g.kind == "mandatory" and n < len(g.children):
                        return False
                    if g.kind not in ("mandatory", "optional") and not (
                            g.low <= n and (g.high is None or n <= g.high)):
                        return False
        return True

    valid = []
    for bits in itertools.product((False, True), repeat=len(names)):
        on = {n for n, b in zip(names, bits) if b} | {root}
        if tree(on) and all(holds(c, on) for _, c, _ in model.constraints):
            valid.append(on)
    return [root] + names, valid
