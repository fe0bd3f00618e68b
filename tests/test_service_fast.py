"""The fast path of check and check:batch (service/fast.py) answers what the documented FastAPI
routes answer: the same status, headers and body bytes, for valid and invalid orders, malformed
and too-large bodies, unknown tariffs and missing or wrong API keys; the requests it does not
take (the text report, engine=z3, a bad parameter) go to FastAPI; and the metrics and the access
log see its requests as they see the routes'."""

from __future__ import annotations

import json
import logging

import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from tariffcheck.service import Limits, ServiceConfig, create_app  # noqa: E402
from tariffcheck.service import fast  # noqa: E402

from conftest import EXAMPLES, FIXTURES  # noqa: E402

SE = "secure-endpoint"
CHECK = f"/v1/tariffs/{SE}/check"
BATCH = f"/v1/tariffs/{SE}/check:batch"
VALID = (EXAMPLES / "secure_endpoint_valid.json").read_bytes()
INVALID = (EXAMPLES / "secure_endpoint_invalid.json").read_bytes()
NDJSON = {"content-type": "application/x-ndjson"}


def pair(**settings) -> tuple[TestClient, TestClient]:
    """Two clients of the same service: the fast path on, and off (FastAPI answers everything)."""
    made = [TestClient(create_app(ServiceConfig(sighup=False, fast_routes=on, **settings)),
                       raise_server_exceptions=False) for on in (True, False)]
    return made[0], made[1]


@pytest.fixture(scope="module")
def clients():
    quick, documented = pair(limits=Limits(max_body_bytes=4_000, max_batch=3, max_depth=6))
    with quick, documented:
        yield quick, documented


@pytest.fixture
def fast_calls(monkeypatch):
    """How many requests the fast path itself answered."""
    seen = []
    real_one, real_many = fast.check_one, fast.check_many

    async def one(*args):
        seen.append("check")
        return await real_one(*args)

    async def many(*args):
        seen.append("check:batch")
        return await real_many(*args)

    monkeypatch.setattr(fast, "check_one", one)
    monkeypatch.setattr(fast, "check_many", many)
    return seen


def same(clients, path: str, body: bytes, headers: dict | None = None, params: dict | None = None):
    """Send one request to both apps; they must answer alike, byte for byte (but the request id)."""
    answers = [c.post(path, content=body, headers=headers or {}, params=params) for c in clients]
    quick, documented = answers
    assert quick.status_code == documented.status_code, (quick.text, documented.text)
    assert quick.content == documented.content
    heads = [{k: v for k, v in a.headers.items() if k != "x-request-id"} for a in answers]
    assert heads[0] == heads[1]
    assert list(heads[0]) == list(heads[1])  # in the same order too
    assert all(a.headers["x-request-id"] for a in answers)
    return quick


def example_orders() -> list[tuple[str, bytes]]:
    out = []
    for path in sorted(EXAMPLES.glob("*.json")):
        out.append((json.loads(path.read_text(encoding="utf-8"))["tariff"], path.read_bytes()))
    return out


@pytest.mark.parametrize("tariff, body", example_orders(), ids=[p.stem for p in sorted(EXAMPLES.glob("*.json"))])
def test_every_example_order_gets_the_same_answer(clients, fast_calls, tariff, body):
    r = same(clients, f"/v1/tariffs/{tariff}/check", body)
    assert r.status_code == 200 and r.json()["verdict"] in ("valid", "invalid")
    assert fast_calls == ["check"]


@pytest.mark.parametrize("fixture", sorted(p.name for p in (FIXTURES / "orders").glob("*.json")))
def test_every_malformed_order_gets_the_same_problem(clients, fast_calls, fixture):
    r = same(clients, CHECK, (FIXTURES / "orders" / fixture).read_bytes())
    assert r.headers["content-type"] in ("application/problem+json", "application/json")
    if r.status_code != 200:
        assert r.json()["instance"] == CHECK
    assert fast_calls == ["check"]


