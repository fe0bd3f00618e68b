"""`tariff impact` and `tariffcheck.impact`: every contract of a generated base judged under a new
and an old version, the same results whatever runs them (a plain loop over the library, this
process, a Dask cluster of two worker processes, a worker killed on the way), resumed after an
interruption, malformed rows counted and kept."""

from __future__ import annotations

import json
import os
import sqlite3
import sys

import pytest

from conftest import EXAMPLES, ROOT, run_cli

sys.path.insert(0, str(ROOT / "benchmarks"))
from make_base import make_rows, write_base  # noqa: E402

import tariffcheck  # noqa: E402
from tariffcheck import Checker  # noqa: E402
from tariffcheck.common.diagnostics import DiagnosticError  # noqa: E402

NEW = str(EXAMPLES / "secure_endpoint_next.tariff")  # tunnels capped at 3 instead of 4
OLD = "secure-endpoint"
ROWS = 240


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A generated Secure Endpoint base, as JSON Lines and as Parquet: the same rows."""
    folder = tmp_path_factory.mktemp("base")
    rows = make_rows(OLD, ROWS, seed=11, broken=0.05, malformed=3, pool_size=120)
    write_base(folder / "base.jsonl", rows)
    try:
        write_base(folder / "base.parquet", rows)
    except ImportError:  # without the [impact] extra: the Parquet tests skip
        pass
    return {"rows": rows, "jsonl": folder / "base.jsonl", "parquet": folder / "base.parquet"}


def result_lines(out) -> list[bytes]:
    lines = []
    for path in sorted((out / "parts").glob("part-*.jsonl")):
        lines += path.read_bytes().splitlines()
    return sorted(lines)


def results(out) -> list[dict]:
    return sorted((json.loads(line) for line in result_lines(out)), key=lambda r: r["row"])


def plain_loop(rows) -> list[tuple[int, str, list[str]]]:
    """What a user's own loop over the library says of each row: (row, class, rules broken)."""
    new, old = Checker(NEW), Checker(OLD)
    out = []
    for i, (_, order) in enumerate(rows, 1):
        try:
            verdict = new.check(order if isinstance(order, dict) else order)
        except DiagnosticError:
            out.append((i, "malformed", []))
            continue
        try:
            was_valid = old.check(order).status == "valid"
        except DiagnosticError:
            was_valid = False
        broken = verdict.status == "invalid"
        cls = {(True, True): "newly_broken", (True, False): "already_broken", (False, True): "still_valid",
               (False, False): "newly_valid"}[(broken, was_valid)]
        out.append((i, cls, sorted({v.rule.id for v in verdict.violations})))
    return out


def as_loop(rs: list[dict]) -> list[tuple[int, str, list[str]]]:
    return [(r["row"], r["class"], sorted({v["rule"] for v in r.get("new", {}).get("violations", [])})) for r in rs]


def test_in_this_process_equals_a_plain_loop_over_the_library(base, tmp_path):
    r = tariffcheck.impact(NEW, base["jsonl"], old=OLD, out=tmp_path / "out", workers=0, partition_size=37)
    got = results(tmp_path / "out")
    assert as_loop(got) == plain_loop(base["rows"])
    assert r.summary["rows"] == ROWS and r.done == 7
    assert r.summary["classes"]["newly_broken"] > 0, "the generator puts tunnels at the old cap of 4"
    tunnel = next(x for x in r.summary["rules"] if x["rule"] == "r8_3_tunnel_cap")
    assert tunnel["clause"] == "第8条第3項"
    assert tunnel["rows"].get("newly_broken", 0) == sum(1 for x in got if x["class"] == "newly_broken" and any(
        v["rule"] == "r8_3_tunnel_cap" for v in x["new"]["violations"]))


def test_parquet_gives_the_same_results_as_json_lines(base, tmp_path):
    pytest.importorskip("pyarrow")
    tariffcheck.impact(NEW, base["jsonl"], old=OLD, out=tmp_path / "a", workers=0, partition_size=100)
    tariffcheck.impact(NEW, base["parquet"], old=OLD, out=tmp_path / "b", workers=0, partition_size=64)
    a, b = results(tmp_path / "a"), results(tmp_path / "b")
    for r in a + b:
        r.pop("source")
    for r in b:
        assert r.pop("key") == base["rows"][r["row"] - 1][0]  # the id column names each row
    assert a == b


