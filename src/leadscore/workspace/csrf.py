"""Cross-site request forgery: every form the workspace posts carries a token, and a post
without the right one, or from a page of another site, is refused.

The pattern is the signed double-submit cookie (OWASP): the browser holds a random value
in a cookie (``leadscore_csrf``: HttpOnly, SameSite=Strict, made anew at sign-in and
sign-out) and every form a token, the HMAC-SHA256 of that value under the service's
secret. Another site can neither read the cookie nor, without the secret, make the
token of a value it planted. The token is masked with a fresh random pad on each page
(as Django does): compressed pages then never repeat it, so its bytes cannot be guessed
from their compressed length (BREACH). Beside the token, a post whose ``Origin`` names
another host, or whose ``Sec-Fetch-Site`` says cross-site, is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

CSRF_COOKIE = "leadscore_csrf"
CSRF_FIELD = "csrf"
_SIZE = 32  # bytes of the HMAC, and of the pad


def new_cookie_value() -> str:
    return secrets.token_urlsafe(32)


def _expected(secret: str, cookie_value: str) -> bytes:
    key = hashlib.sha256(f"leadscore-csrf:{secret}".encode()).digest()
    return hmac.new(key, cookie_value.encode(), hashlib.sha256).digest()


def form_token(secret: str, cookie_value: str) -> str:
    """The token for a form of the browser holding ``cookie_value``, masked anew."""
    pad = secrets.token_bytes(_SIZE)
    masked = bytes(a ^ b for a, b in zip(pad, _expected(secret, cookie_value), strict=True))
    return base64.urlsafe_b64encode(pad + masked).decode()


def token_matches(secret: str, cookie_value: str | None, token: str | None) -> bool:
    """Whether a posted ``token`` is one ``form_token`` made for ``cookie_value``."""
    if not cookie_value or not token:
        return False
    try:
        raw = base64.urlsafe_b64decode(token.encode())
    except ValueError:
        return False
    if len(raw) != 2 * _SIZE:
        return False
    unmasked = bytes(a ^ b for a, b in zip(raw[:_SIZE], raw[_SIZE:], strict=True))
    return hmac.compare_digest(unmasked, _expected(secret, cookie_value))


def cross_site(headers: Mapping[str, str]) -> bool:
    """Whether the browser says the post comes from a page of another site: an
    ``Origin`` of another host than the one asked (the scheme is not compared: behind a
    proxy that ends TLS the service sees http), or ``Sec-Fetch-Site: cross-site``."""
    if headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return True
    origin = headers.get("origin")
    if origin is None:
        return False  # an older browser, or not a browser: the token decides
    if origin == "null":  # a sandboxed frame, a file, a redirect across sites
        return True
    return urlsplit(origin).netloc.lower() != headers.get("host", "").lower()
