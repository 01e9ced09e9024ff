"""The synthetic CRM written the way a German CRM exports it: a first day with "own" data.

A customers file (``Kunden.csv``: ``;``-separated, Latin-1, German headers, decimal commas
with thousands dots, dates as dd.mm.yyyy, a ja/nein ``Abschluss`` column) and the
activities as JSON lines in a file named ``.json`` (``Aktivitaeten.json``), with German
activity names. Nothing in it follows the canonical layout: ``leadscore init`` guesses the
source config that maps it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from leadscore.synthetic.config import SyntheticConfig
from leadscore.synthetic.generate import generate_crm

CUSTOMERS_FILE = "Kunden.csv"
EVENTS_FILE = "Aktivitaeten.json"
TIMEZONE = "Europe/Berlin"  # the export's clock: local times without an offset

# the canonical event types the export records, by the names its CRM shows (offer take-ups
# are left out); the orders date the conversions the Abschluss column states
GERMAN_EVENT_NAMES = {
    "purchase": "Auftrag erteilt",
    "page_view": "Webseitenbesuch",
    "pricing_page_view": "Preisseite angesehen",
    "product_page_view": "Produktseite angesehen",
    "download": "Whitepaper-Download",
    "email_open": "E-Mail geöffnet",
    "email_click": "E-Mail geklickt",
    "webinar_registered": "Webinar-Anmeldung",
    "webinar_attended": "Webinar besucht",
    "trade_fair_visit": "Messe",
    "call": "Anruf",
    "meeting": "Termin",
    "quote_request": "Angebotsanfrage",
    "offer_received": "Angebot versendet",
}
_INDUSTRIES = {
    "manufacturing": "Maschinenbau",
    "retail": "Einzelhandel",
    "finance": "Finanzdienstleistungen",
    "healthcare": "Gesundheitswesen",
    "software": "Software",
    "logistics": "Logistik",
}
_COUNTRIES = {
    "DE": "Deutschland",
    "AT": "Österreich",
    "CH": "Schweiz",
    "NL": "Niederlande",
    "FR": "Frankreich",
    "GB": "Großbritannien",
    "US": "USA",
}
_SOURCES = {"webinar": "Webinar", "trade_fair": "Messe", "referral": "Empfehlung"}
# median annual revenue in thousands of euros by company size: wide enough for thousands
_REVENUE_BY_SIZE = {"1-10": 900.0, "11-50": 4_000.0, "51-200": 18_000.0}


@dataclass(frozen=True)
class GermanExport:
    """What was written."""

    directory: Path
    customers: int
    events: int
    converted: int


def write_german_export(config: SyntheticConfig, out: Path) -> GermanExport:
    """Simulate the CRM for ``config`` and write it to ``out`` as a German CRM export
    (same config, same bytes)."""
    with tempfile.TemporaryDirectory(prefix="leadscore-crm-") as scratch:
        generate_crm(config, Path(scratch))
        customers = pd.read_parquet(Path(scratch) / "customers.parquet")
        events = pd.read_parquet(Path(scratch) / "events.parquet")
    converted = set(events.loc[events["event_type"] == "purchase", "customer_id"])
    rng = np.random.default_rng([config.seed, 35])
    kunden = _customers(customers, converted, rng)
    out.mkdir(parents=True, exist_ok=True)
    # Latin-1 as older German CRMs write it; a character it lacks becomes '?'
    kunden.to_csv(out / CUSTOMERS_FILE, sep=";", index=False, encoding="latin-1", errors="replace")
    shown = events[events["event_type"].isin(list(GERMAN_EVENT_NAMES))]
    # to the second, as CRMs record them: events of one second are one row
    activities = _activities(shown).drop_duplicates(ignore_index=True)
    lines = activities.to_json(orient="records", lines=True, force_ascii=False)
    (out / EVENTS_FILE).write_text(lines, encoding="utf-8")
    converted_count = int(kunden["Abschluss"].eq("ja").sum())
    return GermanExport(out, len(kunden), len(activities), converted_count)


def _customers(frame: pd.DataFrame, converted: set[str], rng: np.random.Generator) -> pd.DataFrame:
    size = frame["company_size"].astype("object")
    median = size.map(_REVENUE_BY_SIZE).fillna(60_000.0).to_numpy(dtype=float)
    revenue = median * rng.lognormal(0.0, 0.6, size=len(frame))
    return pd.DataFrame(
        {
            "Kunden-Nr": frame["customer_id"],
            "Firma": frame["company"],
            "Ansprechpartner": frame["name"],
            "Position": frame["job_title"],
            "E-Mail": frame["email"],
            "Telefon": frame["phone"],
            "Branche": frame["industry"].astype("object").map(_INDUSTRIES),
            "Mitarbeiter": size,
            "Land": frame["country"].astype("object").map(_COUNTRIES),
            "Quelle": frame["lead_source"].astype("object").map(lambda s: _SOURCES.get(s, s)),
            "Betreuer": frame["owner"],
            "Gebiet": frame["territory"],
            "Angelegt am": _local(frame["created_at"]).dt.strftime("%d.%m.%Y"),
            "Umsatz": [german_number(v) for v in revenue],
            "Abschluss": np.where(frame["customer_id"].isin(converted), "ja", "nein"),
        }
    )


def _activities(events: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Kunden-Nr": events["customer_id"].to_numpy(),
            "Zeitpunkt": _local(events["ts"]).dt.strftime("%d.%m.%Y %H:%M:%S").to_numpy(),
            "Aktivität": events["event_type"].astype("object").map(GERMAN_EVENT_NAMES).to_numpy(),
        }
    )


def _local(moments: pd.Series) -> pd.Series:
    """UTC moments as Berlin wall-clock times; a time in the hour that occurs twice when
    the clocks go back moves an hour on, so that reading it back is never ambiguous."""
    local = moments.dt.tz_convert(TIMEZONE).dt.tz_localize(None)
    again = local.dt.tz_localize(TIMEZONE, ambiguous="NaT", nonexistent="NaT")
    return local.where(again.notna(), local + pd.Timedelta(hours=1))


def german_number(value: float) -> str:
    """``1871.444`` as ``1.871,44``: decimal comma, thousands dots."""
    return f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
