"""Performance once the labels are in: each logged score against whether its lead
converted within the model's horizon after it.

A score logged at ``t`` is labelled once ``t + horizon`` has passed (a lead that has not
converted by then is a miss); a younger one is left out, as its lead may convert yet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.evaluation.metrics import probability_metrics


@dataclass(frozen=True)
class Realised:
    labelled: int  # logged scores whose horizon has passed
    waiting: int  # younger ones
    metrics: dict[str, float]  # roc_auc, pr_auc, lift_at_10pct, ece, ... (empty: too few)
    per_grade: pd.DataFrame  # grade, scores, promised (mean probability), converted
    per_week: pd.DataFrame  # week, grade, scores, converted
    scores: pd.DataFrame  # the labelled scores themselves, with their ``label``


def label_scores(
    scores: pd.DataFrame, outcomes: pd.DataFrame, *, horizon: pd.Timedelta, now: pd.Timestamp
) -> pd.DataFrame:
    """``scores`` (customer_id, scored_at, ...) whose horizon has passed, with ``label``:
    whether an outcome of the customer (customer_id, ts) fell in (scored_at, scored_at +
    horizon]."""
    ready = scores[scores["scored_at"] + horizon <= now]
    left = ready.assign(
        customer_id=ready["customer_id"].astype(str),
        at=pd.to_datetime(ready["scored_at"], utc=True).astype("datetime64[us, UTC]"),
        row=np.arange(len(ready)),
    ).sort_values("at", kind="stable")
    right = (
        outcomes.assign(
            customer_id=outcomes["customer_id"].astype(str),
            outcome_at=pd.to_datetime(outcomes["ts"], utc=True).astype("datetime64[us, UTC]"),
        )[["customer_id", "outcome_at"]]
        .dropna()
        .sort_values("outcome_at", kind="stable")
    )
    # each score's first outcome after it (at the same moment: not after)
    joined = pd.merge_asof(
        left,
        right,
        left_on="at",
        right_on="outcome_at",
        by="customer_id",
        direction="forward",
        allow_exact_matches=False,
    ).sort_values("row")
    label = (joined["outcome_at"] <= joined["at"] + horizon).fillna(False).to_numpy(dtype=bool)
    return ready.reset_index(drop=True).assign(label=label)


def realised(
    scores: pd.DataFrame,
    outcomes: pd.DataFrame,
    *,
    horizon: pd.Timedelta,
    now: pd.Timestamp,
    min_labelled: int = 200,
) -> Realised:
    """The realised metrics of logged ``scores`` (customer_id, scored_at, probability,
    grade) given ``outcomes`` (customer_id, ts, UTC)."""
    labelled = label_scores(scores, outcomes, horizon=horizon, now=now)
    return summarised(labelled, len(scores) - len(labelled), min_labelled)


def realised_from_flags(
    scores: pd.DataFrame, flags: pd.DataFrame, *, min_labelled: int = 200
) -> Realised:
    """The realised metrics of logged ``scores`` against their leads' outcome flags
    (``flags``: customer_id, converted, where known), as a flat export states them: a lead
    whose flag is known is labelled at once, one whose flag is missing waits."""
    known = flags[flags["converted"].notna()]
    outcome = pd.Series(
        known["converted"].astype(bool).to_numpy(), index=known["customer_id"].astype(str)
    )
    label = scores["customer_id"].astype(str).map(outcome)
    labelled = scores[label.notna().to_numpy()].reset_index(drop=True)
    labelled = labelled.assign(label=label.dropna().astype(bool).to_numpy())
    return summarised(labelled, len(scores) - len(labelled), min_labelled)


def summarised(labelled: pd.DataFrame, waiting: int, min_labelled: int = 200) -> Realised:
    """The figures of ``labelled`` scores (with their ``label``); ``waiting``: the others."""
    label = labelled["label"].to_numpy()
    enough = len(labelled) >= min_labelled and 0 < label.sum() < len(label)
    metrics = probability_metrics(label, labelled["probability"].to_numpy()) if enough else {}
    per_grade = (
        labelled.groupby("grade")
        .agg(
            scores=("label", "size"),
            promised=("probability", "mean"),
            converted=("label", "mean"),
        )
        .reset_index()
    )
    week = labelled["scored_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("W")
    per_week = (
        labelled.assign(week=week.astype(str))
        .groupby(["week", "grade"])
        .agg(scores=("label", "size"), converted=("label", "mean"))
        .reset_index()
    )
    return Realised(len(labelled), waiting, metrics, per_grade, per_week, labelled)
