"""Trade-fair scans read with their booth notes (a scan without one too), a note imported
again replacing the one held, and what the leads did after: rep actions, purchases and
outcomes."""

from __future__ import annotations

import pandas as pd

from leadscore.store.fair_scans import after_scans, fair_scans, put_scan_notes
from leadscore.store.store import Store

T0 = pd.Timestamp("2026-12-02 09:00", tz="UTC")


def events(*rows: tuple) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["customer_id", "ts", "event_type", "campaign"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


def test_scans_with_and_without_notes_and_what_came_after(database: str) -> None:
    store = Store.open(database)
    ids = ["A", "B"]
    store.put_customers(pd.DataFrame({"customer_id": ids, "created_at": [T0, T0]}), now=T0)
    store.append(
        "events",
        events(
            ("A", T0, "trade_fair_visit", "Fair 1"),
            ("B", T0 + pd.Timedelta(hours=1), "trade_fair_visit", "Fair 2"),
            ("A", T0 + pd.Timedelta(hours=2), "rep_call_reached", "anna"),
            ("A", T0 + pd.Timedelta(hours=3), "page_view", None),
            ("B", T0 + pd.Timedelta(hours=4), "purchase", None),
        ),
        now=T0,
    )
    outcome = pd.DataFrame({"customer_id": ["B"], "ts": [T0 + pd.Timedelta(days=1)]})
    store.append("outcomes", outcome, now=T0)
    scanned = fair_scans(store)
    assert scanned["fair"].tolist() == ["Fair 1", "Fair 2"]
    assert not scanned["wants_call"].any() and scanned["note"].isna().all()
    key = store.keys_of("events", events(("A", T0, "trade_fair_visit", "Fair 1")))[0]
    note = {"row_key": key, "customer_id": "A", "fair": "Fair 1", "interest": None}
    put_scan_notes(store, pd.DataFrame([{**note, "note": "first", "wants_call": False}]), now=T0)
    put_scan_notes(store, pd.DataFrame([{**note, "note": "fixed", "wants_call": True}]), now=T0)
    one = fair_scans(store, "Fair 1")
    assert one[["customer_id", "note", "wants_call"]].values.tolist() == [["A", "fixed", True]]
    assert one["ts"].tolist() == [T0]
    later = after_scans(store, ids)
    assert sorted(map(tuple, later[["customer_id", "event_type"]].values.tolist())) == [
        ("A", "rep_call_reached"),
        ("B", "outcome"),
        ("B", "purchase"),
    ]
    assert str(later["ts"].dt.tz) == "UTC"
    assert after_scans(store, []).empty
