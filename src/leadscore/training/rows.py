"""What a training job takes from a feature table: the split, the check that each part
has enough of both classes, the rows held in memory, and what a model records about the
table so that it can explain itself and build its features from raw records."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.features.definitions import Feature, FeatureSetDefinition
from leadscore.features.training_set import LABEL, FeatureTable
from leadscore.training.booster import PartMatrices
from leadscore.training.config import TrainingConfig
from leadscore.training.split_check import check_split
from leadscore.training.splits import Split, stratified_split, time_split


def self_description(table: FeatureTable) -> dict:
    """What a model needs to explain itself and to build its features from raw records."""
    return features_description(table.features, table.feature_set)


def features_description(features: list[Feature], feature_set: FeatureSetDefinition) -> dict:
    """The texts of ``features`` and the definition of the set they come from."""
    return {
        "descriptions": {
            f.name: {**f.description.as_metadata(), "window": f.window} for f in features
        },
        "feature_set_definition": feature_set.model_dump(mode="json"),
    }


def make_split(table: FeatureTable, config: TrainingConfig, *, check: bool = True) -> Split:
    """The split the config asks for; ``check``: refuse an empty time part here (without
    it, :func:`check_parts_of` checks every part, with the counts)."""
    frame = table.frame
    if config.split.kind == "stratified":
        return stratified_split(
            frame[LABEL].to_numpy(),
            validation=config.split.validation,
            test=config.split.test,
            seed=config.seed,
        )
    return time_split(
        frame["as_of"],
        validation=config.split.validation,
        test=config.split.test,
        horizon_days=table.horizon_days or 0,
        check=check,
        test_from=config.split.test_start,
    )


def check_parts_of(table: FeatureTable, split: Split, config: TrainingConfig) -> None:
    """Every part of ``split`` has enough of both classes, or an error with the counts of
    each part and the changes that would pass on this table."""
    frame = table.frame
    check_split(
        split,
        frame[LABEL].to_numpy(dtype=bool),
        frame["as_of"].reset_index(drop=True),
        config,
        horizon_days=table.horizon_days or 0,
        # several rows per lead: the table is snapshots, and creation is another to try
        snapshots=bool(frame["customer_id"].duplicated().any()),
    )


def check_enough_data(label: np.ndarray, config: TrainingConfig, part: str = "training") -> None:
    check_counts(int(label.sum()), int((~label).sum()), config, part)


def shortfall(
    positives: int,
    negatives: int,
    config: TrainingConfig,
    *,
    names: tuple[str, str] = ("positives", "negatives"),
) -> list[str]:
    """What falls short of the config's minimum counts, in words ("12 positives (need
    40)"), with ``names`` for the two classes; empty when nothing does."""
    missing = []
    if positives < config.min_positives:
        missing.append(f"{positives} {names[0]} (need {config.min_positives})")
    if negatives < config.min_negatives:
        missing.append(f"{negatives} {names[1]} (need {config.min_negatives})")
    return missing


def check_counts(
    positives: int, negatives: int, config: TrainingConfig, part: str = "training"
) -> None:
    missing = shortfall(positives, negatives, config)
    if missing:
        raise InputError(
            f"not enough data to train: the {part} period has {' and '.join(missing)}. "
            "In the training config: more training moments (snapshot_every_days, now "
            f"{config.snapshot_every_days}, or as_of dates), a longer horizon_days (now "
            f"{config.horizon_days}: more leads convert within it), or lower min_positives / "
            "min_negatives; or give it more history"
        )


@dataclass(frozen=True)
class LocalRows:
    """The rows evaluation reads, in memory: validation and test in full, and the training
    rows the logistic baseline learns from (all of them, or a sample of a Dask table)."""

    frame: pd.DataFrame
    label: np.ndarray
    matrices: PartMatrices
    split: Split
    split_ranges: dict[str, str]
    training_rows: int  # rows the booster learnt from, which a sample may not show
