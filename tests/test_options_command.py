"""`tariff options`: propagation for a partial order from the command line."""

from __future__ import annotations

import json

from conftest import EXAMPLES, run_cli_process

PARTIAL = EXAMPLES / "partial" / "secure_endpoint.json"


def test_options_json_names_forced_and_impossible_values_with_reasons():
    r = run_cli_process(["options", "--tariff", "secure-endpoint", str(PARTIAL), "--format", "json"])
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["status"] == "open" and out["complete"]
    fields = {f["path"]: f for f in out["fields"]}
    edr = fields["contracts[1].options.edr"]  # EDR needs type C; the item is type L
    assert edr["forced"] is False
    impossible = [v for v in edr["values"] if not v["possible"]]
    assert [v["value"] for v in impossible] == [True]
    assert impossible[0]["reason"]["rules"][0]["rule"] == "r5_6_edr"
    assert [c["path"] for c in impossible[0]["reason"]["choices"]] == ["contracts[1].item"]
    conn = fields["contracts[1].options.tunnel.connections"]  # two tunnels, at most 10 each
    assert (conn["low"], conn["high"]) == (0, 20)
    assert conn["above_high"]["rules"][0]["rule"] == "r8_3_connections"


def test_options_on_a_partial_order_that_already_conflicts_exits_1():
    data = json.loads(PARTIAL.read_text(encoding="utf-8"))
    data["contracts"][1]["options"]["edr"] = True
    r = run_cli_process(["options", "--tariff", "secure-endpoint", "-", "--lang", "ja"],
                        stdin=json.dumps(data, ensure_ascii=False))
    assert r.returncode == 1, r.stderr
    assert "矛盾" in r.stdout and "r5_6_edr" in r.stdout


def test_options_with_a_bad_field_is_a_clear_error():
    data = json.loads(PARTIAL.read_text(encoding="utf-8"))
    data["contracts"][1]["options"]["tunel"] = True
    r = run_cli_process(["options", "--tariff", "secure-endpoint", "-"], stdin=json.dumps(data, ensure_ascii=False))
    assert r.returncode == 2
    assert "tunel" in r.stderr and "Traceback" not in r.stderr
