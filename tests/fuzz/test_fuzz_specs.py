"""Fuzzing the spec loader with the real specs, their tokens and lines mutated: a spec loads or
is refused with diagnostics (a DiagnosticError, rendered without Python internals), and one that
loads compiles to both paths, which then agree on the spec's own golden orders."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tariffcheck import OrderError, catalog
from tariffcheck.api import Checker
from tariffcheck.common.diagnostics import DiagnosticError, render_all
from tariffcheck.resolve import resolve
from tariffcheck.syntax.parser import parse_text

from fuzzing import assert_no_python, budget, real_orders, real_specs, summary
from mutations import mutated_spec

mutated_specs = st.sampled_from(real_specs()).flatmap(
    lambda named: st.tuples(st.just(named[0]), mutated_spec(named[1])))


def load(file_name: str, text: str):
    """The tariff of `text`, or None when the loader refuses it (with diagnostics)."""
    try:
        return resolve(parse_text(text, file_name), catalog.link_bundled)
    except DiagnosticError as exc:
        assert exc.diagnostics and all(d.code[0] in "EWT" for d in exc.diagnostics), [d.code for d in exc.diagnostics]
        assert_no_python(render_all(exc.diagnostics, exc.sources), "a spec error")
        return None


@budget("specs_load")
@given(mutated_specs)
def test_mutated_specs_load_or_are_refused(named):
    tariff = load(*named)
    if tariff is not None:
        Checker(tariff)  # the concrete validator compiles whatever loads


@budget("specs_engines_agree")
@given(mutated_specs, st.data())
def test_a_mutated_spec_that_loads_is_checked_alike_by_both_paths(named, data):
    file_name, text = named
    tariff = load(file_name, text)
    if tariff is None:
        return
    c = Checker(tariff, timeout_ms=5000)
    name = file_name.removesuffix(".tariff").replace("_", "-")
    orders = [o for n, o in real_orders() if n == name]
    for order in data.draw(st.lists(st.sampled_from(orders), min_size=1, max_size=4, unique_by=id)):
        try:
            o = c.decode(order)
        except OrderError:
            continue
        concrete = c.check(o)
        through_z3 = c.check(o, engine="z3")
        if through_z3.status != "unknown":
            assert summary(through_z3) == summary(concrete), order
