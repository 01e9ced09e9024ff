"""Exports in the shapes real systems write them: JSON lines with nested values, relative
hours, German dates and numbers, trailing commas, form defaults, newest-first files,
other encodings and separators, ragged rows and junk values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.data.loading import load_source, rejection_limit_message, require_loaded
from leadscore.data.source_config import load_source_config
from tests.conftest import NOW

ORIGIN = pd.Timestamp("2025-03-01", tz="UTC")


def _write_config(directory: Path, text: str) -> Path:
    path = directory / "source.yaml"
    path.write_text(text)
    return path


def _load(directory: Path, text: str):
    return load_source(load_source_config(_write_config(directory, text)), now=NOW)


def _offer_experiment(directory: Path) -> dict[str, list[dict]]:
    """An offer experiment in JSON: a portfolio array, profiles and a transcript in JSON
    lines whose ``value`` holds an object spelt two ways, time in hours since the start."""
    portfolio = [
        {"id": "bogo-1", "offer_type": "bogo", "reward": 10, "difficulty": 10},
        {"id": "disc-1", "offer_type": "discount", "reward": 2, "difficulty": 7},
        {"id": "info-1", "offer_type": "informational", "reward": 0, "difficulty": 0},
    ]
    profiles = [
        {"id": f"p{i}", "became_member_on": f"{(i % 27) + 1:02d}.01.2025", "income": 40_000 + i}
        for i in range(30)
    ]
    transcript = []
    for i in range(30):
        person = f"p{i}"
        offer = portfolio[i % 3]["id"]
        transcript.append(
            {
                "person": person,
                "event": "offer received",
                "time": 24 + i,
                "value": {"offer id": offer},
            }
        )
        if i % 2 == 0:
            transcript.append(
                {
                    "person": person,
                    "event": "offer completed",
                    "time": 30 + i,
                    "value": {"offer_id": offer, "reward": 2},
                }
            )
        transcript.append(
            {"person": person, "event": "transaction", "time": 31.5 + i, "value": {"amount": 3.25}}
        )
    (directory / "portfolio.json").write_text(json.dumps(portfolio))
    (directory / "profile.jsonl").write_text("\n".join(json.dumps(p) for p in profiles) + "\n")
    (directory / "transcript.jsonl").write_text(
        "\n".join(json.dumps(t) for t in transcript) + "\n\n"
    )
    return {"portfolio": portfolio, "profiles": profiles, "transcript": transcript}


OFFER_EXPERIMENT = """
name: offer_experiment
tables:
  offers:
    path: portfolio.json
    rename: {id: offer_id, reward: value}
    derive:
      kind: {from: offer_type, values: {bogo: product, discount: product, informational: nurture}}
      name: {template: "{offer_type} {difficulty}/{value}"}
  customers:
    path: profile.jsonl
    rename: {id: customer_id, became_member_on: created_at}
    timestamps: {created_at: {format: "%d.%m.%Y"}}
  events:
    path: transcript.jsonl
    flatten: [value]
    rename: {person: customer_id, event: event_type, time: ts, value.offer id: offer_id,
             value.offer_id: offer_id, value.amount: value}
    timestamps: {ts: {unit: hours, origin: "2025-03-01"}}
    event_types: {offer received: offer_received, offer completed: offer_completed}