@pytest.mark.parametrize("body, status", [
    (b"", 400),  # no body: O011
    (b'{"contracts": [}', 400),  # not JSON: O001 with line and column
    (b"\xff\xfe", 400),  # not UTF-8
    (json.dumps({"contracts": [{"a": [[[[[[1]]]]]]}]}).encode(), 422),  # past max_depth: S002
    (json.dumps({"description": "x" * 5_000, "contracts": []}).encode(), 413),  # past max_body_bytes: S001
    (b"[1, 2]", 422),
])
def test_bodies_that_are_not_orders_get_the_same_problem(clients, fast_calls, body, status):
    r = same(clients, CHECK, body)
    assert r.status_code == status and r.headers["content-type"] == "application/problem+json"
    assert fast_calls == ["check"]


def test_a_streamed_body_past_the_limit_is_refused_alike(clients, fast_calls):
    big = json.dumps({"description": "x" * 5_000}).encode()
    # no content-length: the limit is found while reading
    answers = [c.post(CHECK, content=iter([big[:3_000], big[3_000:]])) for c in clients]
    assert [a.status_code for a in answers] == [413, 413] and answers[0].content == answers[1].content
    assert answers[0].json()["code"] == "S001" and fast_calls == ["check"]


def test_an_unknown_tariff_gets_the_same_404(clients, fast_calls):
    r = same(clients, "/v1/tariffs/secure-endpont/check", VALID)
    assert r.status_code == 404 and r.json()["code"] == "T001"
    same(clients, "/v1/tariffs/secure-endpont/check:batch", b"[]")
    assert fast_calls == ["check", "check:batch"]


@pytest.mark.parametrize("params", [{"lang": "ja"}, {"lang": "en", "engine": "concrete"}])
def test_parameters_that_do_not_change_json_take_the_fast_path(clients, fast_calls, params):
    same(clients, CHECK, INVALID, params=params)
    assert fast_calls == ["check"]


@pytest.mark.parametrize("params, headers, status", [
    ({"engine": "z3"}, {}, 200),
    ({"engine": "smt"}, {}, 422),
    ({"lang": "fr"}, {}, 422),
    ({"engine": "concrete", "timeout_ms": "0"}, {}, 422),
    ({"lang": "ja"}, {"accept": "text/plain"}, 200),
])
def test_what_the_fast_path_does_not_know_goes_to_fastapi(clients, fast_calls, params, headers, status):
    r = same(clients, CHECK, INVALID, headers=headers, params=params)
    assert r.status_code == status
    assert fast_calls == []


def test_other_methods_and_paths_go_to_fastapi(clients, fast_calls):
    for c in clients:
        assert c.get(CHECK).status_code == 405
        assert c.post(CHECK + "/", content=VALID, follow_redirects=False).status_code == 307
        assert c.post(f"/v1/tariffs/{SE}/checks", content=VALID).status_code == 404
    same(clients, f"/v1/tariffs/{SE}/dates", VALID)
    assert fast_calls == []


@pytest.mark.parametrize("body, headers", [
    (json.dumps([json.loads(VALID), json.loads(INVALID)]).encode(), {}),
    (VALID.replace(b"\n", b"") + b"\n{not json\n" + INVALID.replace(b"\n", b""), NDJSON),
    (VALID.replace(b"\n", b"") + b"\n" + INVALID.replace(b"\n", b""), dict(NDJSON, accept="application/x-ndjson")),
    (b'[{"a": 1, "a": 2}, {}]', {}),  # a key given twice: O012 for that order
    (b"[{}, {}, {}, {}]", {}),  # past max_batch: 413 S004
    (b"{}", {}),  # not an array: O002
    (b"[1,", {}),  # not JSON: O001
    (b"", {}),
])
def test_a_batch_gets_the_same_answer(clients, fast_calls, body, headers):
    same(clients, BATCH, body, headers=headers)
    assert fast_calls == ["check:batch"]


