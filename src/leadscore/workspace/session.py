"""Signed session cookies: who is signed in, for at most ``MAX_AGE``.

The cookie holds the user's name and a signature by the service's secret
(``itsdangerous``, HMAC-SHA1 with a derived key); it is HttpOnly, SameSite=Lax and, over
HTTPS, Secure. A secret the operator does not give (``LEADSCORE_SESSION_SECRET``) is made
once and kept in a file beside the store, readable by its owner alone, so sessions
survive a restart.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE = "leadscore_session"
MAX_AGE = 12 * 3600  # a working day; then sign in again
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


class Sessions:
    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="leadscore-workspace")

    def cookie_value(self, user: str) -> str:
        return self._serializer.dumps({"user": user})

    def user(self, value: str | None) -> str | None:
        """The signed-in user of a cookie value; None where it is missing, forged or old."""
        if not value:
            return None
        try:
            payload = self._serializer.loads(value, max_age=MAX_AGE)
        except BadSignature:  # a forged, altered or expired cookie
            return None
        user = payload.get("user") if isinstance(payload, dict) else None
        return user if isinstance(user, str) else None
