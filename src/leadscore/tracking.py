"""Everything that talks to MLflow: runs, artifacts, the registry and its aliases.

The embedded default is a SQLite store (``mlflow.db``) and an artifact folder
(``mlruns/``) in the working directory; ``MLFLOW_TRACKING_URI`` points at a server.
Models are logged as a pyfunc (the caller's ``python_model``) whose artifacts are
leadscore's own model files, so they load back natively with their categories and
calibration intact. This module depends on ``leadscore.common`` alone.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException

from leadscore.common.digests import verify_manifest, write_manifest
from leadscore.common.errors import InputError

CHALLENGER = "challenger"
CHAMPION = "champion"
HISTORY_TAG = "leadscore.champion_history"
FILES_TAG = "leadscore.files_sha256"  # a version's manifest digest (leadscore.common.digests)
MODEL_ARTIFACT = "leadscore_model"


def default_tracking_uri() -> str:
    return f"sqlite:///{Path.cwd() / 'mlflow.db'}"  # the embedded store, in the working dir


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()


@functools.cache
def _quiet_mlflow() -> None:
    """Once per process: MLflow's progress bars, logs, warnings and telemetry kept quiet."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # a CRM's data: no calls home
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="mlflow")


def _client() -> mlflow.MlflowClient:
    _quiet_mlflow()
    mlflow.set_tracking_uri(tracking_uri())  # the environment may point elsewhere by now
    return mlflow.MlflowClient()


def _experiment(client: mlflow.MlflowClient, name: str) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = None
    if "MLFLOW_TRACKING_URI" not in os.environ:
        location = (Path.cwd() / "mlruns").as_uri()
    return client.create_experiment(name, artifact_location=location)


@dataclass(frozen=True)
class RegisteredRun:
    run_id: str
    model_name: str
    version: str
    became_champion: bool
    experiment: str


@dataclass(frozen=True)
class RunRecord:
    """What a training job hands over to be logged."""

    kind: str
    model_dir: Path  # leadscore's own model files
    params: dict[str, object]
    metrics: dict[str, float]
    tags: dict[str, str]
    figures: dict[str, object]
    texts: dict[str, str]  # artifact path -> text (model card, audit)
    frames: dict[str, pd.DataFrame]  # artifact path -> table (test set for the gate)
    load_model: Callable[[Path], object]  # reads model_dir back (for other tools)
    run_name: str = ""  # what the MLflow UI lists: model, data and feature set apart


class LeadscorePyfunc(mlflow.pyfunc.PythonModel):
    """Generic pyfunc access for other tools; leadscore itself loads its files natively.

    ``load`` reads leadscore's model files (pickled by reference, with the model): this
    module knows MLflow, not the models. No signature on purpose: MLflow's schema
    enforcement refuses pandas categoricals, which LightGBM needs. The model encodes
    categories itself (text or categorical in, unseen values become missing), so it takes
    feature frames as they come.
    """

    # MLflow's own switch for models without type-hint schemas (it warns at every import
    # otherwise, "Add type hints to the `predict` method")
    _skip_type_hint_validation = True

    def __init__(self, load: Callable[[Path], object]) -> None:
        self.load = load

    def load_context(self, context):  # untyped: MLflow reads type hints as a schema
        self.model = self.load(Path(context.artifacts[MODEL_ARTIFACT]))

    def predict(self, context, model_input, params=None):
        return self.model.predict_frame(model_input)


