"""CRM write-back against local receivers that answer as HubSpot, Salesforce and Dynamics
365 do and check each request against the vendor's published request schema: every
score arrives once, through an outage, 429s with Retry-After, records refused one by one
and expired tokens."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pandas as pd
import pytest

from leadscore.decisions.crm import CrmConfig
from leadscore.serving.writeback import CrmWriter, writers_for
from leadscore.store import writeback
from leadscore.store.score_log import LoggedScore, write_scores
from leadscore.store.store import Store
from tests.conftest import free_port
from tests.crm_receivers import STATIC_TOKEN, CrmApi

T0 = pd.Timestamp("2026-12-01 09:00", tz="UTC")
ENVIRON = {
    "LEADSCORE_HUBSPOT_TOKEN": STATIC_TOKEN,
    "LEADSCORE_SALESFORCE_CLIENT_ID": "sf-client",
    "LEADSCORE_SALESFORCE_CLIENT_SECRET": "sf-secret",
    "LEADSCORE_DYNAMICS_CLIENT_ID": "entra-client",
    "LEADSCORE_DYNAMICS_CLIENT_SECRET": "entra-secret",
}
KINDS = ["hubspot", "salesforce", "dynamics"]


def _destination(kind: str, url: str) -> dict:
    fields = {
        "score": "lead_score",
        "grade": "lead_grade",
        "trend": "lead_trend",
        "scored_at": "lead_scored_at",
        "probability": "lead_probability",
    }
    if kind == "hubspot":
        return {"kind": kind, "name": "hs", "base_url": url, "fields": fields}
    if kind == "salesforce":
        sf = {k: f"{v.title().replace('_', '')}__c" for k, v in fields.items()}
        return {"kind": kind, "name": "sf", "login_url": url, "fields": sf}
    return {
        "kind": kind,
        "name": "d365",
        "org_url": url,
        "tenant_id": "tenant",
        "token_url": f"{url}/tenant/oauth2/v2.0/token",
    }


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def api(kind: str) -> Iterator[CrmApi]:
    found = CrmApi(kind, free_port())
    found.start()
    yield found
    with contextlib.suppress(OSError):
        found.stop()


@pytest.fixture
def store(tmp_path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'leadscore.db'}")


def _writer(store: Store, kind: str, api: CrmApi, **changes) -> CrmWriter:
    config = CrmConfig.model_validate({"destinations": [_destination(kind, api.url) | changes]})
    [writer] = writers_for(config, store, ENVIRON)
    return writer


def _log(store: Store, scores: dict[str, int], at: pd.Timestamp = T0, grade: str = "B") -> None:
    write_scores(
        store,
        [
            LoggedScore(
                customer,
                at,
                "rescore",
                "leadscore-conversion",
                "3",
                score / 100,
                score,
                grade,
                0.1,
                -2.0,
                ("visits_7d",),
                (0.1,),
                (3.0,),
            )
            for customer, score in scores.items()
        ],
    )


def _drain(writer: CrmWriter, now: pd.Timestamp, passes: int = 50) -> None:
    for _ in range(passes):
        report = writer.sync_once(now)
        assert report.claimed and report.refused is None, report
        if not report.full and report.retry == 0:
            return
    raise AssertionError("the backlog never drained")


def test_requests_match_the_schema_and_each_score_arrives_once(kind, api, store) -> None:
    customers = {f"C-{i:03d}": 40 + i % 50 for i in range(250)}  # more than one batch
    _log(store, {c: 20 for c in list(customers)[:10]}, at=T0 - pd.Timedelta(days=2))
    _log(store, customers)
    _drain(_writer(store, kind, api), T0)
    assert api.invalid == []
    assert api.counts() == {c: 1 for c in customers}  # the older scores superseded
    values = dict(api.written)
    if kind == "hubspot":
        assert values["C-000"] == {
            "lead_score": "40",
            "lead_grade": "B",
            "lead_trend": "improving",
            "lead_scored_at": "2026-12-01T09:00:00.000Z",
            "lead_probability": "0.4",
        }
        assert values["C-020"]["lead_trend"] == "not_enough_history"
    elif kind == "salesforce":
        assert (
            values["C-001"]["LeadScore__c"] == 41 and values["C-001"]["LeadTrend__c"] == "improving"
        )
    else:
        assert values["C-000"]["msdyn_scoretrend"] == 0 and values["C-000"]["msdyn_grade"] == 1
        assert values["C-020"]["msdyn_scoretrend"] == 3
        assert len(api.rows) == 250  # one score row per lead, keyed by its own id


def test_a_receiver_outage_loses_nothing_and_sends_nothing_twice(kind, api, store) -> None:
    writer = _writer(store, kind, api)
    _log(store, {f"C-{i}": 50 + i for i in range(30)})
    _drain(writer, T0)
    api.stop()  # down: connection refused
    _log(store, {f"C-{i}": 70 + i for i in range(0, 30, 3)}, at=T0 + pd.Timedelta(hours=1))
    down = writer.sync_once(T0 + pd.Timedelta(hours=1))
    assert down.refused is not None and down.retry_at is not None
    now = down.retry_at
    _log(store, {f"C-{i}": 90 + i for i in range(0, 30, 5)}, at=now)  # supersedes some
    again = writer.sync_once(now)
    assert again.refused is not None and again.retry_at > now  # still down: waits longer
    api.start()
    api.answer_next(503)  # up, but not yet ready
    assert writer.sync_once(again.retry_at).refused is not None
    [state] = writeback.states(store, [writer.destination.name])
    assert state.failures == 3 and state.last_error.startswith("HTTP 503")
    _drain(writer, T0 + pd.Timedelta(days=1))
    assert api.invalid == []
    counts = api.counts()
    changed = {f"C-{i}" for i in range(0, 30, 3)} | {f"C-{i}" for i in range(0, 30, 5)}
    assert counts == {f"C-{i}": 2 if f"C-{i}" in changed else 1 for i in range(30)}
    newest = {}
    for record, values in api.written:
        newest[record] = values
    expected = 90 if kind != "hubspot" else "90"
    score_field = {"hubspot": "lead_score", "salesforce": "LeadScore__c", "dynamics": "msdyn_score"}
    assert newest["C-0"][score_field[kind]] == expected  # the newest, never the superseded 70


def test_429_waits_as_long_as_retry_after_says(kind, api, store) -> None:
    writer = _writer(store, kind, api)
    _log(store, {"C-1": 50, "C-2": 60})
    api.answer_next(429, {"Retry-After": "120"})
    report = writer.sync_once(T0)
    assert report.refused.startswith("HTTP 429")
    assert report.retry_at == T0 + pd.Timedelta(seconds=120)
    assert writer.sync_once(T0 + pd.Timedelta(seconds=119)).claimed is False  # still waiting
    assert api.written == []
    _drain(writer, T0 + pd.Timedelta(seconds=120))
    assert api.counts() == {"C-1": 1, "C-2": 1}


@pytest.mark.parametrize("kind", ["salesforce", "dynamics"])
def test_an_expired_token_is_fetched_anew_once_and_the_batch_sent_again(kind, api, store) -> None:
    writer = _writer(store, kind, api)
    _log(store, {"C-1": 50})
    _drain(writer, T0)
    assert api.tokens_issued == 1
    api.expire_tokens()
    _log(store, {"C-1": 70, "C-2": 30}, at=T0 + pd.Timedelta(hours=1))
    report = writer.sync_once(T0 + pd.Timedelta(hours=1))
    assert report.sent == 2 and report.refused is None
    assert api.tokens_issued == 2
    assert api.counts() == {"C-1": 2, "C-2": 1} and api.invalid == []


def test_a_token_refused_twice_holds_the_batch(store) -> None:
    api = CrmApi("salesforce", free_port())
    api.start()
    try:
        writer = _writer(store, "salesforce", api)
        _log(store, {"C-1": 50})
        api.answer_next(401, times=2)  # a fresh token refused too: no loop, a back-off
        report = writer.sync_once(T0)
        assert report.refused.startswith("HTTP 401") and api.written == []
        _drain(writer, report.retry_at)
        assert api.counts() == {"C-1": 1}
    finally:
        api.stop()


def test_a_wrong_hubspot_token_is_refused_not_retried_at_once(store) -> None:
    api = CrmApi("hubspot", free_port())
    api.start()
    try:
        api.tokens = {"another-token"}
        writer = _writer(store, "hubspot", api)
        _log(store, {"C-1": 50})
        report = writer.sync_once(T0)
        assert report.refused.startswith("HTTP 401") and api.requests == 1
    finally:
        api.stop()


@pytest.mark.parametrize("kind", ["hubspot", "salesforce"])
def test_records_refused_one_by_one_are_retried_or_dead(kind, api, store) -> None:
    writer = _writer(store, kind, api)
    api.refuse = {"C-2": "retry", "C-3": "dead"}
    _log(store, {f"C-{i}": 50 + i for i in range(1, 6)})
    first = writer.sync_once(T0)
    assert (first.sent, first.retry, first.dead) == (3, 1, 1)
    [state] = writeback.states(store, [writer.destination.name])
    assert (state.backlog, state.waiting, state.dead) == (0, 1, 1)  # the cursor moved on
    api.refuse = {}
    assert writer.sync_once(T0 + pd.Timedelta(seconds=1)).sent == 0  # not due yet
    retried = writer.sync_once(T0 + pd.Timedelta(seconds=2))
    assert retried.sent == 1
    assert api.counts() == {"C-1": 1, "C-2": 1, "C-4": 1, "C-5": 1}  # C-3 dead, kept
    [state] = writeback.states(store, [writer.destination.name])
    assert (state.waiting, state.dead, state.sent) == (0, 1, 4)
    _log(store, {"C-3": 80}, at=T0 + pd.Timedelta(hours=1))  # a new score of a dead one
    _drain(writer, T0 + pd.Timedelta(hours=1))
    [state] = writeback.states(store, [writer.destination.name])
    assert state.dead == 0 and api.counts()["C-3"] == 1


def test_dynamics_refusals_in_a_batch_leave_the_rest_to_retry(store) -> None:
    api = CrmApi("dynamics", free_port())
    api.start()
    try:
        writer = _writer(store, "dynamics", api)
        api.refuse = {"C-2": "dead", "C-4": "retry"}  # 404, then 503 stops the batch
        _log(store, {f"C-{i}": 50 + i for i in range(1, 6)})
        first = writer.sync_once(T0)
        assert (first.sent, first.dead, first.retry) == (2, 1, 2)
        api.refuse = {"C-2": "dead"}
        _drain(writer, T0 + pd.Timedelta(minutes=5))
        assert api.counts() == {"C-1": 1, "C-3": 1, "C-4": 1, "C-5": 1} and api.invalid == []
    finally:
        api.stop()


def test_records_without_a_crm_id_in_the_profile_are_dead(store) -> None:
    api = CrmApi("hubspot", free_port())
    api.start()
    try:
        frame = pd.DataFrame(
            {
                "customer_id": ["C-1", "C-2"],
                "hubspot_id": ["901", None],
                "created_at": [T0, T0],
                "converted": [None, None],
            }
        )
        store.put_customers(frame, now=T0)
        writer = _writer(store, "hubspot", api, record_id_field="hubspot_id")
        _log(store, {"C-1": 50, "C-2": 60})
        report = writer.sync_once(T0)
        assert (report.sent, report.dead) == (1, 1)
        assert api.counts() == {"901": 1}
    finally:
        api.stop()


def test_two_writers_never_send_one_batch(store) -> None:
    api = CrmApi("hubspot", free_port())
    api.start()
    try:
        first, second = _writer(store, "hubspot", api), _writer(store, "hubspot", api)
        _log(store, {"C-1": 50})
        held = writeback.claim(store, "hs", now=T0, lease=pd.Timedelta(minutes=1))
        assert held is not None
        assert first.sync_once(T0).claimed is False
        assert second.sync_once(T0 + pd.Timedelta(seconds=61)).sent == 1  # the lease ran out
        assert (
            writeback.finish(
                store,
                held,
                through_seq=1,
                outcomes=[],
                now=T0,
                retry_delay=lambda n: pd.Timedelta(0),
                max_attempts=1,
            )
            is False
        )
    finally:
        api.stop()
