"""Faults a service meets in production, each with its expected answer, on a real
`bentoml serve`: another process holding the SQLite store's write lock for 15 s, a
PostgreSQL store stopped and started, a lead of 25,000 profile keys. No answer is a 500;
a store that is gone is a 503 with Retry-After, and /readyz says so exactly while it is.

(A webhook receiver slower than a lease is tested in tests/unit/serving/test_webhooks.py
against a real HTTP receiver and store; kill -9 of `leadscore serve` in test_supervision.py.)
"""

from __future__ import annotations

import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from leadscore.common.processes import stop_group, supervised_popen
from leadscore.serving.command import serve_command
from leadscore.store.outage import RETRY_AFTER_SECONDS
from leadscore.store.score_log import score_history
from leadscore.store.store import Store
from tests.conftest import REPO, free_port, wait_until_ready
from tests.e2e.conftest import KEY, _cli

pytestmark = pytest.mark.slow
HEADERS = {"Authorization": f"Bearer {KEY}"}
LOCK_SECONDS = 15


class Calls:
    """Requests sent in a loop from a thread until stopped: each one's status and time."""

    def __init__(self, send) -> None:
        self.send = send
        self.answers: list[tuple[float, int, float, dict]] = []  # at, status, seconds, headers
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Calls:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(60)

    def _run(self) -> None:
        with httpx.Client(headers=HEADERS, timeout=60) as client:
            while not self._stop.is_set():
                clock = time.perf_counter()
                try:
                    answer = self.send(client)
                    status, headers = answer.status_code, dict(answer.headers)
                except httpx.HTTPError as exc:  # no answer at all counts as a failure
                    status, headers = 0, {"error": repr(exc)}
                self.answers.append((time.time(), status, time.perf_counter() - clock, headers))
                time.sleep(0.02)

    def statuses(self) -> set[int]:
        return {status for _, status, _, _ in self.answers}


def _score_log(url: str) -> dict:
    """The score log's queue as /readyz tells it: waiting, written, unchanged, ..."""
    return httpx.get(f"{url}/readyz", timeout=10).json()["score_log"]


def _taken(queue: dict) -> int:
    return queue["written"] + queue["unchanged"]


def _event(customer_id: str) -> dict:
    at = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(minutes=5)).isoformat()
    return {"customer_id": customer_id, "ts": at, "event_type": "page_view"}


