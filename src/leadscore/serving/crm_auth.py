"""Credentials of the CRM destinations: a bearer token for each request, and the base URL
it goes to.

- HubSpot: a private app's access token, as the environment holds it;
- Salesforce: the OAuth 2.0 client credentials flow (``POST <login_url>/services/oauth2/
  token`` with ``grant_type=client_credentials``, the connected app's client id and
  secret); the answer's ``instance_url`` is where the REST API is, unless crm.yaml says;
- Dynamics 365: Microsoft Entra ID's client credentials flow (``POST https://login.
  microsoftonline.com/<tenant>/oauth2/v2.0/token`` with ``scope=<org URL>/.default``).

A token fetched is kept until it expires (``expires_in``, less a margin) or the CRM
answers 401 (``expire``): the deliverer then fetches a new one, once, and sends again.
Secrets are read from the environment when a destination is set up, never from YAML.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping

import httpx

from leadscore.common.errors import InputError
from leadscore.decisions.crm import Dynamics, HubSpot, Salesforce

EXPIRY_MARGIN_SECONDS = 60  # a token this close to its end is fetched anew
# Salesforce's client credentials answer says no lifetime; its sessions last 2 hours
# by default, and a 401 before that fetches a new one anyway
SALESFORCE_TOKEN_SECONDS = 3600.0


class TokenError(Exception):
    """The token endpoint refused or could not be reached (the batch waits)."""


def _secret(environ: Mapping[str, str], variable: str, destination: str, what: str) -> str:
    value = environ.get(variable, "").strip()
    if not value:
        raise InputError(
            f"crm.yaml: destination {destination}: set {variable} to the {what} (credentials "
            "come from the environment, never the YAML)"
        )
    return value


class StaticToken:
    """HubSpot's private app token: it does not expire by itself."""

    def __init__(self, destination: HubSpot, environ: Mapping[str, str]) -> None:
        self.token = _secret(environ, destination.token_env, destination.name, "private app token")
        self.base = str(destination.base_url).rstrip("/")
        self.fetched = 0

    def bearer(self, client: httpx.Client) -> tuple[str, str]:
        """(token, base URL)."""
        return self.token, self.base

    def expire(self) -> bool:
        """False: nothing to fetch anew (a 401 means the token itself is wrong)."""
        return False


class ClientCredentials:
    """A token from an OAuth 2.0 client credentials flow, kept until it expires."""

    def __init__(
        self,
        *,
        token_url: str,
        form: dict[str, str],
        base_url: str | None,
        default_seconds: float,
    ) -> None:
        self.token_url, self.form = token_url, form
        self.base = base_url.rstrip("/") if base_url else None
        self.default_seconds = default_seconds
        self._token: str | None = None
        self._base: str | None = None
        self._until = 0.0
        self.fetched = 0  # tokens fetched (tests, and the status page)
        self._lock = threading.Lock()

    def bearer(self, client: httpx.Client) -> tuple[str, str]:
        """(token, base URL), fetching a token where none is held or it is about to end."""
        with self._lock:
            if self._token is None or time.monotonic() >= self._until:
                self._fetch(client)
            assert self._token is not None and self._base is not None
            return self._token, self._base

    def expire(self) -> bool:
        """Forgets the token (the CRM said it expired); True: a new one can be fetched."""
        with self._lock:
            self._token = None
        return True

    def _fetch(self, client: httpx.Client) -> None:
        try:
            answer = client.post(self.token_url, data=self.form)
        except httpx.HTTPError as exc:
            raise TokenError(
                f"token endpoint {self.token_url}: {type(exc).__name__}: {exc}"
            ) from None
        if answer.status_code != 200:
            raise TokenError(
                f"token endpoint {self.token_url}: HTTP {answer.status_code}: {answer.text[:300]}"
            )
        body = answer.json()
        if not body.get("access_token"):
            raise TokenError(f"token endpoint {self.token_url}: no access_token in its answer")
        base = self.base or body.get("instance_url")
        if not base:
            raise TokenError(f"token endpoint {self.token_url}: no instance_url in its answer")
        seconds = float(body.get("expires_in") or self.default_seconds)
        self._token, self._base = str(body["access_token"]), str(base).rstrip("/")
        self._until = time.monotonic() + max(0.0, seconds - EXPIRY_MARGIN_SECONDS)
        self.fetched += 1


Credentials = StaticToken | ClientCredentials


def credentials_for(
    destination: HubSpot | Salesforce | Dynamics, environ: Mapping[str, str] | None = None
) -> Credentials:
    """A destination's credentials, read from the environment; an InputError names the
    variable that is missing."""
    environ = os.environ if environ is None else environ
    if isinstance(destination, HubSpot):
        return StaticToken(destination, environ)
    name = destination.name
    client_id = _secret(environ, destination.client_id_env, name, "client id")
    secret = _secret(environ, destination.client_secret_env, name, "client secret")
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    if isinstance(destination, Salesforce):
        return ClientCredentials(
            token_url=f"{str(destination.login_url).rstrip('/')}/services/oauth2/token",
            form=form,
            base_url=None if destination.instance_url is None else str(destination.instance_url),
            default_seconds=SALESFORCE_TOKEN_SECONDS,
        )
    return ClientCredentials(
        token_url=destination.token_endpoint,
        form={**form, "scope": destination.scope},
        base_url=str(destination.org_url),
        default_seconds=3600.0,
    )
