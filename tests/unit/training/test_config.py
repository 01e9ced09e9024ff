"""Training job configs: their checks, LightGBM's parameters, and paths from the file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pydantic import ValidationError

from leadscore.common.errors import InputError
from leadscore.training.config import (
    GradeConfig,
    LightGBMConfig,
    TrainingConfig,
    load_training_config,
)
from tests.conftest import REPO


def test_class_weights_scale_positives_by_none_the_root_or_the_whole_imbalance() -> None:
    weights = {
        kind: LightGBMConfig(class_weight=kind).params(seed=1, positives=10, negatives=250)[
            "scale_pos_weight"
        ]
        for kind in ("none", "sqrt", "balanced")
    }
    assert weights == {"none": 1.0, "sqrt": pytest.approx(5.0), "balanced": 25.0}


def test_a_part_without_positives_is_weighted_as_if_it_had_one() -> None:
    params = LightGBMConfig(class_weight="balanced").params(seed=1, positives=0, negatives=80)
    assert params["scale_pos_weight"] == 80.0


def test_lightgbms_parameters_carry_the_seed_and_are_deterministic() -> None:
    config = LightGBMConfig(num_leaves=7, num_threads=3)
    params = config.params(seed=17, positives=5, negatives=5)
    assert (params["seed"], params["num_leaves"], params["num_threads"]) == (17, 7, 3)
    assert params["deterministic"] is True and params["objective"] == "binary"


def test_grade_shares_must_leave_room_for_d() -> None:
    assert GradeConfig(A=0.2, B=0.3, C=0.49)
    with pytest.raises(ValidationError, match="must leave room for D"):
        GradeConfig(A=0.2, B=0.3, C=0.5)


def test_the_registered_name_defaults_to_the_models_kind() -> None:
    assert TrainingConfig(model="nbo", source=Path("crm")).model_name == "leadscore-nbo"
    named = TrainingConfig(model="nbo", source=Path("crm"), registered_model="offers")
    assert named.model_name == "offers"


def test_snapshot_dates_are_in_utc_a_naive_one_read_as_utc() -> None:
    config = TrainingConfig(
        model="conversion", source=Path("crm"), as_of=["2026-01-05", "2026-02-02T01:00:00+01:00"]
    )
    assert config.snapshot_dates == [
        pd.Timestamp("2026-01-05", tz="UTC"),
        pd.Timestamp("2026-02-02 00:00", tz="UTC"),
    ]


def test_relative_paths_are_read_from_the_configs_folder(tmp_path: Path) -> None:
    path = tmp_path / "jobs" / "job.yaml"
    path.parent.mkdir()
    path.write_text("model: conversion\nsource: ../data/crm\n", encoding="utf-8")
    config = load_training_config(path)
    assert config.path(config.source) == tmp_path / "jobs" / ".." / "data" / "crm"
    assert config.path(tmp_path / "elsewhere") == tmp_path / "elsewhere"
    assert config.path(config.features_dir) == tmp_path / "jobs" / ".." / ".." / "features"


def test_overrides_replace_the_files_values_unless_they_are_none(tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text("model: conversion\nsource: crm\nseed: 3\n", encoding="utf-8")
    assert load_training_config(path, seed=9).seed == 9
    assert load_training_config(path, seed=None).seed == 3


def test_an_invalid_config_names_its_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "job.yaml"
    path.write_text("model: conversion\nsource: crm\nhorizon_days: 0\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"job\.yaml: invalid training config") as raised:
        load_training_config(path)
    assert "horizon_days" in str(raised.value)


def test_the_projects_own_configs_are_valid() -> None:
    for path in sorted((REPO / "training" / "configs").glob("*.yaml")):
        config = load_training_config(path)
        assert config.model in ("conversion", "nbo"), path


def test_a_test_start_date_is_read_as_a_utc_moment(tmp_path: Path) -> None:
    path = tmp_path / "training.yaml"
    path.write_text("model: conversion\nsource: crm\nsplit: {kind: time, test_from: 2026-03-01}\n")
    config = load_training_config(path)
    assert config.split.test_start == pd.Timestamp("2026-03-01", tz="UTC")
    assert load_training_config(REPO / "training/configs/conversion.yaml").split.test_start is None
