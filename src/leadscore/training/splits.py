"""Splits by time: the model is always tested on moments after those it learnt from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError


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

    def repeated(self, rows: int, times: int) -> Split:
        """The same split of ``rows`` rows stacked ``times`` over (a pooled model's
        (row, offer) pairs: each row once per offer), each copy in the part of its row."""

        def every_copy(positions: np.ndarray) -> np.ndarray:
            return np.concatenate([positions + j * rows for j in range(times)])

        return Split(*(every_copy(getattr(self, part)) for part in PARTS), self.kind)


@dataclass(frozen=True)
class TimeBoundaries:
    """Where validation and test begin, and the label horizon that purges rows before them."""

    validation_start: pd.Timestamp
    test_start: pd.Timestamp
    horizon: pd.Timedelta

    def masks(self, as_of: pd.Series) -> dict[str, pd.Series]:
        """Which rows of each part: works on pandas and Dask series alike.

        A row belongs to a part only if its label window ends before the next part starts.
        """
        ends = as_of + self.horizon
        return {
            "train": (as_of < self.validation_start) & (ends <= self.validation_start),
            "validation": (as_of >= self.validation_start)
            & (as_of < self.test_start)
            & (ends <= self.test_start),
            "test": as_of >= self.test_start,
        }


def time_boundaries(
    moments: pd.Series,
    counts: np.ndarray,
    *,
    validation: float,
    test: float,
    horizon_days: int,
    test_from: pd.Timestamp | None = None,
) -> TimeBoundaries:
    """Boundaries from the distinct as-of moments (sorted) and their row counts: the latest
    ``test`` share of rows is for testing (or every row from ``test_from`` on), the
    ``validation`` share before it for early stopping and calibration, the rest for
    training."""
    ends = np.cumsum(counts)
    total = int(ends[-1]) if len(ends) else 0

    def moment_at(position: int) -> pd.Timestamp:
        return moments.iloc[min(int(np.searchsorted(ends, position, side="right")), len(ends) - 1)]

    if test_from is not None:
        before = int(np.asarray(counts)[(moments < test_from).to_numpy()].sum())
        return TimeBoundaries(
            validation_start=moment_at(max(before - int(total * validation), 0)),
            test_start=test_from,
            horizon=pd.Timedelta(days=horizon_days),
        )
    return TimeBoundaries(
        validation_start=moment_at(int(total * (1 - test - validation))),
        test_start=moment_at(int(total * (1 - test))),
        horizon=pd.Timedelta(days=horizon_days),
    )


def time_split(
    as_of: pd.Series,
    *,
    validation: float,
    test: float,
    horizon_days: int,
    check: bool = True,
    test_from: pd.Timestamp | None = None,
) -> Split:
    """Row positions of the parts :func:`time_boundaries` draws; rows whose label window
    reaches into the next part are dropped (a purge), so no part learns from outcomes that
    happen during a later part. ``check``: refuse an empty part here (without it, the
    caller checks, as :mod:`leadscore.training.split_check` does with the label at hand)."""
    counts = as_of.value_counts(sort=False).sort_index()
    bounds = time_boundaries(
        counts.index.to_series(),
        counts.to_numpy(),
        validation=validation,
        test=test,
        horizon_days=horizon_days,
        test_from=test_from,
    )
    masks = bounds.masks(as_of.reset_index(drop=True))
    split = Split(*(np.flatnonzero(masks[p].to_numpy()) for p in PARTS), "time")
    if check:
        check_parts(split)
    return split


PARTS = ("train", "validation", "test")


def check_parts(split: Split) -> None:
    for part in PARTS:
        if len(getattr(split, part)) == 0:
            raise InputError(
                f"the time split leaves no {part} rows: rows whose label window reaches into "
                "the next part are left out. In the training config: a larger share for "
                f"that part (split.{part}), more training moments (snapshot_every_days or "
                "as_of dates), or a shorter horizon_days (fewer rows left out)"
            )


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