def log_training_run(record: RunRecord, *, experiment: str, model_name: str) -> RegisteredRun:
    """Log a run with everything in ``record``, register the model as challenger (and as
    champion if there is none yet)."""
    client = _client()
    experiment_id = _experiment(client, experiment)
    with mlflow.start_run(
        experiment_id=experiment_id, run_name=record.run_name or record.kind
    ) as run:
        mlflow.log_params({k: _param(v) for k, v in record.params.items()})
        mlflow.log_metrics({k: float(v) for k, v in record.metrics.items() if v == v})
        mlflow.set_tags(record.tags)
        for name, figure in record.figures.items():
            mlflow.log_figure(figure, f"plots/{name}")
        for path, text in record.texts.items():
            mlflow.log_text(text, path)
        with tempfile.TemporaryDirectory() as tmp:
            for path, frame in record.frames.items():
                local = Path(tmp) / Path(path).name
                frame.to_parquet(local, index=False)
                mlflow.log_artifact(str(local), str(Path(path).parent))
            # MLflow keeps the folder's own name: give it a fixed one to find it again
            model_dir = Path(tmp) / MODEL_ARTIFACT
            shutil.copytree(record.model_dir, model_dir)
            files_digest = write_manifest(model_dir)
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=LeadscorePyfunc(record.load_model),
                artifacts={MODEL_ARTIFACT: str(model_dir)},
                pip_requirements=["leadscore", "lightgbm", "pandas", "numpy"],
                registered_model_name=model_name,
            )
    version = str(info.registered_model_version)
    client.set_model_version_tag(model_name, version, FILES_TAG, files_digest)
    client.set_registered_model_alias(model_name, CHALLENGER, version)
    became_champion = False
    if _alias_version(client, model_name, CHAMPION) is None:
        _set_champion(client, model_name, version)
        became_champion = True
    return RegisteredRun(run.info.run_id, model_name, version, became_champion, experiment)


MONITORS_TAG = "leadscore.monitors"
MONITORING_REPORT = "monitoring/report.html"
MONITORING_REPORTS = {"en": MONITORING_REPORT, "de": "monitoring/report.de.html"}


def log_monitoring_run(
    monitored_run_id: str, *, html: dict[str, str], metrics: dict[str, float], tags: dict[str, str]
) -> str:
    """A run in the monitored run's experiment's ``-monitoring`` one (tagged with its id)
    holding a report (``html``: in each of ``MONITORING_REPORTS``' languages); its id."""
    client = _client()
    training = client.get_run(monitored_run_id).info.experiment_id
    experiment_id = _experiment(client, _monitoring_experiment(client, training))
    with mlflow.start_run(experiment_id=experiment_id, run_name="monitor") as run:
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v == v})
        mlflow.set_tags({**tags, MONITORS_TAG: monitored_run_id})
        for lang, page in html.items():
            mlflow.log_text(page, MONITORING_REPORTS[lang])
    return run.info.run_id


