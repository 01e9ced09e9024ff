"""The lead list as CSV: the columns a rep works from, separated as the reader's
spreadsheet expects."""

from __future__ import annotations

import csv
import io

import pandas as pd

from leadscore.workspace.export import CSV_COLUMNS, leads_csv

LEADS = [
    {
        "customer_id": "C-1",
        "name": "Jürgen Weiß",
        "company": "Weiß Maschinenbau GmbH",
        "email": "juergen.weiss@weiss-maschinenbau.example",
        "phone": "+49 30 5550123",
        "owner": "Katrin Vogel",
        "territory": "DACH Nord",
        "score": 91.0,
        "grade": "A",
        "reasons": [{"text": "Hat die Preisseite besucht"}, {"text": "Zweiter Grund"}],
        "offer": {"name": "Analytics-Suite"},
    },
    {"customer_id": "C-2", "score": 12.0, "grade": "D", "reasons": [], "offer": None},
]
ACTIONS = pd.DataFrame(
    {"last_action": ["rep_call_reached"], "last_action_at": ["2026-12-07T09:00:00Z"]},
    index=pd.Index(["C-1"], name="customer_id"),
)


def test_each_lead_is_a_row_with_its_last_action_top_reason_and_offer() -> None:
    text = leads_csv(LEADS, ACTIONS, "en")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0]["last_action"] == "rep_call_reached"
    assert rows[0]["top_reason"] == "Hat die Preisseite besucht"
    assert rows[0]["offer"] == "Analytics-Suite" and rows[0]["name"] == "Jürgen Weiß"
    assert rows[0]["company"] == "Weiß Maschinenbau GmbH" and rows[0]["owner"] == "Katrin Vogel"
    # a leading + would start a spreadsheet formula: quoted, as every such value is
    assert rows[0]["phone"] == "'+49 30 5550123" and rows[0]["territory"] == "DACH Nord"
    assert rows[0]["email"] == "juergen.weiss@weiss-maschinenbau.example"
    assert rows[1]["name"] == "" and rows[1]["company"] == ""
    assert rows[1]["last_action"] == "" and rows[1]["offer"] == ""


def test_german_readers_get_semicolons() -> None:
    german = leads_csv(LEADS, ACTIONS, "de")
    assert german.splitlines()[0].split(";")[0] == "customer_id"
    assert "," not in german.splitlines()[0]
