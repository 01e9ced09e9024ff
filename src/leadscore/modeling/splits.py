"""Splits by time: the model is always tested on moments after those it learnt from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.errors import InputError
from leadscore.features.timeline import US_PER_DAY, to_us


@dataclass(frozen=True)
class Split:
    """Row positions of each part, and the as-of range each part covers."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    kind: str

    def describe(self, as_of: pd.Series) -> dict[str, str]:
        out = {}
        for part in ("train", "validation", "test"):
            rows = getattr(self, part)
            moments = as_of.iloc[rows]
            out[part] = f"{moments.min():%Y-%m-%d} .. {moments.max():%Y-%m-%d} ({len(rows):,} rows)"
        return out


def time_split(as_of: pd.Series, *, validation: float, test: float, horizon_days: int) -> Split:
    """The latest ``test`` share of rows (by as-of) for testing, the ``validation`` share
    before it for early stopping and calibration, the rest for training.

    Rows whose label window would reach into the next part are dropped (a purge), so no
    part learns from outcomes that happen during a later part.
    """
    moments = to_us(as_of)
    order = np.sort(moments)
    test_start = order[int(len(order) * (1 - test))]
    validation_start = order[int(len(order) * (1 - test - validation))]
    horizon = horizon_days * US_PER_DAY
    # a row belongs to a part only if its label window ends before the next part starts
    train = np.flatnonzero((moments < validation_start) & (moments + horizon <= validation_start))
    valid_mask = (moments >= validation_start) & (moments < test_start)
    valid_mask &= moments + horizon <= test_start
    split = Split(train, np.flatnonzero(valid_mask), np.flatnonzero(moments >= test_start), "time")
    for part in ("train", "validation", "test"):
        if len(getattr(split, part)) == 0:
            raise InputError(
                f"the time split leaves no {part} rows: rows whose label window reaches into "
                "the next part are left out. Give that part a larger share (split in the "
                "training config), add as-of dates, or shorten the horizon"
            )
    return split


def stratified_split(label: np.ndarray, *, validation: float, test: float, seed: int) -> Split:
    """A random split that keeps the positive rate: only to compare with published figures
    (which use it), never to judge a model that will score the future."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {"train": [], "validation": [], "test": []}
    for value in (False, True):
        rows = rng.permutation(np.flatnonzero(label == value))
        n_test, n_val = int(len(rows) * test), int(len(rows) * validation)
        parts["test"].append(rows[:n_test])
        parts["validation"].append(rows[n_test : n_test + n_val])
        parts["train"].append(rows[n_test + n_val :])
    return Split(
        *(np.sort(np.concatenate(parts[p])) for p in ("train", "validation", "test")), "stratified"
    )
