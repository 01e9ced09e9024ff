"""One lead read back as the store holds it, and the feed of logged scores read page by
page after a position: each score once, in the order written, on SQLite and PostgreSQL."""

from __future__ import annotations

import pandas as pd

from leadscore.store.lead_reads import lead_record, scores_after
from leadscore.store.score_log import LoggedScore, write_scores
from leadscore.store.store import Store

NOW = pd.Timestamp("2026-12-01 09:00", tz="UTC")


def _entry(customer: str, day: str, score: int) -> LoggedScore:
    return LoggedScore(
        customer_id=customer,
        scored_at=pd.Timestamp(day, tz="UTC"),
        origin="request",
        model_name="leadscore-conversion",
        model_version="3",
        probability=score / 1000,
        score=score,
        grade="A" if score >= 90 else "C",
        margin=0.5,
        base_value=-2.0,
        names=("visits_7d",),
        impact_values=(1.5,),
        feature_values=(3.0,),
    )


def test_a_lead_comes_back_with_its_profile_and_an_unknown_id_as_none(database: str) -> None:
    store = Store.open(database)
    lead = {"customer_id": "ACME/DE/1", "created_at": pd.Timestamp("2026-11-02", tz="UTC")}
    store.put_customers(pd.DataFrame([{**lead, "industry": "retail", "employees": 40}]), now=NOW)
    record = lead_record(store, "ACME/DE/1")
    assert record is not None
    assert record.profile == {"industry": "retail", "employees": 40}
    assert record.created_at == lead["created_at"] and record.updated_at == NOW
    assert record.converted is None
    assert lead_record(store, "ACME/DE/2") is None


def test_the_feed_gives_each_score_once_page_by_page_and_nothing_after_the_newest(
    database: str,
) -> None:
    store = Store.open(database)
    assert scores_after(store, after_seq=0).entries == []  # nothing logged yet
    days = [f"2026-11-{d:02d}" for d in range(1, 8)]
    write_scores(store, [_entry(f"C-{i}", day, 50 + i) for i, day in enumerate(days)])
    seen, after, pages = [], 0, 0
    while True:
        page = scores_after(store, after_seq=after, limit=3)
        seen += [(e["customer_id"], e["score"]) for e in page.entries]
        after, pages = page.last_seq, pages + 1
        if not page.more:
            break
    assert seen == [(f"C-{i}", 50 + i) for i in range(7)] and pages == 3
    assert after == store.count("scores")  # the last position: a fresh log counts from 1
    empty = scores_after(store, after_seq=after)
    assert empty.entries == [] and empty.last_seq == after and not empty.more
    write_scores(store, [_entry("C-0", "2026-11-09", 93)])  # a change after the last read
    later = scores_after(store, after_seq=after)
    assert [(e["customer_id"], e["score"], e["grade"]) for e in later.entries] == [("C-0", 93, "A")]
    assert later.entries[0]["model"] == {"name": "leadscore-conversion", "version": "3"}
    assert later.entries[0]["scored_at"] == pd.Timestamp("2026-11-09", tz="UTC")


def test_a_feed_from_a_moment_skips_the_scores_before_it(database: str) -> None:
    store = Store.open(database)
    write_scores(store, [_entry("C-1", "2026-11-01", 40), _entry("C-2", "2026-11-05", 60)])
    page = scores_after(store, after_seq=0, since=pd.Timestamp("2026-11-03", tz="UTC"))
    assert [e["customer_id"] for e in page.entries] == ["C-2"]
