"""The HTTP service (issue 11, item 4), tested as a host uses it: the real server
(``udbudsregler serve``, uvicorn) started on 127.0.0.1 in its own process, called with a
real HTTP client (httpx): decisions, settlements and explanations equal the library's,
every bad input is an RFC 9457 problem with field paths and no traceback, concurrent
requests, the OpenAPI document built from the input schemas, and hot reload that never
serves a half-loaded policy."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx", reason="the dev extra installs httpx")
pytest.importorskip("fastapi", reason="the serve extra installs FastAPI")

import udbudsregler as ur  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SLAGELSE = ROOT / "policies" / "slagelse-2019"
KOEBENHAVN = ROOT / "policies" / "koebenhavn-2024"
CITIZEN = json.loads((ROOT / "examples" / "data" / "citizen.json").read_text(encoding="utf-8"))
REFERRAL = json.loads((ROOT / "docs" / "examples" / "referral.json").read_text(
    encoding="utf-8"))
SUPPLIERS = json.loads((ROOT / "examples" / "data" / "suppliers.json").read_text(
    encoding="utf-8"))
PROBLEM = "application/problem+json"


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    folder: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


def _start(folders: list[Path], *extra: str) -> Server:
    process = subprocess.Popen(
        [sys.executable, "-m", "udbudsregler", "serve", *map(str, folders), "--port", "0",
         *extra], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"on (http://127\.0\.0\.1:\d+)", line)
    if found is None:
        process.kill()
        raise AssertionError(f"the server did not start: {line}{process.stdout.read()}")
    server = Server(process, found.group(1), folders[0].parent)
    with server.client() as client:  # bounded wait until it answers
        for _ in range(100):
            try:
                client.get("/health")
                break
            except httpx.TransportError:
                time.sleep(0.1)
    return server


def _stop(server: Server) -> str:
    server.process.terminate()
    try:
        out, _ = server.process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        out, _ = server.process.communicate()
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("served")
    copies = [folder / SLAGELSE.name, folder / KOEBENHAVN.name]
    shutil.copytree(SLAGELSE, copies[0])
    shutil.copytree(KOEBENHAVN, copies[1])
    started = _start(copies, "--reload-interval", "0")
    yield started
    log = _stop(started)
    assert "Traceback" not in log, log


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


def test_health_version_and_policies(server: Server) -> None:
    with server.client() as client:
        health = client.get("/health").json()
        assert health["status"] == "ok"
        assert [p["id"] for p in health["policies"]] == ["slagelse-2019", "koebenhavn-2024"]
        assert health["policies"][0]["content_hash"] == ur.load_policy(SLAGELSE).content_hash
        version = client.get("/version").json()
        assert version["udbudsregler"] == ur.__version__ and version["record_format"] == 1
        assert {"python", "fastapi", "uvicorn"} <= set(version)
        assert [p["id"] for p in client.get("/policies").json()] == \
            ["slagelse-2019", "koebenhavn-2024"]


def test_decide_answers_the_librarys_record(server: Server) -> None:
    policy = ur.load_policy(SLAGELSE)
    expected = policy.decide(CITIZEN, "2019-02-01")
    with server.client() as client:
        full = client.post("/policies/slagelse-2019/decide",
                           json={"facts": CITIZEN, "on": "2019-02-01"})
        compact = client.post("/policies/slagelse-2019/decide",
                              json={"facts": CITIZEN, "on": "2019-02-01", "compact": True})
    assert full.status_code == 200 and full.headers["content-type"] == "application/json"
    assert full.json() == json.loads(expected.to_json())
    assert compact.json() == json.loads(json.dumps(expected.to_dict(compact=True)))
    assert ur.replay(full.text, policy).same  # an answer is a record that replays


def test_decide_with_order_suppliers_and_exact_decimals(server: Server) -> None:
    text = (ROOT / "docs" / "examples" / "citizen-koebenhavn.json").read_text(encoding="utf-8")
    facts = json.loads(text, parse_float=Decimal)
    order = {"package": "job", "weekly_hours": "12.50"}
    body = ('{"facts": ' + text + ', "on": "2024-03-01", "order": {"package": "job", '
            '"weekly_hours": 12.50}, "suppliers": ' + json.dumps(SUPPLIERS) + "}")
    with server.client() as client:
        response = client.post("/policies/koebenhavn-2024/decide", content=body,
                               headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["order"]["weekly_hours"] == "12.50"  # never a float
    expected = ur.load_policy(KOEBENHAVN).decide(facts, "2024-03-01", order=order,
                                                 suppliers=SUPPLIERS)
    assert record["package"] == json.loads(json.dumps(expected.to_dict()))["package"]
    assert record["supplier"] == expected.supplier and record["area"] == expected.area


def test_settle_and_explain(server: Server) -> None:
    policy = ur.load_policy(SLAGELSE)
    settlement = policy.settle(REFERRAL["referral"], REFERRAL["outcomes"], until="2021-06-30")
    decision = policy.decide(CITIZEN, "2019-02-01")
    with server.client() as client:
        settled = client.post("/policies/slagelse-2019/settle",
                              json={**REFERRAL, "until": "2021-06-30"})
        explained = client.post("/policies/slagelse-2019/explain",
                                json={"facts": CITIZEN, "on": "2019-02-01", "language": "en"})
        danish = client.post("/policies/slagelse-2019/explain",
                             json={**REFERRAL, "until": "2021-06-30"})
        swedish = client.post("/policies/slagelse-2019/explain",
                              json={**REFERRAL, "until": "2021-06-30", "language": "sv"})
    assert swedish.json()["text"] == settlement.explain("sv")
    assert swedish.json()["language"] == "sv" and "Totalt: " in swedish.json()["text"]
    assert settled.json() == json.loads(settlement.to_json())
    assert explained.json()["text"] == decision.explain("en")
    assert explained.json()["language"] == "en"
    assert danish.json()["text"] == settlement.explain() and danish.json()["language"] == "da"


def test_the_schemas_and_the_openapi_document(server: Server) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    policy = ur.load_policy(KOEBENHAVN)
    with server.client() as client:
        schemas = client.get("/policies/koebenhavn-2024/schema").json()
        document = client.get("/openapi.json").json()
        docs = client.get("/docs")
    assert schemas == json.loads(json.dumps(policy.schemas()))
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert document["openapi"].startswith("3.1")
    operation = document["paths"]["/policies/koebenhavn-2024/decide"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/koebenhavn-2024.decide"}
    assert "/policies/slagelse-2019/settle" in document["paths"]
    explain = document["components"]["schemas"]["koebenhavn-2024.explain"]
    assert explain["anyOf"][0]["properties"]["language"]["enum"] == ["da", "en", "sv"]
    assert "/policies/{policy_id}/decide" in document["paths"]
    assert operation["responses"]["422"]["content"][PROBLEM]["schema"] == \
        {"$ref": "#/components/schemas/Problem"}
    text = json.dumps(document)
    for ref in set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text)):
        assert ref in document["components"]["schemas"], ref
    # the request body's schema, resolved in the document, accepts a real request and
    # rejects a wrong one, as the service does
    registry = {"$ref": "#/components/schemas/koebenhavn-2024.decide",
                "components": document["components"]}
    validator = jsonschema.Draft202012Validator(registry)
    facts = json.loads((ROOT / "docs" / "examples" / "citizen-koebenhavn.json").read_text(
        encoding="utf-8"))
    assert validator.is_valid({"facts": facts, "on": "2024-03-01",
                               "order": {"package": "job", "weekly_hours": 12}})
    assert not validator.is_valid({"facts": facts, "on": "2024-03-01",
                                   "order": {"package": "no_such_package"}})
    assert not validator.is_valid({"facts": {}, "on": "2024-03-01"})


def test_bad_input_is_a_problem_with_field_paths(server: Server) -> None:
    with server.client() as client:
        bad = client.post("/policies/slagelse-2019/decide", json={
            "facts": {**CITIZEN, "birth_date": "1984-02-30", "visitation": "x"},
            "on": "tomorrow", "order": {"weekly_hours": -1}})
        body = _problem(bad, 422)
        assert body["type"] == "urn:udbudsregler:problem:input"
        assert body["instance"] == "/policies/slagelse-2019/decide"
        errors = {e["pointer"]: e for e in body["errors"]}
        assert {"/facts/birth_date", "/facts/visitation", "/on"} <= set(errors)
        assert any(p.startswith("/order") for p in errors)
        assert errors["/facts/birth_date"]["code"] == "UDB603"
        assert errors["/facts/birth_date"]["path"] == "birth_date"
        assert all(e["hint"] for e in body["errors"])

        offers = client.post("/policies/slagelse-2019/decide", json={
            "facts": {**CITIZEN, "offers": [{**CITIZEN["offers"][0], "weekly_hours": "many"}]},
            "on": "2019-02-01"})
        assert [e["pointer"] for e in _problem(offers, 422)["errors"]] == \
            ["/facts/offers/0/weekly_hours"]

        keys = _problem(client.post("/policies/slagelse-2019/decide",
                                    json={"fact": CITIZEN, "on": "2019-02-01"}), 422)
        assert {e["path"]: e["code"] for e in keys["errors"]} == \
            {"facts": "UDB601", "fact": "UDB606"}

        outside = _problem(client.post("/policies/slagelse-2019/decide",
                                       json={"facts": CITIZEN, "on": "2030-01-01"}), 422)
        assert outside["type"] == "urn:udbudsregler:problem:evaluation"
        assert outside["errors"][0]["code"] == "UDB703"

        settle = _problem(client.post("/policies/slagelse-2019/settle", json={
            "referral": {**REFERRAL["referral"], "start": "2019-13-01"},
            "outcomes": [{"kind": "nope", "from": "2020-01-01", "to": None}],
            "until": "2021-06-30"}), 422)
        assert {e["pointer"] for e in settle["errors"]} == \
            {"/referral/start", "/outcomes/0/kind"}

        duplicate = _problem(client.post(
            "/policies/slagelse-2019/decide", content='{"facts": {}, "facts": {}, "on": 1}',
            headers={"content-type": "application/json"}), 422)
        assert duplicate["errors"][0]["code"] == "UDB609"

        assert _problem(client.post("/policies/slagelse-2019/decide", content=b"{nope"),
                        400)["type"] == "urn:udbudsregler:problem:not-json"
        assert _problem(client.post("/policies/slagelse-2019/decide", content=b"\xff\xfe"),
                        400)["detail"] == "the body is not UTF-8 text"
        assert _problem(client.post("/policies/slagelse-2019/decide", json=[1]), 422)
        assert _problem(client.post("/policies/nope/decide", json={}), 404)["type"] == \
            "urn:udbudsregler:problem:unknown-policy"
        assert _problem(client.get("/policies/nope/schema"), 404)
        assert _problem(client.get("/nothing/here"), 404)["type"] == "about:blank"
        assert _problem(client.get("/policies/slagelse-2019/decide"), 405)
        big = b'{"facts": "' + b"x" * (5 * 1024 * 1024) + b'"}'
        assert _problem(client.post("/policies/slagelse-2019/decide", content=big), 413)
        language = _problem(client.post("/policies/slagelse-2019/explain", json={
            "facts": CITIZEN, "on": "2019-02-01", "language": "fr"}), 422)
        assert language["errors"][0]["path"] == "language"
        assert language["errors"][0]["message"] == "expected one of da, en, sv"


def test_a_lone_surrogate_in_a_key_of_the_body_is_a_problem(server: Server) -> None:
    # Valid JSON (the escape of a lone surrogate) in a key of the body itself: the answer
    # was an internal error, as the problem's path could not be written as UTF-8.
    facts = json.dumps(CITIZEN)
    bodies = {"decide": f'{{"facts": {facts}, "on": "2019-06-01", "\\ud800": 1}}',
              "explain": f'{{"facts": {facts}, "on": "2019-06-01", "\\ud800": 1}}',
              "settle": f'{{"referral": {json.dumps(REFERRAL["referral"])}, '
                        f'"until": "2021-06-30", "\\ud800": 1}}'}
    with server.client() as client:
        for route, text in bodies.items():
            response = client.post(f"/policies/slagelse-2019/{route}", content=text,
                                   headers={"content-type": "application/json"})
            body = _problem(response, 422)
            assert body["type"] == "urn:udbudsregler:problem:input"
            assert [(e["code"], e["path"]) for e in body["errors"]] == \
                [("UDB606", "\\ud800")], route


def test_pointers_of_keys_with_dots_or_named_as_the_fields_of_the_body(
        server: Server) -> None:
    # A path is dotted text: `a.b` may be one key, and a fact `on` has the path of the
    # date. The pointer is found from the input the problem is in and its keys.
    with server.client() as client:
        def pointers(route: str, body: Any) -> list[tuple[str, str]]:
            found = _problem(client.post(f"/policies/slagelse-2019/{route}", json=body), 422)
            return [(e["path"], e["pointer"]) for e in found["errors"]]

        for key, expected in [("a.b", "/facts/a.b"), ("on", "/facts/on"),
                              ("order", "/facts/order"), ("", "/facts/"),
                              ("x[0]", "/facts/x[0]"), ("a/b~c", "/facts/a~1b~0c")]:
            for route in ("decide", "explain"):
                assert pointers(route, {"facts": {**CITIZEN, key: 1}, "on": "2019-02-01"}
                                ) == [(key, expected)]
        assert pointers("decide", {"facts": {**CITIZEN, "on": 1}, "on": "tomorrow",
                                   "order": {"a.b": 1}, "a.b": 2}) == [("a.b", "/a.b")]
        assert sorted(pointers("decide", {"facts": {**CITIZEN, "on": 1}, "on": "tomorrow",
                                          "order": {"a.b": 1}})) == \
            [("on", "/facts/on"), ("on", "/on"), ("order.a.b", "/order/a.b")]
        offer = {**CITIZEN["offers"][0], "x.y": 1}
        assert pointers("decide", {"facts": {**CITIZEN, "offers": [offer]},
                                   "on": "2019-02-01"}) == \
            [("offers[0].x.y", "/facts/offers/0/x.y")]
        assert pointers("decide", [1]) == [("", "")]  # the body as a whole
        referral = {**REFERRAL["referral"], "a.b": 1}
        assert pointers("settle", {"referral": referral, "until": "2021-06-30"}) == \
            [("referral.a.b", "/referral/a.b")]


def test_problem_bodies_are_always_utf8() -> None:
    from udbudsregler.service.app import _problem_response
    from udbudsregler.service.problems import problem

    body = problem("input", 422, "bad \ud800 text", "/x", errors=[
        {"path": "a.\udfff", "message": "no such key `\ud800`", "hint": "æ ø å"}])
    response = _problem_response(422, body)
    assert json.loads(response.body.decode("utf-8")) == {
        **body, "detail": "bad \\ud800 text", "errors": [
            {"path": "a.\\udfff", "message": "no such key `\\ud800`", "hint": "æ ø å"}]}

def test_concurrent_requests_get_their_own_answers(server: Server) -> None:
    policy = ur.load_policy(SLAGELSE)
    citizens = []
    for year in range(1950, 2000, 2):
        citizens.append({**CITIZEN, "birth_date": f"{year}-06-15"})
    expected = [policy.decide(c, "2019-02-01").to_dict(compact=True) for c in citizens]

    def ask(client: httpx.Client, index: int) -> tuple[int, Any]:
        if index % 5 == 4:  # bad input among good
            response = client.post("/policies/slagelse-2019/decide",
                                   json={"facts": {}, "on": "2019-02-01"})
            return index, response.status_code
        citizen = citizens[index % len(citizens)]
        response = client.post("/policies/slagelse-2019/decide",
                               json={"facts": citizen, "on": "2019-02-01", "compact": True})
        return index, response.json()

    def worker(first: int) -> list[tuple[int, Any]]:
        with server.client() as client:  # one connection per worker, 25 requests each
            return [ask(client, index) for index in range(first, 200, 8)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = [a for chunk in pool.map(worker, range(8)) for a in chunk]
    assert sorted(i for i, _ in answers) == list(range(200))
    for index, answer in answers:
        if index % 5 == 4:
            assert answer == 422
        else:
            assert answer == json.loads(json.dumps(expected[index % len(citizens)]))
    assert {a["eligible"] for i, a in answers if i % 5 != 4} == {True, False}


def test_hot_reload_never_serves_a_half_loaded_policy(tmp_path: Path) -> None:
    folder = tmp_path / "slagelse-2019"
    shutil.copytree(SLAGELSE, folder)
    old = ur.load_policy(folder)
    young = {**CITIZEN, "birth_date": "1992-06-01"}  # 26: eligible only from 25
    server = _start([folder], "--reload-interval", "0.1")
    try:
        seen: list[tuple[str, bool]] = []

        def decide(client: httpx.Client) -> tuple[str, bool]:
            response = client.post("/policies/slagelse-2019/decide",
                                   json={"facts": young, "on": "2019-02-01"})
            assert response.status_code == 200, response.text
            record = response.json()
            return record["policy"]["content_hash"], record["eligible"]

        part = folder / "maalgruppe.yaml"
        text = part.read_text(encoding="utf-8")
        with server.client() as client:
            seen.append(decide(client))
            # A broken change: the old policy goes on being served, health says why.
            part.write_text(text.replace("value: 30", "value: thirty +"), encoding="utf-8")
            health = _wait(client, lambda h: h["status"] == "degraded")
            assert health["policies"][0]["reload_error"][0]["code"].startswith("UDB")
            assert health["policies"][0]["content_hash"] == old.content_hash
            seen.append(decide(client))
            # The fix: written in two steps (a half-written file first), while requests
            # keep coming; each answer is the old policy or the new one, whole.
            new_text = text.replace("value: 30", "value: 25")
            with ThreadPoolExecutor(max_workers=4) as pool:
                futures = [pool.submit(_decide_loop, server, young) for _ in range(3)]
                part.write_text(new_text[: len(new_text) // 2], encoding="utf-8")
                time.sleep(0.3)
                part.write_text(new_text, encoding="utf-8")
                health = _wait(client, lambda h: h["status"] == "ok" and
                               h["policies"][0]["content_hash"] != old.content_hash)
                for future in futures:
                    seen += future.result()
            seen.append(decide(client))
        new = ur.load_policy(folder)
        assert health["policies"][0]["content_hash"] == new.content_hash
        assert health["policies"][0]["reloads"] >= 1
        assert set(seen) <= {(old.content_hash, False), (new.content_hash, True)}
        assert seen[0] == (old.content_hash, False) and seen[-1] == (new.content_hash, True)
    finally:
        log = _stop(server)
    assert "reloaded slagelse-2019" in log and "Traceback" not in log


def _decide_loop(server: Server, facts: dict[str, Any]) -> list[tuple[str, bool]]:
    out = []
    with server.client() as client:
        for _ in range(30):
            response = client.post("/policies/slagelse-2019/decide",
                                   json={"facts": facts, "on": "2019-02-01"})
            assert response.status_code == 200, response.text
            record = response.json()
            out.append((record["policy"]["content_hash"], record["eligible"]))
    return out


def _wait(client: httpx.Client, done: Any) -> dict[str, Any]:
    """/health until ``done`` says so (at most about 30 s: this waits, it does not time)."""
    for _ in range(300):
        health: dict[str, Any] = client.get("/health").json()
        if done(health):
            return health
        time.sleep(0.1)
    raise AssertionError(f"the server never got there: {health}")


def test_the_command_line_refuses_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    from udbudsregler.cli.main import main

    assert main(["serve", "no/such/policy"]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert main(["serve", str(SLAGELSE), "--port", "70000"]) == 2
    assert main(["serve", str(ROOT / "tests" / "corpus" / "five_mistakes.yaml"),
                 "--port", "0"]) == 1
