"""The generic booster trainer every model kind uses: LightGBM with early stopping on the
validation part, and the validation margins calibration needs, from training itself."""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd

from leadscore.models.encoding import FeatureEncoder
from leadscore.training.config import TrainingConfig
from leadscore.training.splits import PARTS, Split


def validation_margin(booster: lgb.Booster, validation: np.ndarray) -> np.ndarray:
    """Raw validation scores at the best round, mostly from LightGBM's own bookkeeping
    (``booster`` must still hold its validation set: ``keep_training_booster``).

    LightGBM scores the validation set incrementally while it trains (for early
    stopping). Its scores after the last round, less the few trees grown after the best
    round, are the best round's scores: that costs a prediction of those trees instead of
    all of them, and nothing per round.
    """
    final: list[np.ndarray] = []

    def keep(predictions: np.ndarray, _data: lgb.Dataset) -> tuple[str, float, bool]:
        final.append(np.array(predictions, dtype=np.float64))
        return "kept", 0.0, False

    booster.eval_valid(feval=keep)
    p = np.clip(final[0], 1e-300, 1 - 1e-16)
    margin = np.log(p) - np.log1p(-p)  # LightGBM hands out probabilities
    best, grown = booster.best_iteration, booster.current_iteration()
    if 0 < best < grown:
        margin -= booster.predict(
            validation, raw_score=True, start_iteration=best, num_iteration=grown - best
        )
    return margin


@dataclass(frozen=True)
class PartMatrices:
    """LightGBM's float matrix of each part of a split."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    @classmethod
    def encode(cls, encoder: FeatureEncoder, frame: pd.DataFrame, split: Split) -> PartMatrices:
        """Each part encoded straight from the table: no matrix of all rows to slice, which
        on large tables costs as much in fresh memory as the encoding itself."""
        return cls(*(encoder.matrix(frame, rows=getattr(split, p)) for p in PARTS))

    @classmethod
    def of(cls, matrix: np.ndarray, split: Split) -> PartMatrices:
        return cls(*(matrix[getattr(split, p)] for p in PARTS))


@dataclass
class FittedBooster:
    booster: lgb.Booster
    validation_margin: np.ndarray  # at the best iteration, from training itself
    best_iteration: int

    @property
    def core(self) -> lgb.Booster:
        return self.booster


def lightgbm_inputs(
    matrices: PartMatrices,
    label: np.ndarray,
    split: Split,
    encoder: FeatureEncoder,
    config: TrainingConfig,
    weight: np.ndarray | None = None,
) -> tuple[dict, lgb.Dataset, lgb.Dataset]:
    """LightGBM's parameters and its training and validation datasets for a split (rows
    weighted by ``weight`` where given)."""
    train_label = label[split.train]
    params = config.lightgbm.params(
        seed=config.seed, positives=int(train_label.sum()), negatives=int((~train_label).sum())
    )
    common = {
        "feature_name": encoder.lightgbm_names,
        "categorical_feature": encoder.categorical_index,
    }
    train = lgb.Dataset(
        matrices.train,
        train_label,
        weight=None if weight is None else weight[split.train],
        **common,
        params={"verbosity": -1},
    )
    valid = lgb.Dataset(
        matrices.validation,
        label[split.validation],
        weight=None if weight is None else weight[split.validation],
        reference=train,
        **common,
    )
    return params, train, valid


def fit_booster(
    matrices: PartMatrices,
    label: np.ndarray,
    split: Split,
    encoder: FeatureEncoder,
    config: TrainingConfig,
    weight: np.ndarray | None = None,
) -> FittedBooster:
    params, train, valid = lightgbm_inputs(matrices, label, split, encoder, config, weight)
    booster = lgb.train(
        params,
        train,
        num_boost_round=config.lightgbm.num_boost_round,
        valid_sets=[valid],
        valid_names=["validation"],
        callbacks=[
            lgb.early_stopping(
                config.lightgbm.early_stopping_rounds, first_metric_only=True, verbose=False
            ),
        ],
        keep_training_booster=True,  # its validation scores are read below
    )
    margin = validation_margin(booster, matrices.validation)
    # what lgb.train does without keep_training_booster: drop the training data
    booster.model_from_string(booster.model_to_string()).free_dataset()
    return FittedBooster(booster, margin, booster.best_iteration)
