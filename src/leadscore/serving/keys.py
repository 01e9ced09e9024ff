"""API keys: read from the environment or a file, checked in constant time, never logged."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from pathlib import Path

KEYS_VARIABLE = "LEADSCORE_API_KEYS"
KEYS_FILE_VARIABLE = "LEADSCORE_API_KEYS_FILE"

# shorter keys can be guessed or are placeholders ("change-me")
MIN_KEY_LENGTH = 16
MIN_KEY_CHARACTERS = 6


def listed_keys(environ: Mapping[str, str]) -> list[str]:
    """The keys of LEADSCORE_API_KEYS (comma-separated), in the order given: the first is
    the one a client of this environment (the demo) sends."""
    return [k.strip() for k in environ.get(KEYS_VARIABLE, "").split(",") if k.strip()]


def api_keys(environ: Mapping[str, str]) -> set[str]:
    """Keys from LEADSCORE_API_KEYS (comma-separated) and/or LEADSCORE_API_KEYS_FILE."""
    keys = set(listed_keys(environ))
    path = environ.get(KEYS_FILE_VARIABLE)
    if path:
        keys |= {line.strip() for line in Path(path).read_text().splitlines() if line.strip()}
    return keys


def weak_keys(keys: set[str]) -> str | None:
    """Why a service must not start with these API keys (none, or some too short), or None."""
    make = "python3 -c 'import secrets; print(secrets.token_urlsafe(24))'"
    if not keys:
        return (
            f"no API keys: set {KEYS_VARIABLE} (comma-separated) or {KEYS_FILE_VARIABLE} "
            f"(one per line) before serving, e.g. export {KEYS_VARIABLE}=$({make})"
        )
    short = [k for k in keys if len(k) < MIN_KEY_LENGTH]
    if short:
        return (
            f"{len(short)} API key(s) shorter than {MIN_KEY_LENGTH} characters; make keys "
            f"with {make}"
        )
    # long but guessable: one letter sixteen times, or two in turn
    plain = [k for k in keys if len(set(k)) < MIN_KEY_CHARACTERS]
    if plain:
        return (
            f"{len(plain)} API key(s) of fewer than {MIN_KEY_CHARACTERS} different "
            f"characters; make keys with {make}"
        )
    return None


def authorized(header: str | None, keys: set[str]) -> bool:
    """Constant-time check of 'Bearer <key>' against every configured key (the scheme's
    name in any case, as RFC 7235 says)."""
    scheme, _, credentials = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip() or not keys:
        return False
    given = credentials.strip().encode()
    matches = [hmac.compare_digest(given, key.encode()) for key in keys]
    return any(matches)


class ApiKeyMiddleware:
    """ASGI middleware: 401 on protected routes without a valid bearer key; keys are never
    logged. Health, readiness, metrics and the API docs stay open."""

    OPEN = (
        "/healthz",
        "/readyz",
        "/livez",
        "/metrics",
        "/docs",
        "/docs.json",
        "/model-status",
        "/favicon.ico",
    )

    def __init__(self, app, keys: set[str]) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or self._open(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        header = headers.get(b"authorization", b"").decode("latin-1") or None
        if authorized(header, self.keys):
            await self.app(scope, receive, send)
            return
        body = b'{"error": "missing or invalid API key: send Authorization: Bearer <key>"}'
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b"Bearer"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _open(self, path: str) -> bool:
        return path == "/" or any(path.startswith(p) for p in self.OPEN)
