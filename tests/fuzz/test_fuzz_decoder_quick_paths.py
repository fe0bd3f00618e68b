"""Differential fuzzing of the order decoder's quick paths against the plain ones they stand in
for: the names index (orders/names.py) against the model's own walks (`lookup`,
`lookup_spelling`, `ContractKind.member`, `name_key`), and the quick JSON pass (`plain_json`)
against the precise one (`not_json`). On real orders mutated (valid and malformed) and on random
JSON, both decoders give equal Orders (notes, breaches and open fields included), or equal
diagnostics: the same codes, messages, paths and help, in the same order.

The decoder generated per tariff (orders/generated.py) is compared the same way with decode.py:
where it answers, its Order is decode.py's; where it declines, `Checker.decode` gives decode.py's
Order or decode.py's errors."""

from __future__ import annotations

from unittest import mock

from hypothesis import given
from hypothesis import strategies as st

from tariffcheck import OrderError
from tariffcheck.common.names import name_key
from tariffcheck.model import tariff as M
from tariffcheck.orders import decode
from tariffcheck.orders.generated import GeneratedDecoder
from tariffcheck.orders.json_values import not_json, plain_json
from tariffcheck.orders.names import OrderNames, order_names

from fuzzing import budget, checker, real_orders
from mutations import json_values, leaves_or_values, real_order

TARIFFS = st.sampled_from(["secure-endpoint", "smart-mobile-manager", "smartkey", "flex-resilience", "fence-mobile"])


class PlainNames(OrderNames):
    """The questions OrderNames answers, each answered by the model's own walk over the table."""

    def __init__(self, tariff: M.Tariff) -> None:  # no index: nothing of the parent is built
        self.title_key = name_key(tariff.title)
        self.id_key = name_key(tariff.id).replace("-", "_")
        self.primary = tariff.primary_contract()

    def fold(self, name: str) -> str:
        return name_key(name)

    def lookup(self, table: dict, name: str):
        return M.lookup(table, name)

    def lookup_spelling(self, table: dict, name: str):
        return M.lookup_spelling(table, name)

    def member(self, kind: M.ContractKind, name: str):
        return kind.member(name)


def outcome(data, tariff: M.Tariff, names: OrderNames, partial: bool):
    try:
        if partial:
            return "order", decode.decode_partial_order(data, tariff, names)
        return "order", decode.decode_order(data, tariff, names)
    except OrderError as exc:
        return "errors", exc.diagnostics


def assert_same_answer(name: str, data, partial: bool = False) -> None:
    tariff = checker(name).tariff
    quick = outcome(data, tariff, order_names(tariff), partial)
    with mock.patch.object(decode, "plain_json", lambda value, depth=0: False):  # always the precise walk
        plain = outcome(data, tariff, PlainNames(tariff), partial)
    assert quick == plain


@budget("decoder_mutated_orders")
@given(real_order(), st.booleans())
def test_quick_paths_decode_mutated_real_orders_as_the_plain_ones(named, partial):
    assert_same_answer(*named, partial=partial)


@budget("decoder_json_values")
@given(name=TARIFFS, value=json_values | st.fixed_dictionaries({"contracts": st.lists(json_values, max_size=3)}))
def test_quick_paths_decode_random_json_as_the_plain_ones(name, value):
    assert_same_answer(name, value)


@budget("decoder_json_values")
@given(value=st.recursive(leaves_or_values, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=12))
def test_the_quick_json_pass_never_passes_what_the_precise_one_refuses(value):
    """plain_json may send an ordinary value to the precise walk, never the other way round."""
    if plain_json(value):
        assert not_json({"value": value}) == []


def test_the_quick_json_pass_leaves_odd_values_to_the_precise_one():
    class Text(str):
        pass

    loop: list = []
    loop.append(loop)
    deep: list = []
    for _ in range(decode.MAX_DEPTH + 2):
        deep = [deep]
    for value in ({1: "a"}, {"a": {1, 2}}, {"a": float("nan")}, {"a": 10 ** 700}, {"a": loop}, {"a": deep},
                  {"a": (1, 2)}, {Text("a"): 1}, {"a": Text("b")}):
        assert not plain_json(value), value
    assert not_json({"a": Text("b")}) == []  # a subclass of str is JSON text: only the quick pass declines it


