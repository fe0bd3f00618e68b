"""Where an installed base is read from, cut into partitions that a worker reads alone.

A base is a JSON Lines file (one order per line), a Parquet file (one order per row, its JSON
in a column, `order` by default), a folder of such files, or a table or query in a SQL database
(a SQLAlchemy URL). Planning reads little: the JSON Lines file is scanned once for the byte
offset of every `size`-th line, a Parquet file's row count is in its footer, a query is counted.
A worker then reads only its partition: a byte range, a range of rows, a LIMIT/OFFSET window.

Rows are numbered from 1 in their source: a JSON Lines row is its line number (blank lines are
no orders and are skipped, but keep the numbering), a Parquet or SQL row its position.
pyarrow and SQLAlchemy are imported when a base of their kind is read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from ..common.diagnostics import Diagnostic, DiagnosticError

JSONL_SUFFIXES = (".jsonl", ".ndjson")  # in a folder; a file given by itself is JSON Lines unless Parquet
PARQUET_SUFFIXES = (".parquet", ".pq")
DEFAULT_COLUMN = "order"
_SCAN_CHUNK = 1 << 22


@dataclass(frozen=True)
class Part:
    """One partition of a base: rows `first`..`first + count - 1` of one source."""

    number: int
    kind: str  # "jsonl", "parquet" or "sql"
    source: str  # the file's path or the database URL, as results name it
    first: int  # the first row's number (1-based)
    count: int  # rows (for JSON Lines: lines) in the partition
    start: int = 0  # JSON Lines: the byte offset of the first line
    stop: int = 0  # JSON Lines: the byte offset after the last line
    query: str | None = None  # SQL: the query whose rows are the base, ordered by `key`
    column: str = DEFAULT_COLUMN  # Parquet and SQL: the column with the order's JSON
    key: str | None = None  # Parquet and SQL: a column that identifies the contract


@dataclass
class Plan:
    parts: list[Part]
    rows: int  # rows (JSON Lines: lines) in the whole base
    fingerprint: dict = field(default_factory=dict)  # what the base is, for the manifest


class Row(NamedTuple):  # a tuple: a partition makes one per row
    number: int
    key: object  # the key column's value, or None
    payload: object  # the order: JSON text, bytes or a dict; None when the row has none


def base_error(code: str, message: str, help: str) -> DiagnosticError:
    return DiagnosticError([Diagnostic(code, message, help=help)])


def is_sql_url(contracts: str) -> bool:
    head, sep, _ = contracts.partition("://")
    return bool(sep) and head.replace("+", "").replace("_", "").isalnum() and not Path(contracts).exists()


def plan(contracts: str, size: int, *, table: str | None = None, query: str | None = None,
         column: str = DEFAULT_COLUMN, key: str | None = None) -> Plan:
    """The partitions of base `contracts`, each at most `size` rows (B001 when it cannot be read)."""
    if is_sql_url(contracts):
        return _plan_sql(contracts, size, table, query, column, key)
    if table or query:
        raise base_error("B001", f"`--table` and `--query` need a database URL, not `{contracts}`",
                         "give a SQLAlchemy URL such as `sqlite:///base.db` or `postgresql://host/db`")
    path = Path(contracts)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in JSONL_SUFFIXES + PARQUET_SUFFIXES)
        if not files:
            raise base_error("B001", f"the folder `{contracts}` holds no contracts",
                             "put .jsonl or .parquet files in it, one contract per line or row")
    elif path.is_file():
        files = [path]
    else:
        raise base_error("B001", f"cannot read the installed base `{contracts}`: no such file or folder",
                         "give a .jsonl or .parquet file, a folder of them, or a database URL")
    parts: list[Part] = []
    prints = []
    rows = 0
    for f in files:
        try:
            stat = f.stat()
            if f.suffix.lower() in PARQUET_SUFFIXES:
                n = _plan_parquet(f, size, parts, column, key)
            else:
                n = _plan_jsonl(f, size, parts)
        except OSError as exc:
            raise base_error("B001", f"cannot read `{f}`: {exc.strerror or exc}", "check the file") from None
        rows += n
        prints.append({"file": str(f.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns})
    return Plan(parts, rows, {"files": prints, "column": column, "key": key})


def _plan_jsonl(path: Path, size: int, parts: list[Part]) -> int:
    """Cut a JSON Lines file every `size` lines, by byte offsets found in one pass."""
    offsets = [0]  # where each partition starts
    lines = 0
    pos = 0
    last = b"\n"
    with open(path, "rb") as fh:
        while chunk := fh.read(_SCAN_CHUNK):
            at = 0
            while (nl := chunk.find(b"\n", at)) >= 0:
                lines += 1
                at = nl + 1
                if lines % size == 0:
                    offsets.append(pos + at)
            pos += len(chunk)
            last = chunk[-1:]
    if last != b"\n" and pos:
        lines += 1  # a last line without a newline
    if offsets[-1] == pos and len(offsets) > 1:
        offsets.pop()
    for i, start in enumerate(offsets):
        stop = offsets[i + 1] if i + 1 < len(offsets) else pos
        count = size if i + 1 < len(offsets) else lines - size * i
        if count > 0:
            parts.append(Part(len(parts), "jsonl", str(path), size * i + 1, count, start, stop))
    return lines


def _plan_parquet(path: Path, size: int, parts: list[Part], column: str, key: str | None) -> int:
    pq = _pyarrow_parquet()
    try:
        meta = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow's own errors: not Parquet, truncated
        raise base_error("B001", f"cannot read `{path}` as Parquet: {exc}", "check that the file is Parquet") from None
    names = meta.schema_arrow.names
    if key is None and "id" in names:
        key = "id"  # a column `id` names the contracts unless another is named
    for wanted in [column] + ([key] if key else []):
        if wanted not in names:
            raise base_error("B001", f"`{path}` has no column `{wanted}`",
                             f"its columns: {', '.join(names)}; name the order's column with `--column`")
    n = meta.metadata.num_rows
    for first in range(0, n, size):
        parts.append(Part(len(parts), "parquet", str(path), first + 1, min(size, n - first), column=column, key=key))
    return n


def _pyarrow_parquet():
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise base_error("B001", "reading Parquet needs pyarrow", "install the extra: `pip install tariffcheck[impact]`") from None
    return pq


# ---- SQL ------------------------------------------------------------------------------------------
def _engine(url: str):
    try:
        import sqlalchemy
    except ImportError:
        raise base_error("B001", "reading a database needs SQLAlchemy",
                         "install the extra: `pip install tariffcheck[impact]`") from None
    try:
        return sqlalchemy.create_engine(url)
    except Exception as exc:
        raise base_error("B004", f"cannot open the database `{masked(url)}`: {exc}",
                         "check the URL (dialect://user@host/database) and that its driver is installed") from None


def masked(url: str) -> str:
    """A URL as results may show it: without its password."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1] if "@" in url else url


