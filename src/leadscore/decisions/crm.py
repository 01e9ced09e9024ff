"""Scores into the CRM record: where they go (crm.yaml), one destination per CRM.

Three kinds of destination, each named (the name keys its place in the score log, so a
renamed destination starts over):

- ``hubspot``: contact (or other object) properties, by the batch update of CRM v3
  (``POST /crm/v3/objects/{object_type}/batch/update``, up to 100 records), each record
  by its HubSpot id or by a unique property (``id_property``); a private app's token from
  the environment;
- ``salesforce``: fields of a Lead or Contact (any sObject) by sObject Collections
  (``PATCH /services/data/vXX.X/composite/sobjects``, up to 200 records, ``allOrNone``
  false, so that one bad record does not hold up the others); an access token and the
  instance's URL from the OAuth 2.0 client credentials flow;
- ``dynamics``: the ``msdyn_predictivescore`` row of each lead (score, grade A-D as 0-3,
  trend improving/steady/declining/not enough history as 0-3, scored on), upserted by
  a key of its own derived from the org, the entity type and the record's id; a token
  from Microsoft Entra ID's client credentials flow.

``fields`` maps leadscore's values (``VALUES``) to the CRM's field names (HubSpot and
Salesforce; Dynamics has its fixed ones). A record's CRM id is the customer id, or the
value of a profile field (``record_id_field``) where the CRM's ids are kept there.
Credentials are never in the YAML: it names the environment variables that hold them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, HttpUrl

from leadscore.common.config import StrictModel, read_yaml, validated
from leadscore.common.errors import InputError

# what leadscore writes: the newest logged score's values, and its trend against the score
# logged a day before (as /score's trend says it)
Value = Literal["score", "grade", "probability", "trend", "scored_at", "model_version"]
VALUES: tuple[str, ...] = Value.__args__  # type: ignore[attr-defined]
HUBSPOT_BATCH = 100  # the most inputs one batch update takes
SALESFORCE_BATCH = 200  # the most records one sObject Collections request takes


class Delivery(StrictModel):
    """How hard a destination is tried."""

    timeout_seconds: float = Field(10.0, gt=0, le=120)
    first_retry_seconds: float = Field(2.0, gt=0)
    max_retry_seconds: float = Field(3600.0, gt=0, description="back-off stops growing here")
    max_attempts: int = Field(
        10, ge=1, description="a record refused this often is marked dead (kept, not retried)"
    )


class _Destination(StrictModel):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    record_id_field: str | None = Field(
        None, description="the profile field holding the CRM record's id (default: customer_id)"
    )
    delivery: Delivery = Delivery()


class HubSpot(_Destination):
    kind: Literal["hubspot"]
    base_url: HttpUrl = HttpUrl("https://api.hubapi.com")
    object_type: str = Field("contacts", pattern=r"^[A-Za-z0-9_-]+$")
    id_property: str | None = Field(
        None, description="a unique property the record ids are values of (default: HubSpot id)"
    )
    token_env: str = "LEADSCORE_HUBSPOT_TOKEN"
    fields: dict[Value, str] = Field(min_length=1)
    batch_size: int = Field(HUBSPOT_BATCH, ge=1, le=HUBSPOT_BATCH)


class Salesforce(_Destination):
    kind: Literal["salesforce"]
    login_url: HttpUrl = Field(
        HttpUrl("https://login.salesforce.com"),
        description="where tokens come from: your My Domain URL for client credentials",
    )
    instance_url: HttpUrl | None = Field(
        None, description="the REST API's base URL (default: the token response's instance_url)"
    )
    api_version: str = Field("v62.0", pattern=r"^v\d+\.\d$")
    sobject: str = Field("Lead", pattern=r"^[A-Za-z0-9_]+$")
    client_id_env: str = "LEADSCORE_SALESFORCE_CLIENT_ID"
    client_secret_env: str = "LEADSCORE_SALESFORCE_CLIENT_SECRET"
    fields: dict[Value, str] = Field(min_length=1)
    batch_size: int = Field(SALESFORCE_BATCH, ge=1, le=SALESFORCE_BATCH)


class Dynamics(_Destination):
    kind: Literal["dynamics"]
    org_url: HttpUrl = Field(description="the environment's URL, https://<org>.crm.dynamics.com")
    tenant_id: str = Field(min_length=1)
    token_url: HttpUrl | None = Field(
        None,
        description="default https://login.microsoftonline.com/<tenant_id>/oauth2/v2.0/token",
    )
    api_version: str = Field("v9.2", pattern=r"^v\d+\.\d+$")
    entity_type: str = Field("lead", description="msdyn_entitytype: the scored table")
    client_id_env: str = "LEADSCORE_DYNAMICS_CLIENT_ID"
    client_secret_env: str = "LEADSCORE_DYNAMICS_CLIENT_SECRET"
    # one upsert (PATCH) per record: a batch is this many requests in a row
    batch_size: int = Field(50, ge=1, le=1000)

    @property
    def token_endpoint(self) -> str:
        if self.token_url is not None:
            return str(self.token_url)
        return f"https://login.microsoftonline.com/{self.tenant_id}/oauth2/v2.0/token"

    @property
    def scope(self) -> str:
        """The client credentials scope of the environment's Web API."""
        return f"{str(self.org_url).rstrip('/')}/.default"


Destination = Annotated[HubSpot | Salesforce | Dynamics, Field(discriminator="kind")]


class CrmConfig(StrictModel):
    """Where scores are written back to: one or more CRM destinations."""

    trend_after_hours: float = Field(
        24.0, gt=0, description="the trend is against the score logged this long before"
    )
    destinations: list[Destination] = Field(min_length=1)

    def destination(self, name: str) -> HubSpot | Salesforce | Dynamics:
        for destination in self.destinations:
            if destination.name == name:
                return destination
        known = ", ".join(d.name for d in self.destinations)
        raise InputError(f"no CRM destination named {name!r}; crm.yaml names {known}")


def load_crm_config(path: Path) -> CrmConfig:
    """crm.yaml, validated; an InputError names the file and the field that is wrong."""
    config = validated(
        CrmConfig,
        read_yaml(path, what="CRM write-back config"),
        path=path,
        what="CRM write-back config",
    )
    names = [d.name for d in config.destinations]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise InputError(f"{path}: destination names must differ; {', '.join(twice)} comes twice")
    for d in config.destinations:
        if isinstance(d, HubSpot | Salesforce) and len(set(d.fields.values())) != len(d.fields):
            raise InputError(
                f"{path}: destinations.{d.name}.fields: two values go to one CRM field"
            )
    return config
