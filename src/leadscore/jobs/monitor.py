"""``leadscore monitor``: whether the champion still works, for whom, and when to retrain.

It sets the score log of the last period against the champion's held-out rows (stored
with its run: the data it was measured on): drift of every feature and of the score,
the AUC its calibrated probabilities promise before labels arrive and the one realised
where they have, fairness per segment and proxies of fields that must not be features;
then one sentence that says whether to retrain, and why, with the numbers. The report
(HTML with plots) goes to MLflow beside the champion's run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import Field

from leadscore import tracking
from leadscore.common.config import StrictModel
from leadscore.common.errors import InputError
from leadscore.evaluation.drift import DriftThresholds, FeatureDrift, feature_drift, number_drift
from leadscore.evaluation.estimated import expected_auc, expected_per_grade
from leadscore.evaluation.fairness import (
    FairnessLimits,
    largest_gaps,
    present,
    proxies,
    segment_table,
)
from leadscore.evaluation.realised import Realised, realised, realised_from_flags
from leadscore.jobs.monitor_report import (
    REPORT_LANGS,
    MonitorReport,
    category_titles,
    feature_titles,
    report_figures,
    report_html,
)
from leadscore.models.conversion import ConversionPredictor
from leadscore.models.files import load_model_dir
from leadscore.models.propensity import PropensityModel
from leadscore.store.score_log import logged_between, logged_features
from leadscore.store.store import Store

DEFAULT_SEGMENTS = ("country", "industry", "company_size", "lead_source")
# fewer scores than this in the period: no verdict (drift tests of a few rows are noise)
MIN_SCORES = 50


class MonitorConfig(StrictModel):
    """What ``leadscore monitor`` measures and where its limits lie (``monitoring.yaml``)."""

    period_days: int = Field(7, ge=1, description="the period monitored, up to the moment")
    sample: int = Field(
        100_000, ge=1_000, description="most logged scores whose features drift is measured on"
    )
    psi: float = Field(0.2, gt=0, description="a feature's PSI from which it may have drifted")
    p_value: float = Field(0.01, gt=0, lt=1, description="the drift test's level")
    drifted_share: float = Field(
        0.25, gt=0, le=1, description="share of drifted features that calls for retraining"
    )
    drifted_importance: float = Field(
        0.2,
        gt=0,
        le=1,
        description="share of the model's importance (mean |SHAP| on its test rows) carried "
        "by drifted features that calls for retraining",
    )
    auc_drop: float = Field(
        0.03,
        gt=0,
        description="an AUC this far below its reference calls for retraining (the estimate: "
        "the same estimate on the test rows; the realised AUC: the model card's)",
    )
    segments: list[str] = Field(
        default_factory=lambda: list(DEFAULT_SEGMENTS),
        description="profile fields whose segments fairness is measured for",
    )
    protected: list[str] = Field(
        default_factory=list,
        description="profile fields that must not be features; their proxies are reported",
    )
    min_segment: int = Field(100, ge=1, description="a smaller segment is listed, not compared")


def load_monitor_config(path: Path | None) -> MonitorConfig:
    if path is None:
        return MonitorConfig()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot be read as YAML ({exc})") from None
    return MonitorConfig.model_validate(raw, context={"path": str(path)})


def monitor(
    store: Store,
    *,
    model_name: str,
    now: pd.Timestamp,
    config: MonitorConfig,
    seed: int = 0,
) -> MonitorReport:
    """The report of the champion of ``model_name`` (fetched from the registry once, so
    the model and the version it is reported as are the same) on the period before
    ``now``."""
    champion, conversion = _champion(model_name)
    model = conversion.model
    reference = _reference(champion.run_id, conversion)
    period = read_period(store, model, champion.version, now=now, days=config.period_days)
    rng = np.random.default_rng(seed)  # drift's sample first, then the importance's
    drift, score_drift = measure_drift(store, period, reference, model, config, rng)
    # the realised figures are of the champion's scores old enough for their labels (the
    # younger wait)
    own = period.window[period.window["model_version"] == champion.version]
    outcomes = store.rows("outcomes")
    flags = store.customers(fields=()) if outcomes.empty else None
    if flags is not None and flags["converted"].notna().any():
        # a flat export: no dated outcomes, the leads' flags say how each ended; only the
        # leads from the champion's test period on, which it did not learn from
        start = pd.to_datetime(reference.rows["as_of"], utc=True).min()
        unseen = flags[flags["created_at"] >= start]
        mine = own[own["customer_id"].astype(str).isin(unseen["customer_id"].astype(str))]
        found = realised_from_flags(mine, unseen[["customer_id", "converted"]])
    else:
        found = realised(own, outcomes, horizon=period.horizon, now=now)
    fairness = measure_fairness(store, period, found, model, config, seed)
    measured = MonitorReport(
        model=model_name,
        version=champion.version,
        run_id=champion.run_id,
        since=period.since,
        until=now,
        scores=len(period.logged),
        drift=drift,
        score_drift=score_drift,
        promised_auc=champion.metrics.get("test_roc_auc"),
        estimated_auc=expected_auc(period.newest["probability"].to_numpy()),
        reference_estimated_auc=expected_auc(np.asarray(reference.probability)),
        importance=_importance(model, reference.matrix, rng),
        expected_grades=expected_per_grade(period.newest["grade"], period.newest["probability"]),
        realised=found,
        segments=fairness.segments,
        gaps=fairness.gaps,
        proxies=fairness.proxies,
        protected_present=present(config.protected, list(model.features)),
    )
    retrain, recommendation = recommend(measured, config)
    titles = feature_titles(model.metadata)
    categories = category_titles(model.metadata)
    figures = report_figures(
        measured, reference.scores, period.ours["score"], psi_limit=config.psi, titles=titles
    )
    return replace(
        measured,
        retrain=retrain,
        recommendation=recommendation,
        figures=figures,
        titles=titles,
        categories=categories,
    )


def _champion(model_name: str) -> tuple[tracking.ModelHandle, ConversionPredictor]:
    """The champion of ``model_name`` as the registry holds it, and its conversion model."""
    if tracking.aliases(model_name)[tracking.CHAMPION] is None:
        raise InputError(f"no champion of {model_name} to monitor: train and promote one first")
    with tracking.fetched(model_name, tracking.CHAMPION) as champion:
        conversion = load_model_dir(champion.directory)
    if not isinstance(conversion, ConversionPredictor):
        raise InputError(f"{model_name} is no conversion model: name the conversion model")
    return champion, conversion


@dataclass(frozen=True)
class Reference:
    """The champion's held-out rows (stored with its run) and what it made of them."""

    rows: pd.DataFrame
    matrix: np.ndarray
    probability: np.ndarray
    scores: pd.Series


