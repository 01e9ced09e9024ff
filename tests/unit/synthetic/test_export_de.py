"""The synthetic CRM as a German CRM exports it: Latin-1, ';', German numbers and dates."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from leadscore.synthetic import SyntheticConfig
from leadscore.synthetic.export_de import (
    CUSTOMERS_FILE,
    EVENTS_FILE,
    GERMAN_EVENT_NAMES,
    german_number,
    write_german_export,
)


def test_german_number() -> None:
    assert german_number(1871.444) == "1.871,44"
    assert german_number(4.5) == "4,50"
    assert german_number(1234567.0) == "1.234.567,00"


def test_export_is_german_and_the_same_for_the_same_seed(tmp_path: Path) -> None:
    config = SyntheticConfig(customers=300, seed=3)
    first = write_german_export(config, tmp_path / "a")
    write_german_export(config, tmp_path / "b")
    for name in (CUSTOMERS_FILE, EVENTS_FILE):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    raw = (tmp_path / "a" / CUSTOMERS_FILE).read_bytes()
    text = raw.decode("latin-1")
    assert text.startswith("Kunden-Nr;Firma;") and "Österreich" in text
    customers = pd.read_csv(tmp_path / "a" / CUSTOMERS_FILE, sep=";", encoding="latin-1", dtype=str)
    assert len(customers) == first.customers == 300
    assert customers["Angelegt am"].str.fullmatch(r"\d{2}\.\d{2}\.\d{4}").all()
    assert customers["Umsatz"].str.fullmatch(r"\d{1,3}(\.\d{3})*,\d{2}").all()
    assert set(customers["Abschluss"]) == {"ja", "nein"}
    assert (customers["Abschluss"] == "ja").sum() == first.converted > 0
    lines = (tmp_path / "a" / EVENTS_FILE).read_text(encoding="utf-8").splitlines()
    assert len(lines) == first.events
    rows = [json.loads(line) for line in lines]
    assert {r["Aktivität"] for r in rows} <= set(GERMAN_EVENT_NAMES.values())
    assert len({json.dumps(r) for r in rows}) == len(rows)  # no repeated row
    assert set(r["Kunden-Nr"] for r in rows) <= set(customers["Kunden-Nr"])