label: {kind: event, event_type: offer_completed}
"""


def test_json_lines_with_nested_values_relative_hours_and_german_dates(tmp_path: Path) -> None:
    written = _offer_experiment(tmp_path)
    result = _load(tmp_path, OFFER_EXPERIMENT)
    assert result.ok, result.problems[:3]
    data = require_loaded(result)
    assert {r.table: (r.read, r.accepted) for r in result.reports} == {
        "offers": (3, 3),
        "customers": (30, 30),
        "events": (len(written["transcript"]), len(written["transcript"])),
    }
    offers = data.offers.set_index("offer_id")
    assert offers["kind"].to_dict() == {
        "bogo-1": "product",
        "disc-1": "product",
        "info-1": "nurture",
    }
    assert offers.loc["bogo-1", "name"] == "bogo 10/10"
    customers = data.customers.set_index("customer_id")
    assert customers.loc["p5", "created_at"] == pd.Timestamp("2025-01-06", tz="UTC")
    events = data.events
    received = events[(events["customer_id"] == "p3") & (events["event_type"] == "offer_received")]
    assert received["ts"].tolist() == [ORIGIN + pd.Timedelta(hours=27)]
    # both spellings of the offer id land in one column
    assert received["offer_id"].tolist() == ["bogo-1"]
    completed = events[events["event_type"] == "offer_completed"]
    assert completed["offer_id"].notna().all() and len(completed) == 15
    spend = events.loc[events["event_type"] == "transaction", "value"]
    assert spend.eq(3.25).all()
    # the event label takes the completions as outcomes, with their offers
    assert len(data.outcomes) == 15 and data.outcomes["offer_id"].notna().all()


def test_event_label_without_optional_event_columns(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("id,created\nA,2025-01-01\nB,2025-01-02\n")
    (tmp_path / "events.csv").write_text(
        "id,when,what\nA,2025-01-03,visit\nA,2025-01-04,purchase\nB,2025-01-05,visit\n"
    )
    result = _load(
        tmp_path,
        "name: x\ntables:\n"
        "  customers: {path: leads.csv, rename: {id: customer_id, created: created_at}}\n"
        "  events: {path: events.csv, rename: {id: customer_id, when: ts, what: event_type}}\n"
        "label: {kind: event, event_type: purchase}\n",
    )
    data = require_loaded(result)
    assert data.outcomes["customer_id"].tolist() == ["A"]
    assert data.outcomes["offer_id"].isna().all() and data.outcomes["value"].isna().all()
    assert {"channel", "campaign", "offer_id", "value"} <= set(data.events.columns)


FLAT = """
name: flat
tables:
  customers:
    path: leads.csv
    read: {na_values: ["Select"]}
    rename: {Prospect ID: customer_id}
    created_at: {sequence: {start: "2025-01-01", end: "2025-01-05", newest_first: true}}
