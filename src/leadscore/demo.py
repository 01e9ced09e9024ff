"""``leadscore demo``: the whole path on the synthetic CRM, from nothing to a served model.

generate -> validate -> features -> train conversion and next-best-offer -> promote ->
fill the store (all but the last days) -> rescore into the score log -> start the service
-> replay the last days through its intake -> explained scores, one that rose and why.
Each step is a small function; ``DemoSteps`` runs them in order and keeps their results
for the summary. The CLI adds the progress display and the serving loop.
"""

from __future__ import annotations

import math
import secrets
import socket
import subprocess
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
import pandas as pd

from leadscore import tracking
from leadscore.common.declarations import declarations_dir
from leadscore.common.errors import InputError
from leadscore.common.processes import supervised_popen
from leadscore.data.loading import CanonicalData, load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.features.training_set import write_feature_table
from leadscore.jobs.inputs import build_table, feature_set_of
from leadscore.jobs.monitor import MonitorConfig, log_report, monitor
from leadscore.jobs.promotion import promote_challenger
from leadscore.jobs.run import run_job
from leadscore.scoring.champions import load_champions
from leadscore.scoring.rescore import rescore_store
from leadscore.serving.command import serve_command
from leadscore.store.database import database_url
from leadscore.store.loading import put_canonical
from leadscore.store.store import Store
from leadscore.synthetic import SyntheticConfig, generate_crm, latest_monday
from leadscore.synthetic.config import InjectedChange, describe_change
from leadscore.synthetic.people import REPS
from leadscore.training.config import TrainingConfig, load_training_config
from leadscore.workspace.users import put_user

REPLAY_DAYS = 3  # the CRM's last days come in live, through the service's intake
REPLAY_BATCH = 1_000


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
    # the store, where `leadscore serve` looks for it afterwards (the working directory)
    database: str = field(default_factory=database_url)
    # the sales workspace's demo user (its password is new each run, as the API key is)
    workspace_user: str = "demo"
    workspace_password: str = field(default_factory=new_api_key, repr=False)
    workspace_users: Path = Path("workspace_users.yaml")
    # the world changes this many weeks before the history ends (a new lead source, retail
    # far more active, a lull), so that monitoring has something to find; 0: no change
    change_weeks: int = 6

    @property
    def change(self) -> InjectedChange | None:
        if not self.change_weeks:
            return None
        return InjectedChange(after=self.end - timedelta(weeks=self.change_weeks))

    @property
    def train_table(self) -> Path:
        return self.data / "features" / "train.parquet"

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
    risen: dict | None = None  # the lead whose score rose most with the replayed days
    replay_from: pd.Timestamp | None = None
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
    config = SyntheticConfig(
        customers=settings.customers, seed=settings.seed, end=settings.end, change=settings.change
    )
    crm = generate_crm(config, settings.data)
    summary.rows["synthetic CRM"] = (
        f"{crm.customers:,} customers, {crm.events:,} events, {crm.purchases:,} purchases "
        f"(oracle AUC {crm.oracle_auc:.3f})"
    )
    if config.change is not None:
        summary.rows["injected change"] = describe_change(config.change)


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


def fill_store(settings: DemoSettings, summary: DemoSummary) -> None:
    """The CRM up to ``REPLAY_DAYS`` before its end into the store: the rest comes in live
    once the service runs (``replay``)."""
    data = _loaded(settings, summary)
    store = Store.open(settings.database)
    ours = set(data.customers["customer_id"].astype(str))
    stranger = next((c for c in store.customer_ids() if c not in ours), None)
    if stranger is not None:
        raise InputError(
            f"the store at {store.url} holds customers of another source ({stranger}, ...): "
            "the demo starts its store afresh, so run it in another folder, or point "
            "LEADSCORE_DATABASE_URL at another database"
        )
    store.clear()
    cutoff = data.events["ts"].max() - pd.Timedelta(days=REPLAY_DAYS)
    summary.replay_from = cutoff
    loaded = put_canonical(store, data.up_to(cutoff), now=cutoff)
    summary.rows["store"] = (
        f"{loaded.customers_added:,} customers, {loaded.appended['events'].added:,} events up to "
        f"{cutoff:%Y-%m-%d %H:%M} ({store.url})"
    )


def rescore(settings: DemoSettings, summary: DemoSummary) -> None:
    """The nightly job, a week before the store's history ends and as it ends: what trends
    compare with (the lead list's "since last week" needs a score a week old)."""
    scorer, _ = load_champions(
        settings.config("conversion").model_name, None, None, database_url=settings.database
    )
    live = scorer.require_live()
    week_before = summary.replay_from - pd.Timedelta(days=7)
    for moment in (week_before, summary.replay_from):
        done = rescore_store(live, now=moment, batch_size=2_000)
    summary.rows["score log"] = (
        f"{done.leads:,} leads rescored as of {week_before:%Y-%m-%d} and "
        f"{summary.replay_from:%Y-%m-%d}"
    )


