"""Whom a lead's page is about: the person and account at its head (name, company, job
title, e-mail, phone, owner, territory), apart from the profile attributes below it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from leadscore.data.tables import DISPLAY_COLUMNS
from leadscore.workspace import formatting

# the customers' columns a lead's page shows nowhere as profile attributes
NOT_PROFILE = ("customer_id", "created_at", "converted")


@dataclass(frozen=True)
class Contact:
    """A lead's head: ``name`` is its id where it has none (``named``: whether it has one);
    ``tel`` the phone number as a ``tel:`` link; ``profile`` the other attributes."""

    customer_id: str
    name: str
    named: bool = False
    company: str | None = None
    job_title: str | None = None
    email: str | None = None
    phone: str | None = None
    tel: str | None = None
    owner: str | None = None
    territory: str | None = None
    profile: dict[str, object] = field(default_factory=dict)


def lead_contact(
    customer: Mapping[str, object], *, name_column: str | None, territory_column: str | None
) -> Contact:
    """The head of the lead ``customer`` (a row of ``Store.customers``), its name and
    territory read from the workspace's configured columns."""
    customer_id = str(customer["customer_id"])
    present = {str(k): str(v) for k, v in customer.items() if not formatting.is_missing(v)}
    name = present.get(name_column) if name_column else None
    phone = present.get("phone")
    head = {*DISPLAY_COLUMNS, *(c for c in (name_column, territory_column) if c)}
    return Contact(
        customer_id=customer_id,
        name=name or customer_id,
        named=bool(name),
        company=present.get("company"),
        job_title=present.get("job_title"),
        email=present.get("email"),
        phone=phone,
        tel=tel_href(phone) if phone else None,
        owner=present.get("owner"),
        territory=present.get(territory_column) if territory_column else None,
        profile={
            str(k): v
            for k, v in customer.items()
            if k not in NOT_PROFILE and k not in head and not formatting.is_missing(v)
        },
    )


def tel_href(phone: str) -> str | None:
    """``phone`` as a ``tel:`` link: its digits with a leading +, nothing else
    (+49 30 5550123: tel:+49305550123); None where it has no digit."""
    digits = re.sub(r"\D", "", phone)
    if not digits:
        return None
    return f"tel:{'+' if phone.strip().startswith('+') else ''}{digits}"
