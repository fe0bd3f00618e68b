"""`tariff schema` describes the orders the decoder accepts."""

from __future__ import annotations

import json

import pytest

from tariffcheck import catalog
from tariffcheck.orders.schema import order_schema

from conftest import EXAMPLES

jsonschema = pytest.importorskip("jsonschema")


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_examples_are_valid_against_the_schema(example):
    order = json.loads(example.read_text(encoding="utf-8"))
    schema = order_schema(catalog.load(order["tariff"]))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(order, schema)


def test_schema_rejects_an_unknown_option_and_a_negative_count():
    schema = order_schema(catalog.load("secure-endpoint"))
    base = {"contracts": [{"item": "IT 資産管理:タイプ L", "accounts": 10, "options": {}}]}
    jsonschema.validate(base, schema)
    bad_option = {"contracts": [{"item": "IT 資産管理:タイプ L", "accounts": 10, "options": {"nope": True}}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad_option, schema)
    negative = {"contracts": [{"item": "IT 資産管理:タイプ L", "accounts": -1}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(negative, schema)
