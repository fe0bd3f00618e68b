"""`POST /v1/review`: the page `tariff review` writes, for two specs uploaded as text; a spec
that does not load answers 422 problem+json with its diagnostics and their spans; a solver out
of time gives the page with the diff's unknown status."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from tariffcheck.service import Limits, ServiceConfig, create_app  # noqa: E402

from conftest import EXAMPLES, ROOT, SPECS, run_cli  # noqa: E402

OLD = EXAMPLES / "secure_endpoint_2025-04.tariff"
NEW = SPECS / "secure_endpoint.tariff"
# the page shows how long the lint took: the one thing that differs from run to run
TOOK = re.compile(r" \(\d+\.\d\d (秒|s)\)")


def make_client(**settings) -> TestClient:
    return TestClient(create_app(ServiceConfig(sighup=False, **settings)), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client():
    with make_client() as c:
        yield c


def body(old_name: str, new_name: str, new_text: str | None = None) -> dict:
    return {"old": OLD.read_text(encoding="utf-8"), "new": new_text or NEW.read_text(encoding="utf-8"),
            "old_name": old_name, "new_name": new_name}


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_the_page_is_the_commands_page(client, tmp_path, lang):
    old_name, new_name = OLD.relative_to(ROOT).as_posix(), NEW.relative_to(ROOT).as_posix()
    out = tmp_path / "review.html"
    code, _, err = run_cli(["review", old_name, new_name, "--lang", lang, "-o", str(out)])
    assert code == 1, err  # the two versions differ
    r = client.post(f"/v1/review?lang={lang}", json=body(old_name, new_name))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["review-status"] == "different"
    page, expected = r.content.decode("utf-8"), out.read_text(encoding="utf-8")
    assert TOOK.search(expected), "the lint's time is no longer on the page: compare the bytes as they are"
    assert TOOK.sub("", page) == TOOK.sub("", expected)


def test_a_spec_that_does_not_load_is_422_with_its_diagnostics(client):
    broken = NEW.read_text(encoding="utf-8").replace("as_of", "as_off", 1)
    r = client.post("/v1/review", json=body("old.tariff", "mine.tariff", broken))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"] == "/problems/bad-spec" and problem["detail"].startswith("the new version does not load")
    first = problem["errors"][0]
    assert first["code"] == problem["code"] and re.fullmatch(r"E0\d\d", first["code"])
    assert first["spec"] == "new" and first["file"] == "mine.tariff" and first["line"] >= 1 and first["column"] >= 1
    assert "Traceback" not in r.text


def test_both_specs_broken_are_both_reported(client):
    r = client.post("/v1/review", json={"old": "tariff {", "new": "nonsense"})
    assert r.status_code == 422, r.text
    specs = {e["spec"] for e in r.json()["errors"]}
    assert specs == {"old", "new"} and r.json()["detail"].startswith("the old and the new version do not load")


@pytest.mark.parametrize("payload, status", [(b"{not json", 400), (b'{"old": "x"}', 422),
                                             (b'{"old": "x", "new": "y", "extra": 1}', 422)])
def test_a_malformed_request_is_a_problem(client, payload, status):
    r = client.post("/v1/review", content=payload, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["code"] == "S003"


def test_the_body_limit_holds():
    with make_client(limits=Limits(max_body_bytes=1000)) as c:
        r = c.post("/v1/review", json=body("a.tariff", "b.tariff"))
    assert r.status_code == 413 and r.json()["code"] == "S001"


def test_a_solver_out_of_time_gives_the_page_with_unknown():
    with make_client(limits=Limits(timeout_ms=1)) as c:
        r = c.post("/v1/review?lang=en", json=body("old.tariff", "new.tariff"))
        metrics = c.get("/metrics").text
    assert r.status_code == 200, r.text
    assert r.headers["review-status"] == "unknown"
    assert r.headers["content-type"] == "text/html; charset=utf-8" and "not proven" in r.text
    assert 'tariff_solver_timeouts_total{endpoint="/v1/review",tariff="-"} 1.0' in metrics


def test_the_openapi_document_types_the_request(client):
    op = client.get("/openapi.json").json()["paths"]["/v1/review"]["post"]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["old", "new"] and schema["additionalProperties"] is False
    assert "text/html" in op["responses"]["200"]["content"]
    assert op["responses"]["422"]["content"]["application/problem+json"]


def test_an_uploaded_spec_reads_no_file_outside_the_sources_folder(tmp_path):
    # a spec's `source` names a file in the sources folder; a path (`../…`, absolute) reads nothing
    from tariffcheck.model.clauses import source_path

    secret = tmp_path / "secret.txt"
    secret.write_text("第1条\n秘密\n", encoding="utf-8")
    assert source_path("secret.txt", None, str(tmp_path)) == secret  # a plain name in the folder is read
    for bad in (str(secret), "../" + tmp_path.name + "/secret.txt", "..", "sub/secret.txt"):
        assert source_path(bad, None, str(tmp_path / "sub")) is None, bad