def test_api_keys_are_asked_for_alike(caplog):
    quick, documented = pair(api_keys=frozenset({"key-one"}))
    with quick, documented:
        for path, body in ((CHECK, VALID), (BATCH, b"[]"), ("/v1/tariffs/nope/check", VALID)):
            assert same((quick, documented), path, body).status_code == 401
            assert same((quick, documented), path, body, headers={"x-api-key": "key-two"}).status_code == 403
            assert same((quick, documented), path, body, headers={"x-api-key": ""}).status_code == 401
        with caplog.at_level(logging.INFO, logger="tariffcheck.access"):
            r = same((quick, documented), CHECK, VALID, headers={"x-api-key": "key-one"})
        assert r.status_code == 200 and "key-one" not in caplog.text


def test_metrics_and_the_access_log_see_the_fast_path_as_the_route(caplog):
    clients = pair()
    with clients[0], clients[1]:
        with caplog.at_level(logging.INFO, logger="tariffcheck.access"):
            for c in clients:
                c.post(CHECK, content=VALID, headers={"x-request-id": "fast-1"})
                c.post(BATCH, content=b"[{}]")
        texts = [c.get("/metrics").text for c in clients]
    lines = [json.loads(rec.getMessage()) for rec in caplog.records if rec.name == "tariffcheck.access"]
    ours = [{k: v for k, v in line.items() if k not in ("ts", "ms", "request_id")} for line in lines]
    assert ours[:2] == ours[2:4]
    assert ours[0]["endpoint"] == "/v1/tariffs/{name}/check" and ours[0]["tariff"] == SE
    assert ours[1]["endpoint"] == "/v1/tariffs/{name}/check:batch"
    assert lines[0]["request_id"] == "fast-1"
    for text in texts:
        assert 'tariff_requests_total{endpoint="/v1/tariffs/{name}/check",status="200",tariff="secure-endpoint"}' in text
        assert 'tariff_batch_orders_total{tariff="secure-endpoint"} 1.0' in text


def test_an_unforeseen_error_on_the_fast_path_is_the_same_500(caplog):
    quick, documented = pair()
    with quick, documented:
        for c in (quick, documented):
            served = c.app.state.service.registry.get(SE)

            def broken(*args, **kwargs):
                raise RuntimeError("an internal detail the client must not see")

            served.checker.check = broken
        with caplog.at_level(logging.ERROR, logger="tariffcheck.service"):
            r = same((quick, documented), CHECK, VALID, headers={"x-request-id": "req-7"})
        assert r.status_code == 500 and "internal detail" not in r.text and r.json()["request_id"] == "req-7"


