"""``leadscore crm``: status and one pass of sync against a local HubSpot, from the
command line; a missing config or secret is named."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from leadscore.cli.app import app
from leadscore.store.score_log import LoggedScore, write_scores
from leadscore.store.store import Store
from tests.conftest import free_port
from tests.crm_receivers import STATIC_TOKEN, CrmApi

runner = CliRunner()


def test_status_and_sync_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    api = CrmApi("hubspot", free_port())
    api.start()
    try:
        url = f"sqlite:///{tmp_path / 'leadscore.db'}"
        store = Store.open(url)
        at = pd.Timestamp("2026-12-01", tz="UTC")
        write_scores(
            store,
            [
                LoggedScore(
                    f"C-{i}",
                    at,
                    "rescore",
                    "m",
                    "1",
                    0.5,
                    50,
                    "B",
                    0.0,
                    -1.0,
                    ("x",),
                    (0.1,),
                    (1.0,),
                )
                for i in range(150)
            ],
        )
        config = tmp_path / "crm.yaml"
        config.write_text(
            f"destinations:\n  - kind: hubspot\n    name: hs\n    base_url: {api.url}\n"
            "    fields: {score: leadscore_score}\n"
        )
        monkeypatch.setenv("LEADSCORE_DATABASE_URL", url)
        monkeypatch.setenv("LEADSCORE_CRM", str(config))
        monkeypatch.delenv("LEADSCORE_HUBSPOT_TOKEN", raising=False)
        refused = runner.invoke(app, ["crm", "sync", "--once"])
        assert refused.exit_code == 1 and "LEADSCORE_HUBSPOT_TOKEN" in refused.output
        monkeypatch.setenv("LEADSCORE_HUBSPOT_TOKEN", STATIC_TOKEN)
        once = runner.invoke(app, ["crm", "sync", "--once"])
        assert once.exit_code == 0, once.output
        assert "hs: sent 100" in once.output and len(api.written) == 100
        status = runner.invoke(app, ["crm", "status"])
        assert status.exit_code == 0 and "hs" in status.output and "50" in status.output
        rest = runner.invoke(app, ["crm", "sync"])
        assert "hs: sent 50" in rest.output and len(api.counts()) == 150
    finally:
        api.stop()


def test_without_a_config_it_says_where_to_put_one(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LEADSCORE_CRM", raising=False)
    result = runner.invoke(app, ["crm", "status"])
    assert result.exit_code == 1 and "crm.yaml" in result.output
