"""Whether a split leaves every part enough rows of both classes; where it does not, an
error that gives the counts of each part and the changes that would work on this data,
each one checked by splitting the same rows again (not guessed)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.training.config import TrainingConfig
from leadscore.training.splits import (
    PARTS,
    Split,
    stratified_split,
    time_boundaries,
    time_split,
)

# shares tried for validation and test (each below 0.5, as the config requires): from the
# default upwards, so the first that passes takes the least away from training
SHARES = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
# below this many positives in a part, its metrics (and early stopping) are noise: a lower
# min_positives is not offered under it
FEWEST_USEFUL = 10


@dataclass(frozen=True)
class PartCounts:
    """One part of a split: its rows of each class, and the as-of range it covers."""

    part: str
    positives: int
    negatives: int
    period: str = ""

    @property
    def rows(self) -> int:
        return self.positives + self.negatives

    def describe(self) -> str:
        period = f" {self.period}" if self.period else ""
        return (
            f"{self.part}{period}: {self.rows:,} rows, {self.positives:,} positives, "
            f"{self.negatives:,} negatives"
        )


def part_counts(
    split: Split, label: np.ndarray, as_of: pd.Series | None = None
) -> list[PartCounts]:
    """The counts of each part (with its period when ``as_of`` is given)."""
    counts = []
    for part in PARTS:
        rows = getattr(split, part)
        positives = int(label[rows].sum())
        period = ""
        if as_of is not None and len(rows):
            moments = as_of.iloc[rows]
            period = f"({moments.min():%Y-%m-%d} .. {moments.max():%Y-%m-%d})"
        counts.append(PartCounts(part, positives, len(rows) - positives, period))
    return counts


def shortfalls(counts: list[PartCounts], min_positives: int, min_negatives: int) -> list[str]:
    """What falls short in each part, in words; empty when every part has enough."""
    missing = []
    for c in counts:
        if c.rows == 0:
            missing.append(f"the {c.part} part has no rows")
            continue
        short = []
        if c.positives < min_positives:
            short.append(f"{c.positives} positives (need {min_positives})")
        if c.negatives < min_negatives:
            short.append(f"{c.negatives} negatives (need {min_negatives})")
        if short:
            missing.append(f"the {c.part} part has {' and '.join(short)}")
    return missing


# what a table of snapshots is told about the creation spine where nothing checked it
UNCHECKED_CREATION = (
    " To try where leads have few events: spine: creation in the training config (one row "
    "per lead at its creation, labelled over horizon_days from then; another table, so not "
    "checked here)."
)


class SplitShortfall(InputError):
    """A split that leaves a part too few rows: its ``findings`` (the counts and the
    changes checked on this table); a job that holds the source can check the creation
    spine too and put that in the place of :data:`UNCHECKED_CREATION`."""

    def __init__(self, findings: str, *, snapshots: bool) -> None:
        self.findings, self.snapshots = findings, snapshots
        super().__init__(self.message(UNCHECKED_CREATION if snapshots else ""))

    def message(self, creation: str) -> str:
        return f"{self.findings}{creation} Or give it more history."


def check_split(
    split: Split,
    label: np.ndarray,
    as_of: pd.Series,
    config: TrainingConfig,
    *,
    horizon_days: int,
    snapshots: bool,
) -> None:
    """Refuse a split where a part is empty or below min_positives / min_negatives, with
    the counts of each part and what would pass on these rows. ``snapshots``: whether the
    table holds several rows per lead (so that one row per lead at creation is another
    table to try)."""
    counts = part_counts(split, label, as_of if split.kind == "time" else None)
    missing = shortfalls(counts, config.min_positives, config.min_negatives)
    if not missing:
        return
    parts = "; ".join(c.describe() for c in counts)
    working = options(label, as_of, config, horizon_days=horizon_days, counts=counts)
    advice = (
        "What would pass on this data (checked): " + "; ".join(working) + "."
        if working
        else "No other split share, split kind or lower minimum passes on this data."
    )
    raise SplitShortfall(
        f"not enough data to train: {'; '.join(missing)}. Parts of the {split.kind} split: "
        f"{parts}. {advice}",
        snapshots=snapshots and config.spine != "creation",
    )


def check_moments(
    per_moment: pd.DataFrame, config: TrainingConfig, *, horizon_days: int, snapshots: bool
) -> None:
    """:func:`check_split` of a time split from the table's rows and positives per as-of
    moment (columns ``rows`` and ``positives``, indexed by moment, sorted): a table held on
    a cluster. A time split goes by moment alone, so the counts are exact; the rows are
    spelt out (one label each) only where a part falls short, to find what passes."""
    moments = per_moment.index.to_series().reset_index(drop=True)
    rows = per_moment["rows"].to_numpy(dtype=np.int64)
    positives = per_moment["positives"].to_numpy(dtype=np.int64)
    shares = {"validation": config.split.validation, "test": config.split.test}
    bounds = time_boundaries(
        moments, rows, **shares, horizon_days=horizon_days, test_from=config.split.test_start
    )
    counts = [
        PartCounts(part, int(positives[m].sum()), int((rows - positives)[m].sum()))
        for part, m in ((p, mask.to_numpy()) for p, mask in bounds.masks(moments).items())
    ]
    if not shortfalls(counts, config.min_positives, config.min_negatives):
        return
    as_of = moments.repeat(rows).reset_index(drop=True)
    label = np.concatenate([np.arange(n) < p for n, p in zip(rows, positives, strict=True)])
    split = time_split(
        as_of, **shares, horizon_days=horizon_days, check=False, test_from=config.split.test_start
    )
    check_split(split, label, as_of, config, horizon_days=horizon_days, snapshots=snapshots)


def creation_advice(
    label: np.ndarray, as_of: pd.Series, config: TrainingConfig, *, horizon_days: int
) -> str:
    """What one row per lead at its creation (``label`` and ``as_of`` of those rows) gives
    under the config's split, or with a change that passes; '' when nothing passes."""
    kind, shares = config.split.kind, (config.split.validation, config.split.test)
    split = _split(kind, label, as_of, config, *shares, horizon_days)
    counts = part_counts(split, label)
    if not shortfalls(counts, config.min_positives, config.min_negatives):
        found = ", ".join(f"{c.part} {c.positives} positives" for c in counts)
        return (
            f" spine: creation in the training config passes on this data (checked on its "
            f"labels, one row per lead at its creation: {found})."
        )
    working = options(label, as_of, config, horizon_days=horizon_days, counts=counts)
    if not working:
        return ""
    return (
        " spine: creation in the training config passes on this data with "
        f"{working[0]} (checked on its labels, one row per lead at its creation)."
    )


