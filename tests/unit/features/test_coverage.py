"""Coverage notes: unmapped event types and features that read nothing are named."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import load_source_config
from leadscore.features.coverage import coverage_notes
from leadscore.features.definitions import load_feature_set
from leadscore.features.training_set import plan_table
from tests.conftest import NOW, REPO

FEATURES = REPO / "features"


def _source(tmp_path: Path, events: str, label: str = "{kind: event, event_type: purchase}"):
    (tmp_path / "leads.csv").write_text(
        "customer_id,created_at,converted\nA,2025-01-01,1\nB,2025-01-02,0\n"
    )
    (tmp_path / "events.csv").write_text(events)
    (tmp_path / "source.yaml").write_text(
        "name: x\ntables:\n  customers: {path: leads.csv}\n  events: {path: events.csv}\n"
        f"label: {label}\n"
    )
    result = load_source(load_source_config(tmp_path / "source.yaml"), now=NOW)
    return result, require_loaded(result)


EVENTS = (
    "customer_id,ts,event_type\n"
    "A,2025-01-03,page_view\nA,2025-01-04,foo_bar\nB,2025-01-05,foo_bar\nB,2025-01-06,call\n"
)


def test_unmapped_types_and_empty_features_are_named(tmp_path: Path) -> None:
    _, data = _source(tmp_path, EVENTS)
    notes = coverage_notes(data.events, load_feature_set("conversion_v1", directory=FEATURES))
    unused, empty = notes
    assert "foo_bar (2, not canonical)" in unused and "event_types:" in unused
    assert "page_view" not in unused.split(":")[1].split(";")[0]
    assert "pricing_page_views" in empty and "match no event" in empty


def test_events_without_a_channel_get_their_types_channel(tmp_path: Path) -> None:
    result, data = _source(tmp_path, EVENTS)
    channels = dict(zip(data.events["event_type"].astype(str), data.events["channel"], strict=True))
    assert channels["page_view"] == "web" and channels["call"] == "sales"
    assert pd.isna(channels["foo_bar"])
    assert any("no channel column" in n for n in result.notes)


def test_flag_label_with_events_says_why_behaviour_stays_zero(tmp_path: Path) -> None:
    _, data = _source(tmp_path, EVENTS, label="{kind: flag, column: converted, positive: ['1']}")
    plan = plan_table(data, horizon_days=30, spine_kind="snapshots")
    assert plan.dates is None
    assert any("--spine snapshots ignored" in n for n in plan.notes)
    assert any("Dated outcomes" in n and "4 events" in n for n in plan.notes)


def test_as_of_far_past_the_data_is_noted(tmp_path: Path) -> None:
    _, data = _source(tmp_path, EVENTS)
    plan = plan_table(data, as_of=[pd.Timestamp("2025-03-01", tz="UTC")])
    (note,) = plan.notes
    assert "54 days after the data's last record (2025-01-06)" in note
    recent = plan_table(data, as_of=[pd.Timestamp("2025-01-08", tz="UTC")])
    assert recent.notes == ()