def replay(settings: DemoSettings, summary: DemoSummary) -> list[str]:
    """The CRM's last ``REPLAY_DAYS`` days posted to the running service (new leads, then
    their events, in batches as a CRM would); the customers most active in them."""
    data = _loaded(settings, summary)
    cutoff = summary.replay_from
    headers = {"Authorization": f"Bearer {settings.api_key}"}
    leads = data.customers[data.customers["created_at"] > cutoff]
    events = data.events[data.events["ts"] > cutoff]
    posted = {"leads": 0, "events": 0}
    with httpx.Client(base_url=settings.url, headers=headers, timeout=60) as client:
        for key, frame in (("leads", _lead_items(leads)), ("events", event_items(events))):
            for start in range(0, len(frame), REPLAY_BATCH):
                batch = frame[start : start + REPLAY_BATCH]
                answer = client.post(f"/{key}", json={key: batch})
                if answer.status_code != 200:
                    raise InputError(f"POST /{key} refused the replay: {answer.text[:2000]}")
                posted[key] += answer.json()["added"]
    summary.rows["replayed"] = (
        f"{posted['leads']:,} new leads and {posted['events']:,} events of the last "
        f"{REPLAY_DAYS} days through POST /leads and POST /events"
    )
    active = events["customer_id"].astype(str).value_counts()
    return active.index[:50].tolist()


def monitor_champion(settings: DemoSettings, summary: DemoSummary) -> None:
    """`leadscore monitor` over the days since the nightly rescore, its report logged to
    MLflow, where the workspace's model page links it."""
    now = pd.Timestamp.now(tz="UTC")
    days = max(1, math.ceil((now - summary.replay_from) / pd.Timedelta(days=1)))
    report = monitor(
        Store.open(settings.database),
        model_name=settings.config("conversion").model_name,
        now=now,
        config=MonitorConfig(period_days=days),
    )
    log_report(report)
    summary.rows["monitoring"] = (
        f"{report.recommendation} (leadscore monitor --days {days}; the report is in MLflow "
        "and on the workspace's model page)"
    )


def _lead_items(customers: pd.DataFrame) -> list[dict]:
    items = []
    for row in customers.to_dict("records"):
        profile = {
            k: (v if isinstance(v, bool | int | float) else str(v))
            for k, v in row.items()
            if k not in ("customer_id", "created_at", "converted") and not pd.isna(v)
        }
        items.append(
            {
                "customer_id": str(row["customer_id"]),
                "created_at": row["created_at"].isoformat(),
                "profile": profile,
            }
        )
    return items


def event_items(events: pd.DataFrame) -> list[dict]:
    """Canonical events as ``POST /events`` items: JSON values, missing fields left out."""
    items = []
    for row in events.to_dict("records"):
        item = {k: v for k, v in row.items() if not pd.isna(v)}
        item["customer_id"] = str(item["customer_id"])
        item["ts"] = row["ts"].isoformat()
        items.append({k: (v if isinstance(v, float) else str(v)) for k, v in item.items()})
    return items


DEMO_REP = REPS["DACH Nord"][0]


def start_service(settings: DemoSettings, log: Path, env: dict[str, str]) -> subprocess.Popen:
    """``bentoml serve`` on the champions and the store; its output goes to ``log``.

    It runs in a process group of its own (stop it with ``stop_group``), and ends when
    this process does, even killed at once. Call this from the main thread: the server
    is told to stop when the thread that started it ends."""
    # the demo's rep is one of the synthetic CRM's owners, so "meine Leads" has leads;
    # no territories: the demo shows every lead
    put_user(
        settings.workspace_users,
        settings.workspace_user,
        settings.workspace_password,
        display_name=DEMO_REP,
        owner=DEMO_REP,
    )
    env = {
        **env,
        "LEADSCORE_API_KEYS": settings.api_key,
        "LEADSCORE_DATABASE_URL": settings.database,
        "LEADSCORE_WORKSPACE_USERS": str(settings.workspace_users.resolve()),
    }
    handle = log.open("wb")
    return supervised_popen(
        serve_command(port=settings.port, host="127.0.0.1"),  # this machine only
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


# how long a starting service may show no sign of progress (its log grows while it loads
# the models, migrates the store and starts its workers) before the demo gives up
STALLED_SECONDS = 300


def wait_until_ready(settings: DemoSettings, process: subprocess.Popen, log: Path) -> None:
    """Until the service answers ready, or stops, or its log has not grown for
    ``STALLED_SECONDS``: a machine under load may take long to start it, and no fixed
    deadline stops a start that is still making progress."""
    progressed, size = time.monotonic(), -1
    while time.monotonic() - progressed < STALLED_SECONDS:
        if process.poll() is not None:
            raise InputError(f"the service stopped while starting; see {log}")
        try:
            status = httpx.get(f"{settings.url}/model-status/", timeout=2)
            if status.status_code == 200 and status.json().get("ready"):
                return
        except (httpx.HTTPError, ValueError):
            pass
        grown = log.stat().st_size if log.exists() else 0
        if grown != size:
            progressed, size = time.monotonic(), grown
        time.sleep(0.5)
    raise InputError(
        f"the service showed no progress for {STALLED_SECONDS} s while starting; see {log}"
    )


def score_examples(settings: DemoSettings, candidates: list[str]) -> tuple[dict, dict | None]:
    """Scores the candidates over HTTP in German; returns the best-scored lead that gets
    offers (sales-ready leads with a product not yet owned), else the best-scored one, and
    the lead whose score rose most since the rescore (None where none rose)."""
    response = httpx.post(
        f"{settings.url}/score",
        json={"leads": [{"customer_id": c} for c in candidates], "lang": "de", "top_k": 3},
        headers={"Authorization": f"Bearer {settings.api_key}"},
        timeout=60,
    )
    response.raise_for_status()
    results = [r for r in response.json() if "score" in r]
    best = max(results, key=lambda r: (bool(r["next_best_offers"]), r["probability"]))
    rose = [r for r in results if r.get("trend") and (r["trend"]["delta"] or 0) > 0]
    risen = max(rose, key=lambda r: r["trend"]["delta"]) if rose else None
    return best, risen


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
    ("filling the store", fill_store),
    ("rescoring every lead into the score log", rescore),
)
