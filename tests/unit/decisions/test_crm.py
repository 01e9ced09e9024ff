"""crm.yaml: the three kinds of destination, their defaults, and errors naming the file
and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadscore.common.errors import InputError
from leadscore.decisions.crm import Dynamics, HubSpot, Salesforce, load_crm_config

EXAMPLE = """
destinations:
  - kind: hubspot
    name: hubspot-contacts
    id_property: leadscore_customer_id
    fields: {score: leadscore_score, grade: leadscore_grade, trend: leadscore_trend}
  - kind: salesforce
    name: salesforce-leads
    login_url: https://acme.my.salesforce.com
    fields: {score: Lead_Score__c, scored_at: Lead_Scored_At__c}
    record_id_field: salesforce_id
  - kind: dynamics
    name: dynamics-leads
    org_url: https://acme.crm4.dynamics.com
    tenant_id: 11111111-2222-3333-4444-555555555555
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "crm.yaml"
    path.write_text(text)
    return path


def test_the_three_kinds_with_their_defaults(tmp_path: Path) -> None:
    config = load_crm_config(_write(tmp_path, EXAMPLE))
    hubspot, salesforce, dynamics = config.destinations
    assert isinstance(hubspot, HubSpot) and hubspot.batch_size == 100
    assert str(hubspot.base_url) == "https://api.hubapi.com/"
    assert isinstance(salesforce, Salesforce) and salesforce.batch_size == 200
    assert salesforce.sobject == "Lead" and salesforce.record_id_field == "salesforce_id"
    assert isinstance(dynamics, Dynamics)
    assert dynamics.token_endpoint == (
        "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token"
    )
    assert dynamics.scope == "https://acme.crm4.dynamics.com/.default"
    assert config.destination("dynamics-leads") is dynamics
    with pytest.raises(InputError, match="no CRM destination named 'x'"):
        config.destination("x")


def test_errors_name_the_file_and_the_field(tmp_path: Path) -> None:
    bad = EXAMPLE.replace("batch_size", "x").replace("score: Lead_Score__c", "scor: Lead_Score__c")
    with pytest.raises(InputError, match=r"crm.yaml: invalid CRM write-back config") as caught:
        load_crm_config(_write(tmp_path, bad))
    assert "destinations.1.salesforce.fields.scor" in str(caught.value)
    too_big = EXAMPLE.replace(
        "name: hubspot-contacts", "name: hubspot-contacts\n    batch_size: 101"
    )
    with pytest.raises(InputError, match="batch_size"):
        load_crm_config(_write(tmp_path, too_big))


def test_names_and_crm_fields_must_differ(tmp_path: Path) -> None:
    twice = EXAMPLE.replace("salesforce-leads", "hubspot-contacts")
    with pytest.raises(InputError, match="hubspot-contacts comes twice"):
        load_crm_config(_write(tmp_path, twice))
    one_field = EXAMPLE.replace("grade: leadscore_grade", "grade: leadscore_score")
    with pytest.raises(InputError, match="two values go to one CRM field"):
        load_crm_config(_write(tmp_path, one_field))
    with pytest.raises(InputError, match="no such CRM write-back config"):
        load_crm_config(tmp_path / "missing.yaml")
