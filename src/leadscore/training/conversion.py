"""The conversion model's training: the booster (and the logistic regression it is
compared with) on the training rows, calibration on the validation rows, and the score
scale (percentiles) with its grade bands on the test rows. Evaluation is
:mod:`leadscore.evaluation.conversion`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from leadscore.features.training_set import LABEL, FeatureTable
from leadscore.models.encoding import FeatureEncoder
from leadscore.models.grades import GRADES
from leadscore.models.linear import LinearModel
from leadscore.models.propensity import PropensityModel
from leadscore.training.baselines import fit_logistic
from leadscore.training.booster import FittedBooster, PartMatrices
from leadscore.training.calibration import fit_calibrator, percentile_bands
from leadscore.training.config import TrainingConfig
from leadscore.training.rows import LocalRows, check_parts_of, make_split, self_description


def local_rows(table: FeatureTable, config: TrainingConfig) -> tuple[LocalRows, FeatureEncoder]:
    """The whole table in memory, split, checked and encoded part by part."""
    frame, features = table.frame, table.feature_names
    label = frame[LABEL].to_numpy(dtype=bool)
    split = make_split(table, config, check=False)
    check_parts_of(table, split, config)
    encoder = FeatureEncoder.fit(frame, features)
    matrices = PartMatrices.encode(encoder, frame, split)
    rows = LocalRows(
        frame, label, matrices, split, split.describe(frame["as_of"]), len(split.train)
    )
    return rows, encoder


@dataclass(frozen=True)
class FittedLinear:
    """The logistic regression, with its margins on the validation rows."""

    core: LinearModel
    validation_margin: np.ndarray
    best_iteration: int = 0  # no trees


def fit_logistic_rows(
    rows: LocalRows, encoder: FeatureEncoder, config: TrainingConfig
) -> FittedLinear:
    """The logistic regression on the training rows (a sample of ``logistic_max_rows``:
    plenty for a linear model, and it keeps the job's time in check)."""
    chosen = np.arange(len(rows.split.train))
    if len(chosen) > config.logistic_max_rows:
        rng = np.random.default_rng(config.seed)
        chosen = np.sort(rng.choice(len(chosen), config.logistic_max_rows, replace=False))
    linear = fit_logistic(
        rows.matrices.train[chosen],
        rows.label[rows.split.train[chosen]],
        encoder.categorical_index,
    )
    return FittedLinear(linear, linear.margin(rows.matrices.validation))


# reference rows for a feature's typical impact: a mean over this many is steady enough to
# rank by, and one TreeSHAP pass over them is quick
TYPICAL_ROWS = 2_000


def typical_impacts(model: PropensityModel, reference: np.ndarray) -> dict[str, float]:
    """Each feature's mean |impact| (exact TreeSHAP, on the margin) over up to
    ``TYPICAL_ROWS`` reference rows: what a reason's impact is measured against, so that
    a lead's reasons are what makes it stand out."""
    rows = reference[:TYPICAL_ROWS]
    if not len(rows):
        return {}
    sizes = np.abs(model.contributions(rows)[:, : len(model.features)]).mean(axis=0)
    return {name: round(float(size), 6) for name, size in zip(model.features, sizes, strict=True)}


@dataclass(frozen=True)
class FittedConversion:
    """The calibrated, graded conversion model and what its fit found on validation."""

    model: PropensityModel
    calibration_losses: dict[str, float]
    best_iteration: int


def fit_conversion_model(
    rows: LocalRows,
    table: FeatureTable,
    encoder: FeatureEncoder,
    fitted: FittedBooster | FittedLinear,
    config: TrainingConfig,
) -> FittedConversion:
    """Calibrate the model's validation margins, and place scores among the test rows'
    margins (the validation rows' where a split has no test rows).

    Shared by the single-machine job and the Dask job, which differ only in how the
    booster is fitted, and by the booster and the logistic regression.
    """
    valid_margin = fitted.validation_margin
    valid_label: np.ndarray = rows.label[rows.split.validation]
    method = config.calibration
    if method == "auto" and isinstance(fitted, FittedLinear):
        # a logistic regression's margin is a log-odds already: a sigmoid refit keeps its
        # ranking whole, where isotonic steps would tie leads it tells apart
        method = "platt"
    calibrator, losses = fit_calibrator(valid_margin, valid_label, method)
    unscaled = PropensityModel(fitted.core, encoder, calibrator, {})
    test = rows.matrices.test
    reference_margin = unscaled.margin(test) if len(test) else valid_margin
    shares = config.grades.model_dump()
    bands = percentile_bands(reference_margin, shares)
    held = bands.grades(valid_margin, calibrator(valid_margin))
    grade_shares = {
        "configured": {**shares, "D": round(1 - sum(shares.values()), 6)},
        "validation": {g: float((held == g).mean()) for g in GRADES},
    }
    model = PropensityModel(
        fitted.core,
        encoder,
        calibrator,
        {
            "kind": "conversion",
            "algorithm": "lightgbm" if isinstance(fitted, FittedBooster) else "logistic_regression",
            "feature_set": table.feature_set.id,
            "horizon_days": table.horizon_days,
            **bands.as_metadata(),
            "grade_shares": grade_shares,
            "best_iteration": fitted.best_iteration,
            "typical_impacts": typical_impacts(
                unscaled, test if len(test) else rows.matrices.validation
            ),
            **self_description(table),
        },
    )
    return FittedConversion(model, losses, fitted.best_iteration)
