"""The trade-fair follow-up in numbers: which scanned lead to call first, whether its
follow-up is due or missed, and what each fair came to. Pure functions of the frames that
``store.fair_scans`` reads, so each rule is tested on its own."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.data.tables import REP_ACTIONS

# a scanned lead is to be followed up within this long of its scan (the sales rule of
# thumb: after two days a visitor has forgotten the stand)
FOLLOW_UP_WITHIN = pd.Timedelta(hours=48)
# the follow-up priority, in score points (0-100): a visitor who asked for a call is worth
# 30 points more than one who did not, a named interest 15; and the nearer a scan's due
# moment, the more it counts, up to 20 points when it is due (so of two equal leads the one
# about to be missed comes first). Leads already followed up come after every open one.
WANTS_CALL_POINTS = 30.0
INTEREST_POINTS = 15.0
DUE_POINTS = 20.0
STATES = ("missed", "open", "done")  # a row's follow-up state


def priority(
    score: float | None, wants_call: bool, interest: bool, since_scan: pd.Timedelta
) -> float:
    """The follow-up priority of an open scan (higher first); an unscored lead counts 0."""
    base = 0.0 if score is None or score != score else float(score)
    elapsed = max(since_scan / FOLLOW_UP_WITHIN, 0.0)
    return (
        base
        + WANTS_CALL_POINTS * bool(wants_call)
        + INTEREST_POINTS * bool(interest)
        + DUE_POINTS * min(elapsed, 1.0)
    )


def due_state(scanned_at: pd.Timestamp, followed_up_at: object, now: pd.Timestamp) -> str:
    """``done`` where a rep acted on the lead after the scan, else ``missed`` past the due
    moment, else ``open``."""
    if followed_up_at is not None and not pd.isna(followed_up_at):
        return "done"
    return "missed" if now > scanned_at + FOLLOW_UP_WITHIN else "open"


def _first_after(
    leads: pd.DataFrame, after: pd.DataFrame, types: tuple[str, ...] | None, since: str
) -> pd.Series:
    """Per row of ``leads``, the first moment of ``after`` (of ``types``) of its lead at
    or after its ``since`` moment; NaT where none."""
    chosen = after if types is None else after[after["event_type"].isin(types)]
    joined = leads[["customer_id", since]].reset_index().merge(chosen, on="customer_id")
    joined = joined[joined["ts"] >= joined[since]]
    first = joined.groupby("index")["ts"].min()
    return first.reindex(leads.index)


def fair_leads(
    scans: pd.DataFrame, after: pd.DataFrame, scores: pd.DataFrame, now: pd.Timestamp
) -> pd.DataFrame:
    """One row per lead scanned at a fair (``scans`` of one fair), best to call first:
    customer_id, scanned_at (its newest scan), note, interest, wants_call (of its scans,
    the newest note's), score, grade, due, followed_up_at (the first rep action after
    the scan), state and priority. ``scores``: customer_id, score, grade."""
    columns = [
        "customer_id", "scanned_at", "note", "interest", "wants_call", "score", "grade", "due",
        "followed_up_at", "state", "priority",
    ]  # fmt: skip
    if scans.empty:
        return pd.DataFrame(columns=columns)
    newest = scans.sort_values("ts").groupby("customer_id", sort=False)
    leads = newest.tail(1)[["customer_id", "ts"]].rename(columns={"ts": "scanned_at"})
    noted = scans[scans["note"].notna() | scans["interest"].notna() | scans["wants_call"]]
    said = noted.sort_values("ts").drop_duplicates("customer_id", keep="last")
    leads = leads.merge(
        said[["customer_id", "note", "interest", "wants_call"]], on="customer_id", how="left"
    )
    leads["wants_call"] = leads["wants_call"].fillna(False).astype(bool)
    leads = leads.merge(scores[["customer_id", "score", "grade"]], on="customer_id", how="left")
    # None, not NaN, where a lead left no word or has no grade yet: a page takes NaN as true
    for column in ("note", "interest", "grade"):
        leads[column] = leads[column].astype("object").where(leads[column].notna(), None)
    leads = leads.reset_index(drop=True)
    leads["due"] = leads["scanned_at"] + FOLLOW_UP_WITHIN
    leads["followed_up_at"] = _first_after(leads, after, REP_ACTIONS, "scanned_at")
    leads["state"] = [
        due_state(s, f, now)
        for s, f in zip(leads["scanned_at"], leads["followed_up_at"], strict=True)
    ]
    leads["priority"] = [
        priority(r.score, r.wants_call, isinstance(r.interest, str), now - r.scanned_at)
        for r in leads.itertuples()
    ]
    leads["_done"] = leads["state"] == "done"
    ranked = leads.sort_values(
        ["_done", "priority", "customer_id"], ascending=[True, False, True], kind="stable"
    )
    return ranked[columns].reset_index(drop=True)


@dataclass(frozen=True)
class FairSummary:
    """A fair's scans and what came of them: first and last scan (UTC), leads scanned,
    contacted (a rep action after their scan), with a meeting booked, and converted (a
    purchase or an outcome after their scan)."""

    fair: str
    first: pd.Timestamp
    last: pd.Timestamp
    scanned: int
    contacted: int
    meetings: int
    converted: int


def fair_summaries(scans: pd.DataFrame, after: pd.DataFrame) -> list[FairSummary]:
    """Each fair of ``scans`` (all fairs), newest first (by its last scan). A lead counts
    from its first scan at the fair on."""
    if scans.empty:
        return []
    firsts = scans.groupby(["fair", "customer_id"], as_index=False)["ts"].min()
    firsts = firsts.rename(columns={"ts": "scanned_at"})
    outcomes = ("purchase", "outcome")
    counted = {
        "contacted": REP_ACTIONS,
        "meetings": ("rep_meeting_booked",),
        "converted": outcomes,
    }
    for name, types in counted.items():
        firsts[name] = _first_after(firsts, after, types, "scanned_at").notna().to_numpy()
    span = scans.groupby("fair")["ts"].agg(["min", "max"])
    totals = firsts.groupby("fair").agg(
        scanned=("customer_id", "nunique"),
        contacted=("contacted", "sum"),
        meetings=("meetings", "sum"),
        converted=("converted", "sum"),
    )
    summaries = [
        FairSummary(
            fair=str(fair),
            first=span.at[fair, "min"],
            last=span.at[fair, "max"],
            scanned=int(row.scanned),
            contacted=int(row.contacted),
            meetings=int(row.meetings),
            converted=int(row.converted),
        )
        for fair, row in totals.iterrows()
    ]
    return sorted(summaries, key=lambda s: (s.last, s.fair), reverse=True)


def page_of(rows: pd.DataFrame, page: int, per_page: int) -> tuple[pd.DataFrame, int, int]:
    """The ``page``-th (from 1, clamped to the pages there are) ``per_page`` rows, the page
    shown and the number of pages."""
    pages = max(int(np.ceil(len(rows) / per_page)), 1)
    shown = min(max(page, 1), pages)
    start = (shown - 1) * per_page
    return rows.iloc[start : start + per_page], shown, pages
