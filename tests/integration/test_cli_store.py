"""`leadscore load`, `ingest` and `rescore` on the store, as a user runs them."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from leadscore.cli import app
from leadscore.jobs.run import run_job
from leadscore.store.outbox import alert_states
from leadscore.store.store import Store
from leadscore.synthetic import GeneratedCRM
from leadscore.training.config import load_training_config
from tests.conftest import NOW, REPO

runner = CliRunner()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEADSCORE_DATABASE_URL", raising=False)
    return tmp_path


def test_a_days_export_is_appended_once_and_strangers_are_listed(
    folder: Path, small_crm: GeneratedCRM
) -> None:
    loaded = runner.invoke(app, ["load", str(small_crm.directory), "--now", str(NOW.date())])
    assert loaded.exit_code == 0, loaded.output
    store = Store.open(f"sqlite:///{folder / 'leadscore.db'}")
    customers, events = store.count("customers"), store.count("events")
    assert customers == 1_500 and events > 0

    export = folder / "export-2026-11-28"
    export.mkdir()
    # a day's export of events alone: their customers are in the store already
    known = store.customer_ids()[:40]
    day = pd.DataFrame(
        {
            "customer_id": [*known, "C-STRANGER"],
            "ts": pd.Timestamp("2026-11-26 09:00", tz="UTC")
            + pd.to_timedelta(range(41), unit="min"),
            "event_type": "pricing_page_view",
        }
    )
    day.to_parquet(export / "events.parquet", index=False)
    first = runner.invoke(app, ["ingest", str(export), "--now", str(NOW.date())])
    assert first.exit_code == 0, first.output
    assert "not among the accepted customers" in first.output  # named, with its row
    refused = pd.read_csv(folder / "quarantine" / "events.rejected.csv")
    assert refused["customer_id"].tolist() == ["C-STRANGER"]
    assert store.count("events") == events + 40
    again = runner.invoke(app, ["ingest", str(export), "--now", str(NOW.date())])
    assert again.exit_code == 0, again.output
    assert store.count("events") == events + 40  # the same export twice: counted once
    assert store.count("customers") == customers


def test_rescore_without_a_store_says_what_to_do_first(folder: Path) -> None:
    result = runner.invoke(app, ["rescore"])
    assert result.exit_code == 1
    assert "no store at" in result.output and "leadscore load SOURCE" in result.output
    assert not (folder / "leadscore.db").exists()
    assert os.listdir(folder) == []


@pytest.mark.slow  # trains a champion
def test_the_nightly_rescore_applies_the_alert_rules(
    folder: Path, small_crm: GeneratedCRM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{folder / 'mlflow.db'}")
    monkeypatch.delenv("LEADSCORE_ALERTS", raising=False)
    config = load_training_config(
        REPO / "training/configs/conversion.yaml", source=small_crm.directory
    )
    run_job(config.model_copy(update={"experiment": "rescore-alerts"}))
    loaded = runner.invoke(app, ["load", str(small_crm.directory), "--now", str(NOW.date())])
    assert loaded.exit_code == 0, loaded.output
    (folder / "alerts.yaml").write_text(
        "webhook: {url: 'http://crm.local/hook'}\n"
        "rules:\n"
        "  - {name: graded, kind: grade_reached, grade: D}\n"  # every first grade
    )
    first = runner.invoke(app, ["rescore", "--as-of", str(NOW.date())])
    assert first.exit_code == 0, first.output
    assert "rescored 1,500 leads" in first.output
    assert "1,500 new alerts in the outbox" in first.output
    assert f"alert rules from {folder / 'alerts.yaml'}" in first.output
    store = Store.open(f"sqlite:///{folder / 'leadscore.db'}")
    states = alert_states(store)
    assert len(states) == 1_500 and {s.rule for s in states} == {"graded"}
    later = runner.invoke(app, ["rescore", "--as-of", str((NOW + pd.Timedelta(days=1)).date())])
    assert "0 new alerts" in later.output  # graded before: nothing new
    (folder / "alerts.yaml").unlink()
    plain = runner.invoke(app, ["rescore", "--as-of", str((NOW + pd.Timedelta(days=2)).date())])
    assert plain.exit_code == 0 and "alert" not in plain.output
    assert store.count("alerts") == 1_500
