from __future__ import annotations

import stat
from pathlib import Path

from leadscore.workspace.session import IDLE, MAX_AGE, SECRET_FILE, Sessions, session_secret


def test_the_secret_is_given_or_made_once_and_kept(tmp_path: Path) -> None:
    assert session_secret({"LEADSCORE_SESSION_SECRET": "given"}, tmp_path) == "given"
    made = session_secret({}, tmp_path)
    assert len(made) >= 32 and session_secret({}, tmp_path) == made
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600


def test_a_session_lasts_a_working_day_and_ends_idle_sooner() -> None:
    sessions = Sessions("s" * 32)
    assert sessions.lasts.total_seconds() == MAX_AGE == 12 * 3600
    assert sessions.idle.total_seconds() == IDLE < MAX_AGE
