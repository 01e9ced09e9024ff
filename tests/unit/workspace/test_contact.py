"""A lead's head: the person from the display fields, the id where there is no name, the
phone as a tel: link, and the profile without what the head shows."""

from __future__ import annotations

import pandas as pd
import pytest

from leadscore.workspace.contact import lead_contact, tel_href

ROW = pd.Series(
    {
        "customer_id": "C-7",
        "created_at": pd.Timestamp("2026-01-01", tz="UTC"),
        "converted": False,
        "name": "Élodie Lefèvre",
        "company": "Lefèvre Logistique SAS",
        "job_title": "Directrice des opérations",
        "email": "elodie.lefevre@lefevre-logistique.example",
        "phone": "+33 1 99 00 12 34",
        "owner": "Julien Moreau",
        "territory": "Frankreich",
        "industry": "logistics",
        "country": "FR",
        "company_size": None,
    }
)


def test_the_head_holds_the_person_and_the_profile_the_rest() -> None:
    contact = lead_contact(ROW, name_column="name", territory_column="territory")
    assert contact.name == "Élodie Lefèvre" and contact.named
    assert contact.company == "Lefèvre Logistique SAS" and contact.owner == "Julien Moreau"
    assert contact.tel == "tel:+33199001234" and contact.territory == "Frankreich"
    assert contact.profile == {"industry": "logistics", "country": "FR"}  # missing left out


def test_without_a_name_the_id_heads_the_page() -> None:
    bare = ROW.drop(["name", "email", "phone"])
    contact = lead_contact(bare, name_column="name", territory_column="territory")
    assert contact.name == "C-7" and not contact.named
    assert contact.email is None and contact.tel is None
    nameless = lead_contact(ROW, name_column=None, territory_column=None)
    assert nameless.name == "C-7" and nameless.territory is None


def test_configured_columns_head_the_page_and_leave_the_profile() -> None:
    contact = lead_contact(ROW, name_column="company", territory_column="country")
    assert contact.name == "Lefèvre Logistique SAS" and contact.territory == "FR"
    assert contact.profile == {"industry": "logistics"}


@pytest.mark.parametrize(
    ("phone", "href"),
    [
        ("+49 30 5550123", "tel:+49305550123"),
        ("+1 (212) 555-0142", "tel:+12125550142"),
        ("030 / 555 01 23", "tel:0305550123"),
        ("n/a", None),
    ],
)
def test_a_tel_link_holds_the_plus_and_the_digits_only(phone: str, href: str | None) -> None:
    assert tel_href(phone) == href
