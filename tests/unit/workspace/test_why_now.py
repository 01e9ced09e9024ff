"""The "why now" line: the strongest recent signs of intent, newest of each, in days a rep
reads ("gestern"), the fair and its day for a scan, nothing older than two weeks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from leadscore.store.store import Store
from leadscore.workspace.why_now import recent_signs, why_now, why_now_of

NOW = pd.Timestamp("2026-12-04 09:00", tz="UTC")  # 10:00 in Berlin
ZONE = "Europe/Berlin"


def _signs(*rows: tuple[str, pd.Timedelta, str | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["C-1"] * len(rows),
            "event_type": [r[0] for r in rows],
            "ts": pd.to_datetime([NOW - r[1] for r in rows], utc=True),
            "campaign": [r[2] for r in rows],
        }
    )


def test_the_strongest_signs_first_with_their_days_and_the_fair() -> None:
    signs = _signs(
        ("pricing_page_view", pd.Timedelta(days=1), None),
        ("pricing_page_view", pd.Timedelta(days=3), None),
        ("quote_request", pd.Timedelta(days=2), None),
        ("trade_fair_visit", pd.Timedelta(days=1, hours=2), "Hannover Messe 2026"),
        ("email_click", pd.Timedelta(hours=1), None),  # the fourth kind: left out
    )
    german = why_now(signs, NOW, "de", ZONE)
    assert german == (
        "Angebot angefordert vor 2 Tagen, auf der Hannover Messe 2026 gescannt am 03.12., "
        "Preisseite gestern (2 mal)"
    )
    english = why_now(signs, NOW, "en", ZONE)
    assert english.startswith("Asked for a quote 2 days ago, scanned at Hannover Messe 2026")
    assert "pricing page yesterday (2 times)" in english and "e-mail" not in english


def test_today_in_the_reps_zone_and_no_line_without_signs() -> None:
    late = _signs(("download", pd.Timedelta(hours=9, minutes=30), None))  # 23:30 UTC: today
    assert why_now(late, NOW, "de", ZONE) == "Download heute"
    assert why_now(late.iloc[:0], NOW, "de", ZONE) is None


def test_recent_signs_are_read_from_the_store_within_two_weeks(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'leadscore.db'}")
    created = NOW - pd.Timedelta(days=60)
    store.put_customers(
        pd.DataFrame({"customer_id": ["C-1", "C-2"], "created_at": [created] * 2}), now=created
    )
    events = pd.DataFrame(
        {
            "customer_id": ["C-1", "C-1", "C-1", "C-2"],
            "ts": [NOW - pd.Timedelta(days=d) for d in (1, 20, 2)] + [NOW + pd.Timedelta(days=1)],
            "event_type": ["quote_request", "quote_request", "email_open", "pricing_page_view"],
        }
    )
    store.append("events", events, now=NOW)
    found = recent_signs(store, ["C-1", "C-2"], NOW)
    # not the one three weeks old, not an e-mail opened (no sign), not one after now
    assert found["event_type"].tolist() == ["quote_request"]
    assert why_now_of(store, ["C-1", "C-2"], NOW, "en", ZONE) == {
        "C-1": "Asked for a quote yesterday"
    }
    assert recent_signs(None, ["C-1"], NOW).empty and why_now_of(store, [], NOW, "de", ZONE) == {}


def test_days_are_calendar_days_across_a_clock_change() -> None:
    spring = pd.Timestamp("2026-03-30 08:00", tz="UTC")  # the clocks went forward on the 29th
    signs = pd.DataFrame(
        {
            "customer_id": ["C-1"],
            "event_type": ["pricing_page_view"],
            "ts": pd.to_datetime(["2026-03-29 08:00"], utc=True),
            "campaign": [None],
        }
    )
    assert why_now(signs, spring, "de", ZONE) == "Preisseite gestern"
