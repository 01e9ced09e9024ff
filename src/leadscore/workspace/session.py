"""Session cookies and the secret the workspace signs its form tokens with.

The cookie (``leadscore_session``: HttpOnly, SameSite=Lax, over HTTPS Secure) holds a
session's id, 256 random bits; the store holds the session under the id's hash (see
``leadscore.store.workspace_sessions``). A session ends at sign-out, after ``IDLE``
without a request, ``MAX_AGE`` after sign-in, and when its user gets a new password.
A secret the operator does not give (``LEADSCORE_SESSION_SECRET``) is made once and kept
in a file beside the store, readable by its owner alone, so form tokens survive a
restart.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

COOKIE = "leadscore_session"
MAX_AGE = 12 * 3600  # a working day; then sign in again
IDLE = 8 * 3600  # a session no page asked for this long ends: a desk left overnight
SECRET_VARIABLE = "LEADSCORE_SESSION_SECRET"
SECRET_FILE = ".leadscore-session-secret"


def session_secret(environ: Mapping[str, str], directory: Path) -> str:
    given = environ.get(SECRET_VARIABLE)
    if given:
        return given
    path = directory / SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker made it first
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret)
    return secret


@dataclass(frozen=True)
class Sessions:
    """How the workspace's sessions run: the secret of its form tokens and how long a
    session lasts, idle and at most."""

    secret: str
    idle: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(seconds=IDLE))
    lasts: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(seconds=MAX_AGE))