@budget("decoder_mutated_orders")
@given(real_order(mutate=False), st.data())
def test_quick_paths_read_every_name_the_tariff_writes_as_the_plain_ones(named, data):
    """Every name of the tariff's tables (id, official name, another spelling, the name folded or
    with spaces, and names close to them), asked of both."""
    name, _ = named
    tariff = checker(name).tariff
    quick, plain = order_names(tariff), PlainNames(tariff)
    kind = data.draw(st.sampled_from(list(tariff.contracts.values())))
    tables = [kind.dimensions, kind.quantities, kind.flags, kind.dates, kind.options, kind.usage,
              tariff.contracts, tariff.services, tariff.request_flags]
    tables += [d.values for d in kind.dimensions.values()]
    table = data.draw(st.sampled_from(tables))
    words = [w for e in table.values() for w in (e.id, e.label, *(s.text for s in getattr(e, "spellings", ())))]
    word = data.draw(st.sampled_from(words) if words else st.text(max_size=6))
    word = data.draw(st.sampled_from([word, word.replace(" ", ""), f" {word}", word + "x", word.upper()]))
    assert quick.lookup(table, word) is plain.lookup(table, word)
    assert quick.lookup_spelling(table, word) == plain.lookup_spelling(table, word)
    assert quick.member(kind, word) is plain.member(kind, word)
    assert quick.fold(word) == plain.fold(word)


# ---- the decoder generated per tariff --------------------------------------------------------


def assert_generated_agrees(name: str, data) -> bool:
    """The generated decoder's answer for `data` is decode.py's Order, and `Checker.decode` (the
    generated decoder, then decode.py) gives what decode.py alone gives. Whether it answered."""
    ck = checker(name)
    expected = outcome(data, ck.tariff, ck.names, partial=False)
    quick = ck.quick_decoder.decode(data)
    if quick is not None:
        assert expected == ("order", quick)
        assert repr(expected[1]) == repr(quick)  # dicts in the same order too
    if isinstance(data, (str, bytes)):  # Checker.decode reads text as JSON text: only a dict is the same input
        assert quick is None
        return False
    try:
        through_checker = "order", ck.decode(data)
    except OrderError as exc:
        through_checker = "errors", exc.diagnostics
    assert through_checker == expected
    return quick is not None


@budget("decoder_mutated_orders")
@given(real_order())
def test_generated_decoder_gives_decode_pys_answer_on_mutated_real_orders(named):
    assert_generated_agrees(*named)


@budget("decoder_json_values")
@given(name=TARIFFS, value=json_values | st.fixed_dictionaries({"contracts": st.lists(json_values, max_size=3)}))
def test_generated_decoder_gives_decode_pys_answer_on_random_json(name, value):
    assert_generated_agrees(name, value)


def test_generated_decoder_reads_the_real_orders_of_every_bundled_spec():
    """Every golden case and example, as written: the same answers, and the quick path taken for
    some orders of each of the five specs (a decoder that always declined would pass the rest)."""
    answered: dict[str, int] = {}
    for name, order in real_orders():
        if assert_generated_agrees(name, order):
            answered[name] = answered.get(name, 0) + 1
    assert set(answered) == {"secure-endpoint", "smart-mobile-manager", "smartkey", "flex-resilience",
                             "fence-mobile"}, answered


