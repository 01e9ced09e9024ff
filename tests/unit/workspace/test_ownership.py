"""Whose a lead is: the newest take wins, a snooze lasts its days, a user with territories
sees only theirs unless a manager, and the claims read back from a real store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from leadscore.store.store import Store
from leadscore.workspace.actions import action_row
from leadscore.workspace.ownership import (
    SNOOZE_DAYS,
    allowed_territories,
    claims,
    claims_of,
    claims_of_lead,
    may_see,
    mine,
    snooze_days,
)
from leadscore.workspace.users import User

NOW = pd.Timestamp("2026-12-01 09:00", tz="UTC")
ANNA = User("anna", "-", "Anna Schmidt", territories=("DACH Nord",))
BEN = User("ben", "-", "Ben Roth", owner="Benjamin Roth")
BOSS = User("maria", "-", "Maria Weber", territories=("DACH Nord",), manager=True)


def _micros(moment: pd.Timestamp) -> int:
    return int(moment.value // 1_000)


def test_the_newest_take_wins_and_a_snooze_lasts_its_days() -> None:
    events = pd.DataFrame(
        {
            "customer_id": ["C-1", "C-1", "C-2", "C-2", "C-3"],
            "event_type": ["rep_took_lead", "rep_took_lead", "rep_snoozed", "rep_snoozed",
                           "rep_snoozed"],
            "ts": [_micros(NOW), _micros(NOW + pd.Timedelta(hours=1)), _micros(NOW),
                   _micros(NOW + pd.Timedelta(days=1)), _micros(NOW)],
            "campaign": ["anna", "ben: my account now", "anna", "anna: on holiday", "ben"],
            "value": [None, None, 30.0, 3.0, 7.0],
        }
    )  # fmt: skip
    found = claims_of(events)
    assert found.loc["C-1", "taken_by"] == "ben" and pd.isna(found.loc["C-2", "taken_by"])
    # the newest snooze counts, not the longest
    assert found.loc["C-2", "snoozed_until"] == NOW + pd.Timedelta(days=4)
    assert found.loc["C-3", "snoozed_until"] == NOW + pd.Timedelta(days=7)
    assert pd.isna(found.loc["C-1", "snoozed_until"])


def test_mine_are_the_taken_and_the_owned_not_taken_by_another() -> None:
    taken_by = pd.Series(["anna", None, "ben", None], dtype="object")
    owner = pd.Series(["Benjamin Roth", "Anna Schmidt", "Anna Schmidt", None], dtype="object")
    assert mine(taken_by, owner, ANNA).tolist() == [True, True, False, False]
    assert mine(taken_by, owner, BEN).tolist() == [False, False, True, False]  # owner name


def test_territories_are_a_permission_unless_a_manager() -> None:
    assert may_see(ANNA, "DACH Nord") and not may_see(ANNA, "Benelux")
    assert not may_see(ANNA, None) and not may_see(None, "DACH Nord")
    assert may_see(BOSS, "Benelux") and may_see(BEN, None)  # no territories: every lead
    numbered = User("nina", "-", "Nina", territories=("10",))
    assert may_see(numbered, 10) and not may_see(numbered, 11)  # as the list reads it
    assert allowed_territories(ANNA) == ("DACH Nord",) and allowed_territories(BOSS) is None


def test_snooze_days_are_only_those_offered() -> None:
    assert [snooze_days(str(d)) for d in SNOOZE_DAYS] == list(SNOOZE_DAYS)
    assert snooze_days("2") is None and snooze_days("") is None and snooze_days("x") is None
    assert snooze_days(None) is None


def test_claims_read_back_from_the_store(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'leadscore.db'}")
    created = NOW - pd.Timedelta(days=30)
    store.put_customers(
        pd.DataFrame({"customer_id": ["C-1", "C-2"], "created_at": [created] * 2}), now=created
    )
    rows = pd.concat(
        [
            action_row("C-1", "rep_took_lead", "anna", "", "a" * 22, NOW),
            action_row("C-2", "rep_snoozed", "ben", "", "b" * 22, NOW, 7.0),
            action_row("C-2", "rep_note", "ben", "called", "c" * 22, NOW),
        ]
    )
    store.append("events", rows, now=NOW)
    everyone = claims(store)
    assert sorted(everyone.index) == ["C-1", "C-2"]  # a note claims nothing
    assert claims_of_lead(store, "C-1") == {"taken_by": "anna", "snoozed_until": None}
    assert claims_of_lead(store, "C-2")["snoozed_until"] == NOW + pd.Timedelta(days=7)
    assert claims_of_lead(store, "C-9") == {"taken_by": None, "snoozed_until": None}
    assert claims_of_lead(None, "C-1")["taken_by"] is None