def test_another_writer_holding_the_lock_stalls_nothing_and_answers_no_500(live: dict) -> None:
    url, store = live["url"], live["store"]
    lead = store.customer_ids()[11]
    news = [{**_event(lead), "event_type": kind} for kind in ("pricing_page_view", "call")]
    moved = httpx.post(f"{url}/events", json={"events": news}, headers=HEADERS, timeout=60)
    assert moved.status_code == 200, moved.text  # so its next score says something new
    before = _score_log(url)
    holder = sqlite3.connect(live["home"] / "leadscore.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # as a backup or a large export holds it
    locked_at = pd.Timestamp.now(tz="UTC")
    try:
        with (
            Calls(lambda c: c.get(f"{url}/healthz")) as health,
            Calls(lambda c: c.get(f"{url}/readyz")) as ready,
            Calls(
                lambda c: c.post(f"{url}/score", json={"leads": [{"customer_id": lead}]})
            ) as score,
        ):
            written = httpx.post(
                f"{url}/events", json={"events": [_event(lead)]}, headers=HEADERS, timeout=60
            )
            time.sleep(max(0.0, LOCK_SECONDS - 11))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    latencies = np.array([seconds for _, _, seconds, _ in health.answers])
    assert len(latencies) > 100 and health.statuses() == {200}
    assert np.percentile(latencies, 99) < 0.1, np.percentile(latencies, [50, 99, 100])
    assert ready.statuses() == {200}  # the store can be read: ready
    # a known lead's score is read and answered; its log entry waits for the lock
    assert score.statuses() == {200} and len(score.answers) > 20
    assert max(seconds for _, _, seconds, _ in score.answers) < 2
    # a write waits SQLite's busy timeout, then is told to come back
    assert written.status_code == 503
    assert written.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert "write lock" in written.json()["error"]
    deadline = time.time() + 30  # the queued log entries are written once the lock is gone
    while (after := _score_log(url))["waiting"] or _taken(after) - _taken(before) < len(
        score.answers
    ):
        assert time.time() < deadline, f"the scores answered under the lock wait: {after}"
        time.sleep(0.5)
    assert after["dropped"] == before["dropped"]  # each written, or said already
    [newest] = score_history(store, lead, limit=1)  # the new score answered under the lock
    assert newest.origin == "request" and newest.scored_at >= locked_at
    again = httpx.post(f"{url}/events", json={"events": [_event(lead)]}, headers=HEADERS)
    assert again.status_code == 200, again.text


def test_a_profile_of_25000_keys_is_refused_naming_the_bound_and_the_service_goes_on(
    live: dict,
) -> None:
    url = live["url"]
    wide = {f"field_{i}": "x" for i in range(25_000)}
    clock = time.perf_counter()
    answer = httpx.post(
        f"{url}/leads",
        json={"leads": [{"customer_id": "C-WIDE", "profile": wide}]},
        headers=HEADERS,
        timeout=60,
    )
    assert answer.status_code == 422
    assert "25,000 fields; at most 200 a lead" in answer.json()["detail"]
    assert time.perf_counter() - clock < 2
    assert not live["store"].known(["C-WIDE"])
    assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200


@pytest.fixture(scope="module")
def postgres_service(live: dict) -> Iterator[dict]:
    """A service on its own PostgreSQL store (a server this module may stop and start),
    with the live test's champion."""
    directory = tempfile.mkdtemp(prefix="leadscore-chaos-pg-")
    script, port = REPO / ".ci" / "postgres", str(free_port())
    started = subprocess.run([script, "start", directory, port], capture_output=True, text=True)
    assert started.returncode == 0, started.stderr
    database = started.stdout.strip()
    home = Path(tempfile.mkdtemp(prefix="leadscore-chaos-"))
    env = {
        **live["env"],
        "LEADSCORE_DATABASE_URL": database,
        "LEADSCORE_WORKSPACE_USERS": str(home / "workspace_users.yaml"),
        "BENTOML_HOME": str(home / "bentoml"),  # its own metrics folder, not the live one's
    }
    for name in ("LEADSCORE_ALERTS", "LEADSCORE_WEBHOOK_SECRET"):
        env.pop(name, None)
    service = None
    try:
        _cli("load", str(live["crm"].directory), cwd=home, env=env)
        log_path, service_port = home / "service.log", free_port()
        service = supervised_popen(  # its workers stopped with it, even if pytest is killed
            serve_command(port=service_port),
            cwd=home,
            env=env,
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
        )
        service_url = f"http://127.0.0.1:{service_port}"
        wait_until_ready(service_url, service, log_path)
        yield {
            "url": service_url,
            "store": Store.open(database),
            "stop": lambda: subprocess.run([script, "stop", directory], check=True),
            "start": lambda: subprocess.run([script, "resume", directory, port], check=True),
        }
    finally:
        if service is not None:
            stop_group(service, timeout=30)
        subprocess.run([script, "stop", directory], check=False)


def test_postgresql_stopped_and_started_answers_503_and_readiness_follows(
    postgres_service: dict,
) -> None:
    url, store = postgres_service["url"], postgres_service["store"]
    lead = store.customer_ids()[3]
    scored = httpx.post(f"{url}/score", json={"leads": [{"customer_id": lead}]}, headers=HEADERS)
    assert scored.status_code == 200, scored.text
    with (
        Calls(lambda c: c.get(f"{url}/readyz")) as ready,
        Calls(lambda c: c.get(f"{url}/healthz")) as health,
        Calls(lambda c: c.post(f"{url}/score", json={"leads": [{"customer_id": lead}]})) as score,
        Calls(lambda c: c.post(f"{url}/events", json={"events": [_event(lead)]})) as events,
    ):
        time.sleep(2)
        stopped_at = time.time()
        postgres_service["stop"]()
        down_until = time.time()
        time.sleep(10)
        postgres_service["start"]()
        started_at = time.time()
        deadline = started_at + 30
        while ready.answers[-1][1] != 200:
            assert time.time() < deadline, "/readyz stayed false after the store came back"
            time.sleep(0.2)
        ready_again = ready.answers[-1][0]
        time.sleep(3)
    every = [*ready.answers, *score.answers, *events.answers, *health.answers]
    assert all(status != 500 for _, status, _, _ in every)
    assert health.statuses() == {200}
    assert all(status in (200, 503) for _, status, _, _ in every), {s for _, s, _, _ in every}
    for calls in (score, events):  # each 503 says when to come back
        retry = [h.get("retry-after") for _, s, _, h in calls.answers if s == 503]
        assert set(retry) == {str(RETRY_AFTER_SECONDS)}
        assert 503 in calls.statuses() and calls.answers[-1][1] == 200
    # /readyz: ready before the stop, not ready within its probe's second (and the
    # time pg_ctl takes to stop) after, ready again within seconds of the start
    before = [s for at, s, _, _ in ready.answers if at < stopped_at]
    while_down = [s for at, s, _, _ in ready.answers if down_until + 2 < at < started_at]
    after = [s for at, s, _, _ in ready.answers if at >= ready_again]
    assert set(before) == {200} and set(while_down) == {503} and set(after) == {200}
    assert len(while_down) > 10 and len(after) > 10
    assert ready_again - started_at < 5  # its probe asks every second
