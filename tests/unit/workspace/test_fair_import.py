"""A fair's scans into a real SQLite store: new leads with the badge's details, scans of
known leads matched by e-mail (any case), an interest naming an offer as the event's
offer, nothing twice on a second import, and scans before their lead named."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadscore.data.scans import read_scans
from leadscore.store.fair_scans import fair_scans
from leadscore.store.store import Store
from leadscore.workspace.fair_import import checked_fair, import_scans

NOW = pd.Timestamp("2026-12-05", tz="UTC")
FILE = (
    "Datum;E-Mail;Vorname;Nachname;Firma;Notizen;Interesse;Rückruf\n"
    "03.12.2026 14:05;Known@Example.com;Kay;Known;K AG;Angebot;Sensor Kit;ja\n"
    "03.12.2026 15:00;new@example.de;Nina;Neu;N GmbH;;Dashboards;nein\n"
    "03.12.2026 15:30;;Ohne;Mail;O KG;;;\n"
    "01.01.2020 09:00;known@example.com;Kay;Known;;;;\n"
    "kaputt;x@example.de;X;Y;;;;\n"
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path}/leadscore.db")
    created = pd.Timestamp("2026-01-01", tz="UTC")
    lead = pd.DataFrame(
        {"customer_id": ["C-1"], "created_at": [created], "email": ["known@example.com"]}
    )
    store.put_customers(lead, now=created)
    offers = pd.DataFrame(
        {"offer_id": ["sensor-kit"], "name": ["Sensor Kit"], "kind": ["product"], "value": [1.0]}
    )
    store.put_offers(offers)
    return store


def test_scans_become_events_of_known_and_new_leads(store: Store) -> None:
    result = import_scans(store, read_scans(FILE.encode()), "Messe 2026", now=NOW)
    assert (result.read, result.taken, result.repeated, result.new_leads) == (5, 3, 0, 2)
    assert [(r.row, r.reason) for r in result.rejected] == [
        (5, "scan_before_lead"),
        (6, "scan_bad_date"),
    ]
    scans = fair_scans(store, "Messe 2026")
    assert scans["customer_id"].iloc[0] == "C-1"  # matched by e-mail, any case
    assert scans["note"].iloc[0] == "Angebot" and scans["wants_call"].iloc[0]
    events = store.rows("events")
    assert events["offer_id"].fillna("-").tolist() == ["sensor-kit", "-", "-"]  # an offer named
    assert set(events["channel"]) == {"trade_fair"}
    new = store.customers(
        [c for c in scans["customer_id"] if c != "C-1"], fields=["name", "company", "email"]
    ).set_index("name")
    assert new.at["Nina Neu", "email"] == "new@example.de"
    assert new.at["Ohne Mail", "company"] == "O KG" and pd.isna(new.at["Ohne Mail", "email"])
    assert all(c.startswith("SCAN-") for c in new["customer_id"])
    # the lead came in with its first scan
    assert store.created_at(new["customer_id"].tolist()).min() == pd.Timestamp(
        "2026-12-03 14:00", tz="UTC"
    )
    again = import_scans(store, read_scans(FILE.encode()), "Messe 2026", now=NOW)
    assert (again.taken, again.repeated, again.new_leads) == (3, 3, 0)
    assert store.count("events") == 3 and len(store.customer_ids()) == 3
    # the same people at another fair are other scans of the same leads
    other = import_scans(store, read_scans(FILE.encode()), "Messe 2027", now=NOW)
    assert (other.repeated, other.new_leads) == (0, 0) and store.count("events") == 6


def test_a_fair_name_is_trimmed_and_bounded() -> None:
    assert checked_fair("  Hannover   Messe 2026 ") == "Hannover Messe 2026"
    assert checked_fair("   ") is None and checked_fair("x" * 201) is None


def test_one_person_scanned_twice_in_a_minute_is_one_scan(store: Store) -> None:
    doubled = (
        "Datum;E-Mail;Vorname;Nachname;Notizen\n"
        "03.12.2026 14:05;twice@example.de;Tom;Twice;erste\n"
        "03.12.2026 14:05;twice@example.de;Tom;Twice;zweite\n"
        "01.01.0001 00:05;odd@example.de;Odd;Date;\n"
    )
    result = import_scans(store, read_scans(doubled.encode()), "Messe 2026", now=NOW)
    # rows read = imported (one of them a repeat) + rejected (a date no scan has)
    assert (result.read, result.taken, result.repeated) == (3, 2, 1)
    assert [(r.row, r.reason) for r in result.rejected] == [(4, "scan_bad_date")]
    scans = fair_scans(store, "Messe 2026")
    assert len(scans) == 1 and scans["note"].iloc[0] == "zweite"  # the last row's note
