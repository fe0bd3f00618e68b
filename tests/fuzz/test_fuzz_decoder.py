"""Fuzzing the order decoder: whatever arrives (random JSON, JSON text with repeated keys or a
BOM, a real order mutated), the library answers with a verdict or an OrderError, never with
another exception, and an OrderError's diagnostics render without Python internals."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from tariffcheck import OrderError
from tariffcheck.common.diagnostics import render_all
from tariffcheck.evaluate.verdict import Verdict

from fuzzing import assert_no_python, budget, checker
from mutations import json_text, json_values, mutated, real_order

TARIFFS = st.sampled_from(["secure-endpoint", "smart-mobile-manager", "smartkey", "flex-resilience", "fence-mobile"])


def verdict_or_order_error(name: str, order) -> Verdict | None:
    """The concrete verdict of `order`, or None when it is refused as an OrderError (checked)."""
    try:
        verdict = checker(name).check(order)
    except OrderError as exc:
        assert exc.diagnostics, "an OrderError without a diagnostic"
        assert all(d.code.startswith(("O", "T")) for d in exc.diagnostics), [d.code for d in exc.diagnostics]
        assert_no_python(render_all(exc.diagnostics, exc.sources), "an order error")
        return None
    assert isinstance(verdict, Verdict) and verdict.status in ("valid", "invalid"), verdict
    return verdict


@budget("decoder_json_values")
@given(name=TARIFFS, value=json_values | st.fixed_dictionaries({"contracts": st.lists(json_values, max_size=3)}))
def test_random_json_gets_a_verdict_or_an_order_error(name, value):
    verdict_or_order_error(name, value)


@budget("decoder_json_text")
@given(name=TARIFFS, data=st.data())
def test_random_json_text_gets_a_verdict_or_an_order_error(name, data):
    value = data.draw(json_values)
    text = data.draw(json_text(value))
    verdict_or_order_error(name, text)
    verdict_or_order_error(name, text.encode("utf-8", "surrogatepass"))


@budget("decoder_mutated_orders")
@given(real_order())
def test_mutated_real_orders_get_a_verdict_or_an_order_error(named):
    verdict_or_order_error(*named)


@budget("decoder_mutated_order_text")
@given(real_order(), st.data())
def test_mutated_real_orders_as_text_get_a_verdict_or_an_order_error(named, data):
    """As JSON text: repeated keys, raw or escaped non-ASCII, a BOM; and the text given to the
    library as str and as bytes must get the same answer."""
    name, order = named
    text = data.draw(json_text(order))
    as_str = verdict_or_order_error(name, text)
    raw = text.encode("utf-8", "surrogatepass")
    as_bytes = verdict_or_order_error(name, raw)
    if as_str is not None and as_bytes is not None:
        assert (as_str.status, as_str.keys) == (as_bytes.status, as_bytes.keys)
    # the dict the text means, when JSON can read it, gets the text's answer: unless the text
    # repeats a key (a dict cannot), which must then be the text's error
    try:
        parsed = json.loads(text.removeprefix("\ufeff"))
    except (ValueError, RecursionError):
        return
    from_dict = verdict_or_order_error(name, parsed)
    if as_str is not None:
        assert from_dict is not None and (from_dict.status, from_dict.keys) == (as_str.status, as_str.keys)


@budget("decoder_empty_order")
@given(mutated({"contracts": []}))
def test_mutations_of_an_empty_order_get_a_verdict_or_an_order_error(order):
    verdict_or_order_error("secure-endpoint", order)