def test_a_folder_of_files_is_the_sum_of_its_files(base, tmp_path):
    pytest.importorskip("pyarrow")
    folder = tmp_path / "base"
    folder.mkdir()
    write_base(folder / "a.jsonl", base["rows"][:100])
    write_base(folder / "b.parquet", base["rows"][100:])
    (folder / "notes.txt").write_text("not a base file")
    r = tariffcheck.impact(NEW, folder, old=OLD, out=tmp_path / "o", workers=0, partition_size=64)
    got = results(tmp_path / "o")
    assert r.summary["partitions"] == 2 + 3 and r.summary["rows"] == ROWS
    assert sorted({x["source"] for x in got}) == [str(folder / "a.jsonl"), str(folder / "b.parquet")]
    whole = tariffcheck.impact(NEW, base["jsonl"], old=OLD, out=tmp_path / "w", workers=0)
    assert {k: v for k, v in r.summary.items() if k not in ("contracts", "partitions", "results")} == \
        {k: v for k, v in whole.summary.items() if k not in ("contracts", "partitions", "results")}


def test_malformed_rows_are_counted_with_row_and_code_never_dropped(tmp_path):
    good = (EXAMPLES / "secure_endpoint_valid.json").read_text(encoding="utf-8")
    lines = [json.dumps(json.loads(good)), "{not json", "", json.dumps({"contracts": 7}), json.dumps(json.loads(good))]
    (tmp_path / "b.jsonl").write_text("\n".join(lines), encoding="utf-8")  # no newline after the last
    r = tariffcheck.impact(OLD, tmp_path / "b.jsonl", out=tmp_path / "out", workers=0, partition_size=2)
    got = results(tmp_path / "out")
    assert [(x["row"], x["class"]) for x in got] == [(1, "valid"), (2, "malformed"), (4, "malformed"), (5, "valid")]
    assert [e["code"] for e in got[1]["errors"]] == ["O001"]
    assert got[2]["errors"][0] == {"code": "O002", "field": "contracts",
                                   "message": got[2]["errors"][0]["message"]} and "`7`" in got[2]["errors"][0]["message"]
    assert r.summary["classes"] == {"malformed": 2, "valid": 2}
    assert r.summary["errors"] == {"O001": 1, "O002": 1}


def test_results_as_parquet_hold_the_json_lines(base, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    tariffcheck.impact(NEW, base["jsonl"], old=OLD, out=tmp_path / "a", workers=0, partition_size=100)
    tariffcheck.impact(NEW, base["jsonl"], old=OLD, out=tmp_path / "b", workers=0, partition_size=100,
                       results="parquet")
    tables = [pq.read_table(p) for p in sorted((tmp_path / "b" / "parts").glob("part-*.parquet"))]
    lines = sorted(line.encode() for t in tables for line in t.column("result").to_pylist())
    assert lines == result_lines(tmp_path / "a")
    t = tables[0].to_pylist()
    assert all(r["class"] == json.loads(r["result"])["class"] and r["row"] == json.loads(r["result"])["row"] for r in t)
    broken = [r for r in t if r["class"] == "newly_broken"]
    assert broken and all("r8_3_tunnel_cap" in r["rules"] for r in broken)


def test_a_parquet_row_without_an_order_is_B002(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["a", "b"], "order": [None, (EXAMPLES / "secure_endpoint_valid.json").read_text()]}),
                   tmp_path / "b.parquet")
    r = tariffcheck.impact(OLD, tmp_path / "b.parquet", out=tmp_path / "out", workers=0, key="id")
    got = results(tmp_path / "out")
    assert [(x["key"], x["class"]) for x in got] == [("a", "malformed"), ("b", "valid")]
    assert got[0]["errors"][0]["code"] == "B002" and r.summary["errors"] == {"B002": 1}


class Stop(Exception):
    pass


