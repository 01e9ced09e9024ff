"""Guesses about one export file: its format by content, encoding, separator, how numbers
and dates are written, yes/no label columns, event names; and validate's number notes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadscore.data import guessing as g
from leadscore.data.source_config import SourceConfig


def _head(path: Path) -> bytes:
    return path.read_bytes()[: g.SNIFF_BYTES]


def test_format_is_told_by_content_whatever_the_ending(tmp_path: Path) -> None:
    lines = tmp_path / "events.json"
    lines.write_text('{"a": 1}\n{"a": 2}\n')
    array = tmp_path / "events.txt"
    array.write_text('[{"a": 1}, {"a": 2}]')
    document = tmp_path / "one.json"
    document.write_text('{\n  "rows": [{"a": 1}]\n}\n')
    csv = tmp_path / "leads.json"
    csv.write_text("a;b\n1;2\n")
    parquet = tmp_path / "leads.csv"
    pd.DataFrame({"a": [1]}).to_parquet(parquet)
    assert g.sniff_format(lines, _head(lines)).value == "jsonl"
    assert ".json ending" in g.sniff_format(lines, _head(lines)).seen
    assert g.sniff_format(array, _head(array)).value == "json"
    assert g.sniff_format(document, _head(document)).value == "json"
    assert g.sniff_format(csv, _head(csv)).value == "csv"
    assert g.sniff_format(parquet, _head(parquet)).value == "parquet"


def test_an_excel_workbook_is_told_by_its_zip_signature(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    path = tmp_path / "export.dat"
    pd.DataFrame({"a": [1]}).to_excel(path, index=False, engine="openpyxl")
    assert g.sniff_format(path, _head(path)).value == "xlsx"


def test_encoding_utf8_latin1_and_windows() -> None:
    assert g.sniff_encoding("Müller;Köln\n".encode()).value == "utf-8"
    latin = g.sniff_encoding("Müller;Köln\n".encode("latin-1"))
    assert latin.value == "latin-1" and "0xfc" in latin.seen
    assert g.sniff_encoding("Müller: 5 €\n".encode("cp1252")).value == "cp1252"


def test_separator_semicolon_versus_comma() -> None:
    assert g.sniff_separator("Kunden-Nr;Firma;Umsatz,Netto").value == ";"
    assert g.sniff_separator("id,name,value").value == ","
    assert g.sniff_separator("id\tname").value == "\t"
    assert g.sniff_separator("single").value == ","


def test_german_and_english_numbers_are_told_apart() -> None:
    german = g.number_style(pd.Series(["1.871,44", "12,5", "3"]))
    assert german is not None and german.value == ",." and "1.871,44" in german.seen
    assert g.number_style(pd.Series(["4,857", "12,5"])).value == ","
    assert g.number_style(pd.Series(["1,871.44", "3.5"])).value == ".,"
    # plain numbers and text need no setting; dates are not numbers
    assert g.number_style(pd.Series(["1.5", "3"])) is None
    assert g.number_style(pd.Series(["abc", "1,5"])) is None
    assert g.number_style(pd.Series(["01.07.2024"])) is None
    assert g.number_style(pd.Series([1.5, 2.0])) is None


def test_date_formats() -> None:
    assert g.date_format(pd.Series(["01.07.2024", "31.12.2025"])).value == "%d.%m.%Y"
    assert g.date_format(pd.Series(["01.07.2024 04:03"])).value == "%d.%m.%Y %H:%M"
    assert g.date_format(pd.Series(["01.07.2024 04:03:59"])).value == "%d.%m.%Y %H:%M:%S"
    iso = g.date_format(pd.Series(["2024-07-01", "2024-07-01T10:00:00+02:00"]))
    assert iso is not None and iso.value is None
    assert g.date_format(pd.Series(["12/31/2024"])).value == "%m/%d/%Y"
    ambiguous = g.date_format(pd.Series(["01/02/2024"]))
    assert ambiguous.value == "%d/%m/%Y" and "month first" in ambiguous.seen
    assert g.date_format(pd.Series(["1.871,44", "abc"])) is None
    assert g.date_format(pd.Series(["20240701"])) is None


@pytest.mark.parametrize(
    ("values", "positive", "negative"),
    [
        (["ja", "nein", "nein"], "ja", "nein"),
        (["Yes", "No"], "Yes", "No"),
        (["1", "0", "0"], "1", "0"),
        (["TRUE", "FALSE"], "TRUE", "FALSE"),
        (["won", "lost"], "won", "lost"),
    ],
)
def test_label_candidates(values: list[str], positive: str, negative: str) -> None:
    candidate = g.label_candidate("Abschluss", pd.Series(values))
    assert candidate is not None
    assert (candidate.positive, candidate.negative) == (positive, negative)
    assert candidate.named and candidate.rows == len(values)


def test_columns_that_are_not_flags_and_the_best_label() -> None:
    assert g.label_candidate("x", pd.Series(["a", "b"])) is None
    assert g.label_candidate("x", pd.Series(["ja", "nein", "vielleicht"])) is None
    newsletter = g.label_candidate("Newsletter", pd.Series(["ja"] * 9 + ["nein"]))
    deal = g.label_candidate("Abschluss", pd.Series(["ja"] + ["nein"] * 9))
    assert g.best_label([newsletter, deal]) is deal
    assert g.best_label([]) is None


@pytest.mark.parametrize(
    ("name", "event_type"),
    [
        ("Webseitenbesuch", "page_view"),
        ("Messebesuch", "trade_fair_visit"),
        ("Messe", "trade_fair_visit"),
        ("E-Mail geklickt", "email_click"),
        ("E-Mail geöffnet", "email_open"),
        ("Preisseite angesehen", "pricing_page_view"),
        ("Webinar-Anmeldung", "webinar_registered"),
        ("Webinar besucht", "webinar_attended"),
        ("Angebotsanfrage", "quote_request"),
        ("Angebot versendet", "offer_received"),
        ("Termin", "meeting"),
        ("Anruf", "call"),
        ("Whitepaper-Download", "download"),
        ("page_view", "page_view"),
        ("Email Click", "email_click"),
        ("Geburtstagskarte", None),
    ],
)
def test_event_names(name: str, event_type: str | None) -> None:
    assert g.event_type_of(name) == event_type


def test_number_notes_name_table_column_example_and_yaml() -> None:
    def source(**table: object) -> SourceConfig:
        return SourceConfig.model_validate(
            {
                "name": "x",
                "tables": {"customers": {"path": "k.csv", **table}},
                "label": {"kind": "flag", "column": "y", "positive": ["1"]},
            }
        )

    customers = pd.DataFrame(
        {
            "customer_id": ["1,5", "2,5"],
            "Umsatz": pd.Series(["1.871,44", "4,85"], dtype="category"),
            "Branche": ["a", "b"],
            "n": [1.0, 2.0],
        }
    )
    notes = g.number_notes(source(), lambda name: customers)
    assert len(notes) == 1
    assert "customers, column Umsatz" in notes[0] and "'1.871,44'" in notes[0]
    assert 'numbers: {decimal: ",", thousands: "."}' in notes[0]
    german = source(numbers={"decimal": ",", "thousands": "."})
    assert g.number_notes(german, lambda name: customers) == []
