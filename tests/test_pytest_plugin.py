"""The pytest plugin: `pytest --tariff-lint` makes each .tariff file a test that fails on lint
errors, so a contradiction in a tariff breaks the build."""

from __future__ import annotations

from conftest import FIXTURES, SPECS
from test_lint import CONTRADICTORY

pytest_plugins = ["pytester"]

SMARTKEY = SPECS / "smartkey.tariff"


def test_a_contradictory_spec_fails_and_a_sound_one_passes(pytester):
    pytester.makefile(".tariff", broken=CONTRADICTORY, smartkey=SMARTKEY.read_text(encoding="utf-8"))
    result = pytester.runpytest("--tariff-lint", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*error[[]L001[]]: no new order of*", "*at_least*at_most*"])


def test_warnings_fail_only_when_asked(pytester):
    spec = pytester.makefile(".tariff", renamed=(FIXTURES / "lint" / "renamed.tariff")
                             .read_text(encoding="utf-8"))
    assert spec.exists()
    pytester.runpytest("--tariff-lint", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    result = pytester.runpytest("--tariff-lint", "--tariff-lint-fail-on", "warning", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*warning[[]L012[]]*"])


def test_without_the_option_specs_are_not_collected(pytester):
    pytester.makefile(".tariff", broken=CONTRADICTORY)
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == 5  # no tests collected
