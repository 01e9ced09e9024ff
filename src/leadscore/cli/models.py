"""Commands on the registered models: ``train``, ``promote`` and ``models``.

Each command's declaration and its body are one function; MLflow, LightGBM and the jobs
are imported inside the bodies, so that ``leadscore --help`` does not load them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadscore.cli.environment import dask_settings
from leadscore.cli.failing import GATE_REFUSED, exits_on_input_error, fail
from leadscore.cli.options import (
    DaskSchedulerOption,
    DaskWorkersOption,
    ModelConfigOption,
    ModelKind,
    PartitionsOption,
)
from leadscore.cli.terminal import console, working

if TYPE_CHECKING:
    from rich.table import Table

    from leadscore.tracking import VersionSummary

# the metrics ``leadscore models`` shows, by model kind: run metric -> column
SHOWN_METRICS = {
    "conversion": {"test_roc_auc": "AUC", "test_pr_auc": "PR AUC", "test_brier": "Brier"},
    "nbo": {
        "products_model_hit_rate_at_3": "products hit@3",
        "nurture_model_hit_rate_at_3": "nurture hit@3",
        "test_dr_value": "DR value",  # learnt from offers made
    },
}


def default_config(kind: ModelKind) -> Path:
    """The training config leadscore.yaml names, else training/configs/<kind>.yaml in the
    working directory, else the shipped one."""
    from leadscore.cli.environment import project_training_config
    from leadscore.common.declarations import in_working_dir_or_shipped, training_config

    named = project_training_config(kind.value)
    if named is not None:
        return named
    local = Path("training") / "configs" / f"{kind.value}.yaml"
    return in_working_dir_or_shipped(local, training_config(kind.value))


@exits_on_input_error
def train(
    kind: Annotated[ModelKind, typer.Argument(help="which model to train")],
    config: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="training config (default: leadscore.yaml's, else "
            "./training/configs/<kind>.yaml, else the shipped one)",
        ),
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option(exists=True, help="data source, overriding the config's 'source'"),
    ] = None,
    feature_set: Annotated[
        str | None,
        typer.Option(
            help="feature set id or YAML path, overriding the config's 'feature_set' "
            "(ids are looked up in --features-dir, the config's features_dir, then the shipped)"
        ),
    ] = None,
    features_dir: Annotated[
        Path | None,
        typer.Option(
            exists=True, file_okay=False, help="folder of feature sets, overriding the config's"
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="registry name, overriding the config's registered_model"),
    ] = None,
    features_file: Annotated[
        Path | None,
        typer.Option("--features", help="a labelled feature table built by 'leadscore features'"),
    ] = None,
    dask_scheduler: DaskSchedulerOption = None,
    dask_workers: DaskWorkersOption = 0,
    partitions: PartitionsOption = None,
) -> None:
    """Train, evaluate against baselines, log to MLflow and register as challenger.

    With --dask-scheduler or --dask-workers (or 'dask' in the config) the conversion model
    trains with lightgbm.dask from a canonical Parquet source.
    """
    from leadscore.cli.reports import print_training_result
    from leadscore.jobs.run import run_job
    from leadscore.training.config import load_training_config

    path = config or default_config(kind)
    dask = dask_settings(dask_scheduler, dask_workers, partitions)
    settings = load_training_config(
        path,
        source=None if source is None else source.resolve(),
        feature_set=_resolved_if_file(feature_set),
        features_dir=None if features_dir is None else features_dir.resolve(),
        registered_model=model,
        dask=dask,
    )
    if settings.dask is not None and kind.value != "conversion":
        fail(
            "only the conversion model trains on Dask; the next-best-offer job runs on one machine"
        )
    if settings.model != kind.value:
        fail(f"{path} configures a '{settings.model}' model, not '{kind.value}'")
    with working(f"training the {kind.value} model ..."):
        result = run_job(settings, features_file=features_file)
    print_training_result(result, console())


def _resolved_if_file(feature_set: str | None) -> str | None:
    # a path given on the command line is the working directory's, not the config's
    if feature_set is None or not feature_set.endswith((".yaml", ".yml")):
        return feature_set
    return str(Path(feature_set).resolve())


@exits_on_input_error
def promote(
    kind: Annotated[ModelKind, typer.Argument(help="which model's champion to move")],
    config: ModelConfigOption = None,
    rollback: Annotated[
        bool, typer.Option("--rollback", help="give the champion alias back to the previous one")
    ] = False,
    auc_tolerance: Annotated[
        float, typer.Option(help="how much AUC the challenger may lose")
    ] = 0.002,
    version: Annotated[
        str | None,
        typer.Option(
            "--version",
            help="pin this version as champion, past the gate (recorded on the version)",
        ),
    ] = None,
) -> None:
    """Move 'champion' to the challenger if it beats the champion on the same test set.

    Exits 3 when the gate refuses the challenger. With --version N the champion moves to
    version N without the gate, after its files are checked; the registry records when
    and by whom on that version ('leadscore models' shows it).
    """
    if rollback and version is not None:
        raise typer.BadParameter("give --rollback or --version, not both", param_hint="--version")
    from leadscore.jobs.promotion import pin_version, promote_challenger, roll_back
    from leadscore.training.config import load_training_config

    path = config or default_config(kind)
    name = load_training_config(path).model_name
    if version is not None:
        decision = pin_version(name, version, by=_who())
    elif rollback:
        decision = roll_back(name)
    else:
        decision = promote_challenger(name, auc_tolerance)
    console().print(decision.message, highlight=False)
    if not decision.promoted:
        raise typer.Exit(code=GATE_REFUSED)


def _who() -> str:
    """Who runs the command, for the registry's record of a pinned champion."""
    try:
        return os.getlogin()
    except OSError:
        return os.environ.get("USER") or os.environ.get("USERNAME") or f"uid {os.getuid()}"


@exits_on_input_error
def models(
    kind: Annotated[
        ModelKind | None, typer.Argument(help="one model's versions (default: both)")
    ] = None,
    config: ModelConfigOption = None,
) -> None:
    """List the registered versions, newest first: aliases, when, key metrics, pins."""
    from leadscore import tracking
    from leadscore.training.config import load_training_config

    for each in [kind] if kind is not None else list(ModelKind):
        settings = load_training_config(config or default_config(each))
        versions = tracking.model_versions(settings.model_name)
        console().print(_versions_table(settings.model_name, each.value, versions))


def _versions_table(name: str, kind: str, versions: list[VersionSummary]) -> Table:
    from rich.table import Table

    from leadscore import tracking

    shown = {
        metric: label
        for metric, label in SHOWN_METRICS.get(kind, {}).items()
        if any(metric in v.metrics for v in versions)
    }
    table = Table(title=f"{name} in {tracking.tracking_uri()}", title_justify="left")
    table.add_column("version", no_wrap=True)
    table.add_column("aliases")
    table.add_column("registered (UTC)", no_wrap=True)
    for label in shown.values():
        table.add_column(label, justify="right", no_wrap=True)
    table.add_column("pinned")
    for v in versions:
        metrics = [f"{v.metrics[m]:.3f}" if m in v.metrics else "-" for m in shown]
        table.add_row(
            v.version,
            ", ".join(v.aliases) or "-",
            v.created.strftime("%Y-%m-%d %H:%M"),
            *metrics,
            v.pinned or "-",
        )
    return table
