"""A flat lead export as CRMs write it, end to end: trailing commas, form defaults and
column names LightGBM refuses, through validate, features, training, MLflow and scoring."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from leadscore import tracking
from leadscore.cli import app
from leadscore.jobs.run import run_job
from leadscore.scoring.champions import load_champions
from leadscore.training.config import load_training_config
from tests.conftest import NOW, REPO

runner = CliRunner()
AWKWARD = ["Score [raw]", 'Lead "Source"', "Region: DACH, EU", "{Segment}"]


def _write_export(path: Path, rows: int = 4_000) -> None:
    """Newest first, a trailing comma on every line, 'Select' where a form had no answer."""
    rng = np.random.default_rng(3)
    score = rng.normal(size=rows)
    source = rng.choice(["Google", "Referral", "Select"], rows)
    region = rng.choice(["north", "south"], rows)
    segment = rng.choice(["a", "b", "c"], rows)
    logit = -1.5 + 1.4 * score + (source == "Referral") * 1.0
    converted = rng.random(rows) < 1 / (1 + np.exp(-logit))
    lines = ['Prospect ID,Converted,Score [raw],"Lead ""Source""","Region: DACH, EU",{Segment},']
    for i in range(rows):
        lines.append(
            f"P{rows - i},{int(converted[i])},{score[i]:.4f},{source[i]},{region[i]},{segment[i]},"
        )
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    _write_export(tmp_path / "leads.csv")
    (tmp_path / "source.yaml").write_text(
        "name: course_leads\n"
        "tables:\n"
        "  customers:\n"
        "    path: leads.csv\n"
        "    missing: [Select]\n"
        "    rename: {Prospect ID: customer_id}\n"
        "    created_at: {sequence: {start: '2025-01-01', end: '2025-12-31', newest_first: true}}\n"
        "label: {kind: flag, column: Converted, positive: ['1'], negative: ['0']}\n"
    )
    (tmp_path / "train.yaml").write_text(
        "model: conversion\nsource: source.yaml\nfeature_set: profile_v1\n"
        f"features_dir: {REPO / 'features'}\n"
        "split: {kind: time, validation: 0.15, test: 0.15}\n"
        "lightgbm: {min_data_in_leaf: 50, num_boost_round: 300}\n"
        "registered_model: course-conversion\nexperiment: course\n"
    )
    return tmp_path


def test_awkward_export_trains_and_explains_with_its_own_names(workdir: Path) -> None:
    checked = runner.invoke(app, ["validate", "source.yaml", "--now", str(NOW.date())])
    assert checked.exit_code == 0, checked.output
    assert "Unnamed: 6" in checked.output and "end of every line" in checked.output

    built = runner.invoke(
        app,
        [
            *("features", "source.yaml", "--out", "table.parquet", "--label"),
            *("--feature-set", "profile_v1", "--features-dir", str(REPO / "features")),
        ],
    )
    assert built.exit_code == 0, built.output
    table = pd.read_parquet(workdir / "table.parquet")
    assert set(AWKWARD) <= set(table.columns)
    assert not any(str(c).startswith("Unnamed") for c in table.columns)

    config = load_training_config(workdir / "train.yaml")
    result = run_job(config, features_file=workdir / "table.parquet")
    assert result.evaluation.metrics["roc_auc"] > 0.7
    # the audit travels with the feature table into the run, and the card shows it
    client = mlflow.MlflowClient(tracking_uri=tracking.tracking_uri())
    audit = client.download_artifacts(result.run.run_id, "leakage_audit.csv", str(workdir))
    assert "Score [raw]" in Path(audit).read_text()
    card = Path(client.download_artifacts(result.run.run_id, "model_card.md", str(workdir)))
    assert "No audit" not in card.read_text() and "conversion flag" in card.read_text()

    scorer, _ = load_champions("course-conversion", None, None)
    rows = table.drop(columns=["label"]).head(20)
    results = scorer.pure.score_frame(rows, lang="en", top_k=4)
    features = {r["feature"] for result in results for r in result["reasons"]}
    assert "Score [raw]" in features
    sentences = " ".join(r["text"] for result in results for r in result["reasons"])
    assert "Score [raw]" in sentences
    # a value of the wrong type is a named problem, never a silent "unknown"
    record = {"customer_id": "NEW", "profile": {"Score [raw]": "forty", "{Segment}": "a"}}
    (refused,) = scorer.records.score_records([record], now=NOW)
    assert refused["error"].startswith("leads[0].profile.Score [raw]: 'forty' is not a number")