def test_the_openapi_document_still_describes_the_fast_endpoints(clients):
    docs = [c.get("/openapi.json").json() for c in clients]
    assert docs[0] == docs[1]
    post = docs[0]["paths"]["/v1/tariffs/{name}/check"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Order"}
    assert docs[0]["paths"]["/v1/tariffs/{name}/check:batch"]["post"]["responses"]["200"]


# ---- the plain JSON path (service/plain_json.py): orjson where it gives json's very bytes ----------
def _with(changes: dict, contract: dict | None = None) -> dict:
    order = json.loads(INVALID)
    order.update(changes)
    order["contracts"][1].update(contract or {})
    return order


def _line(order: dict) -> bytes:
    return json.dumps(order, ensure_ascii=False).encode()


# each is one order's JSON on one line that orjson reads or writes otherwise than json, or that
# the json path refuses with a message of its own
TRICKY = {
    "bidi-override-in-an-id": _line(_with({}, {"id": "se\u202e1"})),
    "controls-and-separators-in-an-id": _line(_with({}, {"id": "se\x7f\u0085\u2028\u061c\u2066\x01-1"})),
    "emoji-in-an-id": _line(_with({}, {"id": "se-😀"})),
    "lone-surrogate-in-an-id": _line(_with({}, {"id": "se-1"})).replace(b'"se-1"', b'"se-\\ud800"'),
    "float-count": _line(_with({}, {"accounts": 37.0})),
    "exponent-count": _line(_with({}, {"accounts": 1e1})),
    "huge-count": _line(_with({}, {"accounts": 2**70})),
    "u64-count": _line(_with({}, {"accounts": 2**64 - 1})),
    "minus-zero": _line(_with({}, {"accounts": 37})).replace(b'"accounts": 37', b'"accounts": -0'),
    "nan-count": _line(_with({}, {"accounts": 37})).replace(b'"accounts": 37', b'"accounts": NaN'),
    "digits-in-a-string": _line(_with({"description": "version 1.2, 3e5 units: 12345678901234567890"})),
    "repeated-key": _line(_with({})).replace(b'{"description"', b'{"tariff": "secure-endpoint", "description"'),
    "repeated-key-hidden-by-escaped-colons": _line(_with({})).replace(
        b'{"description"', b'{"k": "\\u003a", "k": "\\u003a", "description"'),
    "byte-order-mark": b"\xef\xbb\xbf" + _line(_with({})),
    "carriage-return": _line(_with({})) + b"\r",
    "deep": _line(_with({"x": [[[[[[[1]]]]]]]})),
    "not-utf-8": _line(_with({}, {"id": "se-1"})).replace(b"se-1", b"se-\xff"),
}


@pytest.fixture(scope="module")
def roomy():
    """The fast path on and off, with the limits an order-entry system would meet."""
    quick, documented = pair()
    with quick, documented:
        yield quick, documented


@pytest.fixture
def json_path(monkeypatch):
    """Call to make every request of the service take the json module's path (no orjson)."""
    from tariffcheck.service import plain_json

    return lambda: monkeypatch.setattr(plain_json, "orjson", None)


@pytest.mark.parametrize("case", sorted(TRICKY))
def test_tricky_json_gets_the_bytes_of_the_json_path(roomy, json_path, case):
    pytest.importorskip("orjson")
    line = TRICKY[case]
    normal = _line(_with({}))
    requests = [(CHECK, line, {}),
                (BATCH, normal + b"\n" + line + b"\n\n" + normal, NDJSON),
                (BATCH, normal + b"\n" + line, dict(NDJSON, accept="application/x-ndjson"))]
    if not line.startswith(b"\xef\xbb\xbf"):  # a mark inside an array is not JSON either way
        requests.append((BATCH, b"[" + normal + b"," + line.strip() + b"]", {}))
    answers = [same(roomy, path, body, headers).content for path, body, headers in requests]
    json_path()
    assert [same(roomy, path, body, headers).content for path, body, headers in requests] == answers


def test_plain_batches_take_orjson_and_give_the_bytes_of_the_json_path(roomy, json_path):
    pytest.importorskip("orjson")
    from tariffcheck.service.requests import NDJSON as ND, batch_orders

    lines = [path.read_bytes().replace(b"\n", b"") for path in sorted(EXAMPLES.glob("secure_endpoint_*.json"))]
    bodies = [(b"\n".join(lines), NDJSON), (b"\n".join(lines), dict(NDJSON, accept="application/x-ndjson")),
              (b"[" + b",".join(lines) + b"]", {})]
    for body, headers in bodies:  # the plain path is taken: the comparison below is not json against json
        assert batch_orders(body, headers.get("content-type", ""), 10, 32)[1] is True
    answers = [same(roomy, BATCH, body, headers).content for body, headers in bodies]
    assert all(b'"verdict":"invalid"' in a for a in answers)
    json_path()
    assert [same(roomy, BATCH, body, headers).content for body, headers in bodies] == answers
    assert batch_orders(bodies[0][0], ND, 10, 32)[1] is False
