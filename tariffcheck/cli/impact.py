"""`tariff impact`: which contracts of the installed base a new version of a tariff breaks."""

from __future__ import annotations

import argparse
import sys

from ..model.limits import DEFAULT_LOCKED
from .repair import weight
from .shared import (EXIT_INVALID, EXIT_VALID, _whole_number, add_format_arg, add_lang_arg, add_tariff_arg, emit, positive,
                     print_json)


def register(commands) -> None:
    p = commands.add_parser("impact", help="check every contract of an installed base under a new version of "
                                           "a tariff (and the old one): which does the change break")
    add_tariff_arg(p)
    p.add_argument("--old", metavar="OLD", help="the old version (a bundled name or a .tariff file): separates "
                                                "contracts newly broken by the change from those already broken")
    p.add_argument("contracts", metavar="CONTRACTS",
                   help="the installed base: a .jsonl or .parquet file, a folder of them, or a SQLAlchemy URL "
                        "with --table or --query")
    p.add_argument("--repair", action="store_true", help="for each broken contract, the nearest valid one and its cost")
    p.add_argument("--lock", action="append", default=[], metavar="FIELD", help="with --repair: keep FIELD (as "
                   "`tariff repair --lock`); may be repeated")
    p.add_argument("--unlock", action="append", default=[], choices=DEFAULT_LOCKED, metavar="FIELD",
                   help="with --repair: let a field kept by default change: " + ", ".join(DEFAULT_LOCKED))
    p.add_argument("--weight", action="append", default=[], type=weight, metavar="NAME=N",
                   help="with --repair: the cost of changing a kind of field or a field; may be repeated")
    p.add_argument("-o", "--output", metavar="FOLDER", default="impact-results",
                   help="the folder of the results; a run into the same folder resumes (default: %(default)s)")
    add_format_arg(p)
    add_lang_arg(p, "the summary's text")
    p.add_argument("--results", choices=("jsonl", "parquet"), default="jsonl",
                   help="the form of the per-contract results in FOLDER/parts (default: %(default)s)")
    p.add_argument("--workers", type=_workers, metavar="N",
                   help="worker processes of the local Dask cluster (default: the machine's cores; 0: no Dask, "
                        "in this process)")
    p.add_argument("--partition-size", type=_size, metavar="N", default=10_000,
                   help="contracts per partition (default: %(default)s)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run on an existing dask.distributed cluster "
                                                         "(tcp://HOST:8786); its workers must see the base and -o")
    p.add_argument("--table", metavar="NAME", help="with a database URL: the table of contracts")
    p.add_argument("--query", metavar="SQL", help="with a database URL: a query whose rows are the contracts")
    p.add_argument("--column", metavar="NAME", default="order",
                   help="Parquet and SQL: the column with each order's JSON (default: %(default)s)")
    p.add_argument("--key", metavar="NAME", help="Parquet and SQL: a column that names each contract "
                                                 "(SQL: orders the rows; default `id`)")
    p.add_argument("--progress", choices=("auto", "on", "off"), default="auto",
                   help="a progress bar on standard error (auto: when standard output is a terminal)")
    p.set_defaults(run=run)


def _workers(text: str) -> int:
    n = _whole_number(text)
    if n < 0:
        raise argparse.ArgumentTypeError(f"`{text}`: give 0 (no Dask) or more workers")
    return n


def _size(text: str) -> int:
    return positive(text)


def run(args) -> int:
    from ..impact import impact
    from ..report import impact_report

    show = args.progress == "on" or (args.progress == "auto" and sys.stdout.isatty() and sys.stderr.isatty())
    bar = _Bar() if show else None
    try:
        result = impact(args.tariff, args.contracts, old=args.old, out=args.output, repair=args.repair,
                        locks=args.lock, unlock=args.unlock, weights=dict(args.weight), workers=args.workers,
                        partition_size=args.partition_size, scheduler=args.scheduler, table=args.table,
                        query=args.query, column=args.column, key=args.key, results=args.results,
                        progress=bar.start if bar else None)
    except KeyboardInterrupt:
        if bar:
            bar.stop()
        print(f"interrupted: the partitions that finished are in `{args.output}`; run the same command "
              "again to do the rest", file=sys.stderr)
        return 130
    finally:
        if bar:
            bar.stop()
    if args.format == "json":
        print_json(result.summary)
    else:
        emit(impact_report.to_text(result.summary, args.lang))
    broken = sum(result.summary["classes"].get(c, 0) for c in ("newly_broken", "broken"))
    return EXIT_INVALID if broken else EXIT_VALID


class _Bar:
    """Rows done, rate and time left, on standard error (rich)."""

    def __init__(self):
        self.progress = None

    def start(self, total: int, done: int):
        try:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TextColumn,
                                       TimeRemainingColumn)
            from rich.console import Console
        except ImportError:
            return None
        self.progress = Progress(TextColumn("contracts"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
                                 TextColumn("{task.fields[rate]}"),
                                 TimeRemainingColumn(), console=Console(file=sys.stderr), transient=True)
        task = self.progress.add_task("impact", total=total, completed=done, rate="")
        self.progress.start()

        def tick(rows: int) -> None:
            self.progress.advance(task, rows)
            speed = self.progress.tasks[0].speed
            self.progress.update(task, rate=f"{speed:,.0f}/s" if speed else "")

        return tick

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