def test_generated_decoder_declines_what_it_does_not_read():
    """Each kind of thing left to decode.py, on a Secure Endpoint order the quick path reads."""
    ck = checker("secure-endpoint")
    base = {"tariff": "secure-endpoint", "application_date": "2026-04-01",
            "contracts": [{"id": "a", "item": "itam_l", "accounts": 50, "licensor_consent": True,
                           "options": {"itam_intro": True}}]}
    assert ck.quick_decoder.decode(base) == decode.decode_order(base, ck.tariff)

    def changed(path: tuple, value):
        order = {**base, "contracts": [dict(base["contracts"][0], options=dict(base["contracts"][0]["options"]))]}
        target = order
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
        return order

    class Text(str):
        pass

    for order in (changed(("contracts", 0, "accounts"), 50.0),  # a float: decode.py reads it
                  changed(("contracts", 0, "accounts"), Text("5")),
                  changed(("contracts", 0, "item"), ["itam_l", "itam_a"]),  # two values: a breach
                  changed(("contracts", 0, "items"), "itam_l"),  # an unknown field
                  changed(("contracts", 0, "品目"), "itam_l"),  # the item twice, by id and name
                  changed(("contracts", 0, "parent"), "nowhere"),
                  changed(("contracts", 0, "parent"), "a"),  # its own parent: decode.py's O010
                  changed(("holdings",), None),  # null, not a list
                  changed(("contracts", 0, "options", "no_such_option"), True),
                  changed(("application_date",), "2026-02-30"),
                  changed(("holdings",), [{"service": "x"}]),
                  changed(("contracts",), []),
                  changed(("request",), "change"),  # a change request with no `current`
                  changed(("tariff",), "smartkey")):
        assert ck.quick_decoder.decode(order) is None, order
        assert_generated_agrees("secure-endpoint", order)
    read = changed(("holdings",), [])  # no holdings, written out: the quick path reads it
    assert ck.quick_decoder.decode(read) == decode.decode_order(read, ck.tariff)


def test_generated_decoder_source_is_kept_per_contract_kind():
    tariff = checker("secure-endpoint").tariff
    generated = GeneratedDecoder(tariff, order_names(tariff))
    assert set(generated.source) == set(tariff.contracts)
    assert all("def state(" in text for text in generated.source.values())


# ---- a new order's contract, read in one pass (`new_entry`, `new_options`) ---------------------

_OPTION_VALUES = st.sampled_from([True, False, None, 0, 1, 2, 3, -1, 1.0, "yes", [], {}, {"count": 0}, {"count": 2},
                                  {"count": True}])


@budget("decoder_mutated_orders")
@given(real_order(mutate=False), st.data())
def test_generated_decoder_reads_a_new_orders_options_and_fields_as_decode_py(named, data):
    """A new order's contract with options written by any of their names (an option twice, by
    its id and its name, one of them not ordered), values of every kind, a field written twice
    or left out, a date given as null: the generated decoder answers decode.py's Order or
    declines, and `Checker.decode` gives decode.py's Order or its errors."""
    name, order = named
    if order.get("request", "new") != "new" or not isinstance(order.get("contracts"), list) or \
            not all(isinstance(c, dict) for c in order["contracts"]) or not order["contracts"]:
        return
    ck = checker(name)
    i = data.draw(st.integers(0, len(order["contracts"]) - 1))
    raw = order["contracts"][i]
    kind = ck.tariff.contracts.get(raw.get("contract")) if isinstance(raw.get("contract"), str) else None
    kind = kind or ck.names.primary
    if kind is not None and kind.options:
        options = dict(raw["options"]) if isinstance(raw.get("options"), dict) else {}
        for _ in range(data.draw(st.integers(1, 3))):
            o = data.draw(st.sampled_from(list(kind.options.values())))
            written = data.draw(st.sampled_from([o.id, o.label, o.label.replace(" ", "")]))
            value = data.draw(_OPTION_VALUES | st.fixed_dictionaries(
                {}, optional={q: st.integers(-1, 3) for q in list(o.quantities)[:2]}))
            options[written] = value
        raw["options"] = options
    if kind is not None and data.draw(st.booleans()):
        members = [*kind.dimensions.values(), *kind.quantities.values(), *kind.flags.values(), *kind.dates.values()]
        if members:
            m = data.draw(st.sampled_from(members))
            key = data.draw(st.sampled_from([m.id, m.label]))
            raw[key] = data.draw(st.sampled_from([None, True, 5, "2026-04-01", raw.get(m.id), raw.get(m.label)]))
    assert_generated_agrees(name, order)


def test_generated_decoder_declines_an_option_given_twice_in_a_new_order():
    """One option by its id and by its official name (O012 from decode.py), even when one of the
    two is `false`, and an option whose count is 0 beside it under its other name."""
    ck = checker("secure-endpoint")
    label = ck.tariff.contracts["service"].options["itam_intro"].label
    base = {"tariff": "secure-endpoint", "application_date": "2026-04-01",
            "contracts": [{"id": "a", "item": "itam_l", "accounts": 50, "licensor_consent": True}]}
    for first, second in ((True, True), (False, True), (True, False), ({"count": 0}, True), (None, {"count": 1})):
        order = {**base, "contracts": [dict(base["contracts"][0], options={"itam_intro": first, label: second})]}
        assert ck.quick_decoder.decode(order) is None, (first, second)
        assert_generated_agrees("secure-endpoint", order)
    alone = {**base, "contracts": [dict(base["contracts"][0], options={"itam_intro": False, "vpp": {"count": 0}})]}
    assert ck.quick_decoder.decode(alone) == decode.decode_order(alone, ck.tariff)
    assert ck.quick_decoder.decode(alone).contracts[0].new.options == {}


