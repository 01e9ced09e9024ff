"""The workspace's routes without a store (sign-in, refusals and bad input) and with one
that cannot be reached."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from leadscore.store.database import engine_for
from leadscore.store.outage import RETRY_AFTER_SECONDS
from leadscore.store.store import Store
from leadscore.workspace.app import Workspace, WorkspaceConfig
from leadscore.workspace.session import Sessions
from leadscore.workspace.users import put_user


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    users = tmp_path / "users.yaml"
    put_user(users, "anna", "anna-password")
    workspace = Workspace(
        store=None,
        scorer=lambda: None,
        sessions=Sessions("s" * 32),
        config=WorkspaceConfig(users, "country", None, "leadscore-conversion"),
    )
    return TestClient(workspace.app, follow_redirects=False)


def test_signing_in_opens_the_pages_and_signing_out_closes_them(client: TestClient) -> None:
    assert client.get("/workspace/leads/C-1").headers["location"] == (
        "/workspace/login?next=%2Fworkspace%2Fleads%2FC-1"
    )
    signed = client.post(
        "/workspace/login", data={"user": "anna", "password": "anna-password", "next": "/workspace"}
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/workspace"
    listed = client.get("/workspace")
    assert listed.status_code == 200 and "anna" in listed.text
    assert "default-src 'none'" in listed.headers["content-security-policy"]
    assert client.get("/workspace/leads/C-1").status_code == 404  # no store: no such lead
    assert client.get("/workspace?page=oops&grade=Z").status_code == 200
    client.post("/workspace/logout")
    assert client.get("/workspace").status_code == 303


def test_wrong_and_unknown_users_and_oversized_forms_are_refused(client: TestClient) -> None:
    for user, password in (("anna", "wrong-password"), ("nobody", "anna-password")):
        refused = client.post("/workspace/login", data={"user": user, "password": password})
        assert refused.status_code == 401 and "do not match" in refused.text
    huge = client.post("/workspace/login", content=b"user=" + b"a" * 20_000)
    assert huge.status_code == 413


def test_a_broken_users_file_refuses_sign_ins_without_failing(
    client: TestClient, tmp_path: Path
) -> None:
    (tmp_path / "users.yaml").write_text("users: [unclosed\n")
    page = client.get("/workspace/login")
    assert page.status_code == 200 and "leadscore workspace-user" in page.text
    refused = client.post("/workspace/login", data={"user": "anna", "password": "anna-password"})
    assert refused.status_code == 401


def test_a_changed_users_file_counts_at_the_next_request(
    client: TestClient, tmp_path: Path
) -> None:
    users = tmp_path / "users.yaml"
    client.post("/workspace/login", data={"user": "anna", "password": "anna-password"})
    assert client.get("/workspace").status_code == 200
    put_user(users, "anna", "a-new-password")  # the same length: the file's size stays
    refused = client.post("/workspace/login", data={"user": "anna", "password": "anna-password"})
    assert refused.status_code == 401
    users.write_text("users: []\n")  # anna removed: her session opens nothing
    assert client.get("/workspace").status_code == 303


def test_a_store_that_cannot_be_reached_is_a_503_page_to_try_again(tmp_path: Path) -> None:
    users = tmp_path / "users.yaml"
    put_user(users, "anna", "anna-password")
    away = Store(engine_for(f"sqlite:///{tmp_path}/no/such/dir/leadscore.db"))
    workspace = Workspace(
        store=away,
        scorer=lambda: None,
        sessions=Sessions("s" * 32),
        config=WorkspaceConfig(users, "country", None, "leadscore-conversion"),
    )
    client = TestClient(workspace.app, follow_redirects=False)
    client.post("/workspace/login", data={"user": "anna", "password": "anna-password"})
    page = client.get("/workspace/leads/C-1?lang=de")
    assert page.status_code == 503 and page.headers["retry-after"] == str(RETRY_AFTER_SECONDS)
    assert "nicht erreichbar" in page.text and str(tmp_path) not in page.text
    assert 'href="/workspace/leads/C-1?lang=de"' in page.text  # the same page, again