def _base_query(table: str | None, query: str | None) -> str:
    if bool(table) == bool(query):
        raise base_error("B001", "a database base needs `--table NAME` or `--query SQL` (one of them)",
                         "e.g. `--table contracts` or `--query \"SELECT id, body AS \\\"order\\\" FROM contracts\"`")
    if table:
        if not all(part.replace("_", "").isalnum() for part in table.split(".")):
            raise base_error("B001", f"`{table}` is not a table name", "write NAME or SCHEMA.NAME; for more, use `--query`")
        return f"SELECT * FROM {table}"
    return query.strip().rstrip(";")


def _plan_sql(url: str, size: int, table: str | None, query: str | None, column: str, key: str | None) -> Plan:
    base = _base_query(table, query)
    key = key or "id"
    engine = _engine(url)  # B001 when SQLAlchemy is missing
    import sqlalchemy
    try:
        with engine.connect() as conn:
            probe = conn.execute(sqlalchemy.text(f"SELECT * FROM ({base}) AS base LIMIT 0"))
            names = list(probe.keys())
            n = conn.execute(sqlalchemy.text(f"SELECT count(*) FROM ({base}) AS base")).scalar_one()
    except DiagnosticError:
        raise
    except Exception as exc:
        raise base_error("B004", f"cannot read the base from `{masked(url)}`: {_first_line(exc)}",
                         "check the table or query and that the database is running") from None
    finally:
        engine.dispose()
    for wanted in (column, key):
        if wanted not in names:
            raise base_error("B001", f"the base has no column `{wanted}`",
                             f"its columns: {', '.join(names)}; name them with `--column` and `--key`")
    parts = [Part(i, "sql", url, first + 1, min(size, n - first), query=base, column=column, key=key)
             for i, first in enumerate(range(0, n, size))]
    digest = hashlib.sha256(base.encode()).hexdigest()
    return Plan(parts, n, {"database": masked(url), "query": digest, "rows": n, "column": column, "key": key})


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# ---- reading one partition -----------------------------------------------------------------------
def read(part: Part) -> Iterator[Row]:
    if part.kind == "jsonl":
        yield from _read_jsonl(part)
    elif part.kind == "parquet":
        yield from _read_parquet(part)
    else:
        yield from _read_sql(part)


def _read_jsonl(part: Part) -> Iterator[Row]:
    with open(part.source, "rb") as fh:
        fh.seek(part.start)
        data = fh.read(part.stop - part.start)
    for i, line in enumerate(data.split(b"\n")[: part.count]):
        if line.strip():
            yield Row(part.first + i, None, line)


def _read_parquet(part: Part) -> Iterator[Row]:
    pq = _pyarrow_parquet()
    f = pq.ParquetFile(part.source)
    columns = [part.column] + ([part.key] if part.key else [])
    begin, end = part.first - 1, part.first - 1 + part.count
    at = 0
    for g in range(f.metadata.num_row_groups):
        n = f.metadata.row_group(g).num_rows
        lo, hi = max(begin, at), min(end, at + n)
        if lo < hi:
            table = f.read_row_group(g, columns=columns).slice(lo - at, hi - lo)
            orders = table.column(part.column).to_pylist()
            keys = table.column(part.key).to_pylist() if part.key else [None] * len(orders)
            for i, (payload, key) in enumerate(zip(orders, keys)):
                yield Row(lo + i + 1, key, payload)
        at += n
        if at >= end:
            break


def _read_sql(part: Part) -> Iterator[Row]:
    import sqlalchemy

    engine = _engine(part.source)
    q = sqlalchemy.text(f"SELECT {_quoted(part.key)}, {_quoted(part.column)} FROM ({part.query}) AS base "
                        f"ORDER BY {_quoted(part.key)} LIMIT :n OFFSET :skip")
    try:
        with engine.connect() as conn:
            result = conn.execute(q, {"n": part.count, "skip": part.first - 1})
            for i, (key, payload) in enumerate(result):
                yield Row(part.first + i, key, payload)
    finally:
        engine.dispose()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def fingerprint_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def display(source: str) -> str:
    """A source as results name it: a file as the command named it, a database without its password."""
    return masked(source) if is_sql_url(source) else source
