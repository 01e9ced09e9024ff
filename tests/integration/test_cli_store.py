"""`leadscore load`, `ingest` and `rescore` on the store, as a user runs them."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from leadscore.cli import app
from leadscore.store.store import Store
from leadscore.synthetic import GeneratedCRM
from tests.conftest import NOW

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
