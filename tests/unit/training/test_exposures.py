"""Response labels per offer made: credited once, within the offer's window, never at the
very moment the offer was made, and left out while the window is still open."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.training.exposures import exposure_rows
from tests.conftest import NOW


def _data(tmp_path: Path, *, exposures: str, events: str, outcomes: str = ""):
    files = {
        "offers": "offer_id,name,kind,value,valid_days\nO-A,A,product,900,7\nO-B,B,nurture,0,\n",
        "customers": "customer_id,created_at\nC1,2025-01-01\nC2,2025-01-01\nC3,2025-01-01\n",
        "exposures": "customer_id,ts,offer_id\n" + exposures,
        "events": "customer_id,ts,event_type,offer_id\n" + events,
        "outcomes": "customer_id,ts,offer_id\n" + outcomes,
    }
    for name, text in files.items():
        (tmp_path / f"{name}.csv").write_text(text)
    return require_loaded(load_source(canonical_source(tmp_path), now=NOW))


def test_a_take_up_is_credited_to_the_latest_offer_made_before_it(tmp_path: Path) -> None:
    data = _data(
        tmp_path,
        exposures="C1,2025-03-01,O-A\nC1,2025-03-03,O-A\n"  # the same offer twice
        "C2,2025-03-01,O-A\n"  # taken after its 7 days: not credited
        "C3,2025-03-01,O-A\n"  # taken the very moment it was made: not caused by it
        "C3,2025-03-01,O-B\n",  # nurture, no valid_days: the default window (30 days)
        events="C1,2025-03-05,offer_completed,O-A\n"
        "C2,2025-03-09,offer_completed,O-A\n"
        "C3,2025-03-01,offer_completed,O-A\n"
        "C3,2025-03-20,offer_completed,O-B\n"
        "C1,2025-06-30,page_view,\n",  # the data's end
    )
    labelled = exposure_rows(data, default_valid_days=30)
    rows = labelled.rows
    got = {(r.customer_id, r.offer_id, r.as_of.day): r.taken for r in rows.itertuples()}
    assert got == {
        ("C1", "O-A", 1): False,  # the later offer made gets the credit, once
        ("C1", "O-A", 3): True,
        ("C2", "O-A", 1): False,
        ("C3", "O-A", 1): False,
        ("C3", "O-B", 1): True,
    }
    assert labelled.still_open == 0
    assert (rows["valid_until"] - rows["as_of"]).dt.days.tolist() == [7, 7, 7, 30, 7]


def test_outcomes_naming_the_offer_count_and_open_windows_are_left_out(tmp_path: Path) -> None:
    data = _data(
        tmp_path,
        exposures="C1,2025-03-01,O-A\nC2,2025-03-27,O-A\n",
        events="C2,2025-03-30,page_view,\n",
        outcomes="C1,2025-03-02,O-A\n",  # a purchase of the offer's product
    )
    labelled = exposure_rows(data, default_valid_days=30)
    assert labelled.rows["customer_id"].tolist() == ["C1"]
    assert labelled.rows["taken"].tolist() == [True]
    assert labelled.still_open == 1  # C2's window ends after the last record (30 March)
    assert labelled.data_end == pd.Timestamp("2025-03-30", tz="UTC")


def test_no_exposures_give_no_rows(tmp_path: Path) -> None:
    data = _data(tmp_path, exposures="", events="C1,2025-03-01,page_view,\n")
    labelled = exposure_rows(data, default_valid_days=30)
    assert labelled.rows.empty and "taken" in labelled.rows.columns


def test_a_wave_with_an_offer_still_open_is_left_out_whole(tmp_path: Path) -> None:
    # 10 June: O-A (7 days) closes before the end, O-B (30 days) does not; kept alone, O-A
    # would seem the only offer made that day, and IPS would value a policy sending O-B
    # there at nothing
    data = _data(
        tmp_path,
        exposures="C1,2025-05-01,O-A\nC2,2025-05-01,O-B\nC1,2025-06-10,O-A\nC2,2025-06-10,O-B\n",
        events="C3,2025-06-30,page_view,\n",
    )
    labelled = exposure_rows(data, default_valid_days=30)
    assert labelled.rows["as_of"].dt.day.tolist() == [1, 1]  # 1 May's wave, both offers
    assert labelled.still_open == 2
