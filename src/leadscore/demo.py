"""``leadscore demo``: the whole path on the synthetic CRM, from nothing to a served model.

generate -> validate -> features -> train conversion and next-best-offer -> promote ->
feature store of known customers -> start the service -> one explained score.
Each step is a small function; ``DemoSteps`` runs them in order and keeps their results
for the summary. The CLI adds the progress display and the serving loop.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import pandas as pd

from leadscore import tracking
from leadscore.common.declarations import declarations_dir
from leadscore.common.errors import InputError
from leadscore.data.loading import CanonicalData, load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.features.definitions import load_feature_set
from leadscore.features.training_set import build_feature_table, write_feature_table
from leadscore.jobs.inputs import build_table, feature_set_of
from leadscore.jobs.promotion import promote_challenger
from leadscore.jobs.run import run_job
from leadscore.serving.command import serve_command
from leadscore.synthetic import SyntheticConfig, generate_crm, latest_monday
from leadscore.training.config import TrainingConfig, load_training_config


def new_api_key() -> str:
    """A fresh key for one demo run: a published default key would open every demo."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class DemoSettings:
    data: Path  # where the synthetic CRM and its feature tables go
    declarations: Path = field(default_factory=declarations_dir)  # configs, feature sets
    customers: int = 20_000
    seed: int = 42
    port: int = 3000
    api_key: str = field(default_factory=new_api_key, repr=False)
    end: date = field(default_factory=lambda: latest_monday(date.today()))  # history ends

    @property
    def train_table(self) -> Path:
        return self.data / "features" / "train.parquet"

    @property
    def store_table(self) -> Path:
        return self.data / "features" / "store.parquet"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def config(self, kind: str) -> TrainingConfig:
        path = self.declarations / "training" / "configs" / f"{kind}.yaml"
        return load_training_config(path, source=self.data.resolve())


@dataclass
class DemoSummary:
    """What the steps found, for the closing table."""

    rows: dict[str, str] = field(default_factory=dict)
    conversion: dict[str, float] = field(default_factory=dict)
    nbo: dict[str, dict[str, float]] = field(default_factory=dict)
    promotions: list[str] = field(default_factory=list)
    champions: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    example: dict | None = None
    # the accepted data, loaded once by ``validate`` for the feature steps after it
    data: CanonicalData | None = field(default=None, repr=False)


def _loaded(settings: DemoSettings, summary: DemoSummary) -> CanonicalData:
    if summary.data is None:  # a step run on its own
        summary.data = require_loaded(load_source(canonical_source(settings.data)))
    return summary.data


def check_port_free(port: int) -> None:
    with socket.socket() as sock:
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            raise InputError(
                f"port {port} is in use (an earlier demo or service still running?): stop it "
                f"with Ctrl-C, or pass --port {port + 1}"
            ) from None


def generate(settings: DemoSettings, summary: DemoSummary) -> None:
    crm = generate_crm(
        SyntheticConfig(customers=settings.customers, seed=settings.seed, end=settings.end),
        settings.data,
    )
    summary.rows["synthetic CRM"] = (
        f"{crm.customers:,} customers, {crm.events:,} events, {crm.purchases:,} purchases "
        f"(oracle AUC {crm.oracle_auc:.3f})"
    )


def validate(settings: DemoSettings, summary: DemoSummary) -> None:
    result = load_source(canonical_source(settings.data))
    summary.data = require_loaded(result)
    read = sum(r.read for r in result.reports)
    rejected = sum(r.rejected for r in result.reports)
    summary.rows["validated"] = (
        f"{read:,} rows read, {read - rejected:,} accepted, {rejected:,} rejected"
    )


def build_training_table(settings: DemoSettings, summary: DemoSummary) -> None:
    config = settings.config("conversion")
    data = _loaded(settings, summary)
    feature_set = feature_set_of(config)
    table = build_table(config, data, feature_set)
    write_feature_table(table, settings.train_table)
    summary.rows["training table"] = (
        f"{len(table.frame):,} (lead, date) rows x {len(table.feature_names)} features "
        f"({feature_set.id})"
    )


