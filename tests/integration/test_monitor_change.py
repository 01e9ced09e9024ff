"""`monitor` on a synthetic CRM whose world changes four weeks before its end (a new lead
source, retail three times as active on the web and in e-mail, a deep lull): the weeks
after the change are found drifted, with the new source named and a retraining
recommended; the week before it, and the same weeks of the same world without the change,
are not flagged."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.jobs.monitor import MonitorConfig, MonitorReport, monitor
from leadscore.jobs.run import run_job
from leadscore.scoring.champions import load_champions
from leadscore.scoring.rescore import rescore_store
from leadscore.store.loading import put_canonical
from leadscore.store.store import Store
from leadscore.synthetic import SyntheticConfig, generate_crm
from leadscore.synthetic.config import InjectedChange
from leadscore.training.config import load_training_config
from tests.conftest import REPO

pytestmark = pytest.mark.slow

END = date(2026, 6, 29)
CHANGE = InjectedChange(after=END - timedelta(weeks=4))
MODEL = "leadscore-conversion"


def _monitored(home: Path, change: InjectedChange | None, moments: dict) -> dict:
    """The champion trained on the CRM, then monitored over the week before each moment:
    the store is filled up to the moment and every lead rescored then, as a nightly job
    would."""
    config = SyntheticConfig(customers=4_000, seed=3, truth_customers=2_000, end=END, change=change)
    crm = generate_crm(config, home / "crm")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(home)
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{home / 'mlflow.db'}")
        training = load_training_config(
            REPO / "training/configs/conversion.yaml", source=crm.directory
        )
        run_job(training.model_copy(update={"experiment": "monitor-change"}))
        data = require_loaded(load_source(canonical_source(crm.directory)))
        database = f"sqlite:///{home / 'leadscore.db'}"
        store = Store.open(database)
        scorer, _ = load_champions(MODEL, None, None, database_url=database)
        found = {}
        for name, moment in moments.items():
            put_canonical(store, data.up_to(moment), now=moment)
            rescore_store(scorer.require_live(), now=moment, batch_size=2_000)
            found[name] = monitor(
                store,
                model_name=MODEL,
                now=moment + pd.Timedelta(minutes=1),
                config=MonitorConfig(period_days=7),
            )
        return found


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, MonitorReport]:
    """The changed CRM the day before its change and an hour before its end; the same
    seed without the change an hour before the end."""
    before = pd.Timestamp(CHANGE.after, tz="UTC") - pd.Timedelta(days=1)
    last = pd.Timestamp(END, tz="UTC") - pd.Timedelta(hours=1)
    changed = _monitored(
        tmp_path_factory.mktemp("changed"), CHANGE, {"before": before, "after": last}
    )
    same = _monitored(tmp_path_factory.mktemp("same"), None, {"unchanged": last})
    return changed | same


def _psi(report: MonitorReport) -> dict[str, float]:
    return {d.feature: d.psi for d in report.drift}


def test_the_weeks_after_the_change_are_found_drifted(reports: dict[str, MonitorReport]) -> None:
    after, unchanged = reports["after"], reports["unchanged"]
    drifted = {d.feature for d in after.drifted}
    # the lull and retail's web and e-mail spree show in how recently and on how many
    # channels leads were active
    assert {"active_channels_30d", "days_since_last_activity"} <= drifted, sorted(drifted)
    source = next(d for d in after.drift if d.feature == "lead_source")
    assert "partner_portal" in source.new_categories
    for name in ("page_views_30d", "email_opens_30d", "active_channels_30d"):
        assert _psi(after)[name] > 3 * _psi(unchanged)[name], name
    assert after.retrain, after.recommendation
    assert "Retrain leadscore-conversion" in after.recommendation
    assert "days_since_last_activity" in after.recommendation


@pytest.mark.parametrize("period", ["before", "unchanged"])
def test_an_unchanged_period_is_not_flagged(reports: dict[str, MonitorReport], period: str) -> None:
    """The week before the change, and the same weeks of the same world without it."""
    report = reports[period]
    assert not report.retrain, report.recommendation
    assert report.recommendation.startswith("No need to retrain")
    assert report.drifted_importance < MonitorConfig().drifted_importance
    assert not {"active_channels_30d", "days_since_last_activity"} & {
        d.feature for d in report.drifted
    }
    assert all(not d.new_categories for d in report.drift)
