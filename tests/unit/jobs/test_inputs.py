"""What a training job starts from: where its feature sets are found, and the creation
spine's labels counted without building its features (to check whether
``spine: creation`` would pass a split)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from leadscore.common.errors import InputError
from leadscore.data.loading import CanonicalData
from leadscore.features.definitions import load_feature_set
from leadscore.features.training_set import LABEL, build_feature_table
from leadscore.jobs.inputs import creation_rows, feature_set_of
from leadscore.training.config import TrainingConfig, load_training_config
from tests.conftest import REPO


def _config(folder: Path, extra: str = ""):
    folder.mkdir(parents=True)
    (folder / "training.yaml").write_text(
        f"model: conversion\nsource: source.yaml\nfeature_set: profile_v1\n{extra}"
    )
    return load_training_config(folder / "training.yaml")


def test_a_config_without_features_dir_finds_the_shipped_sets(tmp_path: Path) -> None:
    # tmp/a/b/../../features does not exist: the shipped folder is used
    assert feature_set_of(_config(tmp_path / "a" / "b")).id == "profile_v1"


def test_the_default_folder_wins_where_it_exists(tmp_path: Path) -> None:
    own = tmp_path / "features"
    own.mkdir()
    (own / "profile_v1.yaml").write_text("not: a feature set\n")
    with pytest.raises(InputError):
        feature_set_of(_config(tmp_path / "a" / "b"))


def test_a_named_folder_is_never_replaced(tmp_path: Path) -> None:
    config = _config(tmp_path / "a", "features_dir: missing\n")
    with pytest.raises(InputError, match="missing"):
        feature_set_of(config)


def test_creation_rows_are_the_rows_of_the_creation_table(data: CanonicalData) -> None:
    config = TrainingConfig(model="conversion", source=Path("crm"), horizon_days=30)
    label, as_of = creation_rows(data, config)
    table = build_feature_table(
        data,
        load_feature_set("conversion_v1", directory=REPO / "features"),
        horizon_days=30,
        spine_kind="creation",
    )
    built = table.frame
    assert 0 < label.sum() < len(label)
    assert (len(label), int(label.sum())) == (len(built), int(built[LABEL].sum()))
    assert np.array_equal(np.sort(as_of.to_numpy()), np.sort(built["as_of"].to_numpy()))