def train_conversion(settings: DemoSettings, summary: DemoSummary) -> None:
    result = run_job(settings.config("conversion"), features_file=settings.train_table)
    evaluation = result.evaluation
    summary.conversion = {
        "leadscore": evaluation.metrics["roc_auc"],
        **{name: values["roc_auc"] for name, values in evaluation.baselines.items()},
        "ece": evaluation.metrics["ece"],
    }
    summary.warnings += evaluation.baseline_wins
    if evaluation.oracle:
        summary.conversion["oracle (ground truth)"] = evaluation.oracle["oracle_auc"]
        summary.conversion["model, oracle rows"] = evaluation.oracle["model_auc_same_rows"]


def train_nbo(settings: DemoSettings, summary: DemoSummary) -> None:
    result = run_job(settings.config("nbo"))
    summary.nbo = result.evaluation.rankings


def promote(settings: DemoSettings, summary: DemoSummary) -> None:
    for kind in ("conversion", "nbo"):
        name = settings.config(kind).model_name
        decision = promote_challenger(name)
        summary.promotions.append(decision.message)
        summary.champions[kind] = f"{name} v{tracking.aliases(name)[tracking.CHAMPION]}"


def build_store(settings: DemoSettings, summary: DemoSummary) -> None:
    data = _loaded(settings, summary)
    # the history reaches the latest Monday: the store is as of now, as the service scores
    as_of = max(pd.Timestamp.now(tz="UTC").floor("min"), data.events["ts"].max())
    feature_set = load_feature_set("nbo_v1", directory=settings.declarations / "features")
    table = build_feature_table(data, feature_set, as_of=[as_of])
    write_feature_table(table, settings.store_table)
    summary.rows["feature store"] = (
        f"{len(table.frame):,} known customers as of {as_of:%Y-%m-%d} ({settings.store_table})"
    )


def example_candidates(settings: DemoSettings, count: int = 50) -> list[str]:
    """The most recently active customers: leads worth a look today."""
    columns = ["customer_id", "days_since_last_activity"]
    store = pd.read_parquet(settings.store_table, columns=columns)
    recent = store.sort_values(columns[1], kind="stable")["customer_id"].head(count)
    return recent.astype(str).tolist()


def start_service(settings: DemoSettings, log: Path, env: dict[str, str]) -> subprocess.Popen:
    """``bentoml serve`` on the champions; its output goes to ``log``."""
    env = {
        **env,
        "LEADSCORE_API_KEYS": settings.api_key,
        "LEADSCORE_FEATURE_STORE": str(settings.store_table.resolve()),
    }
    handle = log.open("wb")
    return subprocess.Popen(
        serve_command(port=settings.port, host="127.0.0.1"),  # this machine only
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def wait_until_ready(settings: DemoSettings, process: subprocess.Popen, log: Path) -> None:
    deadline = time.time() + 180
    while time.time() < deadline:
        if process.poll() is not None:
            raise InputError(f"the service stopped while starting; see {log}")
        try:
            status = httpx.get(f"{settings.url}/model-status/", timeout=2)
            if status.status_code == 200 and status.json().get("ready"):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    raise InputError(f"the service did not become ready in 180 s; see {log}")


def score_example(settings: DemoSettings, candidates: list[str]) -> dict:
    """Scores the candidates over HTTP in German; returns the best-scored lead that gets
    offers (sales-ready leads with a product not yet owned), else the best-scored one."""
    response = httpx.post(
        f"{settings.url}/score",
        json={"leads": [{"customer_id": c} for c in candidates], "lang": "de", "top_k": 3},
        headers={"Authorization": f"Bearer {settings.api_key}"},
        timeout=60,
    )
    response.raise_for_status()
    results = response.json()
    return max(results, key=lambda r: (bool(r["next_best_offers"]), r["probability"]))


def curl_command(settings: DemoSettings, customer_id: str) -> str:
    return (
        f"curl -s {settings.url}/score -H 'Authorization: Bearer {settings.api_key}' \\\n"
        "    -H 'Content-Type: application/json' \\\n"
        f'    -d \'{{"leads": [{{"customer_id": "{customer_id}"}}], '
        '"lang": "de", "top_k": 3}\''
    )


STEPS = (
    ("generating the synthetic CRM", generate),
    ("validating it", validate),
    ("building the training table", build_training_table),
    ("training the conversion model", train_conversion),
    ("training the next-best-offer models", train_nbo),
    ("promoting through the gate", promote),
    ("building the feature store of known customers", build_store),
)
