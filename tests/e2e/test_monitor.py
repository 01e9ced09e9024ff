"""`leadscore monitor` on the shared live store: the champion's drift, performance and
fairness over the scores logged, a recommendation, and the report in MLflow."""

from __future__ import annotations

import httpx
import pandas as pd
import pytest

from leadscore import tracking
from tests.e2e.conftest import REP, REP_PASSWORD, _cli, workspace_form

pytestmark = pytest.mark.slow


def test_monitor_reports_drift_performance_fairness_and_logs_the_report(
    live: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = live["home"]
    env = {k: v for k, v in live["env"].items()}
    run = _cli("monitor", "--days", "7", cwd=home, env=env)
    out = run.stdout.replace("\n", " ")
    assert "drift:" in out and "features" in out
    assert "AUC: promised" in out and "estimated" in out
    assert "fairness" in out and "country" in out
    assert "retrain" in out.lower()
    assert "report in MLflow: run" in out
    monkeypatch.setenv("MLFLOW_TRACKING_URI", env["MLFLOW_TRACKING_URI"])
    [champion] = [
        v for v in tracking.model_versions("leadscore-conversion") if tracking.CHAMPION in v.aliases
    ]
    report = tracking.latest_monitoring(champion.run_id)
    assert report is not None and "scores" in report.metrics
    html = tracking.monitoring_report(report.run_id)
    assert "<h2>Drift</h2>" in html and "data:image/png;base64," in html
    german = tracking.monitoring_report(report.run_id, "de")
    assert '<html lang="de">' in german and "<h2>Veränderung der Daten</h2>" in german
    assert report.tags["leadscore.retrain"] in ("true", "false")
    # the workspace's model page gives the verdict and links the report
    with httpx.Client(base_url=live["url"], timeout=60) as browser:
        form = workspace_form(browser, user=REP, password=REP_PASSWORD)
        browser.post("/workspace/login", data=form)
        page = browser.get("/workspace/model?lang=en")
        assert page.status_code == 200 and report.tags["leadscore.recommendation"][:40] in page.text
        linked = browser.get("/workspace/model/monitoring")
        assert linked.status_code == 200 and "<h2>Drift</h2>" in linked.text
        in_german = browser.get("/workspace/model/monitoring?lang=de")
        assert "<h2>Veränderung der Daten</h2>" in in_german.text
        assert httpx.get(f"{live['url']}/workspace/model/monitoring").status_code == 303
    # a period without scores says what to do
    old = (pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=3_000)).strftime("%Y-%m-%dT%H:%M:%S")
    refused = _cli("monitor", "--as-of", old, "--no-log", cwd=home, env=env, ok=False)
    assert refused.returncode == 1 and "no score was logged" in refused.stderr
