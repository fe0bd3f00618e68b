"""A pytest plugin: lint tariff specs as tests, so a contradiction breaks the build.

    pytest --tariff-lint specs/                 # every .tariff file under specs/ is one test
    pytest --tariff-lint --tariff-lint-fail-on warning specs/

Each spec is one test item, `SPEC::lint`; it fails when lint finds an error (a spec that does
not load, a contradiction: docs/lint.md), or, with `--tariff-lint-fail-on warning`, a warning,
and its failure is lint's own report. Installed with tariffcheck (entry point `pytest11`); it
does nothing unless `--tariff-lint` is given. For a test written by hand, call
`tariffcheck.lint(path)` and assert on `.errors`.
"""

from __future__ import annotations

import pytest

from ..api import lint
from ..report import lint_report


def pytest_addoption(parser):
    group = parser.getgroup("tariffcheck")
    group.addoption("--tariff-lint", action="store_true", default=False,
                    help="collect each .tariff file as a test that fails on lint findings")
    group.addoption("--tariff-lint-fail-on", choices=("error", "warning"), default="error",
                    help="the least severity that fails a spec's lint test (default: error)")


def pytest_collect_file(file_path, parent):
    if file_path.suffix == ".tariff" and parent.config.getoption("tariff_lint"):
        return TariffSpec.from_parent(parent, path=file_path)
    return None


class LintFailed(Exception):
    def __init__(self, report: str):
        super().__init__(report)
        self.report = report


class TariffSpec(pytest.File):
    def collect(self):
        yield LintItem.from_parent(self, name="lint")


class LintItem(pytest.Item):
    def runtest(self):
        result = lint(str(self.path))
        fail_on = ("error",) if self.config.getoption("tariff_lint_fail_on") == "error" else ("error", "warning")
        failing = [f for f in result.findings if f.severity in fail_on]
        if failing:
            result.findings = failing
            raise LintFailed(lint_report.to_text([result]))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, LintFailed):
            return excinfo.value.report
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"tariff lint {self.path.name}"
