"""A rep's actions posted on a lead's page: stored as events of the lead (once per form),
refused without the form's token or with an unknown action, shown on the timeline, in the
CSV, and in the outbox where an alert rule names their type."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from starlette.testclient import TestClient

from leadscore.data.loading import CanonicalData
from leadscore.data.tables import EVENT_TYPES, REP_ACTIONS
from leadscore.decisions.alerts import AlertConfig, EventOfGradedLead, Webhook
from leadscore.models.conversion import ConversionPredictor
from leadscore.scoring.encoded import ModelInfo
from leadscore.scoring.scorer import Scorer
from leadscore.store.outbox import alert_payload, alert_states
from leadscore.store.store import Store
from leadscore.workspace.actions import NOTE_LIMIT, action_row, last_actions
from leadscore.workspace.app import Workspace, WorkspaceConfig
from leadscore.workspace.session import Sessions
from leadscore.workspace.users import put_user
from tests.unit.live import live_store
from tests.unit.workspace.test_app import Clock, sign_in

LEAD = "C-1"


def client_of(tmp_path: Path, store: Store, clock: Clock, scorer=None) -> TestClient:
    users = tmp_path / "users.yaml"
    put_user(users, "anna", "anna-password")
    workspace = Workspace(
        store=store,
        scorer=lambda: scorer,
        sessions=Sessions("s" * 32),
        config=WorkspaceConfig(users, "country", None, "leadscore-conversion"),
        board_every=0.0,
        clock=clock,
    )
    client = TestClient(workspace.app, follow_redirects=False)
    sign_in(client)
    return client


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def one_lead(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path}/leadscore.db")
    created = pd.Timestamp("2025-03-01", tz="UTC")
    store.put_customers(pd.DataFrame({"customer_id": [LEAD], "created_at": [created]}), now=created)
    return store


def form_of(client: TestClient, lead: str = LEAD) -> dict[str, str]:
    """The action form's hidden fields of the lead's page, as a browser sends them."""
    page = client.get(f"/workspace/leads/{lead}").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    once = re.search(r'name="once" value="([^"]+)"', page)
    assert csrf is not None and once is not None
    return {"csrf": csrf.group(1), "once": once.group(1)}


def rep_events(store: Store) -> pd.DataFrame:
    events = store.rows("events", [LEAD])
    return events[events["event_type"].isin(REP_ACTIONS)]


def test_each_action_is_stored_once_per_form_and_shown(
    tmp_path: Path, one_lead: Store, clock: Clock
) -> None:
    store = one_lead
    client = client_of(tmp_path, store, clock)
    for i, action in enumerate(REP_ACTIONS):
        form = form_of(client) | {"action": action, "note": f"  note {i}  "}
        for _ in range(2):  # a double click: the same form twice
            sent = client.post(f"/workspace/leads/{LEAD}/actions", data=form)
            assert sent.status_code == 303
            assert sent.headers["location"] == f"/workspace/leads/{LEAD}"
        clock.now += pd.Timedelta(minutes=1)
    stored = rep_events(store)
    assert stored["event_type"].tolist() == list(REP_ACTIONS)
    assert stored["channel"].tolist() == ["sales"] * len(REP_ACTIONS)
    assert stored["campaign"].tolist() == [f"anna: note {i}" for i in range(len(REP_ACTIONS))]
    page = client.get(f"/workspace/leads/{LEAD}?lang=de").text
    assert "Angerufen: erreicht" in page and "anna: note 0" in page
    assert "Called: not reached" in client.get(f"/workspace/leads/{LEAD}?lang=en").text
    assert "anna: note" not in client.get("/workspace").text  # no campaign of the filter


def test_refused_posts_store_nothing(tmp_path: Path, one_lead: Store, clock: Clock) -> None:
    store = one_lead
    client = client_of(tmp_path, store, clock)
    path = f"/workspace/leads/{LEAD}/actions"
    form = form_of(client)
    forged = client.post(path, data={**form, "csrf": "", "action": "rep_note"})
    assert forged.status_code == 403
    unknown = client.post(path, data={**form, "action": "purchase"}, params={"lang": "en"})
    assert unknown.status_code == 400 and "not an action of the workspace" in unknown.text
    long = client.post(path, data={**form, "action": "rep_note", "note": "x" * (NOTE_LIMIT + 1)})
    assert long.status_code == 400
    no_once = client.post(path, data={"csrf": form["csrf"], "action": "rep_note"})
    assert no_once.status_code == 400
    missing = client.post("/workspace/leads/C-404/actions", data={**form, "action": "rep_note"})
    assert missing.status_code == 404
    assert rep_events(store).empty
    client.cookies.clear()  # signed out: sent to the sign-in page
    assert client.post(path, data={**form, "action": "rep_note"}).status_code == 303
    assert rep_events(store).empty


def test_the_csv_has_the_last_action_and_german_separators(
    tmp_path: Path, one_lead: Store, clock: Clock
) -> None:
    store = one_lead
    client = client_of(tmp_path, store, clock)
    for action in ("rep_call_not_reached", "rep_meeting_booked"):
        form = form_of(client) | {"action": action}
        client.post(f"/workspace/leads/{LEAD}/actions", data=form)
        clock.now += pd.Timedelta(minutes=5)
    english = list(csv.DictReader(io.StringIO(client.get("/workspace/leads.csv?lang=en").text)))
    [row] = english
    assert row["last_action"] == "rep_meeting_booked"
    assert row["last_action_at"] == "2025-03-03T09:05:00+00:00"
    assert {"top_reason", "offer"} <= row.keys()
    german = client.get("/workspace/leads.csv?lang=de").text
    header = "customer_id;name;company;email;phone;owner;territory;score;grade"
    assert german.splitlines()[0].startswith(header)
    assert [dict(r) for r in csv.DictReader(io.StringIO(german), delimiter=";")] == english


def test_last_actions_reads_each_leads_newest() -> None:
    assert last_actions(None, [LEAD]).empty
    row = action_row(LEAD, "rep_note", "anna", "", "x" * 16, pd.Timestamp("2025-03-03", tz="UTC"))
    assert row["campaign"].tolist() == ["anna"] and row["event_id"].tolist() == ["ws-" + "x" * 16]
    assert set(REP_ACTIONS) <= set(EVENT_TYPES)


def test_an_action_reaches_the_outbox_where_a_rule_names_it(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor], clock: Clock
) -> None:
    lead = str(data.customers["customer_id"].iloc[9])
    clock.now = pd.Timestamp("2026-06-20 09:00", tz="UTC")
    store = live_store(tmp_path, data, [lead], clock.now)
    config = AlertConfig(
        webhook=Webhook(url="http://crm.local/hook"),
        lang="de",
        rules=[
            EventOfGradedLead(
                name="meeting",
                kind="event",
                event_type="rep_meeting_booked",
                grades=["A", "B", "C", "D"],
            ),
        ],
    )
    info = ModelInfo("leadscore-conversion", "1", "champion")
    scorer = Scorer.serving(models[0], conversion_info=info, store=store, alerts=config)
    client = client_of(tmp_path, store, clock, scorer)
    form = form_of(client, lead) | {"action": "rep_meeting_booked", "note": "Di 10 Uhr"}
    assert client.post(f"/workspace/leads/{lead}/actions", data=form).status_code == 303
    [state] = alert_states(store)
    assert (state.rule, state.customer_id) == ("meeting", lead)
    sent = alert_payload(store, state.key)["data"]
    assert sent["event_type"] == "rep_meeting_booked" and sent["campaign"] == "anna: Di 10 Uhr"


def test_a_rep_takes_a_lead_and_puts_it_aside(
    tmp_path: Path, one_lead: Store, clock: Clock
) -> None:
    store = one_lead
    client = client_of(tmp_path, store, clock)
    path = f"/workspace/leads/{LEAD}/actions"
    page = client.get(f"/workspace/leads/{LEAD}?lang=de").text
    assert "Lead übernehmen" in page and "Dieser Lead gehört Ihnen" not in page
    took = client.post(path, data=form_of(client) | {"action": "rep_took_lead"})
    assert took.status_code == 303
    assert "Dieser Lead gehört Ihnen" in client.get(f"/workspace/leads/{LEAD}?lang=de").text
    assert LEAD in client.get("/workspace?view=mine").text
    no_days = client.post(path, data=form_of(client) | {"action": "rep_snoozed", "days": "2"})
    assert no_days.status_code == 400 and "1 bis 30" in no_days.text
    form = form_of(client) | {"action": "rep_snoozed", "days": "7"}
    assert client.post(path, data=form).status_code == 303
    events = store.rows("events", [LEAD])
    assert events["event_type"].tolist() == ["rep_took_lead", "rep_snoozed"]
    assert events["value"].iloc[-1] == 7.0 and events["campaign"].tolist() == ["anna"] * 2
    lead_page = client.get(f"/workspace/leads/{LEAD}?lang=en").text
    assert "Put aside until 2025-03-10 10:00" in lead_page  # 3 March, 09:00 UTC, a week
    assert ">1 day<" in lead_page and ">7 days<" in lead_page
    listed = client.get("/workspace?view=mine").text  # put aside: gone from the list a week
    assert f"/workspace/leads/{LEAD}" not in listed
    assert f"/workspace/leads/{LEAD}" in client.get("/workspace?view=mine&snoozed=1").text


def test_a_rep_opens_and_acts_only_in_their_territories(tmp_path: Path, clock: Clock) -> None:
    store = Store.open(f"sqlite:///{tmp_path}/leadscore.db")
    created = pd.Timestamp("2025-03-01", tz="UTC")
    store.put_customers(
        pd.DataFrame(
            {"customer_id": ["C-1", "C-2"], "created_at": [created] * 2, "country": ["DE", "AT"]}
        ),
        now=created,
    )
    client = client_of(tmp_path, store, clock)
    put_user(tmp_path / "users.yaml", "anna", "anna-password", territories=("DE",))
    sign_in(client)  # the new password ended the session: again
    assert client.get("/workspace/leads/C-1").status_code == 200
    refused = client.get("/workspace/leads/C-2?lang=de")
    # as a lead that does not exist: the answer tells nothing of the other territory
    assert refused.status_code == 404 and "AT" not in refused.text.split("<main", 1)[1]
    form = form_of(client, "C-1") | {"action": "rep_note", "note": "n"}
    assert client.post("/workspace/leads/C-2/actions", data=form).status_code == 404
    assert store.rows("events", ["C-2"]).empty
    listed = client.get("/workspace").text
    assert "/workspace/leads/C-1" in listed and "/workspace/leads/C-2" not in listed
    exported = client.get("/workspace/leads.csv").text
    assert "C-1" in exported and "C-2" not in exported


def test_an_action_is_an_outcome_too_where_the_service_is_told(
    tmp_path: Path, one_lead: Store, clock: Clock
) -> None:
    from leadscore.workspace.app import Workspace, WorkspaceConfig

    store = one_lead
    users = tmp_path / "users.yaml"
    put_user(users, "anna", "anna-password")
    config = WorkspaceConfig(
        users, "country", None, "leadscore-conversion", outcome_actions=("rep_meeting_booked",)
    )
    workspace = Workspace(
        store=store, scorer=lambda: None, sessions=Sessions("s" * 32), config=config,
        board_every=0.0, clock=clock,
    )  # fmt: skip
    client = TestClient(workspace.app, follow_redirects=False)
    sign_in(client)
    path = f"/workspace/leads/{LEAD}/actions"
    for action in ("rep_call_reached", "rep_meeting_booked", "rep_meeting_booked"):
        form = form_of(client) | {"action": action}
        assert client.post(path, data=form).status_code == 303
        clock.now += pd.Timedelta(minutes=1)
    outcomes = store.rows("outcomes", [LEAD])
    # a call is no outcome; each meeting booked is one, at its moment
    assert outcomes["ts"].tolist() == [clock.now - pd.Timedelta(minutes=m) for m in (2, 1)]
