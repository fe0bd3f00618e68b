"""`tariff schema`: the JSON Schema of a tariff's orders."""

from __future__ import annotations

from .. import catalog
from ..orders.schema import order_schema
from .shared import EXIT_VALID, add_tariff_arg, print_json


def register(commands) -> None:
    p = commands.add_parser("schema", help="print the JSON Schema of a tariff's orders")
    add_tariff_arg(p)
    p.set_defaults(run=run)


def run(args) -> int:
    print_json(order_schema(catalog.load(args.tariff)))
    return EXIT_VALID
