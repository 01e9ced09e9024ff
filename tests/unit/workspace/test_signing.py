"""Sign-ins against the real workspace app and a real SQLite store: form tokens, the
growing wait after failures (on an injected clock, without sleeping), the rehash of
older password hashes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from starlette.testclient import TestClient

from leadscore.store.store import Store
from leadscore.workspace.signing import MAX_WAIT, safe_next, wait_seconds
from leadscore.workspace.users import load_users, put_user, scrypt_hash
from tests.unit.workspace.test_app import Clock, csrf_of, sign_in, workspace_of


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(tmp_path: Path, clock: Clock) -> TestClient:
    store = Store.open(f"sqlite:///{tmp_path}/leadscore.db")
    return TestClient(workspace_of(tmp_path, store, clock).app, follow_redirects=False)


def test_the_wait_doubles_after_five_failures_up_to_a_quarter_hour() -> None:
    assert [wait_seconds(n) for n in range(1, 10)] == [0, 0, 0, 0, 2, 4, 8, 16, 32]
    assert wait_seconds(14) == MAX_WAIT == wait_seconds(40) == 900
    assert wait_seconds(19, free=20) == 0 and wait_seconds(20, free=20) == 2


def test_a_name_is_locked_after_failures_and_the_page_says_how_long(
    client: TestClient, clock: Clock
) -> None:
    for _ in range(5):
        assert sign_in(client, password="wrong-password").status_code == 401
    locked = sign_in(client, lang="de")  # the right password, but locked: not checked
    assert locked.status_code == 429 and locked.headers["retry-after"] == "2"
    assert "Too many failed sign-ins" in locked.text
    clock.now += pd.Timedelta(seconds=2)
    assert sign_in(client, password="wrong-password").status_code == 401  # the 6th: 4 s
    clock.now += pd.Timedelta(seconds=3)
    assert sign_in(client).status_code == 429
    clock.now += pd.Timedelta(seconds=1)
    assert sign_in(client).status_code == 303  # a success clears the count
    assert sign_in(client, password="wrong-password").status_code == 401
    assert sign_in(client).status_code == 303


def test_an_unknown_name_is_locked_the_same_way(client: TestClient) -> None:
    answers = [sign_in(client, user="nobody").status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]
    assert sign_in(client).status_code == 303  # another name, and the address is not yet


def test_an_address_is_locked_after_twenty_failures_over_any_names(
    client: TestClient, clock: Clock
) -> None:
    for i in range(20):
        assert sign_in(client, user=f"guess-{i}").status_code == 401
    assert sign_in(client).status_code == 429  # anna's name is clean, the address not
    clock.now += pd.Timedelta(seconds=2)
    assert sign_in(client).status_code == 303


def test_a_post_without_the_right_token_or_from_another_site_is_refused(
    client: TestClient,
) -> None:
    form = {"user": "anna", "password": "anna-password"}
    csrf_of(client)  # the CSRF cookie is set: the token alone is missing
    refused = client.post("/workspace/login", data=form)
    assert refused.status_code == 403 and "nothing was done" in refused.text
    token = csrf_of(client)
    other = TestClient(client.app, follow_redirects=False)
    other_token = csrf_of(other)  # a token of another browser's cookie
    assert client.post("/workspace/login", data={**form, "csrf": other_token}).status_code == 403
    evil = {"origin": "https://evil.example"}
    assert (
        client.post("/workspace/login", data={**form, "csrf": token}, headers=evil).status_code
        == 403
    )
    site = {"sec-fetch-site": "cross-site"}
    assert (
        client.post("/workspace/login", data={**form, "csrf": token}, headers=site).status_code
        == 403
    )
    same = {"origin": "http://testserver", "sec-fetch-site": "same-origin"}
    signed = client.post("/workspace/login", data={**form, "csrf": token}, headers=same)
    assert signed.status_code == 303
    # sign-out is a form too: a forged one ends nothing
    assert client.post("/workspace/logout").status_code == 403
    assert client.get("/workspace").status_code == 200
    assert client.post("/workspace/logout", data={"csrf": token}).status_code == 403  # rotated
    assert (
        client.post("/workspace/logout", data={"csrf": csrf_of(client, "/workspace")}).status_code
        == 303
    )


def test_a_scrypt_hash_is_rehashed_to_argon2id_at_sign_in(
    client: TestClient, tmp_path: Path
) -> None:
    path = tmp_path / "users.yaml"
    put_user(path, "ben", "ben-password")
    put_user(path, "anna", "second-password")  # anna's session version is 1 now
    raw = yaml.safe_load(path.read_text())
    anna = next(entry for entry in raw["users"] if entry["name"] == "anna")
    anna["password"] = scrypt_hash("anna-password")  # as files were before Argon2id
    path.write_text(yaml.safe_dump(raw))
    ben_before = load_users(path)["ben"]
    assert sign_in(client).status_code == 303
    after = load_users(path)
    assert after["anna"].password_hash.startswith("$argon2id$")
    assert after["anna"].session_version == 1  # the same password: no session ends
    assert after["ben"] == ben_before
    assert client.get("/workspace").status_code == 200
    assert sign_in(client).status_code == 303  # the new hash checks


def test_after_sign_in_only_workspace_pages_are_targets() -> None:
    assert safe_next("/workspace/leads/C-1") == "/workspace/leads/C-1"
    for elsewhere in ("https://evil.example", "//evil.example", "/workspace//x", "/api", None):
        assert safe_next(elsewhere) == "/workspace"
