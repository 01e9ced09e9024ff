"""The workspace's routes against a real SQLite store (sign-in, sessions, refusals and bad
input), without a store, and with one that cannot be reached."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from starlette.testclient import TestClient

from leadscore import tracking
from leadscore.store.database import engine_for
from leadscore.store.outage import RETRY_AFTER_SECONDS
from leadscore.store.store import Store
from leadscore.workspace.app import Workspace, WorkspaceConfig
from leadscore.workspace.model_report import ModelReport
from leadscore.workspace.session import Sessions
from leadscore.workspace.users import put_user


class Clock:
    def __init__(self) -> None:
        self.now = pd.Timestamp("2025-03-03 09:00", tz="UTC")

    def __call__(self) -> pd.Timestamp:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def workspace_of(tmp_path: Path, store: Store | None, clock: Clock) -> Workspace:
    users = tmp_path / "users.yaml"
    if not users.exists():
        put_user(users, "anna", "anna-password")
    return Workspace(
        store=store,
        scorer=lambda: None,
        sessions=Sessions("s" * 32),
        config=WorkspaceConfig(users, "country", None, "leadscore-conversion"),
        board_every=3600.0,
        clock=clock,
    )


@pytest.fixture
def client(tmp_path: Path, clock: Clock) -> TestClient:
    store = Store.open(f"sqlite:///{tmp_path}/leadscore.db")
    return TestClient(workspace_of(tmp_path, store, clock).app, follow_redirects=False)


def csrf_of(client: TestClient, path: str = "/workspace/login") -> str:
    """The form token of a page the client opens (which also sets its CSRF cookie)."""
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient, user: str = "anna", password: str = "anna-password", **more):
    form = {"user": user, "password": password, "csrf": csrf_of(client), **more}
    return client.post("/workspace/login", data=form)


def copy_of(client: TestClient) -> TestClient:
    """Another browser holding a copy of the client's cookies."""
    other = TestClient(client.app, follow_redirects=False)
    for name, value in client.cookies.items():
        other.cookies.set(name, value)
    return other


def test_signing_in_opens_the_pages_and_signing_out_closes_them(client: TestClient) -> None:
    assert client.get("/workspace/leads/C-1").headers["location"] == (
        "/workspace/login?next=%2Fworkspace%2Fleads%2FC-1"
    )
    signed = sign_in(client, next="/workspace")
    assert signed.status_code == 303 and signed.headers["location"] == "/workspace"
    listed = client.get("/workspace")
    assert listed.status_code == 200 and "anna" in listed.text
    assert "default-src 'none'" in listed.headers["content-security-policy"]
    assert client.get("/workspace/leads/C-1").status_code == 404  # no store: no such lead
    assert client.get("/workspace?page=oops&grade=Z").status_code == 200
    client.post("/workspace/logout", data={"csrf": csrf_of(client, "/workspace")})
    assert client.get("/workspace").status_code == 303


def test_sign_out_ends_a_copied_cookie(client: TestClient) -> None:
    sign_in(client)
    copied = copy_of(client)
    assert copied.get("/workspace").status_code == 200  # the copy works while signed in
    client.post("/workspace/logout", data={"csrf": csrf_of(client, "/workspace")})
    assert copied.get("/workspace").status_code == 303  # ended in the store: refused


def test_a_new_password_ends_every_session_of_its_user(client: TestClient, tmp_path: Path) -> None:
    sign_in(client)
    copied = copy_of(client)
    put_user(tmp_path / "users.yaml", "ben", "ben-password")  # another user: nothing ends
    assert copied.get("/workspace").status_code == 200
    put_user(tmp_path / "users.yaml", "anna", "a-new-password")  # as workspace-user does
    assert client.get("/workspace").status_code == 303
    assert copied.get("/workspace").status_code == 303
    assert sign_in(client, password="a-new-password").status_code == 303
    assert client.get("/workspace").status_code == 200


def test_a_session_ends_when_idle_and_at_its_age(client: TestClient, clock: Clock) -> None:
    sign_in(client)
    for _ in range(3):  # asked every 7 h: never idle 8 h, but 12 h after sign-in it ends
        assert client.get("/workspace").status_code == 200
        clock.now += pd.Timedelta(hours=5)
    assert client.get("/workspace").status_code == 303
    sign_in(client)
    clock.now += pd.Timedelta(hours=8, seconds=1)
    assert client.get("/workspace").status_code == 303


