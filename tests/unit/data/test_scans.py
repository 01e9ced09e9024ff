"""Badge-scan exports read as scans: German and English apps' files (separators, BOM,
Windows-1252, trailing empty columns, local times without an offset), a mapping YAML,
and every bad row named by its row, column and reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.data.scans import (
    load_scan_mapping,
    parse_moment,
    read_scans,
    scan_customer_id,
    scan_event_id,
)

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "examples" / "trade_fair"

GERMAN = (
    "\ufeffScan-Datum;Vorname;Nachname;Firma;Position;E-Mail;Telefon;Notizen;Interesse;"
    "Rückruf gewünscht;Bewertung;\r\n"
    "03.12.2026 14:05;Jürgen;Groß;Groß GmbH;Einkauf;J.Gross@Gross.de;+49 1;Will Angebot;"
    "Sensorik;ja;A;\r\n"
    ";;;;;;;;;;;\r\n"
    "\r\n"
    "29.03.2026 02:30;Eva;Lang;;;eva@lang.de;;;;x;;\r\n"
)
ENGLISH = (
    "Scan Date,First Name,Last Name,Company,Job Title,Email,Phone,Notes,Interest,Call Back,\n"
    "12/03/2026 2:05 PM,Olivia,Brown,Brown Ltd,Procurement,olivia@brown.co.uk,,Needs quote,"
    "Dashboard,yes,\n"
    "2026-12-03T13:05:00Z,Sam,Lee,,,sam@lee.com,,,,no,\n"
)


def test_a_german_export_is_read_in_berlin_time() -> None:
    scans = read_scans(GERMAN.encode("utf-8"))
    assert scans.read == 2 and not scans.rejected  # the empty rows are none
    first, second = scans.scans
    assert first.row == 2 and second.row == 5  # as a spreadsheet numbers them
    assert first.scanned_at == pd.Timestamp("2026-12-03 13:05", tz="UTC")  # CET: UTC+1
    assert first.email == "j.gross@gross.de" and first.name == "Jürgen Groß"
    assert (first.company, first.job_title, first.phone) == ("Groß GmbH", "Einkauf", "+49 1")
    assert (first.note, first.interest, first.wants_call) == ("Will Angebot", "Sensorik", True)
    # the night the clocks go forward 02:30 is no wall-clock time: read at the offset
    # before the change (CET, UTC+1), an hour off at worst, not a rejected scan
    assert second.scanned_at == pd.Timestamp("2026-03-29 01:30", tz="UTC")
    assert second.wants_call is True and second.company is None
    assert scans.unmapped == ["Bewertung"]


def test_a_windows_1252_export_reads_too() -> None:
    scans = read_scans(GERMAN.replace("\ufeff", "").encode("cp1252"))
    assert scans.scans[0].name == "Jürgen Groß"


def test_an_english_export_with_us_dates_and_utc_moments() -> None:
    scans = read_scans(ENGLISH.encode())
    assert not scans.rejected
    olivia, sam = scans.scans
    assert olivia.scanned_at == pd.Timestamp("2026-12-03 13:05", tz="UTC")
    assert olivia.wants_call and olivia.interest == "Dashboard"
    assert sam.scanned_at == pd.Timestamp("2026-12-03 13:05", tz="UTC")  # Z kept
    assert not sam.wants_call


def test_bad_rows_are_named_with_their_row_column_and_reason() -> None:
    text = (
        "Datum;E-Mail;Name;Rückruf\n"
        "31.02.2026 10:00;a@b.de;A;ja\n"
        ";c@d.de;C;\n"
        "01.12.2026 10:00;;;\n"
        "01.12.2026 10:00;not-an-address;E;\n"
        "01.12.2026 10:00;f@g.de;F;vielleicht\n"
        "01.12.2026 10:00;;Only A Name;nein\n"
    )
    scans = read_scans(text.encode())
    assert [(r.row, r.column, r.reason) for r in scans.rejected] == [
        (2, "Datum", "scan_bad_date"),
        (3, "Datum", "scan_no_date"),
        (4, "E-Mail", "scan_no_who"),
        (5, "E-Mail", "scan_bad_email"),
        (6, "Rückruf", "scan_bad_call"),
    ]
    assert scans.rejected[0].values == {"value": "31.02.2026 10:00"}
    assert [s.name for s in scans.scans] == ["Only A Name"]
    assert scans.read == len(scans.scans) + len(scans.rejected) == 6


def test_a_file_without_the_needed_columns_says_which() -> None:
    scans = read_scans(b"Vorname,Nachname\nA,B\n")
    [problem] = scans.rejected
    assert (problem.row, problem.column, problem.reason) == (1, "header", "scan_no_date_column")
    assert problem.values["columns"] == "Vorname, Nachname"
    nobody = read_scans(b"Datum;Firma\n01.12.2026;X\n").rejected[0]
    assert nobody.reason == "scan_no_who_column"
    assert read_scans(b"").rejected[0].reason == "scan_empty"


def test_a_mapping_names_an_apps_own_columns(tmp_path: Path) -> None:
    mapping = tmp_path / "source.yaml"
    mapping.write_text(
        'columns:\n  "Captured": scanned_at\n  "Mail of visitor": email\n  "Remark": note\n'
        'timezone: America/New_York\ndate_format: "%Y%m%d %H%M"\n',
        encoding="utf-8",
    )
    loaded = load_scan_mapping(mapping)
    scans = read_scans(b"Captured|Mail of visitor|Remark\n", loaded)  # no separator: one column
    assert scans.rejected[0].reason == "scan_no_date_column"
    scans = read_scans(
        b"Captured,Mail of visitor,Remark,Vorname\n20261203 0905,x@y.com,hi,Xa\n", loaded
    )
    [scan] = scans.scans
    assert scan.scanned_at == pd.Timestamp("2026-12-03 14:05", tz="UTC")  # EST: UTC-5
    assert (scan.email, scan.note, scan.name) == ("x@y.com", "hi", "Xa")
    berlin = load_scan_mapping(mapping, timezone="Europe/Berlin")
    assert berlin.timezone == "Europe/Berlin"


def test_bad_mappings_say_what_to_fix(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("columns:\n  Datum: when\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"columns.Datum: 'when' is not a field"):
        load_scan_mapping(bad)
    bad.write_text("timezone: Europe/Berlin\n", encoding="utf-8")
    with pytest.raises(InputError, match="no `columns:`"):
        load_scan_mapping(bad)
    bad.write_text("columns: {Datum: scanned_at}\ntimezone: Mars/Olympus\n", encoding="utf-8")
    with pytest.raises(InputError, match="Mars/Olympus"):
        load_scan_mapping(bad)


def test_the_example_file_and_mapping_read_cleanly() -> None:
    data = (EXAMPLE / "hannover-messe-2026-scans.csv").read_bytes()
    with_mapping = read_scans(data, load_scan_mapping(EXAMPLE / "scan-source.yaml"))
    plain = read_scans(data)
    assert with_mapping.read == plain.read == len(plain.scans) == 20
    assert with_mapping.scans == plain.scans


def test_parse_moment_reads_local_and_offset_moments() -> None:
    zone = "Europe/Berlin"
    assert parse_moment("03.07.2026 14:05", zone) == pd.Timestamp("2026-07-03 12:05", tz="UTC")
    assert parse_moment("2026-07-03T14:05+02:00", "UTC") == pd.Timestamp(
        "2026-07-03 12:05", tz="UTC"
    )
    assert parse_moment("next tuesday", zone) is None
    # the hour the clocks go back comes twice: the first (CEST, UTC+2) is taken
    assert parse_moment("25.10.2026 02:30", zone) == pd.Timestamp("2026-10-25 00:30", tz="UTC")


def test_ids_are_stable_per_email_and_per_scan() -> None:
    one, two = read_scans(ENGLISH.encode()).scans
    assert scan_customer_id(one) == scan_customer_id(one) != scan_customer_id(two)
    assert scan_customer_id(one).startswith("SCAN-")
    assert scan_event_id("A", one, "x") == scan_event_id("A", one, "x")
    assert scan_event_id("A", one, "x") != scan_event_id("B", one, "x")
