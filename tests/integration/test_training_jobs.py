"""Training jobs against a real MLflow store: tracking, registry, gate, reproducibility."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from leadscore import tracking
from leadscore.cli import app
from leadscore.common.errors import InputError
from leadscore.common.processes import child_kwargs
from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.evaluation.conversion import simpler_not_worse
from leadscore.features.definitions import load_feature_set
from leadscore.features.training_set import build_feature_table
from leadscore.jobs.conversion import train_conversion
from leadscore.jobs.inputs import prepare_table
from leadscore.jobs.nbo import train_nbo
from leadscore.jobs.run import run_job
from leadscore.models.conversion import ConversionPredictor
from leadscore.models.files import load_model_dir
from leadscore.models.nbo import NBOModel
from leadscore.models.offer_response import ResponseNBOModel
from leadscore.scoring.champions import load_champions
from leadscore.scoring.fast_models import fast_nbo
from leadscore.serving.command import serve_command
from leadscore.synthetic import GeneratedCRM
from leadscore.training.config import load_training_config
from leadscore.training.nbo import offer_labels
from tests.conftest import NOW, REPO, free_port, write_store

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh embedded MLflow store (SQLite + artifact folder) in a working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


def _config(crm: GeneratedCRM, kind: str = "conversion", **changes):
    config = load_training_config(
        REPO / "training" / "configs" / f"{kind}.yaml", source=crm.directory
    )
    return config.model_copy(update=changes)


def test_conversion_job_logs_registers_and_loads_back(small_crm: GeneratedCRM, store: Path) -> None:
    result = run_job(_config(small_crm))
    run = mlflow.MlflowClient(tracking_uri=tracking.tracking_uri()).get_run(result.run.run_id)
    metrics = run.data.metrics
    for name in (
        "test_roc_auc",
        "test_pr_auc",
        "test_log_loss",
        "test_brier",
        "test_ece",
        "test_lift_at_10pct",
        "baseline_logistic_regression_roc_auc",
        "baseline_rules_points_roc_auc",
        "oracle_oracle_auc",
        "oracle_gap",
        "grade_A_conversion_rate",
    ):
        assert name in metrics, name
    assert run.data.tags["feature_set"] == "conversion_v1"
    assert len(run.data.tags["data_hash"]) == 16 and run.data.tags["git_commit"]
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, "plots")}
    assert artifacts == {
        f"plots/{n}"
        for n in (
            "roc.png",
            "calibration.png",
            "cumulative_gains.png",
            "conversion_per_grade.png",
            "shap_summary.png",
        )
    }
    card = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/model_card.md")
    assert "Test metrics against baselines" in card and "Grades" in card and "oracle AUC" in card
    assert "configured_share" in card and "validation_share" in card and "nan" not in card
    assert "shrunk towards the base rate" in card
    per_grade = result.evaluation.per_grade.set_index("grade")
    held = per_grade["share"]  # the shares were held where the scale was fixed: the test rows
    assert (held - per_grade["configured_share"]).abs().max() < 0.02, per_grade
    wins = result.evaluation.baseline_wins
    assert ("A simpler model wins" in card) == bool(wins)
    assert run.data.tags.get("baseline_wins", "") == "; ".join(wins)
    assert (store / "mlflow.db").exists() and (store / "mlruns").is_dir()

    assert tracking.aliases("leadscore-conversion") == {"champion": "1", "challenger": "1"}
    handle = tracking.fetch("leadscore-conversion", "champion")
    loaded = load_model_dir(handle.directory)
    test = result.evaluation.test
    np.testing.assert_allclose(
        loaded.predict_frame(test)["probability"], test["probability"], rtol=1e-12
    )
    # the generic pyfunc flavour restores categories too
    pyfunc = mlflow.pyfunc.load_model("models:/leadscore-conversion@champion")
    predicted = pyfunc.predict(test[loaded.model.features].head(50))
    np.testing.assert_allclose(predicted["probability"], test["probability"].head(50), rtol=1e-12)


def test_same_data_config_and_seed_give_identical_model_files(
    small_crm: GeneratedCRM, tmp_path: Path
) -> None:
    config = _config(small_crm)
    table, _, _ = prepare_table(config, None)
    for name in ("a", "b"):
        evaluation = train_conversion(table, config)
        ConversionPredictor(evaluation.model).save(tmp_path / name)
        (tmp_path / f"{name}.metrics").write_text(repr(sorted(evaluation.metrics.items())))
    for file in ("booster.txt", "model.json"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()
    assert (tmp_path / "a.metrics").read_text() == (tmp_path / "b.metrics").read_text()


@pytest.mark.slow  # three trainings and three promotions: 20 s
def test_gate_refuses_a_worse_challenger_promotes_a_better_one_and_rolls_back(
    small_crm: GeneratedCRM, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weak = _config(small_crm).lightgbm.model_copy(update={"num_boost_round": 2})
    config = str(REPO / "training" / "configs" / "conversion.yaml")
    # v1: the first model becomes champion, the better of a weak LightGBM and a logistic
    # regression of few rows (the first of a name must beat the logistic regression)
    run_job(_config(small_crm, lightgbm=weak, logistic_max_rows=300))
    run_job(_config(small_crm))  # v2: properly trained challenger

    temp = store / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    promoted = runner.invoke(app, ["promote", "conversion", "--config", config])
    assert promoted.exit_code == 0, promoted.output
    assert "promoted version 2" in promoted.output
    assert not any(temp.iterdir())  # the models compared were not left behind
    _, versions = load_champions("leadscore-conversion", None, None)
    assert versions == {"conversion": "2"} and not any(temp.iterdir())
    assert tracking.aliases("leadscore-conversion")["champion"] == "2"

    run_job(_config(small_crm, lightgbm=weak, seed=7))  # v3: deliberately worse
    refused = runner.invoke(app, ["promote", "conversion", "--config", config])
    assert refused.exit_code == 3  # the gate's own code, not bad input's 1
    assert "refused" in refused.output and "log loss" in refused.output
    assert tracking.aliases("leadscore-conversion") == {"champion": "2", "challenger": "3"}

    back = runner.invoke(app, ["promote", "conversion", "--config", config, "--rollback"])
    assert back.exit_code == 0 and "version 1 again" in back.output
    assert tracking.aliases("leadscore-conversion")["champion"] == "1"
    again = runner.invoke(app, ["promote", "conversion", "--config", config, "--rollback"])
    said = " ".join(again.output.split())  # as printed, wrapped to the terminal
    assert again.exit_code == 1 and "no champion before v1 to roll back to" in said
    assert "pin a version with --version N" in said  # what to do instead

    pinned = runner.invoke(app, ["promote", "conversion", "--config", config, "--version", "3"])
    assert pinned.exit_code == 0, pinned.output
    assert "version 3 is champion, pinned past the gate" in pinned.output
    assert tracking.aliases("leadscore-conversion")["champion"] == "3"
    listed = runner.invoke(app, ["models", "conversion", "--config", config], terminal_width=200)
    assert listed.exit_code == 0, listed.output
    cells = [line.split("│")[1:-1] for line in listed.output.splitlines() if "│" in line]
    rows = [[c.strip() for c in row] for row in cells if row[0].strip()]  # a row's first line
    assert [row[0] for row in rows] == ["3", "2", "1"], listed.output  # newest first
    assert "champion" in " ".join(c[1] for c in cells[:2]) and rows[0][-1].startswith("20")
    assert "AUC" in listed.output and float(rows[1][3]) > 0.6 and rows[1][-1] == "-"
    missing = runner.invoke(app, ["promote", "conversion", "--config", config, "--version", "9"])
    assert missing.exit_code == 1 and "no version 9" in missing.output


@pytest.mark.slow  # one training: 5 s
def test_a_model_whose_files_changed_is_neither_pinned_nor_served(
    small_crm: GeneratedCRM, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = str(REPO / "training" / "configs" / "conversion.yaml")
    run_job(_config(small_crm))  # v1, champion
    files = Path(
        mlflow.MlflowClient()
        .get_model_version_download_uri("leadscore-conversion", "1")
        .removeprefix("file://")
    )
    (booster,) = files.rglob("booster.txt")
    booster.write_bytes(booster.read_bytes()[: booster.stat().st_size // 2])  # half copied
    with pytest.raises(InputError, match=r"booster\.txt: .*truncated or changed") as refused:
        load_champions("leadscore-conversion", None, None)
    # named by the model, not by the temporary folder it was fetched into and left
    assert "models:/leadscore-conversion@champion/" in str(refused.value)
    assert "leadscore-model-" not in str(refused.value)
    pinned = runner.invoke(app, ["promote", "conversion", "--config", config, "--version", "1"])
    assert pinned.exit_code == 1 and "booster.txt" in pinned.output
    monkeypatch.setenv("LEADSCORE_API_KEYS", "a-key-of-twenty-chars")
    monkeypatch.delenv("LEADSCORE_API_KEYS_FILE", raising=False)
    served = runner.invoke(app, ["serve", "--port", "3999"])
    assert served.exit_code == 1
    assert "cannot be served" in served.output and "booster.txt" in served.output
    # `bentoml serve` without the command refuses it in the same words at its start, and
    # exits (its workers could never load it: the port would never answer)
    bento = subprocess.run(
        serve_command(port=free_port()),
        env={**os.environ, "MLFLOW_TRACKING_URI": tracking.tracking_uri()},
        cwd=store,
        capture_output=True,
        text=True,
        timeout=300,
        **child_kwargs(),
    )
    assert bento.returncode != 0
    said = bento.stderr.strip().splitlines()[-1]
    assert "the champion of leadscore-conversion cannot be served" in said, bento.stderr[-3000:]
    assert "booster.txt" in said and "leadscore promote --rollback" in said


@pytest.mark.slow  # three trainings: 15 s
def test_the_logistic_regression_can_be_registered_served_and_explained(
    small_crm: GeneratedCRM, store: Path
) -> None:
    config = str(REPO / "training" / "configs" / "conversion.yaml")
    run_job(_config(small_crm))  # v1: LightGBM, champion
    result = run_job(_config(small_crm, algorithm="logistic_regression"))  # v2
    evaluation = result.evaluation
    assert evaluation.model.algorithm == "logistic_regression"
    assert set(evaluation.baselines) == {"lightgbm", "rules_points"}  # LightGBM as the rival
    assert "as the config's algorithm asks" in evaluation.choice
    run = mlflow.MlflowClient().get_run(result.run.run_id)
    assert run.data.params["algorithm"] == "logistic_regression"
    card = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/model_card.md")
    assert "Logistic regression (L2" in card and evaluation.choice in card
    assert "| leadscore (logistic regression) |" in card and "| lightgbm |" in card
    per_grade = evaluation.per_grade.set_index("grade")  # graded like the booster
    assert (per_grade["share"] - per_grade["configured_share"]).abs().max() < 0.03

    handle = tracking.fetch("leadscore-conversion", "challenger")  # v2
    assert (handle.directory / "linear.json").is_file()
    assert not (handle.directory / "booster.txt").exists()
    # the gate judges it like any challenger; pinned, it is served
    promoted = runner.invoke(app, ["promote", "conversion", "--config", config, "--version", "2"])
    assert promoted.exit_code == 0, promoted.output
    scorer, versions = load_champions("leadscore-conversion", None, None)
    assert versions == {"conversion": "2"}
    test = evaluation.test.head(40)
    scored = scorer.pure.score_frame(test, lang="de")
    np.testing.assert_allclose([r["probability"] for r in scored], test["probability"], rtol=1e-9)
    assert all(r["reasons"] and r["grade"] in "ABCD" for r in scored)
    model = scorer.pure.conversion_model
    matrix = model.encoder.matrix(test)
    contributions = model.contributions(matrix)  # exact: base value + impacts = margin
    np.testing.assert_allclose(contributions.sum(axis=1), model.margin(matrix), atol=1e-9)
    first = scored[0]["reasons"][0]
    j = model.features.index(first["feature"])
    assert first["impact"] == pytest.approx(contributions[0, j], abs=1e-3)

    table, _, _ = prepare_table(_config(small_crm), None)
    chooser = train_conversion(table, _config(small_crm, algorithm="simpler_if_not_worse"))
    not_worse = simpler_not_worse(evaluation.metrics, evaluation.baselines["lightgbm"])
    assert chooser.model.algorithm == ("logistic_regression" if not_worse else "lightgbm")
    assert "simpler_if_not_worse" in chooser.choice


def test_too_little_data_is_refused_with_what_is_missing(
    small_crm: GeneratedCRM, store: Path
) -> None:
    config = _config(small_crm, min_positives=100_000)
    table, _, _ = prepare_table(config, None)
    with pytest.raises(InputError, match=r"positives \(need 100000\)") as caught:
        train_conversion(table, config)
    # one message with the counts of each part and the config's keys, none of them a
    # command-line option
    message = str(caught.value)
    assert "Parts of the time split: train (" in message and "--" not in message
    assert "spine: creation in the training config" in message  # a table of snapshots
    # the job holds the source: it counts the creation spine's labels and says what passes
    with pytest.raises(InputError) as caught:
        run_job(config)
    message = str(caught.value)
    assert "spine: creation in the training config passes on this data with" in message
    assert "(checked on its labels, one row per lead at its creation)" in message


def test_training_moments_come_from_the_config(small_crm: GeneratedCRM, tmp_path: Path) -> None:
    config_file = tmp_path / "conversion.yaml"
    config_file.write_text(
        (REPO / "training" / "configs" / "conversion.yaml").read_text()
        + "\nas_of: ['2025-09-01', '2025-12-01T00:00:00Z']\n"
    )
    config = load_training_config(config_file, source=small_crm.directory)
    config = config.model_copy(update={"features_dir": REPO / "features"})
    table, _, _ = prepare_table(config, None)
    assert sorted(table.frame["as_of"].unique()) == [
        pd.Timestamp("2025-09-01", tz="UTC"),
        pd.Timestamp("2025-12-01", tz="UTC"),
    ]
    weekly = _config(small_crm, snapshot_every_days=7)
    every_four_weeks = _config(small_crm)
    weeks = prepare_table(weekly, None)[0].frame["as_of"].nunique()
    assert weeks > 3.5 * prepare_table(every_four_weeks, None)[0].frame["as_of"].nunique()
    # the days offers were made: where waves a few days apart fall
    on_offers = prepare_table(_config(small_crm, spine="exposures"), None)[0].frame
    exposures = pd.read_parquet(small_crm.directory / "exposures.parquet")
    days = set(exposures["ts"].dt.floor("D"))
    assert set(on_offers["as_of"]) <= days and len(set(on_offers["as_of"])) >= len(days) - 2


@pytest.mark.slow  # the command end to end: 8 s
def test_train_command_prints_metrics_and_registry(small_crm: GeneratedCRM, store: Path) -> None:
    result = runner.invoke(
        app,
        [
            "train",
            "conversion",
            "--config",
            str(REPO / "training/configs/conversion.yaml"),
            "--source",
            str(small_crm.directory),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "logistic_regression" in result.output and "rules_points" in result.output
    assert "oracle (ground truth) AUC" in result.output
    assert "version 1 as challenger and champion" in result.output


def test_nbo_job_ranks_offers_and_beats_random(small_crm: GeneratedCRM, store: Path) -> None:
    result = run_job(_config(small_crm, kind="nbo"))
    rankings = result.evaluation.rankings
    for kind in ("products", "nurture"):
        for name in ("model", "popularity", "random"):
            assert rankings[f"{kind}/{name}"]["rows"] > 20
    assert "products/oracle" in rankings
    assert rankings["products/model"]["map_at_3"] > rankings["products/random"]["map_at_3"]
    handle = tracking.fetch("leadscore-nbo", "champion")
    loaded = load_model_dir(handle.directory)
    assert isinstance(loaded, NBOModel) and len(loaded.models) >= 5
    assert loaded.pooled is not None  # the default: one model over (lead, offer) pairs
    test = result.evaluation.test
    matrix = loaded.encoder.matrix(test)
    assert loaded.propensities(matrix) == pytest.approx(
        result.evaluation.model.propensities(matrix), abs=1e-12
    )
    view = loaded.models["O-ANALYTICS"]  # an offer's reasons: base + impacts = raw output
    contributions = view.contributions(matrix[:50])
    assert contributions.shape[1] == len(view.features) + 1

    # only a next-best-offer champion exists: batch scoring ranks offers with it alone
    write_store(small_crm, "nbo_v1", store / "leads.parquet")
    scored = runner.invoke(
        app,
        [
            *("score", "--input", str(store / "leads.parquet")),
            *("--out", str(store / "offers.jsonl"), "--conversion-model", ""),
        ],
    )
    assert scored.exit_code == 0, scored.output
    assert "nbo model v1" in scored.output and "conversion" not in scored.output
    lines = [json.loads(line) for line in (store / "offers.jsonl").read_text().splitlines()]
    assert len(lines) == 1_500 and all("score" not in line for line in lines)
    assert sum(bool(line["next_best_offers"]) for line in lines) > 1_000
    kinds = {o["kind"] for line in lines for o in line["next_best_offers"]}
    assert kinds == {"product", "nurture"}  # no grade: every eligible offer is open
    assert contributions.sum(axis=1) == pytest.approx(view.margin(matrix[:50]), abs=1e-9)


def test_nbo_per_offer_strategy_trains_one_model_per_offer(
    small_crm: GeneratedCRM, tmp_path: Path
) -> None:
    config = _config(small_crm, kind="nbo")
    config = config.model_copy(
        update={"nbo": config.nbo.model_copy(update={"strategy": "per_offer"})}
    )
    data = require_loaded(load_source(canonical_source(small_crm.directory), now=NOW))
    table = build_feature_table(
        data, load_feature_set("nbo_v1", directory=REPO / "features"), horizon_days=30
    )
    labels = offer_labels(data, table.frame[["customer_id", "as_of"]], 30, config.nbo)
    offers = data.offers.astype({"offer_id": "str"})
    model = train_nbo(table, labels, offers, config).model
    assert model.pooled is None and len({id(m) for m in model.models.values()}) >= 5
    model.save(tmp_path / "nbo")
    loaded = NBOModel.load(tmp_path / "nbo")
    matrix = loaded.encoder.matrix(table.frame.head(100))
    assert loaded.propensities(matrix) == pytest.approx(model.propensities(matrix), abs=1e-12)
    loaded = fast_nbo(loaded)  # as the Scorer's serving copy; each offer by its own model
    offer_ids = list(loaded.models)
    rows = np.arange(100) % 37
    chosen = [offer_ids[k % len(offer_ids)] for k in range(100)]
    values = loaded.offer_contributions(matrix, rows, chosen)
    for k in (0, 1, 2, 50, 99):
        booster = loaded.models[chosen[k]].booster
        expected = booster.predict(matrix[rows[k] : rows[k] + 1], pred_contrib=True)[0]
        np.testing.assert_allclose(values[k], expected, atol=1e-9)
    assert loaded.propensities(matrix) == pytest.approx(model.propensities(matrix), abs=1e-12)


def test_nbo_learnt_from_offers_made_is_tracked_gated_by_its_value_and_served(
    small_crm: GeneratedCRM, store: Path
) -> None:
    config = str(REPO / "training" / "configs" / "nbo_offers_made.yaml")
    source = ("--source", str(small_crm.directory))
    trained = runner.invoke(app, ["train", "nbo", "--config", config, *source])
    assert trained.exit_code == 0, trained.output
    for said in ("test offers made", "leadscore", "popularity", "random", "oracle", "learner:"):
        assert said in trained.output, said
    handle = tracking.fetch("leadscore-nbo", "champion")
    model = load_model_dir(handle.directory)
    assert isinstance(model, ResponseNBOModel)
    run = mlflow.get_run(handle.run_id)
    metrics, params = run.data.metrics, run.data.params
    assert params["learn_from"] == "exposures" and int(params["offers_made"]) > 1_000
    low, value, high = (metrics[f"leadscore_dr_{k}"] for k in ("low", "value", "high"))
    assert low < value < high and metrics["test_dr_value"] == value
    assert metrics["leadscore_true_incremental_value"] > metrics["random_true_incremental_value"]
    card = Path(
        mlflow.artifacts.download_artifacts(run_id=handle.run_id, artifact_path="model_card.md")
    )
    text = card.read_text()
    assert "learnt from offers made" in text and "Doubly robust value" in text

    # the same again: the gate values both on the challenger's test offers made
    assert runner.invoke(app, ["train", "nbo", "--config", config, *source]).exit_code == 0
    promoted = runner.invoke(app, ["promote", "nbo", "--config", config])
    assert promoted.exit_code == 0, promoted.output
    assert "promoted version 2" in promoted.output and "difference 0.00" in promoted.output
    # a model learnt from outcomes cannot be judged against it on its rows
    classic = str(REPO / "training" / "configs" / "nbo.yaml")
    assert runner.invoke(app, ["train", "nbo", "--config", classic, *source]).exit_code == 0
    refused = runner.invoke(app, ["promote", "nbo", "--config", classic])
    assert refused.exit_code == 1 and "learn_from: exposures" in refused.output
    listed = runner.invoke(app, ["models", "nbo", "--config", config], terminal_width=200)
    assert "DR value" in listed.output

    # served: offers only where they add value, each with reasons
    write_store(small_crm, "nbo_v1", store / "leads.parquet")
    scored = runner.invoke(
        app,
        [
            *("score", "--input", str(store / "leads.parquet")),
            *("--out", str(store / "offers.jsonl"), "--conversion-model", ""),
        ],
    )
    assert scored.exit_code == 0, scored.output
    lines = [json.loads(line) for line in (store / "offers.jsonl").read_text().splitlines()]
    offers = [o for line in lines for o in line["next_best_offers"]]
    assert offers and all(o["expected_value"] > 0 and o["reasons"] for o in offers)


@pytest.mark.parametrize(
    ("learn_from", "message"),
    [
        # the last of its three waves is still open at the data's end: left out whole
        ("exposures", "too few offers made to learn from: they fall on 2 day(s)"),
        ("outcomes", "not enough data to train: the train (all offers) period has 0 positives"),
    ],
)
def test_a_tiny_offer_experiment_gets_the_minimum_data_message(
    learn_from: str, message: str
) -> None:
    config = load_training_config(REPO / "examples" / "offer_experiment" / "training.yaml")
    config = config.model_copy(
        update={"nbo": config.nbo.model_copy(update={"learn_from": learn_from})}
    )
    with pytest.raises(InputError) as raised:
        run_job(config)
    assert message in str(raised.value)