def test_a_run_interrupted_resumes_and_redoes_only_unfinished_partitions(base, tmp_path):
    out = tmp_path / "out"
    finished = []

    def progress(total, done):
        def tick(rows):
            finished.append(rows)
            if len(finished) == 3:
                raise Stop  # as Ctrl-C would, after three partitions
        return tick

    with pytest.raises(Stop):
        tariffcheck.impact(NEW, base["jsonl"], old=OLD, out=out, workers=0, partition_size=50, progress=progress)
    done = sorted(out.glob("parts/*.summary.json"))
    assert len(done) == 3 and not (out / "summary.json").exists()
    before = {p: p.stat().st_mtime_ns for p in out.glob("parts/*")}
    r = tariffcheck.impact(NEW, base["jsonl"], old=OLD, out=out, workers=0, partition_size=50)
    assert r.done == 2  # 240 rows in 5 partitions, 3 finished before
    assert all(p.stat().st_mtime_ns == t for p, t in before.items()), "a finished partition was redone"
    whole = tmp_path / "whole"
    tariffcheck.impact(NEW, base["jsonl"], old=OLD, out=whole, workers=0, partition_size=50)
    assert result_lines(out) == result_lines(whole)
    assert json.loads((out / "summary.json").read_text())["classes"] == r.summary["classes"]
    again = tariffcheck.impact(NEW, base["jsonl"], old=OLD, out=out, workers=0, partition_size=50)
    assert again.done == 0 and again.summary == r.summary


