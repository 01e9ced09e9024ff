"""The lead list as a CSV file: the leads shown, each with its last action, top reason and
next-best offer, separated as the reader's spreadsheet expects (";" where the decimal
comma is German, "," otherwise)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import pandas as pd

from leadscore.workspace import formatting

CSV_COLUMNS = (
    "customer_id", "name", "company", "email", "phone", "owner", "territory", "score", "grade",
    "delta_week", "last_activity", "last_action", "last_action_at", "top_reason", "offer",
)  # fmt: skip


def leads_csv(leads: Iterable[dict], actions: pd.DataFrame, lang: str) -> str:
    """``leads``: the list's explained rows (with ``reasons`` and ``offer``); ``actions``:
    each lead's last action (``last_action``, ``last_action_at``) by customer id."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if lang == "de" else ",")  # as Excel reads
    writer.writerow(CSV_COLUMNS)
    for values in leads:
        customer = values["customer_id"]
        action = actions.loc[customer] if customer in actions.index else {}
        reason, offer = values["reasons"][:1], values["offer"]
        row = values | {
            "last_action": action.get("last_action"),
            "last_action_at": action.get("last_action_at"),
            "top_reason": reason[0]["text"] if reason else None,
            "offer": offer["name"] if offer else None,
        }
        writer.writerow([formatting.csv_value(row.get(c)) for c in CSV_COLUMNS])
    return buffer.getvalue()
