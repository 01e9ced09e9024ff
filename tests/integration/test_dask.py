"""Dask: features, training and batch scoring on a local cluster equal the pandas path."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from leadscore.cluster import DaskSettings, dask_client
from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.features.definitions import load_feature_set
from leadscore.features.on_dask import (
    build_feature_table_dask,
    read_canonical,
    write_feature_table_dask,
)
from leadscore.features.training_set import LABEL, build_feature_table, read_feature_metadata
from leadscore.jobs.run import run_job
from leadscore.scoring.batch import score_file, score_on_dask
from leadscore.scoring.scorer import Scorer
from leadscore.synthetic import GeneratedCRM
from leadscore.training.config import load_training_config
from tests.conftest import NOW, REPO

FEATURES = REPO / "features"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    with dask_client(DaskSettings(workers=2)) as client:
        assert len(client.nthreads()) == 2
        yield client


def _in_key_order(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(customer_id=frame["customer_id"].astype("str"))
    return frame.sort_values(["customer_id", "as_of"], ignore_index=True)


@pytest.mark.parametrize("partitions", [1, 5])
def test_dask_training_table_equals_the_pandas_one(
    small_crm: GeneratedCRM, client: object, partitions: int
) -> None:
    feature_set = load_feature_set("conversion_v1", directory=FEATURES)
    data = require_loaded(load_source(canonical_source(small_crm.directory), now=NOW))
    expected = build_feature_table(data, feature_set, horizon_days=30)
    table = build_feature_table_dask(
        read_canonical(small_crm.directory), feature_set, partitions=partitions, horizon_days=30
    )
    assert table.frame.npartitions == partitions
    got = table.frame.compute()
    assert table.feature_names == expected.feature_names
    assert got[LABEL].sum() > 0
    pd.testing.assert_frame_equal(_in_key_order(got), _in_key_order(expected.frame))


def test_dask_scoring_table_equals_the_pandas_one_and_is_written_in_parts(
    small_crm: GeneratedCRM, client: object, tmp_path: Path
) -> None:
    feature_set = load_feature_set("nbo_v1", directory=FEATURES)
    moments = [pd.Timestamp("2026-03-02", tz="UTC"), pd.Timestamp("2026-06-29", tz="UTC")]
    data = require_loaded(load_source(canonical_source(small_crm.directory), now=NOW))
    expected = build_feature_table(data, feature_set, as_of=moments)
    table = build_feature_table_dask(
        read_canonical(small_crm.directory), feature_set, partitions=3, as_of=moments
    )
    out = write_feature_table_dask(table, tmp_path / "features.parquet")
    parts = sorted(out.glob("*.parquet"))
    assert len(parts) == 3
    assert read_feature_metadata(parts[0])["feature_set"] == "nbo_v1"
    written = pd.read_parquet(out)
    assert LABEL not in written.columns
    pd.testing.assert_frame_equal(_in_key_order(written), _in_key_order(expected.frame))


def test_dask_reader_names_the_file_and_the_missing_column(tmp_path: Path) -> None:
    pd.DataFrame({"customer_id": ["a"], "created_at": [NOW]}).to_parquet(
        tmp_path / "customers.parquet"
    )
    pd.DataFrame({"customer_id": ["a"], "event_type": ["page_view"]}).to_parquet(
        tmp_path / "events.parquet"
    )
    with pytest.raises(Exception, match=r"events\.parquet: required column\(s\) \['ts'\]"):
        read_canonical(tmp_path)


@pytest.fixture(scope="module")
def dask_job(small_crm: GeneratedCRM, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    home = tmp_path_factory.mktemp("dask_job")
    old_uri = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{home / 'mlflow.db'}"
    try:
        config = load_training_config(
            REPO / "training/configs/conversion.yaml",
            source=small_crm.directory,
            dask=DaskSettings(workers=2, partitions=4),
        )
        config = config.model_copy(
            update={
                "experiment": "dask-test",
                "logistic_max_rows": 3_000,
                "lightgbm": config.lightgbm.model_copy(update={"num_boost_round": 400}),
            }
        )
        yield run_job(config)
    finally:
        if old_uri is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = old_uri


def test_dask_training_is_evaluated_tracked_and_registered_like_the_pandas_job(
    dask_job,
) -> None:
    from leadscore import tracking
    from leadscore.models.files import load_model_dir

    evaluation = dask_job.evaluation
    assert dask_job.run.version == "1"
    assert 1 <= evaluation.best_iteration < 400
    assert evaluation.model.booster.num_trees() == evaluation.best_iteration
    assert evaluation.metrics["roc_auc"] > evaluation.baselines["rules_points"]["roc_auc"]
    assert evaluation.metrics["roc_auc"] > 0.7
    assert evaluation.training_rows > len(evaluation.split.train)  # baselines saw a sample
    run = tracking.read_run(dask_job.run.run_id)
    assert run.params["engine"] == "dask"
    assert int(run.params["rows_train"]) == evaluation.training_rows
    assert "test_roc_auc" in run.metrics
    # the registered model loads and scores like any other
    predictor = load_model_dir(tracking.fetch("leadscore-conversion", "challenger").directory)
    test = evaluation.test
    np.testing.assert_allclose(
        predictor.model.probability(predictor.model.encoder.matrix(test)),
        test["probability"],
        atol=1e-12,
    )


def test_a_dask_split_short_of_positives_gives_each_parts_counts(
    small_crm: GeneratedCRM, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadscore.common.errors import InputError

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    config = load_training_config(
        REPO / "training/configs/conversion.yaml",
        source=small_crm.directory,
        dask=DaskSettings(workers=2, partitions=4),
        min_positives=100_000,
    )
    with pytest.raises(InputError) as caught:
        run_job(config)
    message = str(caught.value)
    assert "positives (need 100000)" in message and "Parts of the time split: train (" in message
    assert "min_positives: " in message  # the fewest any part has, checked on the counts


def test_dask_batch_scoring_writes_the_same_results_in_parts(
    dask_job, small_crm: GeneratedCRM, client: object, tmp_path: Path
) -> None:
    from leadscore import tracking
    from leadscore.models.files import load_model_dir

    feature_set = load_feature_set("conversion_v1", directory=FEATURES)
    table = build_feature_table_dask(
        read_canonical(small_crm.directory),
        feature_set,
        partitions=3,
        as_of=[pd.Timestamp("2026-06-29", tz="UTC")],
    )
    source = write_feature_table_dask(table, tmp_path / "leads.parquet")
    # the dask_job fixture's registry: the model trained on Dask
    challenger = tracking.fetch("leadscore-conversion", "challenger").directory
    scorer = Scorer.serving(load_model_dir(challenger)).pure
    rows, paths = score_on_dask(
        scorer, source, tmp_path / "scores", client, lang="de", top_k=3, batch_size=100
    )
    frame = pd.read_parquet(source)
    assert rows == len(frame) and len(paths) == 3
    got = [json.loads(line) for p in paths for line in p.read_text().splitlines()]
    score_file(scorer, frame, tmp_path / "one.jsonl", lang="de", top_k=3, batch_size=100)
    expected = [json.loads(line) for line in (tmp_path / "one.jsonl").read_text().splitlines()]
    key = lambda r: r["customer_id"]  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key)
    assert all(r["reasons"] and r["reasons"][0]["text"] for r in got)


def test_cli_builds_features_and_scores_on_a_local_cluster(
    dask_job, small_crm: GeneratedCRM, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from leadscore import tracking
    from leadscore.cli import app

    runner = CliRunner()
    out = tmp_path / "leads.parquet"
    common = ["--dask-workers", "2"]
    built = runner.invoke(
        app,
        [
            "features",
            str(small_crm.directory),
            "--out",
            str(out),
            "--features-dir",
            str(FEATURES),
            "--as-of",
            "2026-06-29T00:00:00",
            "--partitions",
            "2",
            *common,
        ],
    )
    assert built.exit_code == 0, built.output
    assert len(list(out.glob("*.parquet"))) == 2
    rows = len(pd.read_parquet(out))
    assert f"{rows:,} rows" in built.output

    tracking.move_champion("leadscore-conversion", "1")
    scored = runner.invoke(
        app,
        [
            "score",
            "--input",
            str(out),
            "--out",
            str(tmp_path / "scores"),
            "--nbo-model",
            "",
            *common,
        ],
    )
    assert scored.exit_code == 0, scored.output
    parts = sorted((tmp_path / "scores").glob("part-*.jsonl"))
    assert len(parts) == 2
    assert sum(len(p.read_text().splitlines()) for p in parts) == rows
    assert f"scored {rows:,} leads" in scored.output


def test_cli_refuses_the_dask_path_for_a_csv_source(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from leadscore.cli import app

    pd.DataFrame({"customer_id": ["a"], "created_at": ["2026-01-01"]}).to_csv(
        tmp_path / "customers.csv", index=False
    )
    result = CliRunner().invoke(
        app,
        ["features", str(tmp_path), "--out", str(tmp_path / "f.parquet"), "--dask-workers", "1"],
    )
    assert result.exit_code == 1
    # rich wraps long lines, inside a long path too: compare without any whitespace
    squeezed = "".join(result.output.split())
    assert "customers.parquet:theDaskpathreadsParquet;run'leadscoreload" in squeezed
