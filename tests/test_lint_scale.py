"""Lint made to scale (issue 17, point 3) says what lint said before: the findings of the code at
commit dfa04a5 (before the change, taken from git into a folder of its own) and of this tree, on
synthetic tariffs at 1x (three seeds: small generated specs of Secure Endpoint's shape) and on
the bundled tariffs, must be the same finding for finding: code, severity, subject, message and
the rules to blame. Each side runs in a fresh interpreter with only its own package on the path.

Skipped, saying why, where git or that commit is not at hand (an unpacked source archive)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SPECS

OLD = "dfa04a5"
SEEDS = (0, 1, 2)
BUNDLED = ("secure_endpoint", "fence_mobile", "smart_mobile_manager", "flex_resilience")

DUMP = """
import json, sys
from tariffcheck import catalog
from tariffcheck.analyse.lint import lint_tariff
from tariffcheck.resolve import resolve
from tariffcheck.syntax.parser import parse_text
out = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        t = resolve(parse_text(f.read(), path), catalog.link_bundled)
    out[path] = [[f.code, f.severity, f.subject, f.message, f.rules]
                 for f in lint_tariff(t, timeout_ms=600_000).findings]  # a busy machine must not cut it short
print(json.dumps(out, ensure_ascii=False))
"""


def _old_tree(into: Path) -> Path | None:
    if shutil.which("git") is None:
        return None
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", OLD, "tariffcheck"], capture_output=True)
    if archive.returncode != 0:
        return None
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    (into / "specs").symlink_to(SPECS)  # both sides link to today's bundled tariffs
    return into


def _findings(package_root: Path, paths: list[str]) -> dict:
    env = dict(os.environ, PYTHONPATH=str(package_root))
    p = subprocess.run([sys.executable, "-c", DUMP, *paths], capture_output=True, text=True, env=env,
                       cwd=str(package_root), timeout=600)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.fixture(scope="module")
def specs(tmp_path_factory) -> list[str]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import synthetic
    finally:
        sys.path.pop(0)
    folder = tmp_path_factory.mktemp("specs")
    paths = []
    for seed in SEEDS:
        p = folder / f"synthetic_x1_seed{seed}.tariff"
        p.write_text(synthetic.generate(1, seed), encoding="utf-8")
        paths.append(str(p))
    return paths + [str(SPECS / f"{name}.tariff") for name in BUNDLED]


def test_lint_finds_what_it_found_before_the_change(specs, tmp_path_factory):
    old_root = _old_tree(tmp_path_factory.mktemp("old"))
    if old_root is None:
        pytest.skip(f"git, or commit {OLD} (the code before the change), is not at hand")
    old = _findings(old_root, specs)
    new = _findings(ROOT, specs)
    for path in specs:
        assert new[path], f"{path}: no findings at all (the comparison would prove nothing)"
        only_old = [f for f in old[path] if f not in new[path]]
        only_new = [f for f in new[path] if f not in old[path]]
        assert (only_old, only_new) == ([], []), Path(path).name
        assert new[path] == old[path]  # in the same order, too