def test_pages_are_gzipped(client: TestClient) -> None:
    sign_in(client)
    page = client.get("/workspace", headers={"accept-encoding": "gzip"})
    assert page.status_code == 200 and page.headers["content-encoding"] == "gzip"
    assert int(page.headers["content-length"]) < len(page.content)  # decoded: larger
    plain = client.get("/workspace", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers


def test_without_a_store_signing_in_is_refused_and_says_why(tmp_path: Path, clock: Clock) -> None:
    client = TestClient(workspace_of(tmp_path, None, clock).app, follow_redirects=False)
    assert "LEADSCORE_DATABASE_URL" in client.get("/workspace/login").text
    refused = sign_in(client)
    assert refused.status_code == 503 and "LEADSCORE_DATABASE_URL" in refused.text
    assert client.get("/workspace").status_code == 303


def test_wrong_and_unknown_users_and_oversized_forms_are_refused(client: TestClient) -> None:
    for user, password in (("anna", "wrong-password"), ("nobody", "anna-password")):
        refused = sign_in(client, user, password)
        assert refused.status_code == 401 and "do not match" in refused.text
    huge = client.post("/workspace/login", content=b"user=" + b"a" * 20_000)
    assert huge.status_code == 413


def test_a_broken_users_file_refuses_sign_ins_without_failing(
    client: TestClient, tmp_path: Path
) -> None:
    (tmp_path / "users.yaml").write_text("users: [unclosed\n")
    page = client.get("/workspace/login")
    assert page.status_code == 200 and "leadscore workspace-user" in page.text
    refused = sign_in(client)
    assert refused.status_code == 401


def test_a_changed_users_file_counts_at_the_next_request(
    client: TestClient, tmp_path: Path
) -> None:
    users = tmp_path / "users.yaml"
    sign_in(client)
    assert client.get("/workspace").status_code == 200
    put_user(users, "anna", "a-new-password")  # the same length: the file's size stays
    assert sign_in(client).status_code == 401
    assert sign_in(client, password="a-new-password").status_code == 303
    assert client.get("/workspace").status_code == 200
    users.write_text("users: []\n")  # anna removed: her session opens nothing
    assert client.get("/workspace").status_code == 303


# --- people instead of ids -----------------------------------------------------------------


@pytest.fixture
def people(tmp_path: Path, clock: Clock) -> TestClient:
    """A workspace on the default display fields, with a named lead and one without."""
    store = Store.open(f"sqlite:///{tmp_path}/people.db")
    store.put_customers(
        pd.DataFrame(
            {
                "customer_id": ["C-1", "C-2"],
                "created_at": pd.to_datetime(["2025-01-01"] * 2, utc=True),
                "name": ["Jürgen Weiß", None],
                "company": ["Weiß Maschinenbau GmbH", "Van Dijk Logistiek B.V."],
                "job_title": ["Einkaufsleiter", None],
                "email": ["juergen.weiss@weiss-maschinenbau.example", None],
                "phone": ["+49 (30) 555-0123", None],
                "owner": ["Katrin Vogel", "Sanne de Vries"],
                "territory": ["DACH Nord", "Benelux"],
                "industry": ["manufacturing", "logistics"],
            }
        ),
        now=clock.now,
    )
    users = tmp_path / "users.yaml"
    put_user(users, "anna", "anna-password")
    workspace = Workspace(
        store=store,
        scorer=lambda: None,
        sessions=Sessions("s" * 32),
        config=WorkspaceConfig(users, "territory", "name", "leadscore-conversion"),
        board_every=3600.0,
        clock=clock,
    )
    client = TestClient(workspace.app, follow_redirects=False)
    sign_in(client)
    return client


def test_the_list_shows_people_with_their_ids_small(people: TestClient) -> None:
    listed = people.get("/workspace?lang=de").text
    assert '<a href="/workspace/leads/C-1" data-id="C-1">Jürgen Weiß</a>' in listed
    assert "Einkaufsleiter · Weiß Maschinenbau GmbH" in listed
    assert '<span class="id muted">C-1</span>' in listed
    # without a name, the id is the link and is not said twice
    assert '<a href="/workspace/leads/C-2" data-id="C-2">C-2</a>' in listed
    assert '<span class="id muted">C-2</span>' not in listed and "nan" not in listed
    assert '<option value="DACH Nord"' in listed  # the territory filter reads the field
    found = people.get("/workspace?q=weiss-maschinenbau.example").text
    assert "Jürgen Weiß" in found and 'data-id="C-2"' not in found
    exported = people.get("/workspace/leads.csv?lang=en&q=logistiek").text.splitlines()
    assert exported[0].startswith("customer_id,name,company,email,phone,owner,territory,")
    assert exported[1].startswith("C-2,,Van Dijk Logistiek B.V.,,,Sanne de Vries,Benelux,")


def test_a_leads_page_heads_with_the_person_and_ways_to_reach_them(people: TestClient) -> None:
    page = people.get("/workspace/leads/C-1?lang=de").text
    assert re.search(r"<h1[^>]*>Jürgen Weiß <span class=\"id muted\">C-1</span></h1>", page)
    assert "<title>Jürgen Weiß" in page
    assert 'href="mailto:juergen.weiss@weiss-maschinenbau.example"' in page
    assert 'href="tel:+49305550123"' in page and "+49 (30) 555-0123" in page
    assert "Einkaufsleiter · Weiß Maschinenbau GmbH" in page
    assert 'Zuständig: <span id="owner">Katrin Vogel</span>' in page
    assert "DACH Nord" in page
    profile = page.split('id="profile-h"')[1].split("</section>")[0]
    assert "<th>Branche</th><td>manufacturing</td>" in profile
    for shown_above in ("Einkaufsleiter", "Katrin Vogel", "Telefon", "E-Mail", "Gebiet"):
        assert shown_above not in profile, shown_above
    unnamed = people.get("/workspace/leads/C-2").text
    assert re.search(r"<h1[^>]*>C-2</h1>", unnamed)
    assert "mailto:" not in unnamed and "tel:" not in unnamed


def test_a_store_that_cannot_be_reached_is_a_503_page_to_try_again(tmp_path: Path) -> None:
    away = Store(engine_for(f"sqlite:///{tmp_path}/no/such/dir/leadscore.db"))
    client = TestClient(workspace_of(tmp_path, away, Clock()).app, follow_redirects=False)
    client.cookies.set("leadscore_session", "a-session-id")  # its check reads the store
    page = client.get("/workspace/leads/C-1?lang=de")
    assert page.status_code == 503 and page.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert "nicht erreichbar" in page.text and str(tmp_path) not in page.text
    assert 'href="/workspace/leads/C-1?lang=de"' in page.text  # the same page, again


# --- the model and monitoring pages ---------------------------------------------------------

ENGLISH_DATA_SCIENCE = ("roc_auc", "lift_at", "logistic regression", "Retrain", "drifted")
MONITORING_HTML = (
    "<!doctype html><html><head><style>body{}</style></head><body><h1>Monitoring</h1>"
    '<p class="verdict">Retrain leadscore-conversion: 5 of 55 features drifted.</p>'
    "</body></html>"
)


class Reports:
    def __init__(self, report: ModelReport) -> None:
        self.held = report

    def report(self, version: str) -> ModelReport:
        return self.held


def model_client(tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    store = Store.open(f"sqlite:///{tmp_path}/leadscore.db")
    workspace = workspace_of(tmp_path, store, clock)
    champion = SimpleNamespace(conversion_info=SimpleNamespace(version="3"))
    workspace.scorer = lambda: champion
    workspace.reports = Reports(
        ModelReport(
            name="leadscore-conversion",
            version="3",
            trained=pd.Timestamp("2026-12-03 09:00", tz="UTC"),
            run_id="run-1",
            metrics=[
                {"metric": m, "champion": 0.8, "logistic_regression": 0.7, "rules_points": 0.6}
                for m in ("roc_auc", "lift_at_10pct", "log_loss")
            ],
            grades=[
                {"grade": "A", "share": 0.1, "conversion": 0.2},
                {"grade": "D", "share": 0.9, "conversion": 0.02},
            ],
            calibration_png=None,
            model_card="# leadscore-conversion\nA logistic regression beside roc_auc.",
            monitoring={
                "run_id": "monitor-1",
                "retrain": True,
                "recommendation": "Retrain leadscore-conversion: 5 of 55 features drifted.",
                "since": pd.Timestamp("2026-11-30 08:00", tz="UTC"),
                "until": pd.Timestamp("2026-12-07 08:00", tz="UTC"),
                "drifted": 5,
                "features": 55,
            },
            horizon_days=90,
            algorithm="logistic_regression",
        )
    )
    monkeypatch.setattr(tracking, "monitoring_report", lambda run_id, lang="en": MONITORING_HTML)
    client = TestClient(workspace.app, follow_redirects=False)
    sign_in(client)
    return client


def test_the_model_page_speaks_german_outside_its_details(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = model_client(tmp_path, clock, monkeypatch).get("/workspace/model?lang=de").text
    plain, _, details = page.partition('<details id="details">')
    for word in ENGLISH_DATA_SCIENCE:
        assert word not in plain, word
    # the sentences' numbers are the report's: 20 % of A, on average 0.02 + 0.018
    assert "Von 10 Leads der Klasse A kaufen etwa 2 innerhalb von 90 Tagen." in plain
    assert "Von 100 Leads der Klasse D kaufen etwa 2 innerhalb von 90 Tagen." in plain
    assert "Im Schnitt kauft 1 von 26 Leads." in plain
    assert "Trainiert am 03.12.2026" in plain
    assert "Neu trainieren empfohlen (5 von 55 Merkmalen haben sich verändert)" in plain
    assert "von 30.11.2026 09:00 bis 07.12.2026 09:00" in plain  # Berlin, four-digit years
    assert "<summary>Details</summary>" in details
    assert "Trennschärfe (ROC AUC)" in details and "Logistische Regression" in details
    assert "03.12.2026 10:00" in details  # the moment it was trained, in Berlin


def test_the_monitoring_report_is_in_the_workspaces_frame_under_a_german_verdict(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = model_client(tmp_path, clock, monkeypatch).get("/workspace/model/monitoring?lang=de")
    assert page.status_code == 200
    assert 'id="logout"' in page.text and 'href="/workspace/fairs"' in page.text
    plain, _, details = page.text.partition('<details id="details"')
    assert "Neu trainieren empfohlen (5 von 55 Merkmalen haben sich verändert)" in plain
    assert "Retrain" not in plain
    assert '<p class="verdict">Retrain leadscore-conversion' in details  # the report itself
    assert page.text.count("<body") == 1  # its body only, inside the frame
    assert "default-src 'none'" in page.headers["content-security-policy"]
