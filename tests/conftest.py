"""What the tests share: where the project's files are, and two ways to run the `tariff` command.

Test modules import these directly (`from conftest import ROOT, run_cli`); pytest puts this
folder on `sys.path` before it collects them.
"""

from __future__ import annotations

import contextlib
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