def test_ctrl_c_keeps_the_finished_partitions_and_the_same_command_resumes(tmp_path):
    import signal
    import subprocess
    import time

    out = tmp_path / "o"
    # 10,000 rows in 1,000 partitions: the run must still be going when the first partition is
    # seen finished (400 rows took less time than that once the decoder got faster)
    rows = (EXAMPLES / "secure_endpoint_base.jsonl").read_text(encoding="utf-8")
    (tmp_path / "base.jsonl").write_text(rows * 25, encoding="utf-8")
    args = [sys.executable, "-m", "tariffcheck.cli", "impact", "--tariff", NEW, "--old", OLD,
            str(tmp_path / "base.jsonl"), "-o", str(out), "--workers", "0", "--partition-size", "10"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # Ctrl-C as a terminal sends it: a test run started in the background (`cmd &` in a script)
    # inherits SIGINT ignored, and Python then leaves it ignored in the child too
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not list(out.glob("parts/*.summary.json")) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    finished = len(list(out.glob("parts/*.summary.json")))
    assert proc.returncode == 130 and "run the same command again" in stderr and stdout == ""
    assert 1 <= finished < 1000 and not list(out.glob("parts/.*.tmp"))
    again = subprocess.run(args + ["--format", "json"], env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 1 and json.loads(again.stdout)["rows"] == 10_000


def test_a_folder_of_another_run_is_not_touched(base, tmp_path):
    out = tmp_path / "out"
    tariffcheck.impact(NEW, base["jsonl"], old=OLD, out=out, workers=0, partition_size=100)
    before = result_lines(out)
    code, stdout, err = run_cli(["impact", "--tariff", NEW, str(base["jsonl"]), "-o", str(out), "--workers", "0",
                                 "--partition-size", "100"])  # no --old: another job
    assert code == 2 and "error[B003]" in err and "help:" in err and stdout == ""
    assert result_lines(out) == before


def test_the_command_prints_the_summary_and_exits_1_when_the_change_breaks_contracts(tmp_path):
    base = str(EXAMPLES / "secure_endpoint_base.jsonl")
    code, out, err = run_cli(["impact", "--tariff", NEW, "--old", OLD, base, "-o", str(tmp_path / "o"),
                              "--workers", "0", "--format", "json"])
    assert code == 1 and err == ""  # not a terminal: no progress bar
    data = json.loads(out)
    assert data["format"] == 1 and data["rows"] == 400 and data["old"]["version"] == "2025-10-01"
    assert data["classes"]["newly_broken"] == sum(r["rows"].get("newly_broken", 0) for r in data["rules"]
                                                  if r["rule"] == "r8_3_tunnel_cap")
    code, text, _ = run_cli(["impact", "--tariff", NEW, "--old", OLD, base, "-o", str(tmp_path / "o"),
                             "--workers", "0"])
    assert code == 1
    assert f"{data['classes']['newly_broken']}  newly broken by this change" in text
    assert "r8_3_tunnel_cap 第8条第3項" in text and "per-contract results:" in text
    code, ja, _ = run_cli(["impact", "--tariff", NEW, "--old", OLD, base, "-o", str(tmp_path / "o"),
                           "--workers", "0", "--lang", "ja"])
    assert code == 1 and f"{data['classes']['newly_broken']}  この変更で新たに無効" in ja and "newly" not in ja
    code, _, err = run_cli(["impact", "--tariff", OLD, "--old", OLD, base, "-o", str(tmp_path / "same"),
                            "--workers", "0"])
    assert code == 0, "the same version breaks nothing new"


def test_missing_base_is_B001(tmp_path):
    code, out, err = run_cli(["impact", "--tariff", OLD, str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "o")])
    assert code == 2 and "error[B001]" in err and "none.jsonl" in err and "help:" in err


def test_repair_gives_a_valid_nearest_contract_for_each_broken_one(tmp_path):
    rows = make_rows(OLD, 30, seed=5, broken=0.2, pool_size=30)
    write_base(tmp_path / "b.jsonl", rows)
    r = tariffcheck.impact(NEW, tmp_path / "b.jsonl", old=OLD, out=tmp_path / "o", workers=0, repair=True)
    new = Checker(NEW)
    broken = [x for x in results(tmp_path / "o") if x["class"] in ("newly_broken", "already_broken")]
    assert broken
    for x in broken:
        rep = x["repair"]
        assert rep["status"] == "repaired" and rep["cost"] >= 1 and rep["changes"]
        assert new.check(rep["order"]).status == "valid"
    assert r.summary["repairs"]["status"] == {"repaired": len(broken)}
    assert r.summary["repairs"]["cost"] == sum(x["repair"]["cost"] for x in broken)


def test_a_sqlite_table_gives_the_same_results_as_the_file(base, tmp_path):
    pytest.importorskip("sqlalchemy")
    db = tmp_path / "base.db"
    with sqlite3.connect(db) as conn:
        conn.execute('CREATE TABLE contracts (id TEXT PRIMARY KEY, "order" TEXT)')
        conn.executemany("INSERT INTO contracts VALUES (?, ?)",
                         [(k, o if isinstance(o, str) else json.dumps(o, ensure_ascii=False)) for k, o in base["rows"]])
    url = f"sqlite:///{db}"
    r = tariffcheck.impact(NEW, url, old=OLD, out=tmp_path / "sql", workers=0, partition_size=64, table="contracts")
    tariffcheck.impact(NEW, base["jsonl"], old=OLD, out=tmp_path / "file", workers=0, partition_size=64)
    sql, file = results(tmp_path / "sql"), results(tmp_path / "file")
    assert [x.pop("key") for x in sql] == [k for k, _ in base["rows"]]  # ordered by the key, ids sort as written
    for x in sql + file:
        x.pop("source")
    assert sql == file and r.summary["rows"] == ROWS
    query = "SELECT id, \"order\" FROM contracts WHERE id <= 'c-0000100'"
    q = tariffcheck.impact(NEW, url, old=OLD, out=tmp_path / "q", workers=0, partition_size=30, query=query)
    assert q.summary["rows"] == 100


def test_a_database_base_needs_a_table_or_query(tmp_path):
    pytest.importorskip("sqlalchemy")
    code, _, err = run_cli(["impact", "--tariff", OLD, f"sqlite:///{tmp_path / 'x.db'}", "-o", str(tmp_path / "o")])
    assert code == 2 and "error[B001]" in err and "--table" in err


def test_the_generator_is_seeded_mostly_valid_and_near_the_caps():
    a = make_rows(OLD, 400, seed=3, pool_size=200)
    assert a == make_rows(OLD, 400, seed=3, pool_size=200)
    checker = Checker(OLD)
    valid = sum(checker.check(o).status == "valid" for _, o in a)
    assert 0.9 * len(a) <= valid < len(a)
    tunnels = [o["contracts"][-1].get("options", {}).get("tunnel") for _, o in a]
    counts = [t["count"] for t in tunnels if isinstance(t, dict)]
    assert 4 in counts, "some contracts sit on the cap of 4 tunnels"
    accounts = [o["contracts"][-1]["accounts"] for _, o in a]
    assert sum(49 <= n <= 51 for n in accounts) >= 10, "some sit at the minimum of 50 accounts"


# ---- on Dask ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    import logging

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=logging.ERROR) as c, distributed.Client(c) as client:
        yield client


