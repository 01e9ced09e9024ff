"""CRM credentials: read from the environment (a missing one named), tokens fetched from
a real local token endpoint, kept, and fetched anew when expired."""

from __future__ import annotations

import httpx
import pytest

from leadscore.common.errors import InputError
from leadscore.decisions.crm import Dynamics, HubSpot, Salesforce
from leadscore.serving.crm_auth import ClientCredentials, StaticToken, TokenError, credentials_for
from tests.conftest import free_port
from tests.crm_receivers import CrmApi

ENV = {
    "LEADSCORE_SALESFORCE_CLIENT_ID": "id",
    "LEADSCORE_SALESFORCE_CLIENT_SECRET": "secret",
    "LEADSCORE_DYNAMICS_CLIENT_ID": "id",
    "LEADSCORE_DYNAMICS_CLIENT_SECRET": "secret",
}


def test_a_missing_secret_names_its_variable() -> None:
    hubspot = HubSpot(kind="hubspot", name="hs", fields={"score": "s"})
    with pytest.raises(InputError, match="set LEADSCORE_HUBSPOT_TOKEN"):
        credentials_for(hubspot, {})
    assert isinstance(credentials_for(hubspot, {"LEADSCORE_HUBSPOT_TOKEN": "t"}), StaticToken)
    salesforce = Salesforce(kind="salesforce", name="sf", fields={"score": "s"})
    with pytest.raises(InputError, match="LEADSCORE_SALESFORCE_CLIENT_SECRET"):
        credentials_for(salesforce, {"LEADSCORE_SALESFORCE_CLIENT_ID": "id"})


@pytest.mark.parametrize("kind", ["salesforce", "dynamics"])
def test_a_token_is_kept_until_expired(kind: str) -> None:
    api = CrmApi(kind, free_port())
    api.start()
    try:
        if kind == "salesforce":
            destination = Salesforce(kind=kind, name="sf", login_url=api.url, fields={"score": "s"})
        else:
            destination = Dynamics(
                kind=kind,
                name="d",
                org_url=api.url,
                tenant_id="tenant",
                token_url=f"{api.url}/tenant/oauth2/v2.0/token",
            )
        credentials = credentials_for(destination, ENV)
        assert isinstance(credentials, ClientCredentials)
        with httpx.Client() as client:
            assert credentials.bearer(client) == ("token-1", api.url)
            assert credentials.bearer(client) == ("token-1", api.url)
            assert credentials.expire()
            assert credentials.bearer(client)[0] == "token-2"
        assert api.tokens_issued == 2 and api.invalid == []
    finally:
        api.stop()


def test_a_token_endpoint_away_is_a_token_error() -> None:
    credentials = ClientCredentials(
        token_url=f"http://127.0.0.1:{free_port()}/token",
        form={},
        base_url="http://x",
        default_seconds=60,
    )
    with httpx.Client() as client, pytest.raises(TokenError, match="ConnectError"):
        credentials.bearer(client)