def latest_monitoring(monitored_run_id: str) -> RunReport | None:
    """The newest monitoring run of ``monitored_run_id`` (its report not downloaded)."""
    client = _client()
    experiment_id = client.get_run(monitored_run_id).info.experiment_id
    monitoring = client.get_experiment_by_name(_monitoring_experiment(client, experiment_id))
    found = client.search_runs(  # older monitoring runs lie in the training experiment
        [experiment_id, *([monitoring.experiment_id] if monitoring else [])],
        filter_string=f"tags.`{MONITORS_TAG}` = '{monitored_run_id}'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    return _report(found[0], Path(found[0].info.artifact_uri)) if found else None


def _monitoring_experiment(client: mlflow.MlflowClient, training_experiment_id: str) -> str:
    # apart from the training runs, so that comparing models lists no monitoring runs
    return f"{client.get_experiment(training_experiment_id).name}-monitoring"


def monitoring_report(run_id: str, lang: str = "en") -> str:
    """A monitoring run's HTML report in ``lang``, else in English (older runs)."""
    _client()
    if lang != "en" and lang in MONITORING_REPORTS:
        with contextlib.suppress(MlflowException, OSError):
            return mlflow.artifacts.load_text(f"runs:/{run_id}/{MONITORING_REPORTS[lang]}")
    return mlflow.artifacts.load_text(f"runs:/{run_id}/{MONITORING_REPORT}")


def _param(value: object) -> str:
    text = str(value)
    return text if len(text) <= 500 else text[:497] + "..."


def _alias_version(client, model_name: str, alias: str) -> str | None:
    try:
        return str(client.get_model_version_by_alias(model_name, alias).version)
    except MlflowException as exc:  # no such model or alias: none; a registry down: say so
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise InputError(f"the model registry at {tracking_uri()} cannot be read: {exc}") from None


def _set_champion(client, model_name: str, version: str) -> None:
    client.set_registered_model_alias(model_name, CHAMPION, version)
    history = _history(client, model_name)
    client.set_registered_model_tag(model_name, HISTORY_TAG, ",".join([*history, version]))


def _history(client, model_name: str) -> list[str]:
    tags = client.get_registered_model(model_name).tags
    raw = tags.get(HISTORY_TAG, "")
    return [v for v in raw.split(",") if v]


@dataclass(frozen=True)
class ModelHandle:
    """A registered model version, downloaded: its files, run and metrics."""

    model_name: str
    version: str
    alias: str | None
    run_id: str
    directory: Path
    metrics: dict[str, float]


def fetch(model_name: str, alias: str, *, into: Path | None = None) -> ModelHandle:
    """Download the version behind ``alias`` (champion or challenger) with its model files."""
    client = _client()
    version = _alias_version(client, model_name, alias)
    if version is None:
        held = sorted(m.name for m in client.search_registered_models() if alias in m.aliases)
        raise InputError(
            f"no '{alias}' model registered as '{model_name}' in {tracking_uri()}; "
            + (
                f"it has {', '.join(held)}: name one with --model, or in leadscore.yaml"
                if held
                else "train one first (leadscore train)"
            )
        )
    return _fetch_version(client, model_name, version, alias, into)


@contextmanager
def fetched(model_name: str, alias: str) -> Iterator[ModelHandle]:
    """``fetch`` into a temporary folder that is removed on leaving the block: for callers
    that load the model into memory (a long-running service would otherwise leave a copy
    of every champion it loads behind)."""
    with tempfile.TemporaryDirectory(prefix="leadscore-model-") as folder:
        try:
            yield fetch(model_name, alias, into=Path(folder))
        except InputError as exc:  # a folder gone once this is left means nothing to a user
            said = str(exc).replace(folder, f"models:/{model_name}@{alias}")
            raise InputError(said) from None


def _fetch_version(client, model_name, version, alias, into) -> ModelHandle:
    meta = client.get_model_version(model_name, version)
    target = Path(into or tempfile.mkdtemp(prefix="leadscore-model-"))
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{model_name}/{version}", dst_path=str(target)
    )
    model_dir = Path(local) / "artifacts" / MODEL_ARTIFACT
    # checked here, before anything reads the files: see leadscore.common.digests
    verify_manifest(model_dir, expected=meta.tags.get(FILES_TAG))
    run = client.get_run(meta.run_id)
    return ModelHandle(model_name, version, alias, meta.run_id, model_dir, dict(run.data.metrics))


@dataclass(frozen=True)
class RunReport:
    """One training run as MLflow holds it: parameters, metrics, tags and its files."""

    run_id: str
    params: dict[str, str]
    metrics: dict[str, float]
    tags: dict[str, str]
    artifacts: Path  # plots/, model_card.md, evaluation/, leadscore_model/ ...


def read_run(run_id: str, *, into: Path | None = None) -> RunReport:
    """A run's record and a local copy of its artifacts (into ``into`` or a temp folder)."""
    client = _client()
    run = client.get_run(run_id)
    local = mlflow.artifacts.download_artifacts(
        run_id=run_id, artifact_path="", dst_path=None if into is None else str(into)
    )
    return _report(run, Path(local))


def _report(run: mlflow.entities.Run, artifacts: Path) -> RunReport:
    tags = {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")}
    return RunReport(
        run.info.run_id, dict(run.data.params), dict(run.data.metrics), tags, artifacts
    )


def download_run_table(run_id: str, path: str) -> pd.DataFrame:
    _client()
    with tempfile.TemporaryDirectory(prefix="leadscore-table-") as folder:
        local = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=path, dst_path=folder
        )
        return pd.read_parquet(local)