# ---- a change's or a cancellation's `current`, read in one pass (`current_state`) --------------

_ENTRY_ONLY = ("id", "contract", "parent", "current", "changes", "usage")


def _written_over(ck, kind_name, raw: dict, data) -> None:
    """`raw` (the fields of a contract of kind `kind_name`) with options and fields written over
    as the new-order test writes them: by any of their names, twice, left out, with values of
    every kind."""
    kind = ck.tariff.contracts.get(kind_name) if isinstance(kind_name, str) else None
    kind = kind or ck.names.primary
    if kind is None:
        return
    if kind.options and data.draw(st.booleans()):
        options = dict(raw["options"]) if isinstance(raw.get("options"), dict) else {}
        for _ in range(data.draw(st.integers(1, 3))):
            o = data.draw(st.sampled_from(list(kind.options.values())))
            written = data.draw(st.sampled_from([o.id, o.label, o.label.replace(" ", "")]))
            options[written] = data.draw(_OPTION_VALUES | st.fixed_dictionaries(
                {}, optional={q: st.integers(-1, 3) for q in list(o.quantities)[:2]}))
        raw["options"] = options
    members = [*kind.dimensions.values(), *kind.quantities.values(), *kind.flags.values(), *kind.dates.values()]
    if members and data.draw(st.booleans()):
        m = data.draw(st.sampled_from(members))
        key = data.draw(st.sampled_from([m.id, m.label]))
        if data.draw(st.integers(0, 4)) == 0:
            raw.pop(key, None)
        else:
            raw[key] = data.draw(st.sampled_from([None, True, 5, "2026-04-01", raw.get(m.id), raw.get(m.label)]))


@budget("decoder_mutated_orders")
@given(real_order(mutate=False), st.sampled_from(["change", "cancellation"]), st.data())
def test_generated_decoder_reads_a_changes_or_a_cancellations_current_state_as_decode_py(named, request, data):
    """A new order of the corpus turned into a change or a cancellation of what it orders (each
    contract's fields as its `current`, in a change some written again as `changes`, empty or
    not), then its fields and options written over as in the test above: the generated decoder
    answers decode.py's Order or declines, and `Checker.decode` gives decode.py's Order or its
    errors. The same for the keys a contract of such a request may not hold."""
    name, order = named
    if order.get("request", "new") != "new" or not isinstance(order.get("contracts"), list) or \
            not order["contracts"] or not all(isinstance(c, dict) for c in order["contracts"]):
        return
    ck = checker(name)
    contracts = []
    for raw in order["contracts"]:
        current = {k: v for k, v in raw.items() if k not in _ENTRY_ONLY}
        entry = {k: raw[k] for k in ("id", "contract", "parent") if k in raw}
        _written_over(ck, raw.get("contract"), current, data)
        entry["current"] = current
        if request == "change" and data.draw(st.booleans()):
            changes = {k: v for k, v in current.items() if data.draw(st.booleans())}
            _written_over(ck, raw.get("contract"), changes, data)
            entry["changes"] = changes
        contracts.append(entry)
    if data.draw(st.integers(0, 5)) == 0:  # a key a contract of such a request may not hold
        contracts[0][data.draw(st.sampled_from(["item", "options", "usage", "changes", "nonsense"]))] = {}
    assert_generated_agrees(name, dict(order, request=request, contracts=contracts))


def test_generated_decoder_reads_the_changes_and_cancellations_of_the_specs():
    """The golden changes and cancellations, as written: the quick path answers for some of each
    (a `current_state` that always declined would pass the differential above), and its Order is
    decode.py's."""
    answered = {"change": 0, "cancellation": 0}
    for name, order in real_orders():
        if order.get("request") in answered and assert_generated_agrees(name, order):
            answered[order["request"]] += 1
    assert all(answered.values()), answered