def _reference(run_id: str, conversion: ConversionPredictor) -> Reference:
    rows = tracking.download_run_table(run_id, "evaluation/test.parquet")
    matrix = conversion.model.encoder.matrix(rows)
    margin = conversion.model.margin(matrix)
    probability = conversion.model.calibrator(margin)
    scores = conversion.bands.score(margin, probability)
    return Reference(rows, matrix, probability, pd.Series(scores))


@dataclass(frozen=True)
class Period:
    """The score log of the period monitored, and around it what its measures need."""

    since: pd.Timestamp
    horizon: pd.Timedelta  # how long a score waits for its label
    window: pd.DataFrame  # the period and the year before it whose labels are in
    logged: pd.DataFrame  # the period's scores, of any model
    ours: pd.DataFrame  # the period's scores of the champion
    newest: pd.DataFrame  # each lead's newest score of the champion in the period


def read_period(
    store: Store, model: PropensityModel, version: str, *, now: pd.Timestamp, days: int
) -> Period:
    """The score log of the ``days`` before ``now``, or an InputError if it is empty."""
    since = now - pd.Timedelta(days=days)
    horizon = pd.Timedelta(days=int(model.metadata.get("horizon_days") or 30))
    # one read of the log: the period, and the year before it whose labels are in (the
    # labels of the period's own scores arrive after it)
    window = logged_between(
        store, since=min(since, now - horizon - pd.Timedelta(days=365)), until=now
    )
    logged = window[window["scored_at"] >= since]
    if logged.empty:
        raise InputError(
            f"no score was logged from {since:%Y-%m-%d %H:%M} to {now:%Y-%m-%d %H:%M} UTC in "
            f"{store.url}: rescore the leads (leadscore rescore) or serve them first"
        )
    ours = logged[logged["model_version"] == version]
    # performance is the champion's: each lead's newest score of the period
    newest = ours.sort_values(["scored_at", "seq"]).drop_duplicates("customer_id", keep="last")
    return Period(since, horizon, window, logged, ours, newest)


def measure_drift(
    store: Store,
    period: Period,
    reference: Reference,
    model: PropensityModel,
    config: MonitorConfig,
    rng: np.random.Generator,
) -> tuple[list[FeatureDrift], FeatureDrift | None]:
    """Each feature's drift from the test rows to (a sample of) the period's scores, and
    the drift of the champion's score (None where it logged none in the period)."""
    names = list(model.features)
    chosen = period.logged["seq"].to_numpy()
    if len(chosen) > config.sample:  # drift is measured on a uniform sample of the period
        chosen = np.sort(rng.choice(chosen, size=config.sample, replace=False))
    current = logged_features(store, chosen.tolist())
    thresholds = DriftThresholds(psi=config.psi, p_value=config.p_value)
    drift = feature_drift(
        reference.rows[[n for n in names if n in reference.rows]],
        current[[n for n in names if n in current]],
        categorical=set(model.encoder.categories),
        thresholds=thresholds,
    )
    ours = period.ours
    score_drift = (
        number_drift("score", reference.scores, ours["score"], thresholds) if len(ours) else None
    )
    return drift, score_drift


@dataclass(frozen=True)
class Fairness:
    segments: pd.DataFrame
    gaps: pd.DataFrame
    proxies: dict[str, pd.DataFrame]  # protected field: the features that stand in for it