def options(
    label: np.ndarray,
    as_of: pd.Series,
    config: TrainingConfig,
    *,
    horizon_days: int,
    counts: list[PartCounts],
) -> list[str]:
    """The config changes that pass on these rows, in config words."""
    found = []

    def passes(split: Split) -> bool:
        return not shortfalls(part_counts(split, label), config.min_positives, config.min_negatives)

    kind = config.split.kind
    for validation, test in sorted(
        ((v, t) for v in SHARES for t in SHARES), key=lambda shares: (sum(shares), shares)
    ):
        if (validation, test) == (config.split.validation, config.split.test):
            continue
        split = _split(kind, label, as_of, config, validation, test, horizon_days)
        if passes(split):
            # with test_from the test part is fixed: only the validation share varies
            spelt = f"test: {test}" if config.split.test_from is None else "test_from: ..."
            found.append(
                f"split: {{kind: {kind}, validation: {validation}, {spelt}}} (then "
                + ", ".join(f"{c.part} {c.positives} positives" for c in part_counts(split, label))
                + ")"
            )
            break
    if kind == "time":
        stratified = _split(
            "stratified", label, as_of, config, config.split.validation, config.split.test, 0
        )
        if passes(stratified):
            found.append(
                "split: {kind: stratified} (random parts keeping the positive rate: it no "
                "longer tests the model on later moments)"
            )
    fewest_positives = min(c.positives for c in counts)
    fewest_negatives = min(c.negatives for c in counts)
    if min(fewest_positives, fewest_negatives) >= FEWEST_USEFUL:
        lower = []
        if fewest_positives < config.min_positives:
            lower.append(f"min_positives: {fewest_positives}")
        if fewest_negatives < config.min_negatives:
            lower.append(f"min_negatives: {fewest_negatives}")
        found.append(" and ".join(lower) + " (the fewest any part has; metrics get noisier)")
    return found


def _split(
    kind: str,
    label: np.ndarray,
    as_of: pd.Series,
    config: TrainingConfig,
    validation: float,
    test: float,
    horizon_days: int,
) -> Split:
    if kind == "stratified":
        return stratified_split(label, validation=validation, test=test, seed=config.seed)
    return time_split(
        as_of,
        validation=validation,
        test=test,
        horizon_days=horizon_days,
        check=False,
        test_from=config.split.test_start,
    )