def test_two_dask_worker_processes_give_the_results_of_one_process_byte_for_byte(base, tmp_path, cluster):
    here, there = tmp_path / "here", tmp_path / "there"
    tariffcheck.impact(NEW, base["parquet"], old=OLD, out=here, workers=0, partition_size=1000)
    r = tariffcheck.impact(NEW, base["parquet"], old=OLD, out=there, client=cluster, partition_size=30)
    assert r.done == 8
    assert result_lines(here) == result_lines(there)
    ours = json.loads((here / "summary.json").read_text())
    assert {k: v for k, v in ours.items() if k not in ("partitions", "results")} == \
        {k: v for k, v in r.summary.items() if k not in ("partitions", "results")}
    compiled = cluster.run(_compiled)
    assert len(compiled) == 2
    for hashes in compiled.values():
        assert len(hashes) == len(set(hashes)) <= 2, "a worker compiled a version twice"


def test_the_command_runs_on_a_cluster_it_is_given_by_address(base, tmp_path, cluster):
    code, out, err = run_cli(["impact", "--tariff", NEW, "--old", OLD, str(base["jsonl"]), "-o", str(tmp_path / "o"),
                              "--scheduler", cluster.scheduler.address, "--partition-size", "60", "--format", "json"])
    assert code == 1 and json.loads(out)["partitions"] == 4, err
    tariffcheck.impact(NEW, base["jsonl"], old=OLD, out=tmp_path / "here", workers=0, partition_size=60)
    assert result_lines(tmp_path / "o") == result_lines(tmp_path / "here")


def _compiled():
    from tariffcheck.impact import judge

    return list(judge.compiled)


def kill_once(marker: str):
    """A worker plugin that kills its worker's process as an impact task starts, once in all."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class KillOnce(WorkerPlugin):
        name = "kill-once"

        def transition(self, key, start, finish, **kwargs):
            if finish == "executing" and "tariff-impact" in str(key):
                try:
                    fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                except FileExistsError:
                    return
                os.close(fd)
                os._exit(1)

    return KillOnce()


def test_a_worker_killed_mid_run_does_not_change_the_results(base, tmp_path, cluster):
    marker = tmp_path / "killed"
    cluster.register_plugin(kill_once(str(marker)))
    try:
        r = tariffcheck.impact(NEW, base["jsonl"], old=OLD, out=tmp_path / "o", client=cluster, partition_size=20)
    finally:
        cluster.unregister_worker_plugin("kill-once")
    assert marker.exists(), "no worker was killed"
    tariffcheck.impact(NEW, base["jsonl"], old=OLD, out=tmp_path / "here", workers=0, partition_size=20)
    assert result_lines(tmp_path / "o") == result_lines(tmp_path / "here")
    assert r.summary["rows"] == ROWS and not list((tmp_path / "o" / "parts").glob(".*.tmp"))


def test_a_database_that_cannot_be_read_is_B004(tmp_path):
    pytest.importorskip("sqlalchemy")
    code, _, err = run_cli(["impact", "--tariff", OLD, f"sqlite:///{tmp_path / 'no' / 'such.db'}", "--table",
                            "contracts", "-o", str(tmp_path / "o")])
    assert code == 2 and "error[B004]" in err and "help:" in err


def test_a_database_url_is_shown_without_its_password():
    from tariffcheck.impact.sources import is_sql_url, masked

    assert is_sql_url("postgresql+psycopg://ops:s3cret@db.example/base") and not is_sql_url("base.jsonl")
    assert "s3cret" not in masked("postgresql+psycopg://ops:s3cret@db.example/base")
