"""`tariff impact` on a base that lives in PostgreSQL: a real server, started by the test in a
folder of its own (initdb, pg_ctl; as the `postgres` user when the tests run as root), on a
Unix socket only. Skipped, saying why, where PostgreSQL or its Python driver is not installed
(.ci/run installs Debian's `postgresql`)."""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

import pytest

from conftest import EXAMPLES, ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from make_base import make_rows, write_base  # noqa: E402

import tariffcheck  # noqa: E402

NEW = str(EXAMPLES / "secure_endpoint_next.tariff")
OLD = "secure-endpoint"
PORT = 54329


def _tool(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


@pytest.fixture(scope="module")
def postgres():
    pytest.importorskip("sqlalchemy")
    pytest.importorskip("psycopg", reason="the PostgreSQL driver psycopg is not installed (pip install psycopg[binary])")
    initdb, pg_ctl = _tool("initdb"), _tool("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL is not installed: no initdb/pg_ctl (Debian: apt-get install postgresql)")
    as_user: list[str] = []
    folder = tempfile.mkdtemp(prefix="tariffcheck-pg-")
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(folder)
            pytest.skip("running as root and there is no `postgres` user to start PostgreSQL as")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    os.chmod(folder, 0o755)
    data = os.path.join(folder, "data")
    log = os.path.join(folder, "log")

    def run(*args):
        return subprocess.run(as_user + list(args), capture_output=True, text=True, timeout=120)

    made = run(initdb, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
    if made.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"initdb failed: {made.stderr.strip()[:300]}")
    started = run(pg_ctl, "-D", data, "-l", log, "-w", "-t", "60", "-o", f"-k {folder} -p {PORT} -h ''", "start")
    if started.returncode != 0:
        text = open(log).read()[-500:] if os.path.exists(log) else started.stderr
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start: {text.strip()}")
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={folder}&port={PORT}"
    finally:
        run(pg_ctl, "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def _lines(out) -> list[dict]:
    rows = []
    for path in sorted((out / "parts").glob("part-*.jsonl")):
        rows += [json.loads(line) for line in path.read_bytes().splitlines()]
    return sorted(rows, key=lambda r: r["row"])


def test_a_postgresql_table_and_query_give_the_results_of_the_file(postgres, tmp_path):
    import sqlalchemy

    rows = make_rows(OLD, 150, seed=21, broken=0.05, malformed=2, pool_size=80)
    write_base(tmp_path / "base.jsonl", rows)
    engine = sqlalchemy.create_engine(postgres)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text('DROP TABLE IF EXISTS contracts'))
        conn.execute(sqlalchemy.text('CREATE TABLE contracts (id text PRIMARY KEY, "order" text, body jsonb)'))
        conn.execute(sqlalchemy.text('INSERT INTO contracts VALUES (:id, :order, CAST(:body AS jsonb))'),
                     [{"id": k, "order": o if isinstance(o, str) else json.dumps(o, ensure_ascii=False),
                       "body": json.dumps(o if isinstance(o, dict) else {"contracts": "none"}, ensure_ascii=False)}
                      for k, o in rows])
    engine.dispose()
    file = tariffcheck.impact(NEW, tmp_path / "base.jsonl", old=OLD, out=tmp_path / "file", workers=0)
    table = tariffcheck.impact(NEW, postgres, old=OLD, out=tmp_path / "table", workers=0, partition_size=40,
                               table="contracts")
    assert table.summary["rows"] == 150 and table.summary["classes"] == file.summary["classes"]
    a, b = _lines(tmp_path / "file"), _lines(tmp_path / "table")
    assert [r.pop("key") for r in b] == [k for k, _ in rows]
    assert len({r.pop("source") for r in b}) == 1
    for r in a:
        r.pop("source")
    assert a == b
    # a query, with the order as jsonb (the driver gives a dict): the same verdicts but for the malformed rows
    q = tariffcheck.impact(NEW, postgres, old=OLD, out=tmp_path / "query", workers=0, partition_size=64,
                           query='SELECT id, body AS "order" FROM contracts')
    assert q.summary["rows"] == 150
    assert q.summary["classes"].get("newly_broken") == file.summary["classes"].get("newly_broken")
    assert q.summary["errors"] == {"O002": 2}
