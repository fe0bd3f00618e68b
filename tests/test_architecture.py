"""The import graph flows one way (../shared/STYLE.md): dsl never imports the solver, the
orders or the entry points; the solver and the reports never import the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT, run_python

PACKAGE = ROOT / "tariffcheck"

# a module in the key folder may import from the listed folders of the package only
ALLOWED = {
    "common": {"common"},
    "dates": {"dates"},
    "syntax": {"common", "syntax"},
    "model": {"common", "model"},
    "resolve": {"common", "syntax", "model", "resolve"},
    "orders": {"common", "model", "orders"},
    "evaluate": {"common", "model", "orders", "dates", "evaluate"},
    "smt": {"common", "model", "orders", "dates", "evaluate", "smt"},
    # the purely Boolean questions on a SAT solver (python-sat), beside smt/ and never through it
    "sat": {"common", "model", "sat"},
    "analyse": {"common", "model", "orders", "dates", "evaluate", "smt", "sat", "analyse"},
    "report": {"common", "model", "orders", "dates", "evaluate", "smt", "analyse", "report", "catalog"},
    "testing": {"common", "syntax", "model", "resolve", "orders", "dates", "evaluate", "smt", "analyse", "report",
                "testing", "api", "catalog"},
    # the HTTP service sits beside cli/: on the library API and the reports, never the solver's insides
    "service": {"common", "model", "orders", "report", "api", "catalog", "service"},
    "impact": {"common", "model", "orders", "dates", "evaluate", "smt", "analyse", "report", "api", "catalog",
               "impact"},
    # UVL import writes our DSL's text and reads it back through syntax/ and resolve/
    "interop": {"common", "syntax", "model", "resolve", "interop"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(PACKAGE).parts
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module and node.module.startswith("tariffcheck"):
                parts = node.module.split(".")[1:]
            elif node.level > 0:
                base = list(rel[:-1])[: len(rel) - node.level]
                parts = base + (node.module.split(".") if node.module else [])
            else:
                continue
            if parts:
                out.add(parts[0].removesuffix(".py"))
            else:
                out.update(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("tariffcheck."):
                    out.add(a.name.split(".")[1])
    return out


def test_imports_flow_one_way():
    problems = []
    for folder, allowed in ALLOWED.items():
        for path in (PACKAGE / folder).glob("*.py"):
            bad = _imports(path) - allowed
            if bad:
                problems.append(f"{path.relative_to(PACKAGE)} imports {sorted(bad)}")
    assert not problems, "\n".join(problems)


def test_nothing_below_the_entry_points_imports_them():
    """The CLI is the top of the graph: no module outside cli/ imports it (the service, beside
    it, neither)."""
    problems = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "cli":
            continue
        if "cli" in _imports(path):
            problems.append(f"{rel} imports the CLI")
    assert not problems, "\n".join(problems)


Z3_FREE = ("common", "dates", "syntax", "model", "resolve", "orders", "evaluate", "sat")


def test_the_folders_before_the_solver_never_import_z3():
    """A static complement to tests/test_no_z3.py (which blocks the module and runs the concrete
    path): no module of these folders names z3 in an import, at any depth."""
    found = []
    for folder in Z3_FREE:
        paths = list((PACKAGE / folder).glob("*.py"))
        assert paths, f"no modules in {folder}/"
        for path in paths:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
                if any(n == "z3" or n.startswith("z3.") for n in names):
                    found.append(f"{folder}/{path.name}")
    assert not found, found


def test_the_service_stays_at_the_top():
    """Only cli/serve.py imports the service (and only when it runs), and nothing outside the
    service names fastapi, starlette, uvicorn or prometheus_client: the library and the other
    commands work without the `service` extra."""
    web = ("fastapi", "starlette", "uvicorn", "prometheus_client")
    problems = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "service":
            continue
        if "service" in _imports(path) and rel.as_posix() != "cli/serve.py":
            problems.append(f"{rel} imports the service")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else []
            if any(n.split(".")[0] in web for n in names) and rel.as_posix() != "cli/serve.py":
                problems.append(f"{rel} imports {names}")
    assert not problems, "\n".join(problems)


def test_importing_the_package_loads_neither_z3_nor_the_web_stack():
    code = ("import sys, tariffcheck, tariffcheck.cli; "
            "print(sorted(m for m in ('z3', 'fastapi', 'starlette', 'uvicorn', 'pydantic', 'prometheus_client') "
            "if m in sys.modules))")
    done = run_python(["-c", code])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
