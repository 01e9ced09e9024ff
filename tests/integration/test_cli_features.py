"""The features command: tables and audits written, unknown feature sets refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from leadscore.cli import app
from leadscore.features.training_set import (
    audit_path_for,
)
from leadscore.synthetic import GeneratedCRM
from tests.conftest import REPO

FEATURES = REPO / "features"


runner = CliRunner()


def test_features_command_writes_table_and_audit(small_crm: GeneratedCRM, tmp_path: Path) -> None:
    out = tmp_path / "train.parquet"
    result = runner.invoke(
        app,
        [
            "features",
            str(small_crm.directory),
            "--out",
            str(out),
            "--label",
            "--features-dir",
            str(FEATURES),
            "--now",
            "2026-11-27T00:00:00",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "conversion_v1" in result.output and "Leakage audit" in result.output
    frame = pd.read_parquet(out)
    assert "label" in frame.columns and len(frame) > 1000
    assert audit_path_for(out).exists()


def test_features_command_scores_now_by_default(small_crm: GeneratedCRM, tmp_path: Path) -> None:
    out = tmp_path / "now.parquet"
    result = runner.invoke(
        app,
        [
            "features",
            str(small_crm.directory),
            "--out",
            str(out),
            "--features-dir",
            str(FEATURES),
            "--as-of",
            "2026-06-01T00:00:00",
        ],
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert "label" not in frame.columns
    assert frame["as_of"].nunique() == 1 and len(frame) == frame["customer_id"].nunique()


def test_features_command_rejects_unknown_feature_set(
    small_crm: GeneratedCRM, tmp_path: Path
) -> None:
    result = runner.invoke(
        app,
        [
            "features",
            str(small_crm.directory),
            "--out",
            str(tmp_path / "x.parquet"),
            "--feature-set",
            "nope_v9",
            "--features-dir",
            str(FEATURES),
        ],
    )
    assert result.exit_code == 1
    assert "nope_v9" in result.output


def test_features_command_finds_the_shipped_feature_sets_from_any_folder(
    small_crm: GeneratedCRM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no features/ here
    out = tmp_path / "now.parquet"
    command = ["features", str(small_crm.directory), "--out", str(out), "--feature-set", "nbo_v1"]
    result = runner.invoke(app, [*command, "--as-of", "2026-06-01T00:00:00"])
    assert result.exit_code == 0, result.output
    assert "nbo_v1" in result.output
    assert "crm_core_bought_all" in pd.read_parquet(out).columns  # nbo_v1's own features
