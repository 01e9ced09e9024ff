"""One way to name things: a config written anywhere finds the shipped feature sets, a
project's own model name is trained, scored and listed without variables, and a typo in a
path costs no imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import mlflow
import pytest
from typer.testing import CliRunner

from leadscore.cli import app
from leadscore.synthetic import GeneratedCRM

runner = CliRunner()
HEAVY = ("pandas", "lightgbm", "mlflow", "sklearn", "bentoml", "matplotlib", "scipy")

MISSING_FILE_CALLS = {
    "validate": ["validate", "nope.yaml"],
    "load": ["load", "nope.yaml"],
    "ingest": ["ingest", "nope.yaml"],
    "features": ["features", "nope.yaml", "--out", "x.parquet"],
    "train": ["train", "conversion", "--config", "nope.yaml"],
    "train --source": ["train", "conversion", "--source", "nope"],
    "promote": ["promote", "conversion", "--config", "nope.yaml"],
    "score": ["score", "--input", "nope.parquet", "--out", "x.jsonl"],
    "monitor": ["monitor", "--config", "nope.yaml"],
    "fair-import": ["fair-import", "nope.csv", "--fair", "Messe"],
}


@pytest.mark.parametrize("name", sorted(MISSING_FILE_CALLS))
def test_a_missing_file_is_answered_before_any_heavy_import(name: str, tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        f"sys.argv = ['leadscore', *{MISSING_FILE_CALLS[name]!r}]\n"
        "from leadscore.cli import app\n"
        "try:\n    app()\nexcept SystemExit as stop:\n    code = stop.code\n"
        f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules), code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert "LOADED [] 2" in done.stdout, done.stdout + done.stderr
    assert "does not exist" in done.stderr  # the path is named, as the user typed it


COMMANDS = [
    ["init"], ["generate"], ["validate"], ["load"], ["ingest"], ["features"], ["train"],
    ["promote"], ["models"], ["score"], ["rescore"], ["serve"], ["monitor"], ["demo"],
    ["fair-import"], ["alerts", "list"], ["crm"],
]  # fmt: skip


def test_every_commands_help_imports_nothing_heavy(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from leadscore.cli import app\n"
        f"for words in {COMMANDS!r}:\n"
        "    sys.argv = ['leadscore', *words, '--help']\n"
        "    try:\n        app()\n    except SystemExit as stop:\n"
        "        assert stop.code == 0, (words, stop.code)\n"
        f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert "LOADED []" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]


@pytest.mark.slow  # trains once and scores: 15 s
def test_an_own_model_name_from_a_config_outside_the_checkout_is_scored_by_the_project_file(
    small_crm: GeneratedCRM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    # a training config of the user's own, away from the checkout's features/ folder
    config = tmp_path / "mine" / "training.yaml"
    config.parent.mkdir()
    config.write_text(
        f"model: conversion\nsource: {small_crm.directory}\nfeature_set: conversion_v1\n"
        "split: {kind: time, validation: 0.15, test: 0.1}\n"
        "lightgbm: {num_boost_round: 60, min_data_in_leaf: 50}\nexperiment: mine\n"
    )
    with mock.patch.dict(os.environ):  # what the project file fills in is undone after
        trained = runner.invoke(
            app, ["train", "conversion", "--config", str(config), "--model", "acme-conversion"]
        )
        assert trained.exit_code == 0, trained.output
        assert "acme-conversion" in trained.output
        runs = mlflow.search_runs(experiment_names=["mine"])
        assert list(runs["tags.mlflow.runName"]) == [
            f"acme-conversion on {small_crm.directory.name} (conversion_v1, "
            f"{runs['tags.data_hash'][0][:8]})"
        ]
        table = tmp_path / "now.parquet"
        built = runner.invoke(
            app,
            ["features", str(small_crm.directory), "--out", str(table), "--now", "2026-11-27"],
        )
        assert built.exit_code == 0, built.output
        score = ["score", "--input", str(table), "--out", str(tmp_path / "r.jsonl")]
        unnamed = runner.invoke(app, score)
        assert unnamed.exit_code == 1
        assert "it has acme-conversion: name one with --model" in " ".join(unnamed.output.split())
        (tmp_path / "leadscore.yaml").write_text(
            "conversion_model: acme-conversion\nnbo_model: ''\n"
        )
        named = runner.invoke(app, score)
        assert named.exit_code == 0, named.output
        first = json.loads((tmp_path / "r.jsonl").read_text().splitlines()[0])
        assert first["model"]["name"] == "acme-conversion"


def test_a_registry_that_cannot_be_reached_is_said_not_taken_for_an_empty_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from leadscore import tracking
    from leadscore.common.errors import InputError
    from tests.conftest import free_port

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with pytest.raises(
        InputError, match=r"the model registry at http://127\.0\.0\.1:\d+ cannot be"
    ):
        tracking.aliases("acme-conversion")
