from __future__ import annotations

import stat
from pathlib import Path

import pytest
from itsdangerous import URLSafeTimedSerializer

from leadscore.workspace import session as session_module
from leadscore.workspace.session import SECRET_FILE, Sessions, session_secret


def test_a_signed_cookie_names_its_user_and_a_forged_one_nobody() -> None:
    sessions = Sessions("s" * 32)
    value = sessions.cookie_value("anna")
    assert sessions.user(value) == "anna"
    assert Sessions("t" * 32).user(value) is None  # another service's secret
    tampered = value.replace(value.split(".")[0], "eyJ1c2VyIjoiYWRtaW4ifQ")
    assert sessions.user(tampered) is None
    assert sessions.user("") is None and sessions.user(None) is None
    other = URLSafeTimedSerializer("s" * 32, salt="leadscore-workspace").dumps(["anna"])
    assert sessions.user(other) is None  # signed, but not a session


def test_an_old_cookie_opens_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = Sessions("s" * 32)
    value = sessions.cookie_value("anna")
    monkeypatch.setattr(session_module, "MAX_AGE", -1)
    assert sessions.user(value) is None


def test_the_secret_is_given_or_made_once_and_kept(tmp_path: Path) -> None:
    assert session_secret({"LEADSCORE_SESSION_SECRET": "given"}, tmp_path) == "given"
    made = session_secret({}, tmp_path)
    assert len(made) >= 32 and session_secret({}, tmp_path) == made
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600
