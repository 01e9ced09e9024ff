"""The champion's accuracy report for the model page, read from its MLflow run once per
version: metrics against the baselines, per-grade conversion, the calibration plot and the
model card."""

from __future__ import annotations

import base64
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from leadscore import tracking

# (metric, higher is better) as the test set measured them, and the baselines beside
METRICS = (
    ("roc_auc", True),
    ("pr_auc", True),
    ("lift_at_10pct", True),
    ("log_loss", False),
    ("brier", False),
    ("ece", False),
)
BASELINES = ("logistic_regression", "rules_points")
REREAD_SECONDS = 300


@dataclass(frozen=True)
class ModelReport:
    name: str
    version: str
    trained: pd.Timestamp
    run_id: str
    metrics: list[dict]  # {"metric", "champion", <baseline>: value or None}
    grades: list[dict]  # {"grade", "share", "conversion"}
    calibration_png: str | None  # base64, shown inline (the page loads nothing else)
    model_card: str
    monitoring: dict | None = None  # the newest `leadscore monitor` run: its verdict
    horizon_days: int | None = None  # a lead "buys" when it converts within these days
    algorithm: str = ""


def read_report(model_name: str) -> ModelReport | None:
    """The report of ``model_name``'s champion; None where none is registered."""
    if tracking.aliases(model_name)[tracking.CHAMPION] is None:
        return None
    [champion] = [v for v in tracking.model_versions(model_name) if tracking.CHAMPION in v.aliases]
    got = champion.metrics
    metrics = [
        {
            "metric": name,
            "higher_is_better": higher,
            "champion": got.get(f"test_{name}"),
            **{b: got.get(f"baseline_{b}_{name}") for b in BASELINES},
        }
        for name, higher in METRICS
        if f"test_{name}" in got
    ]
    grades = [
        {
            "grade": g,
            "share": got.get(f"grade_{g}_share"),
            "conversion": got.get(f"grade_{g}_conversion_rate"),
        }
        for g in ("A", "B", "C", "D")
        if f"grade_{g}_share" in got
    ]
    latest = tracking.latest_monitoring(champion.run_id)
    monitoring = None if latest is None else _monitoring(latest)
    with tempfile.TemporaryDirectory(prefix="leadscore-report-") as folder:
        run = tracking.read_run(champion.run_id, into=Path(folder))
        card = run.artifacts / "model_card.md"
        plot = run.artifacts / "plots" / "calibration.png"
        return ModelReport(
            name=model_name,
            version=champion.version,
            trained=champion.created,
            run_id=champion.run_id,
            metrics=metrics,
            grades=grades,
            calibration_png=base64.b64encode(plot.read_bytes()).decode() if plot.exists() else None,
            model_card=card.read_text(encoding="utf-8") if card.exists() else "",
            monitoring=monitoring,
            horizon_days=_whole(run.params.get("horizon_days")),
            algorithm=run.params.get("algorithm", ""),
        )


def _monitoring(latest: tracking.RunReport) -> dict:
    """The verdict of a monitoring run and what it was judged on."""
    drifted = int(latest.metrics.get("drifted_features", 0))
    share, checked = latest.metrics.get("drifted_share"), latest.metrics.get("features")
    since, _, until = latest.tags.get("leadscore.period", "").partition("/")
    return {
        "run_id": latest.run_id,
        "retrain": latest.tags.get("leadscore.retrain") == "true",
        "recommendation": latest.tags.get("leadscore.recommendation", ""),
        "since": _moment(since),
        "until": _moment(until),
        "drifted": drifted,
        # runs before the count of features checked was kept: it follows from the share
        "features": int(checked) if checked else round(drifted / share) if share else None,
    }


def _moment(text: str) -> pd.Timestamp | None:
    try:
        return pd.Timestamp(text) if text else None
    except ValueError:
        return None


def _whole(text: str | None) -> int | None:
    try:
        return int(float(text)) if text else None
    except ValueError:
        return None


class ReportCache:
    """One report per champion version: reading a run's files takes a second or two."""

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name
        self._held: dict[str, ModelReport | None] = {}
        self._read_at = 0.0
        self._lock = threading.Lock()

    def report(self, version: str) -> ModelReport | None:
        with self._lock:
            held = self._held.get(version)
            # a new monitoring run may have come since: looked for again after a while
            if version not in self._held or time.monotonic() - self._read_at > REREAD_SECONDS:
                held = read_report(self.model_name)
                self._held, self._read_at = {version: held}, time.monotonic()
            return held