def missing_champion(model_name: str) -> str | None:
    """Why ``model_name`` has no champion to serve, or None when it has one.

    An embedded store (SQLite) that does not exist is reported as such, and not created:
    asking whether there is a model must not make an empty registry.
    """
    uri = tracking_uri()
    if uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///"))
        if not path.exists():
            return (
                f"no model registry at {path}: train a model first (leadscore train "
                "conversion, or leadscore demo), run from the folder that holds mlflow.db, "
                "or set MLFLOW_TRACKING_URI"
            )
    try:
        champion = aliases(model_name)[CHAMPION]
    except MlflowException as exc:
        return f"the registry at {uri} cannot be read: {exc}"
    if champion is None:
        return (
            f"{model_name} has no champion in {uri}: train one (leadscore train conversion) "
            "or promote a version (leadscore promote conversion)"
        )
    return None


def broken_champion(model_name: str) -> str | None:
    """Why the champion of ``model_name`` cannot be loaded (a file missing or not what
    training recorded), or None when its files check out or there is no champion."""
    if aliases(model_name)[CHAMPION] is None:
        return None
    try:
        with fetched(model_name, CHAMPION):
            return None
    except InputError as exc:
        return str(exc)


def aliases(model_name: str) -> dict[str, str | None]:
    client = _client()
    return {a: _alias_version(client, model_name, a) for a in (CHAMPION, CHALLENGER)}


PINNED_TAG = "leadscore.pinned"  # on a version made champion by hand, past the gate


@dataclass(frozen=True)
class VersionSummary:
    """One registered version, as ``leadscore models`` lists it."""

    version: str
    aliases: tuple[str, ...]
    created: pd.Timestamp
    run_id: str
    metrics: dict[str, float]
    pinned: str | None  # when and by whom it was pinned as champion, if it was


def model_versions(model_name: str) -> list[VersionSummary]:
    """Every version of ``model_name``, newest first, with its aliases and run metrics;
    an InputError when no model of that name is registered."""
    client = _client()
    try:
        versions = client.search_model_versions(f"name = '{model_name}'")
    except MlflowException as exc:
        raise InputError(f"the registry at {tracking_uri()} cannot be read: {exc}") from None
    if not versions:
        raise InputError(f"no model registered as '{model_name}' in {tracking_uri()}")
    # the search leaves aliases out: the registered model holds them, alias -> version
    held = client.get_registered_model(model_name).aliases
    out = []
    for meta in sorted(versions, key=lambda v: int(v.version), reverse=True):
        run = client.get_run(meta.run_id)
        out.append(
            VersionSummary(
                version=str(meta.version),
                aliases=tuple(sorted(a for a, v in held.items() if str(v) == str(meta.version))),
                created=pd.Timestamp(meta.creation_timestamp, unit="ms", tz="UTC"),
                run_id=meta.run_id,
                metrics=dict(run.data.metrics),
                pinned=meta.tags.get(PINNED_TAG),
            )
        )
    return out


def pin_champion(model_name: str, version: str, *, by: str) -> str | None:
    """Make ``version`` the champion without the gate, after checking its files, and
    record on the version when and by whom; returns the version it replaced."""
    client = _client()
    try:
        client.get_model_version(model_name, version)
    except MlflowException:
        raise InputError(
            f"'{model_name}' has no version {version}; `leadscore models` lists the versions"
        ) from None
    with tempfile.TemporaryDirectory(prefix="leadscore-model-") as folder:
        _fetch_version(client, model_name, version, None, Path(folder))
    before = _alias_version(client, model_name, CHAMPION)
    _set_champion(client, model_name, version)
    stamp = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d %H:%M UTC")
    client.set_model_version_tag(model_name, version, PINNED_TAG, f"{stamp} by {by}")
    return before


def move_champion(model_name: str, version: str) -> None:
    _set_champion(_client(), model_name, version)


def rollback_champion(model_name: str) -> tuple[str, str]:
    """Give the champion alias back to the version before the current one."""
    client = _client()
    history = _history(client, model_name)
    if len(history) < 2:
        raise InputError(
            f"'{model_name}' has no champion before v{history[-1] if history else '?'} to roll"
            " back to (a rollback goes back one promotion); pin a version with --version N"
        )
    current, previous = history[-1], history[-2]
    client.set_registered_model_alias(model_name, CHAMPION, previous)
    client.set_registered_model_tag(model_name, HISTORY_TAG, ",".join(history[:-1]))
    return current, previous
