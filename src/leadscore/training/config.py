"""Training job configs (``training/configs/*.yaml``), validated by pydantic."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import Field, model_validator

from leadscore.cluster import DaskSettings
from leadscore.common.config import StrictModel, read_yaml, validated
from leadscore.common.time import to_utc
from leadscore.models.nbo_config import NBOConfig


class SplitConfig(StrictModel):
    """How rows are split into training, validation (early stopping, calibration) and test."""

    kind: Literal["time", "stratified"] = Field(
        "time",
        description="time: the latest rows are the test (what scoring the future is like); "
        "stratified: a random split keeping the positive rate, only to compare with "
        "published figures",
    )
    validation: float = Field(0.1, gt=0, lt=0.5, description="share of rows for validation")
    test: float = Field(0.1, gt=0, lt=0.5, description="share of rows for the test")
    test_from: datetime | None = Field(
        None,
        description="time split: the test is every row from this moment on (a date, UTC), "
        "instead of the latest 'test' share; validation is the share before it",
    )

    @property
    def test_start(self) -> pd.Timestamp | None:
        return None if self.test_from is None else to_utc(self.test_from)


class LightGBMConfig(StrictModel):
    learning_rate: float = 0.03
    num_leaves: int = 15
    min_data_in_leaf: int = 300
    feature_fraction: float = 0.7
    bagging_fraction: float = 0.8
    bagging_freq: int = 1
    lambda_l2: float = 5.0
    max_cat_to_onehot: int = 8
    cat_smooth: float = 20.0
    num_boost_round: int = 2000
    early_stopping_rounds: int = 100
    num_threads: int = Field(2, description="fixed, so that models are byte-reproducible")
    class_weight: Literal["none", "sqrt", "balanced"] = Field(
        "none", description="reweight positives; calibration restores probabilities either way"
    )

    def params(self, *, seed: int, positives: int, negatives: int) -> dict:
        weight = {
            "none": 1.0,
            "sqrt": (negatives / max(positives, 1)) ** 0.5,
            "balanced": negatives / max(positives, 1),
        }[self.class_weight]
        return {
            "objective": "binary",
            "metric": "binary_logloss",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": self.bagging_freq,
            "lambda_l2": self.lambda_l2,
            "max_cat_to_onehot": self.max_cat_to_onehot,
            "cat_smooth": self.cat_smooth,
            "scale_pos_weight": weight,
            "seed": seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self.num_threads,
            "verbosity": -1,
        }


class GradeConfig(StrictModel):
    """Shares of leads per grade on the validation set (top first); D is the rest."""

    A: float = 0.10
    B: float = 0.20
    C: float = 0.30

    @model_validator(mode="after")
    def _fits(self) -> GradeConfig:
        if self.A + self.B + self.C >= 1:
            raise ValueError("grade shares A + B + C must leave room for D (sum below 1)")
        return self


class RulesBaseline(StrictModel):
    """Points per unit of behaviour, as lead scoring in marketing automation tools works."""

    points: dict[str, float] = Field(default_factory=dict)
    cap_per_rule: float = 30.0


class TrainingConfig(StrictModel):
    """One training job: which data, which features, which model and how it is judged."""

    model: Literal["conversion", "nbo"] = Field(description="which model this job trains")
    source: Path = Field(
        description="a canonical data folder or a source config, relative to this file"
    )
    feature_set: str = Field("conversion_v1", description="feature set id (features/<id>.yaml)")
    features_dir: Path = Field(
        Path("../../features"), description="folder of feature sets, relative to this file"
    )
    horizon_days: int = Field(
        30, ge=1, description="the label: converts within this many days of the moment"
    )
    spine: Literal["auto", "snapshots", "creation", "exposures"] = Field(
        "auto",
        description="training moments: snapshots of every lead (every snapshot_every_days, "
        "or the as_of dates), one row per lead at its creation (auto: creation when the "
        "source has no events or a flag label), or snapshots on each day offers were made "
        "(exposures: the source's exposures)",
    )
    as_of: list[datetime] = Field(
        default_factory=list,
        description="training moments (UTC) instead of regular snapshots, e.g. the days "
        "offers were sent",
    )
    snapshot_every_days: int = Field(
        28, ge=1, description="days between training snapshots when as_of is not given"
    )
    seed: int = Field(42, description="same data, config and seed: byte-identical model files")
    split: SplitConfig = SplitConfig()
    lightgbm: LightGBMConfig = LightGBMConfig()
    calibration: Literal["auto", "isotonic", "platt"] = "auto"
    grades: GradeConfig = GradeConfig()
    min_positives: int = Field(40, description="fewest converted rows a part may have")
    min_negatives: int = Field(40, description="fewest unconverted rows a part may have")
    rules_baseline: RulesBaseline = RulesBaseline()
    logistic_max_rows: int = Field(
        20_000, description="rows the logistic baseline learns from (a sample beyond that)"
    )
    algorithm: Literal["lightgbm", "simpler_if_not_worse", "logistic_regression"] = Field(
        "lightgbm",
        description="conversion model registered: LightGBM (warning when a baseline wins; "
        "the first model of a name, champion with no gate, is the logistic regression "
        "unless LightGBM beats it on the test rows: AUC, or both log loss and Brier); "
        "the logistic regression where it is no worse on the test rows (AUC at least "
        "LightGBM's, log loss at most); or the logistic regression always. Either is "
        "calibrated, graded and explained exactly in the same way",
    )
    nbo: NBOConfig = NBOConfig()
    experiment: str = Field("leadscore", description="MLflow experiment of the runs")
    dask: DaskSettings | None = Field(
        None, description="train on Dask (lightgbm.dask) from a canonical Parquet source"
    )
    registered_model: str | None = Field(
        None, description="registry name (default leadscore-<model>)"
    )
    base_dir: Path = Field(Path("."), exclude=True)

    @property
    def model_name(self) -> str:
        return self.registered_model or f"leadscore-{self.model}"

    @property
    def snapshot_dates(self) -> list[pd.Timestamp]:
        return [to_utc(moment) for moment in self.as_of]

    def path(self, value: Path) -> Path:
        return value if value.is_absolute() else self.base_dir / value


def load_training_config(path: Path, **overrides: object) -> TrainingConfig:
    raw = read_yaml(path, what="training config") or {}
    raw.update({k: v for k, v in overrides.items() if v is not None})
    data = {**raw, "base_dir": path.parent}
    return validated(TrainingConfig, data, path=path, what="training config")
