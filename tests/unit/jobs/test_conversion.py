"""The conversion job's choice of model: the first model of a name becomes champion with
no gate, so it must beat the logistic regression; later ones go through the gate."""

from __future__ import annotations

import pytest

from leadscore.evaluation.conversion import beats
from leadscore.features.training_set import FeatureTable
from leadscore.jobs.conversion import train_conversion
from leadscore.jobs.inputs import prepare_table
from leadscore.synthetic import GeneratedCRM
from leadscore.training.config import TrainingConfig, load_training_config
from tests.conftest import REPO


@pytest.fixture(scope="module")
def weak(small_crm: GeneratedCRM) -> tuple[FeatureTable, TrainingConfig]:
    """A LightGBM of a single step at the config's learning rate: a coarse ranking, which
    the logistic regression matches or beats on data with a signal."""
    config = load_training_config(
        REPO / "training/configs/conversion.yaml", source=small_crm.directory
    )
    config = config.model_copy(
        update={"lightgbm": config.lightgbm.model_copy(update={"num_boost_round": 1})}
    )
    table, _, _ = prepare_table(config, None)
    return table, config


def test_a_first_model_that_does_not_beat_the_logistic_regression_is_not_registered(
    weak: tuple[FeatureTable, TrainingConfig],
) -> None:
    table, config = weak
    chosen = train_conversion(table, config, first=True)
    assert chosen.model.algorithm == "logistic_regression"
    lightgbm = chosen.baselines["lightgbm"]
    assert not beats(lightgbm, chosen.metrics)
    assert chosen.choice.startswith(
        "The logistic regression is registered, not LightGBM: this is the first model of "
        "leadscore-conversion, so it becomes champion, and LightGBM does not beat the "
        f"logistic regression on the test rows (logistic regression AUC "
        f"{chosen.metrics['roc_auc']:.4f}"
    )
    assert f"LightGBM AUC {lightgbm['roc_auc']:.4f}" in chosen.choice


def test_a_later_model_is_lightgbm_as_the_config_asks(
    weak: tuple[FeatureTable, TrainingConfig],
) -> None:
    table, config = weak
    later = train_conversion(table, config)  # the gate judges it against the champion
    assert later.model.algorithm == "lightgbm"
    assert later.choice == ""
    assert later.baseline_wins  # and the job warns that a baseline wins


def test_beating_a_baseline_takes_a_better_ranking_or_better_probabilities() -> None:
    baseline = {"roc_auc": 0.70, "log_loss": 0.40, "brier": 0.12}
    assert beats({"roc_auc": 0.72, "log_loss": 0.41, "brier": 0.13}, baseline)
    assert beats({"roc_auc": 0.70, "log_loss": 0.39, "brier": 0.11}, baseline)
    assert not beats({"roc_auc": 0.70, "log_loss": 0.39, "brier": 0.12}, baseline)
    assert not beats({"roc_auc": 0.576, "log_loss": 0.50, "brier": 0.20}, baseline)
