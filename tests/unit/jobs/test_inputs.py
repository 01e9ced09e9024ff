"""Where a training config's feature sets are found."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadscore.common.errors import InputError
from leadscore.jobs.inputs import feature_set_of
from leadscore.training.config import load_training_config


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
