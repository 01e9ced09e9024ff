"""A folder of exports: each file read by its content, and given its role."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.data.export_guess import guess_export


def german_export(folder: Path) -> Path:
    """Kunden.csv (Latin-1, ';', decimal commas, dd.mm.yyyy, ja/nein) and activities as
    JSON lines in a .json file."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["Kunden-Nr;Firma;E-Mail;Angelegt am;Umsatz;Newsletter;Abschluss"]
    for i in range(60):
        revenue = f"{1 + i}.{i % 10}71,44" if i % 3 else f"{i},5"
        rows.append(
            f"K{i:03d};Müller & Söhne {i} GmbH;m{i}@x.example;0{1 + i % 9}.07.2024;{revenue};"
            f"{'ja' if i % 2 else 'nein'};{'ja' if i % 5 == 0 else 'nein'}"
        )
    (folder / "Kunden.csv").write_bytes(("\n".join(rows) + "\n").encode("latin-1"))
    names = ["Webseitenbesuch", "E-Mail geklickt", "Messe", "Geburtstagskarte"]
    lines = [
        json.dumps({"Kunden-Nr": f"K{i % 60:03d}", "Zeit": f"1{i % 9}.07.2024 10:0{i % 6}",
                    "Aktivität": names[i % 4]}, ensure_ascii=False)
        for i in range(180)
    ]  # fmt: skip
    (folder / "Aktivitaeten.json").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_german_export_roles_and_settings(tmp_path: Path) -> None:
    guess = guess_export(german_export(tmp_path / "export"))
    customers, events = guess.table("customers"), guess.table("events")
    assert customers is not None and events is not None
    assert customers.path.name == "Kunden.csv" and events.path.name == "Aktivitaeten.json"
    assert (customers.format.value, customers.encoding.value) == ("csv", "latin-1")
    assert customers.separator.value == ";"
    assert customers.numbers.value == ",." and customers.number_columns == ["Umsatz"]
    assert customers.id_column == "Kunden-Nr" and customers.time_column == "Angelegt am"
    assert customers.dates["Angelegt am"].value == "%d.%m.%Y"
    assert customers.display == {"Firma": "company", "E-Mail": "email"}
    assert events.format.value == "jsonl" and events.id_column == "Kunden-Nr"
    assert events.time_column == "Zeit" and events.dates["Zeit"].value == "%d.%m.%Y %H:%M"
    assert events.event_column == "Aktivität"
    assert events.event_types == {
        "Webseitenbesuch": "page_view",
        "E-Mail geklickt": "email_click",
        "Messe": "trade_fair_visit",
        "Geburtstagskarte": None,
    }
    # two yes/no columns: the one named as an outcome is the label
    assert {c.column for c in customers.labels} == {"Newsletter", "Abschluss"}
    assert guess.label.column == "Abschluss" and guess.label.positive == "ja"
    assert guess.timezone.value == "Europe/Berlin"


def test_excel_parquet_and_utf8_comma_files(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    leads = pd.DataFrame(
        {
            "Lead ID": ["L1", "L2", "L3"],
            "Created": ["2024-01-02", "2024-01-03", "2024-02-01"],
            "Converted": ["Yes", "No", "No"],
        }
    )
    leads.to_excel(tmp_path / "leads.xlsx", index=False, engine="openpyxl")
    events = pd.DataFrame(
        {
            "lead": ["L1", "L2", "L1"],
            "ts": pd.to_datetime(["2024-01-05", "2024-01-06", "2024-01-07"], utc=True),
            "type": ["page_view", "Email Click", "call"],
        }
    )
    events.to_parquet(tmp_path / "activity.bin")
    (tmp_path / "notes.csv").write_text("a,b\nx,ü\n", encoding="utf-8")
    guess = guess_export(tmp_path)
    customers, activity = guess.table("customers"), guess.table("events")
    assert customers.format.value == "xlsx" and customers.id_column == "Lead ID"
    assert customers.dates["Created"].value is None  # ISO 8601: nothing to say
    assert guess.label.column == "Converted" and guess.label.positive == "Yes"
    assert activity.format.value == "parquet" and activity.id_column == "lead"
    assert activity.time_column == "ts" and activity.event_column == "type"
    notes = next(t for t in guess.tables if t.path.name == "notes.csv")
    assert notes.role is None and notes.encoding.value == "utf-8"
    assert notes.separator.value == ","
    assert guess.timezone.value == "UTC"


def test_no_readable_file_is_an_error_naming_the_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no file to read"):
        guess_export(tmp_path)
    with pytest.raises(InputError, match="not a folder"):
        guess_export(tmp_path / "missing")


def test_an_unreadable_file_is_skipped_and_a_folder_without_customers_refused(
    tmp_path: Path,
) -> None:
    folder = german_export(tmp_path / "export")
    (folder / "export.zip").write_bytes(b"PK\x03\x04" + b"\x00" * 60)  # the original archive
    guess = guess_export(folder)
    assert guess.table("customers") is not None
    assert any(line.startswith("export.zip: cannot read it") for line in guess.skipped)
    (folder / "Kunden.csv").unlink()
    with pytest.raises(InputError, match="no customers table among"):
        guess_export(folder)