label: {kind: flag, column: Converted, positive: ["1"], negative: ["0"]}
"""


def test_trailing_commas_form_defaults_and_newest_first(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text(
        "Prospect ID,Lead Source,Score [raw],Converted,\n"
        "P5,Select,1.5,1,\n"
        "P4,Google,2.5,0,\n"
        "P3,Select,3.5,0,\n"
        "P2,Referral,4.5,1,\n"
        "P1,Google,5.5,0,\n"
    )
    result = _load(tmp_path, FLAT)
    data = require_loaded(result)
    customers = data.customers.set_index("customer_id")
    # "Select" is a form default: missing, not a category
    assert customers["Lead Source"].isna().sum() == 2
    assert "Select" not in set(customers["Lead Source"].dropna())
    # the empty column from the trailing comma is dropped, and a note says so
    assert not any(str(c).startswith("Unnamed") for c in data.customers.columns)
    assert any("Unnamed: 4" in n and "end of every line" in n for n in result.notes)
    # newest first: the last row is the oldest lead
    assert customers.loc["P1", "created_at"] == pd.Timestamp("2025-01-01", tz="UTC")
    assert customers.loc["P5", "created_at"] == pd.Timestamp("2025-01-05", tz="UTC")


def test_sequence_ordered_by_a_column(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("id,n\nA,30\nB,10\nC,20\n")
    result = _load(
        tmp_path,
        "name: x\ntables:\n  customers:\n    path: leads.csv\n    rename: {id: customer_id}\n"
        "    created_at: {sequence: {start: '2025-01-01', end: '2025-01-03', order_by: n}}\n"
        "label: {kind: flag, column: n, positive: ['30']}\n",
    )
    created = require_loaded(result).customers.set_index("customer_id")["created_at"]
    assert created.dt.day.to_dict() == {"A": 3, "B": 1, "C": 2}


def test_german_numbers_and_dates(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text(
        "id;angelegt;umsatz;converted\n"
        "A;06.01.2025 14:30;1.234,50;ja\n"
        "B;07.01.2025 08:00;12,5;nein\n"
    )
    result = _load(
        tmp_path,
        "name: x\ntimezone: Europe/Berlin\ntables:\n  customers:\n    path: leads.csv\n"
        "    read: {sep: ';'}\n    rename: {id: customer_id, angelegt: created_at}\n"
        "    timestamps: {created_at: {format: '%d.%m.%Y %H:%M'}}\n"
        "    numbers: {decimal: ',', thousands: '.'}\n"
        "label: {kind: flag, column: converted, positive: [ja], negative: [nein]}\n",
    )
    customers = require_loaded(result).customers.set_index("customer_id")
    assert customers.loc["A", "created_at"] == pd.Timestamp("2025-01-06 13:30", tz="UTC")
    assert customers["umsatz"].tolist() == [1234.5, 12.5]


def test_dayfirst_and_epoch_seconds(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("id,created\nA,06.01.2025\nB,1/2/2025\n")
    (tmp_path / "events.csv").write_text("id,epoch,event_type\nA,1736170200,visit\n")
    result = _load(
        tmp_path,
        "name: x\ntables:\n"
        "  customers: {path: leads.csv, rename: {id: customer_id, created: created_at},\n"
        "              timestamps: {created_at: {dayfirst: true}}}\n"
        "  events: {path: events.csv, rename: {id: customer_id, epoch: ts},\n"
        "           timestamps: {ts: {unit: seconds}}}\n"
        "label: {kind: event, event_type: purchase}\n",
    )
    data = require_loaded(result)
    created = data.customers.set_index("customer_id")["created_at"]
    assert created["A"] == pd.Timestamp("2025-01-06", tz="UTC")
    assert created["B"] == pd.Timestamp("2025-02-01", tz="UTC")
    assert data.events["ts"].iat[0] == pd.Timestamp(1736170200, unit="s", tz="UTC")


def test_latin1_file_is_read_with_a_note_and_a_wrong_declared_encoding_says_so(
    tmp_path: Path,
) -> None:
    (tmp_path / "leads.csv").write_bytes(
        "id,created,city,converted\nA,2025-01-01,München,1\nB,2025-01-02,Köln,0\n".encode("latin-1")
    )
    config = (
        "name: x\nlabel: {kind: flag, column: converted, positive: ['1']}\ntables:\n"
        "  customers: {path: leads.csv, rename: {id: customer_id, created: created_at}%s}\n"
    )
    result = _load(tmp_path, config % "")
    city = require_loaded(result).customers["city"].astype("str").tolist()
    assert city == ["München", "Köln"]
    assert any("not UTF-8" in n and "encoding:" in n for n in result.notes)
    declared = _load(tmp_path, config % ", encoding: utf-8")
    (problem,) = declared.table_problems
    assert "cannot decode" in problem.message and "encoding: cp1252" in problem.fix


def test_semicolon_file_is_detected_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text(
        "customer_id;created_at;converted\nA;2025-01-01;1\nB;2025-01-02;0\n"
    )
    result = _load(
        tmp_path,
        "name: x\ntables: {customers: {path: customers.csv}}\n"
        "label: {kind: flag, column: converted, positive: ['1']}\n",
    )
    assert len(require_loaded(result).customers) == 2
    assert any("separator ';' detected" in n for n in result.notes)


def test_one_ragged_row_is_quarantined_alone(tmp_path: Path) -> None:
    rows = ["customer_id,created_at,converted"] + [f"C{i},2025-01-{i:02d},0" for i in range(1, 21)]
    rows[5] = "C5,2025-01-05,0,extra,fields"
    (tmp_path / "customers.csv").write_text("\n".join(rows) + "\n")
    result = _load(
        tmp_path,
        "name: x\nmax_rejected_share: 0.1\ntables: {customers: {path: customers.csv}}\n"
        "label: {kind: flag, column: converted, positive: ['1']}\n",
    )
    (report,) = result.reports
    assert (report.read, report.accepted, report.rejected) == (20, 19, 1)
    (problem,) = result.problems
    assert (problem.row, problem.check) == (5, "field_count")
    assert "5 fields, the header has 3" in problem.message
    quarantined = result.rejected["customers"]
    assert quarantined["_row"].tolist() == [5]
    customers = require_loaded(result).customers
    # rows after the ragged one keep their own row numbers and values
    assert customers["customer_id"].tolist() == [f"C{i}" for i in range(1, 21) if i != 5]


def test_nul_bytes_and_infinite_numbers_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text(
        "customer_id,created_at,size,converted\nA,2025-01-01,1,1\nB\x00x,2025-01-02,2,0\n"
        "C,2025-01-03,-1e999,0\nD,2025-01-04,inf,0\n"
    )
    result = _load(
        tmp_path,
        "name: x\nmax_rejected_share: 1\n"
        "tables: {customers: {path: customers.csv, types: {size: float}}}\n"
        "label: {kind: flag, column: converted, positive: ['1']}\n",
    )
    assert {(p.row, p.column) for p in result.problems} == {
        (2, "customer_id"),
        (3, "size"),
        (4, "size"),
    }
    nul = next(p for p in result.problems if p.column == "customer_id")
    assert "NUL" in nul.fix
    assert require_loaded(result).customers["customer_id"].tolist() == ["A"]


def test_too_many_rejected_rows_refuse_the_load(tmp_path: Path) -> None:
    rows = ["customer_id,created_at,converted"] + [f"C{i},2025-01-01,0" for i in range(10)]
    rows[1:4] = ["C0,yesterday,0", "C1,tomorrow,0", "C2,soon,1"]
    (tmp_path / "customers.csv").write_text("\n".join(rows) + "\n")
    config = (
        "name: x\n%stables: {customers: {path: customers.csv}}\n"
        "label: {kind: flag, column: converted, positive: ['1']}\n"
    )
    result = _load(tmp_path, config % "")
    assert result.data is not None and result.reports[0].too_many_rejected
    message = rejection_limit_message(result)
    assert message is not None and "3 of 10 rows (30.0%, limit 5%)" in message
    with pytest.raises(InputError, match="max_rejected_share"):
        require_loaded(result)
    allowed = _load(tmp_path, config % "max_rejected_share: 0.5\n")
    assert len(require_loaded(allowed).customers) == 7


def test_missing_required_column_is_counted_and_quarantined(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("customer_id,created\nA,2025-01-01\nB,2025-01-02\n")
    result = _load(
        tmp_path,
        "name: x\ntables: {customers: {path: customers.csv}}\n"
        "label: {kind: flag, column: customer_id, positive: [A]}\n",
    )
    (report,) = result.reports
    assert (report.read, report.accepted, report.rejected) == (2, 0, 2)
    assert result.rejected["customers"]["_row"].tolist() == [1, 2]
    assert result.data is None
    with pytest.raises(InputError, match="created_at"):
        require_loaded(result)


def test_rejected_customer_is_named_by_the_events_it_takes_along(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("customer_id,created_at\nA,2025-01-01\nB,someday\n")
    (tmp_path / "events.csv").write_text("customer_id,ts,event_type\nB,2025-01-03,visit\n")
    result = _load(
        tmp_path,
        "name: x\nmax_rejected_share: 1\n"
        "tables: {customers: {path: customers.csv}, events: {path: events.csv}}\n",
    )
    (event_problem,) = [p for p in result.problems if p.table == "events"]
    assert event_problem.message == "its customer was rejected (customers, row 2)"


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        (
            "name: x\ntables: {customers: {path: a.csv, customer_id: Prospect ID}}\n",
            r"rename: \{Prospect ID: customer_id\}",
        ),
        (
            "name: x\ntables: {customers: {path: a.csv, colums: [a]}}\n",
            r"valid keys here: path, format, encoding, read, missing",
        ),
        (
            "name: x\nevent_types: {visit: page_view}\ntables: {customers: {path: a.csv}}\n",
            r"'event_types' belongs under tables\.<table>\.event_types",
        ),
        (
            "name: x\ntables: {customers: {path: a.csv, read: {dayfirst: true}}}\n",
            r"timestamps: \{column: \{dayfirst: true\}\}",
        ),
        (
            "name: x\ntables: {customers: {path: a.csv, read: {sepp: ';'}}}\n",
            r"'sepp' is not an option of pandas\.read_csv",
        ),
        (
            "name: x\ntables: {customers: {path: a.csv, timestamps: {ts: {unit: weeks}}}}\n",
            r"tables\.customers\.timestamps\.ts\.unit",
        ),
    ],
)
def test_config_mistakes_say_what_to_write(tmp_path: Path, yaml_text: str, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        load_source_config(_write_config(tmp_path, yaml_text))


def test_json_lines_bad_lines_are_quarantined(tmp_path: Path) -> None:
    lines = [
        json.dumps({"customer_id": f"C{i}", "created_at": "2025-01-01", "converted": i % 2})
        for i in range(30)
    ]
    lines[3] = "{not json"
    lines[7] = "[1, 2]"
    (tmp_path / "customers.jsonl").write_text("\n".join(lines) + "\n")
    result = _load(
        tmp_path,
        "name: x\nmax_rejected_share: 0.1\ntables: {customers: {path: customers.jsonl}}\n"
        "label: {kind: flag, column: converted, positive: [1]}\n",
    )
    assert {(p.row, p.check) for p in result.problems} == {(4, "json_record"), (8, "json_record")}
    (report,) = result.reports
    assert (report.read, report.accepted, report.rejected) == (30, 28, 2)
    assert np.array_equal(result.rejected["customers"]["_row"], [4, 8])


def test_problem_reports_number_rows_as_whole_numbers(tmp_path: Path) -> None:
    from leadscore.data.problems import write_problems

    (tmp_path / "customers.csv").write_text("customer_id,created_at\nA,2025-01-01\nB,never\n")
    (tmp_path / "events.csv").write_text("customer_id,ts\nA,2025-01-02\n")  # no event_type
    result = _load(
        tmp_path,
        "name: x\nmax_rejected_share: 1\n"
        "tables: {customers: {path: customers.csv}, events: {path: events.csv}}\n",
    )
    report = tmp_path / "problems.csv"
    write_problems(result.problems, report, chunk_rows=1)
    lines = report.read_text().splitlines()
    assert lines[0].startswith("file,table,column,row,")
    assert ",created_at,2," in lines[1]
    assert any(",event_type,," in line for line in lines[2:])  # the table's problem: no row
    assert not any(".0," in line for line in lines)


def test_nul_bytes_are_refused_in_categories_too() -> None:
    from leadscore.data.parsing import parse_column

    values = pd.Series(["web", "we\x00b", None, "email"])
    parsed, failed = parse_column(values, "category", timezone="UTC")
    assert failed.tolist() == [False, True, False, False]
    assert parsed.isna().tolist() == [False, True, True, False]


def test_json_lines_in_a_json_file_are_read_as_json_lines(tmp_path: Path) -> None:
    lines = [{"id": f"C{i}", "since": f"2025-01-0{i + 1}"} for i in range(3)]
    (tmp_path / "profile.json").write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    result = _load(
        tmp_path,
        "name: x\ntables:\n  customers:\n    path: profile.json\n"
        "    rename: {id: customer_id, since: created_at}\n"
        "label: {kind: flag, column: converted, positive: [true], optional: true}\n",
    )
    assert [r.accepted for r in result.reports] == [3]
    assert any("holds JSON lines" in note for note in result.notes)


def test_an_excel_sheet_is_read(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    frame = pd.DataFrame(
        {"Lead": ["L1", "L2"], "Erstellt": ["01.03.2025", "02.03.2025"], "Umsatz": ["1,5", "2"]}
    )
    frame.to_excel(tmp_path / "leads.xlsx", index=False, engine="openpyxl")
    result = _load(
        tmp_path,
        "name: x\ntables:\n  customers:\n    path: leads.xlsx\n"
        "    rename: {Lead: customer_id, Erstellt: created_at}\n"
        "    timestamps: {created_at: {format: '%d.%m.%Y'}}\n"
        "    numbers: {decimal: ','}\n"
        "label: {kind: flag, column: converted, positive: [true], optional: true}\n",
    )
    assert result.ok, result.problems
    assert result.data.customers["Umsatz"].tolist() == [1.5, 2.0]


def test_a_numeric_sentinel_is_missing_in_its_own_column_only(tmp_path: Path) -> None:
    # an offer experiment's profiles: age 118 means "not given"; 118 elsewhere is a value
    (tmp_path / "profile.jsonl").write_text(
        '{"id": "a", "became_member_on": "2017-01-02", "age": 118, "income": 118}\n'
        '{"id": "b", "became_member_on": "2017-01-03", "age": 44, "income": 72000}\n'
        '{"id": "c", "became_member_on": "2017-01-04", "age": "118.0", "income": 51000}\n'
    )
    config = (
        "name: x\ntables:\n  customers:\n    path: profile.jsonl\n"
        "    rename: {id: customer_id, became_member_on: created_at}\n"
        "    missing: {age: [118]}\n"
        "label: {kind: flag, column: converted, positive: [true], optional: true}\n"
    )
    customers = require_loaded(_load(tmp_path, config)).customers.set_index("customer_id")
    assert customers["age"].isna().tolist() == [True, False, True]
    assert customers.loc["a", "income"] == 118
    misspelt = _load(tmp_path, config.replace("{age: [118]}", "{Age: [118]}"))
    (problem,) = misspelt.problems
    assert "missing: names 'Age', not a column of the file" in problem.message
