"""The bulk process: large bodies validated and scored in a spawned process, at a lower
CPU priority, answered as BentoML would answer them; a process that dies is replaced."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from leadscore.serving.bulk import BulkScorer, LargeBodiesMiddleware, request_model
from tests.conftest import REPO


class EchoScorer:
    """Answers each lead with where it was scored: the process and its niceness. A lead
    named CRASH ends the process, as a fatal error in a native library would. It stands
    for a Scorer with a feature table (``table``) and no store (``live``)."""

    live = None

    @property
    def table(self) -> EchoScorer:
        return self

    def score_ids(self, ids, *, lang, top_k, positions):
        if "CRASH" in ids:
            os._exit(3)
        if "SLOW" in ids:
            time.sleep(1.0)
        where = f"pid={os.getpid()} nice={os.nice(0)}"
        return [{"customer_id": f"{i} {where}", "probability": 0.5, "score": top_k} for i in ids]


def echo_models():
    return EchoScorer(), {"conversion": "7"}


def no_models():
    raise RuntimeError("the registry holds no champion")


def models_once_the_registry_is_back():
    if not os.path.exists(os.environ["LEADSCORE_TEST_REGISTRY_BACK"]):
        raise RuntimeError("the registry cannot be read")
    return echo_models()


def the_versions():
    return {"conversion": "7"}


def _bulk(load=echo_models) -> BulkScorer:
    return BulkScorer(load, the_versions, reload_seconds=0, max_batch=3)


def _body(*ids: str, **extra) -> bytes:
    return json.dumps({"leads": [{"customer_id": i} for i in ids], **extra}).encode()


def test_the_request_model_is_the_endpoints() -> None:
    model = request_model(max_batch=3)
    assert model.model_validate_json(_body("a")).lang == "en"
    with pytest.raises(ValueError, match="langauge"):  # a misspelt option is no default
        model.model_validate_json(_body("a", langauge="de"))
    with pytest.raises(ValueError, match="leads"):
        model.model_validate_json(_body("a", "b", "c", "d"))


@pytest.mark.slow
def test_large_bodies_are_scored_in_another_process_at_a_lower_priority() -> None:
    bulk = _bulk()

    async def scenario() -> list[tuple[int, bytes]]:
        bulk.start()
        return [
            await bulk.score_body(_body("C-1", "C-2", top_k=2)),
            await bulk.score_body(_body("a", "b", "c", "d")),  # over max_batch
            await bulk.score_body(b'{"leads": [{"customer_id": "x", "events": [{}]}]}'),
            await bulk.score_body(b"not json"),
            await stopped_while_scoring(),
            await bulk.score_body(_body("CRASH")),  # the process dies under the request
            await bulk.score_body(_body("C-3")),  # ... and a new one takes the next
        ]

    async def stopped_while_scoring() -> tuple[int, bytes]:
        """SIGTERM, as BentoML sends it to a stopping worker's children, while the process
        holds a request: the request is still answered."""
        _, body = await bulk.score_body(_body("C-0"))
        pid = int(json.loads(body)[0]["customer_id"].split()[1].removeprefix("pid="))
        slow = asyncio.ensure_future(bulk.score_body(_body("SLOW")))
        await asyncio.sleep(0.3)
        os.kill(pid, signal.SIGTERM)
        return await slow

    try:
        scored, too_many, bad_event, not_json, stopped, crashed, after = asyncio.run(scenario())
        assert bulk.status() == "ready"
    finally:
        bulk.stop()
    assert scored[0] == 200
    items = json.loads(scored[1])
    assert [i["customer_id"].split()[0] for i in items] == ["C-1", "C-2"]
    assert items[0]["score"] == 2  # the request's own top_k reached the scorer
    pid, nice = items[0]["customer_id"].split()[1:]
    assert pid != f"pid={os.getpid()}" and nice == f"nice={min(os.nice(0) + 19, 19)}"
    for status, body in (too_many, bad_event, not_json):
        assert status == 400 and json.loads(body)["error"].endswith("validation error for Input")
    assert json.loads(too_many[1])["detail"][0]["loc"] == ["leads"]
    where = [e["loc"] for e in json.loads(bad_event[1])["detail"]]
    assert ["leads", 0, "events", 0, "ts"] in where
    assert stopped[0] == 200 and json.loads(stopped[1])[0]["customer_id"].startswith("SLOW ")
    assert crashed[0] == 503 and "send the request again" in json.loads(crashed[1])["error"]
    assert after[0] == 200 and json.loads(after[1])[0]["customer_id"].startswith("C-3 ")


@pytest.mark.slow
def test_a_process_without_models_answers_503_and_says_why() -> None:
    bulk = _bulk(load=no_models)

    async def scenario() -> tuple[int, bytes]:
        bulk.start()
        return await bulk.score_body(_body("C-1"))

    try:
        status, body = asyncio.run(scenario())
        assert "no champion" in bulk.status()
    finally:
        bulk.stop()
    assert status == 503 and "no champion" in json.loads(body)["error"]


def test_a_process_without_models_loads_them_once_it_can_without_waiting_for_a_request(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    back = tmp_path / "registry-back"
    monkeypatch.setenv("LEADSCORE_TEST_REGISTRY_BACK", str(back))  # the spawned process's too
    bulk = BulkScorer(
        models_once_the_registry_is_back, the_versions, reload_seconds=0.2, max_batch=3
    )
    try:
        BulkScorer.wait_loaded(bulk.start(), timeout=120)
        assert bulk.status().startswith("no models: RuntimeError: the registry cannot be read")
        back.touch()
        deadline = time.time() + 60  # /readyz reads this: no request comes while it is not
        while bulk.status() != "ready":
            assert time.time() < deadline, bulk.status()
            time.sleep(0.1)
    finally:
        bulk.stop()


class RecordingBulk:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def score_body(self, body: bytes) -> tuple[int, bytes]:
        self.bodies.append(body)
        return 200, b'["bulk"]'


def test_only_bodies_over_the_threshold_go_to_the_bulk_process() -> None:
    async def endpoint(scope, receive, send) -> None:
        body = (await receive())["body"]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"here:%d" % len(body)})

    bulk = RecordingBulk()
    app = LargeBodiesMiddleware(endpoint, bulk=bulk, threshold=100, path="/score")

    async def post(path: str, body: bytes) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.post(path, content=body)

    assert asyncio.run(post("/score", b"x" * 100)).text == "here:100"
    large = asyncio.run(post("/score", b"y" * 101))
    assert large.json() == ["bulk"] and large.headers["content-type"] == "application/json"
    assert asyncio.run(post("/other", b"z" * 500)).text == "here:500"
    assert bulk.bodies == [b"y" * 101]


@pytest.mark.slow
def test_a_bulk_process_ends_with_the_service_process_even_when_that_is_killed() -> None:
    service = """
import asyncio, json, os, sys
from tests.unit.serving.test_bulk import _body, _bulk
bulk = _bulk()
bulk.wait_loaded(bulk.start(), timeout=60)
status, body = asyncio.run(bulk.score_body(_body("C-1")))
print(json.loads(body)[0]["customer_id"].split()[1].removeprefix("pid="), flush=True)
os._exit(9)  # as if killed: no clean-up of its pool
"""
    run = subprocess.run(
        [sys.executable, "-c", service], capture_output=True, text=True, timeout=120, cwd=REPO
    )
    bulk_pid = int(run.stdout.strip())
    assert run.returncode == 9 and bulk_pid != os.getpid()
    deadline = time.time() + 10
    while time.time() < deadline and psutil.pid_exists(bulk_pid):
        time.sleep(0.1)
    assert not psutil.pid_exists(bulk_pid)
