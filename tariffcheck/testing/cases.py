"""Tariff test files: orders with the verdict and the broken rules a reader of the text expects.

A test file lives beside its spec (`specs/secure_endpoint.tests.json`) and reads:

    {
      "tariff": "secure_endpoint",
      "cases": [
        {"name": "第5条第2項: a tunnel on type L is accepted",
         "order": { ...an order, as in docs/orders.md... },
         "expect": "valid"},
        {"name": "第5条第2項: a tunnel on type O is rejected",
         "order": { ... },
         "expect": "invalid",
         "broken": ["r5_2_tunnel_direct:tunnel"]}
      ]
    }

`broken` lists rule instances as `RULE` or `RULE:OPTION`; the case passes when the check
breaks exactly those (a bare `RULE` matches any of its subjects). `expect` may also be
`error` with `codes`: the order must be rejected as bad input with those diagnostic codes.
`effective` gives the days the request takes effect, by the id of a `derive … takes_effect`
(`DERIVE` or `DERIVE:OPTION`): `{"cancellation_effective": "2026-03-02"}`.
`expect_clauses`, beside `broken`, lists the clauses the order breaks, as the text numbers them
(`["第5条第2項"]`): the citations of the broken rules must be exactly those, so a rule cited to the
wrong paragraph fails its cases even when its id is right.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Case:
    """One case of a test file (read and checked by test_file.py, run by runner.py)."""

    name: str
    order: object
    expect: str  # valid | invalid | error
    broken: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    index: int = 0
    effective: dict[str, str] = field(default_factory=dict)  # `DERIVE[:OPTION]` -> YYYY-MM-DD
    # the clauses the order breaks, each as `str(Citation)` (`第5条第2項`); None: the case does not say
    clauses: list[str] | None = None