def measure_fairness(
    store: Store,
    period: Period,
    found: Realised,
    model: PropensityModel,
    config: MonitorConfig,
    seed: int,
) -> Fairness:
    """Outcomes per segment (of the labelled scores where there are any, else of the
    period's newest), their largest gaps, and the features that stand in for each
    protected field."""
    names = list(model.features)
    customers = store.customers(period.newest["customer_id"].tolist())
    profile = period.newest.merge(customers, on="customer_id", how="left")
    labels = found.scores
    if len(labels):
        last = labels.sort_values("scored_at").drop_duplicates("customer_id", keep="last")
        fair = last.merge(store.customers(last["customer_id"].tolist()), on="customer_id")
    else:
        fair = profile
    segments = segment_table(fair, config.segments, min_leads=config.min_segment)
    limits = FairnessLimits(min_leads=config.min_segment)
    found_proxies = {}
    protected = [f for f in config.protected if f in profile.columns]
    if protected:  # one sample, its features read once, for every protected field
        sample = profile.sample(n=min(len(profile), 50_000), random_state=seed)
        features = logged_features(store, sample["seq"].tolist())
        for field_name in protected:
            found_proxies[field_name] = proxies(
                features[[n for n in names if n in features]],
                pd.Series(sample[field_name].to_numpy(), index=sample["seq"]).reindex(
                    features.index
                ),
                categorical=set(model.encoder.categories),
                limit=limits.proxy_auc,
            )
    return Fairness(segments, largest_gaps(segments, limits), found_proxies)


IMPORTANCE_ROWS = 5_000  # test rows whose TreeSHAP values weigh the features


def _importance(model: PropensityModel, matrix: np.ndarray, rng: np.random.Generator) -> dict:
    """Each feature's share of the mean absolute TreeSHAP value on (a sample of) the test
    rows."""
    if len(matrix) > IMPORTANCE_ROWS:
        matrix = matrix[np.sort(rng.choice(len(matrix), IMPORTANCE_ROWS, replace=False))]
    weight = np.abs(model.contributions(matrix)[:, :-1]).mean(axis=0)
    total = float(weight.sum()) or 1.0
    return {name: float(w) / total for name, w in zip(model.features, weight, strict=True)}


def recommend(report: MonitorReport, config: MonitorConfig) -> tuple[bool, str]:
    """Whether to retrain, said in one sentence with the numbers."""
    if report.scores < MIN_SCORES:  # a handful of scores drifts by chance alone
        return False, (
            f"Too few scores to judge {report.model} v{report.version}: {report.scores:,} "
            f"logged in the period, at least {MIN_SCORES} needed; rescore the store "
            "(leadscore rescore), or monitor more --days."
        )
    reasons = []
    share, weight = report.drifted_share, report.drifted_importance
    if share >= config.drifted_share or weight >= config.drifted_importance:
        names = ", ".join(d.feature for d in report.drifted[:5])
        reasons.append(
            f"{len(report.drifted)} of {len(report.drift)} features drifted ({share:.0%}; "
            f"they carry {weight:.0%} of the model's importance; limits "
            f"{config.drifted_share:.0%} and {config.drifted_importance:.0%}: {names})"
        )
    if report.score_drift is not None and report.score_drift.drifted:
        reasons.append(f"the score's distribution moved (PSI {report.score_drift.psi:.2f})")
    promised = report.promised_auc
    if report.reference_estimated_auc - report.estimated_auc >= config.auc_drop:
        reasons.append(
            f"the estimated AUC is {report.estimated_auc:.3f} against "
            f"{report.reference_estimated_auc:.3f} estimated the same way on the test rows"
        )
    realised_auc = report.realised.metrics.get("roc_auc")
    if (
        promised is not None
        and realised_auc is not None
        and promised - realised_auc >= config.auc_drop
    ):
        reasons.append(f"the realised AUC is {realised_auc:.3f} against {promised:.3f} promised")
    if reasons:
        return True, f"Retrain {report.model}: " + "; ".join(reasons) + "."
    realised_text = (
        f", realised {realised_auc:.3f} against {promised:.3f} promised"
        if realised_auc is not None and promised is not None
        else ""
    )
    return False, (
        f"No need to retrain {report.model} v{report.version}: {len(report.drifted)} of "
        f"{len(report.drift)} features drifted ({share:.0%}, {weight:.0%} of the model's "
        f"importance), estimated AUC "
        f"{report.estimated_auc:.3f} against {report.reference_estimated_auc:.3f} on the test "
        f"rows{realised_text}."
        if report.estimated_auc == report.estimated_auc  # nan: nothing estimated from
        else f"importance){realised_text}."
    )


def log_report(report: MonitorReport) -> str:
    """The report into MLflow beside the champion's run; the monitoring run's id."""
    return tracking.log_monitoring_run(
        report.run_id,
        html={lang: report_html(report, lang) for lang in REPORT_LANGS},
        metrics=report.metrics(),
        tags={
            "leadscore.retrain": str(report.retrain).lower(),
            "leadscore.recommendation": report.recommendation[:5000],
            "leadscore.period": f"{report.since.isoformat()}/{report.until.isoformat()}",
        },
    )
