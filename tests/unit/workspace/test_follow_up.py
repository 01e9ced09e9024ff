"""The follow-up rules on their own: the priority's weighting, the due state, a fair's
leads in calling order and each fair's summary."""

from __future__ import annotations

import pandas as pd

from leadscore.workspace.follow_up import (
    DUE_POINTS,
    FOLLOW_UP_WITHIN,
    INTEREST_POINTS,
    WANTS_CALL_POINTS,
    due_state,
    fair_leads,
    fair_summaries,
    page_of,
    priority,
)

T0 = pd.Timestamp("2026-12-02 09:00", tz="UTC")
HOUR = pd.Timedelta(hours=1)


def scans(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["customer_id", "fair", "ts", "note", "interest", "wants_call"]
    )


def after(*rows: tuple) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "event_type", "ts"])


def test_priority_weighs_score_call_interest_and_the_nearing_due() -> None:
    assert priority(50, False, False, pd.Timedelta(0)) == 50
    assert priority(50, True, False, pd.Timedelta(0)) == 50 + WANTS_CALL_POINTS
    assert priority(50, False, True, pd.Timedelta(0)) == 50 + INTEREST_POINTS
    half = priority(50, False, False, FOLLOW_UP_WITHIN / 2)
    assert half == 50 + DUE_POINTS / 2
    assert priority(50, False, False, FOLLOW_UP_WITHIN * 3) == 50 + DUE_POINTS  # capped
    assert priority(None, True, False, pd.Timedelta(0)) == WANTS_CALL_POINTS
    assert priority(float("nan"), False, False, -HOUR) == 0  # a scan "from the future"
    # a call wish outweighs 29 score points, not 31
    assert priority(40, True, False, pd.Timedelta(0)) > priority(69, False, False, pd.Timedelta(0))
    assert priority(40, True, False, pd.Timedelta(0)) < priority(71, False, False, pd.Timedelta(0))


def test_due_state_is_done_after_an_action_else_missed_after_48_hours() -> None:
    assert due_state(T0, None, T0 + 47 * HOUR) == "open"
    assert due_state(T0, None, T0 + 49 * HOUR) == "missed"
    assert due_state(T0, pd.NaT, T0 + 49 * HOUR) == "missed"
    assert due_state(T0, T0 + 60 * HOUR, T0 + 70 * HOUR) == "done"  # late, but done


def test_fair_leads_rank_open_leads_by_priority_and_done_ones_last() -> None:
    frame = scans(
        ("A", "F", T0, None, None, False),
        ("B", "F", T0, "wants a demo", None, True),
        ("C", "F", T0, None, None, False),
        ("C", "F", T0 + HOUR, "second visit", "Sensors", False),
        ("D", "F", T0, None, None, False),
    )
    done = after(
        ("A", "rep_call_reached", T0 + 2 * HOUR),
        ("D", "rep_note", T0 - HOUR),  # before the scan: no follow-up of it
        ("D", "purchase", T0 + HOUR),  # no rep action
    )
    scores = pd.DataFrame(
        {"customer_id": ["A", "B", "C", "D"], "score": [90, 40, 50, 10], "grade": list("ACBD")}
    )
    now = T0 + 50 * HOUR
    ranked = fair_leads(frame, done, scores, now)
    # B: 40 + 30 (call) + 20 (due) = 90; C: 50 + 15 (interest) + 20 = 85; D: 10 + 20
    assert ranked["customer_id"].tolist() == ["B", "C", "D", "A"]
    by_id = ranked.set_index("customer_id")
    assert by_id.at["C", "scanned_at"] == T0 + HOUR and by_id.at["C", "note"] == "second visit"
    assert by_id.at["A", "state"] == "done" and by_id.at["A", "followed_up_at"] == T0 + 2 * HOUR
    assert by_id.at["D", "state"] == "missed" and pd.isna(by_id.at["D", "followed_up_at"])
    assert by_id.at["D", "note"] is None and by_id.at["D", "interest"] is None
    ungraded = fair_leads(frame, done, scores.iloc[:0], now).set_index("customer_id")
    assert ungraded.at["A", "grade"] is None and pd.isna(ungraded.at["A", "score"])
    assert by_id.at["B", "due"] == T0 + FOLLOW_UP_WITHIN
    assert by_id.at["B", "priority"] == 40 + WANTS_CALL_POINTS + DUE_POINTS
    assert fair_leads(frame.iloc[:0], done, scores, now).empty


def test_fair_summaries_count_what_came_after_each_leads_first_scan() -> None:
    frame = scans(
        ("A", "Old fair", T0 - 300 * HOUR, None, None, False),
        ("A", "New fair", T0, None, None, False),
        ("B", "New fair", T0 + 30 * HOUR, None, None, False),
        ("C", "New fair", T0 + 2 * HOUR, None, None, False),
    )
    done = after(
        ("A", "rep_call_reached", T0 - 100 * HOUR),  # after the old fair, before the new
        ("A", "purchase", T0 - 50 * HOUR),
        ("B", "rep_meeting_booked", T0 + 40 * HOUR),
        ("C", "outcome", T0 + 80 * HOUR),
        ("C", "rep_call_not_reached", T0 + 3 * HOUR),
    )
    new, old = fair_summaries(frame, done)
    assert (new.fair, new.first, new.last) == ("New fair", T0, T0 + 30 * HOUR)
    assert (new.scanned, new.contacted, new.meetings, new.converted) == (3, 2, 1, 1)
    assert (old.fair, old.scanned, old.contacted, old.meetings, old.converted) == (
        "Old fair", 1, 1, 0, 1,
    )  # fmt: skip
    assert fair_summaries(frame.iloc[:0], done) == []


def test_page_of_clamps_to_the_pages_there_are() -> None:
    rows = pd.DataFrame({"n": range(120)})
    shown, page, pages = page_of(rows, 3, 50)
    assert (page, pages, shown["n"].tolist()) == (3, 3, list(range(100, 120)))
    assert page_of(rows, 9, 50)[1] == 3 and page_of(rows, -1, 50)[1] == 1
    assert page_of(rows.iloc[:0], 2, 50)[1:] == (1, 1)
