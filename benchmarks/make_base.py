"""Make an installed base to try `tariff impact` on: seeded, realistic contracts of a bundled tariff.

    .venv/bin/python benchmarks/make_base.py --tariff secure-endpoint --rows 1000000 --out /tmp/se-base.parquet
    .venv/bin/python benchmarks/make_base.py --tariff fence-mobile --rows 500 --out base.jsonl --malformed 3

    from make_base import make_rows, write_base
    rows = make_rows("secure-endpoint", 1000, seed=7)       # [(id, order dict)], the same for the same seed

A provider's base is mostly valid: each contract was checked when it was ordered. So the
generator first builds a pool of valid contracts from the tariff's own model, greedily: a
contract of a random item (never a withdrawn one) and quantity, then the kind's options one by
one in a random order, each kept only if the concrete validator still accepts the order. The
numbers are drawn near the limits the spec writes (`<= 4`, `>= 50`: every integer a rule
compares with) a third of the time and from a long-tailed spread otherwise, so a realistic
share of contracts sits on a cap or a minimum, where a new version that lowers the cap or
raises the minimum bites. Counted options are tried at the largest drawn count first.

Then every row is a contract of the pool under a fresh id. `--broken` of the rows (default 2%)
get one change the validator did not approve (an option added or a count raised), the contracts
that were broken already before a new version came; `--malformed` rows are not orders at all
(text that is not JSON, a count that is a word), to show the run counts them.

Rows are written as Parquet (columns `id`, `tariff`, `order`: the order's JSON) in row groups of
10,000 and batches of 100,000, so memory stays flat up to millions of rows, or as JSON Lines when
`--out` ends in .jsonl. The same seed gives the same base, byte for byte.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tariffcheck import Checker, catalog  # noqa: E402
from tariffcheck.common.diagnostics import DiagnosticError  # noqa: E402

POOL = 2_000  # distinct valid contracts per base
OPTION_CHANCE = 0.25  # each option of the kind is tried with this chance
NEAR_LIMIT = 0.35  # the share of numbers drawn at or next to a limit the spec writes
APPLICATION_DAYS = ("2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01")
ROW_GROUP = 10_000
BATCH = 100_000


def limits(tariff) -> list[int]:
    """Every whole number a rule of the spec compares with: its caps and minimums."""
    text = Path(tariff.path).read_text(encoding="utf-8")
    found = {int(n) for n in re.findall(r"(?:<=|>=|<|>|==)\s*(\d+)\b", text)}
    return sorted(n for n in found if 0 < n <= 100_000)


class _Draw:
    def __init__(self, rng: random.Random, near: list[int]):
        self.rng, self.near = rng, near

    def number(self, low: int = 1) -> int:
        if self.near and self.rng.random() < NEAR_LIMIT:
            return max(low, self.rng.choice(self.near) + self.rng.choice((-1, 0, 0, 0, 1)))
        return max(low, int(math.exp(self.rng.gauss(3.3, 1.2))))  # mostly 5 to 300, a few thousand

    def count(self, top: int = 6) -> int:
        return self.rng.choices(range(1, top + 1), weights=[30, 20, 12, 20, 8, 5][:top])[0]


def _valid(checker: Checker, order: dict) -> bool:
    try:
        return checker.check(order).status == "valid"
    except DiagnosticError:
        return False


def _contract_kinds(tariff) -> list[tuple[object, object | None]]:
    """(kind, parent kind) for every kind that carries a configuration: a child with its
    parent, or a kind with no parent and no children."""
    out = []
    for kind in tariff.contracts.values():
        if kind.parent is not None:
            out.append((kind, tariff.contracts[kind.parent]))
        elif not kind.child_kinds:
            out.append((kind, None))
    return out


def _base_contract(kind, draw: _Draw, rng: random.Random, day: str) -> dict:
    c: dict = {"contract": kind.id}
    for dim in kind.dimensions.values():
        current = [v for v in dim.values.values() if not v.legacy]
        c[dim.id] = rng.choice(current).id
    for q in kind.quantities.values():
        c[q.id] = draw.number()
    for f in kind.flags.values():
        c[f.id] = True  # consents; the flags a valid order leaves false are put right by _settle
    for d in kind.dates.values():
        if d.id != "ends_on":  # a contract as it stands today has no end fixed yet
            c[d.id] = day
    return c


def _settle(checker: Checker, order: dict, contract: dict, kind) -> None:
    """Each yes/no of the contract set to false where that breaks fewer rules: a consent stays
    true, a condition the tariff forbids (devices on another OS) goes false."""
    def broken() -> int:
        try:
            return len(checker.check(order).violations)
        except DiagnosticError:
            return 1 << 30
    now = broken()
    for f in kind.flags.values():
        if now == 0:
            return
        contract[f.id] = False
        after = broken()
        if after < now:
            now = after
        else:
            contract[f.id] = True


def _holding(service, rng: random.Random) -> dict:
    held = {"service": service.id}
    for dim in service.dimensions.values():
        held[dim.id] = rng.choice([v for v in dim.values.values() if not v.legacy]).id
    return held


def _option_value(kind, option, contract: dict, draw: _Draw, rng: random.Random, day: str) -> list[object]:
    """Values to try for `option`, best first."""
    tries = []
    counts = [draw.count()] if option.counted else [None]
    if option.counted:
        counts += list(range(counts[0] - 1, 0, -1))
    for n in counts:
        value: dict = {} if n is None else {"count": n}
        for q in option.quantities.values():
            same = contract.get(q.id)  # an option's accounts usually equal the contract's
            value[q.id] = same if same is not None and rng.random() < 0.9 else \
                (draw.number() if n is None else rng.randint(1, 10 * n))
        for a in option.attributes.values():
            value[a.id] = rng.choice(list(a.values))
        for d in option.dates.values():
            if d.id != "ends_on":  # a contract as it stands today has no end fixed yet
                value[d.id] = day
        tries.append(value or True)
        # the same count with the least of everything else: caps on an option's own numbers
        # (connections per tunnel), the first value of each attribute (in Japan)
        modest = {k: (1 if k in option.quantities and k not in contract else v) for k, v in value.items()}
        modest.update({a.id: next(iter(a.values)) for a in option.attributes.values()})
        if modest and modest != value:
            tries.append(modest)
    return tries


def _one_valid(checker: Checker, rng: random.Random, draw: _Draw) -> dict | None:
    tariff = checker.tariff
    kind, parent = rng.choice(_contract_kinds(tariff))
    day = rng.choice(APPLICATION_DAYS)
    for _ in range(30):
        contract = _base_contract(kind, draw, rng, day)
        contracts = ([{"id": "unit-1", "contract": parent.id}] if parent else []) + [contract]
        if parent:
            contract["parent"] = "unit-1"
        order = {"tariff": tariff.id.replace("_", "-"), "request": "new", "application_date": day,
                 "contracts": contracts}
        if tariff.services and rng.random() < 0.9:  # the other services a customer holds, which rules may need
            order["holdings"] = [_holding(s, rng) for s in tariff.services.values()]
        _settle(checker, order, contract, kind)
        if _valid(checker, order):
            break
    else:
        return None
    options = list(kind.options.values())
    rng.shuffle(options)
    contract["options"] = {}
    for option in options:
        if rng.random() >= OPTION_CHANCE:
            continue
        for value in _option_value(kind, option, contract, draw, rng, day):
            contract["options"][option.id] = value
            if _valid(checker, order):
                break
            del contract["options"][option.id]
    if not contract["options"]:
        del contract["options"]
    return order


def pool(tariff_name: str, size: int, seed: int) -> list[dict]:
    checker = Checker(tariff_name)
    rng = random.Random(f"pool:{tariff_name}:{seed}")
    draw = _Draw(rng, limits(checker.tariff))
    out = []
    attempts = 0
    while len(out) < size and attempts < 20 * size:
        attempts += 1
        order = _one_valid(checker, rng, draw)
        if order is not None:
            out.append(order)
    if not out:
        raise SystemExit(f"no valid contract of `{tariff_name}` found by the generator")
    return out


def _break(order: dict, checker: Checker, rng: random.Random) -> dict:
    """One change the validator did not approve: an option added, or a count raised past 4."""
    order = copy.deepcopy(order)
    contract = order["contracts"][-1]
    kind = checker.tariff.contracts[contract["contract"]]
    options = contract.setdefault("options", {})
    counted = [o for o in kind.options.values() if o.counted and o.id in options]
    if counted and rng.random() < 0.5:
        o = rng.choice(counted)
        value = options[o.id] if isinstance(options[o.id], dict) else {}
        options[o.id] = {**value, "count": rng.randint(5, 8)}
    elif kind.options:
        o = rng.choice(list(kind.options.values()))
        value = {q.id: contract.get(q.id, 10) for q in o.quantities.values()}
        value.update({a.id: next(iter(a.values)) for a in o.attributes.values()})
        options[o.id] = value or True
    return order


MALFORMED = ('{"contracts": [', '{"request": "new", "contracts": "none"}')


def make_rows(tariff_name: str, rows: int, seed: int = 0, broken: float = 0.02, malformed: int = 0,
              pool_size: int = POOL) -> list[tuple[str, object]]:
    """(id, order dict or, for a malformed row, text) for `rows` contracts; see the module."""
    return list(iter_rows(tariff_name, rows, seed, broken, malformed, pool_size))


def iter_rows(tariff_name: str, rows: int, seed: int = 0, broken: float = 0.02, malformed: int = 0,
              pool_size: int = POOL):
    checker = Checker(tariff_name)
    valid = pool(tariff_name, min(pool_size, max(rows, 1)), seed)
    rng = random.Random(f"rows:{tariff_name}:{seed}")
    bad_rows = set(rng.sample(range(rows), min(malformed, rows)))
    width = max(7, len(str(rows)))
    for i in range(rows):
        row_id = f"c-{i + 1:0{width}d}"
        if i in bad_rows:
            yield row_id, MALFORMED[i % len(MALFORMED)]
            continue
        order = valid[rng.randrange(len(valid))]
        if rng.random() < broken:
            order = _break(order, checker, rng)
        else:
            order = copy.deepcopy(order)
        order["contracts"][-1]["id"] = row_id
        yield row_id, order


def _text(order: object) -> str:
    return order if isinstance(order, str) else json.dumps(order, ensure_ascii=False, separators=(",", ":"))


def write_base(path: str | Path, rows) -> int:
    """Write (id, order) rows as Parquet, or JSON Lines for a .jsonl path; returns the row count."""
    path = Path(path)
    n = 0
    if path.suffix in (".jsonl", ".ndjson"):
        with open(path, "w", encoding="utf-8") as fh:
            for _, order in rows:
                fh.write(_text(order) + "\n")
                n += 1
        return n
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("id", pa.string()), ("tariff", pa.string()), ("order", pa.string())])
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        batch: list[tuple[str, object]] = []

        def flush():
            ids = [r for r, _ in batch]
            tariffs = [o["tariff"] if isinstance(o, dict) else None for _, o in batch]
            writer.write_table(pa.table({"id": ids, "tariff": tariffs, "order": [_text(o) for _, o in batch]},
                                        schema=schema), row_group_size=ROW_GROUP)
            batch.clear()

        for row in rows:
            batch.append(row)
            n += 1
            if len(batch) >= BATCH:
                flush()
        if batch:
            flush()
    return n


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tariff", default="secure-endpoint", choices=catalog.bundled_names())
    p.add_argument("--rows", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--broken", type=float, default=0.02, help="share of rows broken already (default 0.02)")
    p.add_argument("--malformed", type=int, default=0, help="rows that are no order (default 0)")
    p.add_argument("--out", required=True, help="a .parquet file, or a .jsonl file")
    args = p.parse_args(argv)
    started = time.perf_counter()
    n = write_base(args.out, iter_rows(args.tariff, args.rows, args.seed, args.broken, args.malformed))
    print(f"{n} contracts of {args.tariff} in {args.out} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
