"""The shipped feature sets and training configs are found, and a local copy wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadscore.common.declarations import (
    feature_sets_dir,
    in_working_dir_or_shipped,
    training_config,
)
from leadscore.training.config import load_training_config


def test_the_shipped_declarations_are_found() -> None:
    assert (feature_sets_dir() / "conversion_v1.yaml").is_file()
    for kind in ("conversion", "nbo"):
        config = load_training_config(training_config(kind))
        assert config.model == kind
        # the configs' relative feature folder is the shipped one
        assert config.path(config.features_dir).resolve() == feature_sets_dir().resolve()


def test_a_file_in_the_working_directory_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shipped = training_config("conversion")
    local = Path("training") / "configs" / "conversion.yaml"
    assert in_working_dir_or_shipped(local, shipped) == shipped
    local.parent.mkdir(parents=True)
    local.write_text("model: conversion\nsource: data\n")
    assert in_working_dir_or_shipped(local, shipped) == local
