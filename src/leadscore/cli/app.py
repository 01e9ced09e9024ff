"""The ``leadscore`` command line. Exit codes: 0 success, 1 bad input, 2 usage error,
3 a promotion the gate refused.

This module declares the commands and their options only; what they do is in
``leadscore.cli.commands``, imported when a command runs, so that ``leadscore --help`` and
``--version`` answer at once instead of loading pandas, LightGBM and MLflow first.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer

app = typer.Typer(
    name="leadscore",
    help="Lead scoring and next-best-offer models with plain-language explanations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

SourceArg = Annotated[
    Path, typer.Argument(help="a directory in canonical layout or a source config (.yaml)")
]

NowOption = Annotated[
    datetime | None,
    typer.Option(help="treat this UTC moment as 'now' when checking for future timestamps"),
]

DaskSchedulerOption = Annotated[
    str | None,
    typer.Option(help="run on the Dask cluster of this scheduler (tcp://host:8786)"),
]

DaskWorkersOption = Annotated[
    int,
    typer.Option(min=0, help="run on a local Dask cluster of this many worker processes"),
]

PartitionsOption = Annotated[
    int | None, typer.Option(min=1, help="customer partitions (default: four per worker)")
]

ModelConfigOption = Annotated[
    Path | None, typer.Option(help="training config naming the registered model")
]
EndOption = Annotated[
    datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        help="a Monday where the history ends (default: the latest Monday, so it reaches today)",
    ),
]


class ModelKind(StrEnum):
    conversion = "conversion"
    nbo = "nbo"


# the default of --suspicious-auc: leadscore.features.audit.DEFAULT_SUSPICIOUS_AUC (a test
# checks they agree; importing it here would load scikit-learn for --help)
SUSPICIOUS_AUC = 0.85


def _commands() -> ModuleType:
    import leadscore.cli.commands  # the heavy part, loaded when a command runs (see above)

    return leadscore.cli.commands


def _version(value: bool) -> None:
    if value:
        typer.echo(f"leadscore {metadata.version('leadscore')}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """Lead scoring and next-best-offer models with plain-language explanations."""


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="directory to write the synthetic CRM into")],
    customers: Annotated[int, typer.Option(min=100, help="number of leads")] = 10_000,
    seed: Annotated[
        int, typer.Option(min=0, help="random seed; same seed and end, same bytes")
    ] = 42,
    end: EndOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="overwrite a folder that already holds files")
    ] = False,
    change_after: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="from this day on the world changes (a new lead source, retail far more "
            "active, a lull), for `leadscore monitor` to find",
        ),
    ] = None,
) -> None:
    """Write a synthetic B2B CRM in canonical layout, with ground truth beside it."""
    _commands().generate(
        out=out, customers=customers, seed=seed, end=end, force=force, change_after=change_after
    )


@app.command()
def validate(
    source: SourceArg,
    report: Annotated[
        Path | None, typer.Option(help="write every problem, one per row, to this CSV file")
    ] = None,
    quarantine: Annotated[
        Path | None, typer.Option(help="write rejected rows with their reasons to this directory")
    ] = None,
    now: NowOption = None,
    feature_set: Annotated[
        str,
        typer.Option(help="say which event types and features of this feature set the data feeds"),
    ] = "conversion_v1",
) -> None:
    """Check a source and report every problem; exit 1 if there is any.

    Exits 1 too when a table rejects more than its max_rejected_share of rows.
    """
    _commands().validate(
        source=source, report=report, quarantine=quarantine, now=now, feature_set=feature_set
    )


@app.command()
def load(
    source: SourceArg,
    out: Annotated[
        Path | None,
        typer.Option(
            help="directory for canonical Parquet tables instead of the store "
            "(LEADSCORE_DATABASE_URL, else leadscore.db here)"
        ),
    ] = None,
    now: NowOption = None,
) -> None:
    """Load a source into the store (or, with --out, into canonical Parquet tables).

    Rejected rows go to quarantine/ (OUT/quarantine with --out). Loading again adds only
    what the store lacks. Exits 1, writing only the quarantine, when a table cannot be read
    or rejects more than its max_rejected_share of rows (default 5 %).
    """
    _commands().load(source=source, out=out, now=now)


@app.command()
def ingest(
    source: SourceArg,
    quarantine: Annotated[
        Path, typer.Option(help="folder for the rejected rows, with reasons")
    ] = Path("quarantine"),
    now: NowOption = None,
) -> None:
    """Append a day's export to the store, validated as files are, idempotently.

    Rows the store holds already are counted, not added twice (by event_id where given,
    else by content), so an export ingested again adds nothing. Events of a customer in
    neither the export nor the store are refused and listed.
    """
    _commands().ingest(source=source, quarantine=quarantine, now=now)


@app.command()
def rescore(
    as_of: Annotated[
        datetime | None,
        typer.Option(help="score as of this UTC moment (default: now), e.g. for a backfill"),
    ] = None,
    conversion_model: Annotated[str, typer.Option(help="registered model")] = (
        "leadscore-conversion"
    ),
    batch_size: Annotated[int, typer.Option(min=1)] = 2000,
) -> None:
    """Score every lead in the store with the champion into the score log (the nightly
    job): what the trends and alerts compare with."""
    _commands().rescore(as_of=as_of, conversion_model=conversion_model, batch_size=batch_size)


@app.command()
def features(
    source: SourceArg,
    out: Annotated[Path, typer.Option(help="feature table to write (.parquet)")],
    as_of: Annotated[
        list[datetime] | None,
        typer.Option(help="build features as of this UTC moment; repeat for several"),
    ] = None,
    feature_set: Annotated[
        str, typer.Option(help="feature set id in --features-dir, or a path to its YAML")
    ] = "conversion_v1",
    features_dir: Annotated[
        Path | None,
        typer.Option(help="folder of feature sets (default: ./features, else the shipped ones)"),
    ] = None,
    label: Annotated[
        bool,
        typer.Option(
            "--label/--no-label",
            help="add the label 'converted in (as_of, as_of + horizon]' and audit for leakage",
        ),
    ] = False,
    horizon_days: Annotated[int, typer.Option(min=1, help="label horizon in days")] = 30,
    suspicious_auc: Annotated[
        float, typer.Option(min=0.5, max=1.0, help="flag features with a higher single AUC")
    ] = SUSPICIOUS_AUC,
    spine: Annotated[
        str,
        typer.Option(
            help="auto | snapshots | creation: periodic snapshots, or one row per lead at its "
            "creation (auto: creation when the source has no events)"
        ),
    ] = "auto",
    now: NowOption = None,
    dask_scheduler: DaskSchedulerOption = None,
    dask_workers: DaskWorkersOption = 0,
    partitions: PartitionsOption = None,
) -> None:
    """Build a feature table: as of now for scoring, or a labelled training set (--label).

    With --dask-scheduler or --dask-workers, SOURCE must be a canonical Parquet directory
    and OUT becomes a folder of Parquet parts, one per customer partition.
    """
    _commands().features(
        source=source,
        out=out,
        as_of=as_of,
        feature_set=feature_set,
        features_dir=features_dir,
        label=label,
        horizon_days=horizon_days,
        suspicious_auc=suspicious_auc,
        spine=spine,
        now=now,
        dask_scheduler=dask_scheduler,
        dask_workers=dask_workers,
        partitions=partitions,
    )


@app.command()
def train(
    kind: Annotated[ModelKind, typer.Argument(help="which model to train")],
    config: Annotated[
        Path | None,
        typer.Option(
            help="training config (default: ./training/configs/<kind>.yaml, else the shipped one)"
        ),
    ] = None,
    source: Annotated[
        Path | None, typer.Option(help="data source, overriding the config's 'source'")
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
    _commands().train(
        kind=kind,
        config=config,
        source=source,
        features_file=features_file,
        dask_scheduler=dask_scheduler,
        dask_workers=dask_workers,
        partitions=partitions,
    )


@app.command()
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
    _commands().promote(
        kind=kind,
        config=config,
        rollback=rollback,
        auc_tolerance=auc_tolerance,
        version=version,
    )


@app.command()
def models(
    kind: Annotated[
        ModelKind | None, typer.Argument(help="one model's versions (default: both)")
    ] = None,
    config: ModelConfigOption = None,
) -> None:
    """List the registered versions, newest first: aliases, when, key metrics, pins."""
    _commands().models(kind=kind, config=config, kinds=list(ModelKind))


@app.command()
def score(
    input_file: Annotated[
        Path, typer.Option("--input", help="feature table (.parquet) from 'leadscore features'")
    ],
    out: Annotated[Path, typer.Option(help="results, one JSON object per lead (.jsonl)")],
    lang: Annotated[str, typer.Option(help="language of the reasons: de or en")] = "en",
    top_k: Annotated[int, typer.Option(min=0, max=50, help="reasons per lead")] = 5,
    conversion_model: Annotated[
        str,
        typer.Option(
            help="registered model ('' for none: the next-best-offer model ranks offers alone)"
        ),
    ] = "leadscore-conversion",
    nbo_model: Annotated[
        str, typer.Option(help="registered model ('' for none)")
    ] = "leadscore-nbo",
    batch_size: Annotated[int, typer.Option(min=1)] = 1000,
    dask_scheduler: DaskSchedulerOption = None,
    dask_workers: DaskWorkersOption = 0,
) -> None:
    """Score a feature table in batch with the champion models: scores, reasons, offers.

    With --dask-scheduler or --dask-workers, INPUT may be a folder of Parquet parts and
    OUT is a folder that gets one part-NNNNN.jsonl per input partition.
    """
    _commands().score(
        input_file=input_file,
        out=out,
        lang=lang,
        top_k=top_k,
        conversion_model=conversion_model,
        nbo_model=nbo_model,
        batch_size=batch_size,
        dask_scheduler=dask_scheduler,
        dask_workers=dask_workers,
    )


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="HTTP port")] = 3000,
    feature_store: Annotated[
        Path | None, typer.Option(help="feature table of known customers (as of now)")
    ] = None,
    host: Annotated[
        str,
        typer.Option(help="interface to listen on (0.0.0.0: every one, for other machines)"),
    ] = "127.0.0.1",
) -> None:
    """Start the BentoML service on the champion models (Ctrl-C or SIGTERM stops it).

    Exits 1 at once when there is no champion to serve, saying where it looked.
    """
    _commands().serve(port=port, feature_store=feature_store, host=host)


@app.command()
def monitor(
    as_of: Annotated[
        datetime | None, typer.Option(help="the end of the period monitored (default: now), UTC")
    ] = None,
    days: Annotated[
        int | None, typer.Option(min=1, help="days monitored (default: config's)")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(help="monitoring config (default: monitoring.yaml here, if there is one)"),
    ] = None,
    conversion_model: Annotated[str, typer.Option(help="registered model")] = (
        "leadscore-conversion"
    ),
    log: Annotated[
        bool, typer.Option("--log/--no-log", help="log the HTML report to MLflow")
    ] = True,
) -> None:
    """Whether the champion still works, for whom, and when to retrain: drift, estimated
    and realised performance, fairness per segment, and a recommendation."""
    _commands().monitor(
        as_of=as_of, days=days, config=config, conversion_model=conversion_model, log=log
    )


@app.command("workspace-user")
def workspace_user(
    name: Annotated[str, typer.Argument(help="the user's sign-in name")],
    users_file: Annotated[
        Path,
        typer.Option(help="the users file the service reads", envvar="LEADSCORE_WORKSPACE_USERS"),
    ] = Path("workspace_users.yaml"),
    display_name: Annotated[str | None, typer.Option(help="shown on the pages")] = None,
    password_stdin: Annotated[
        bool, typer.Option(help="read the password from standard input, not a prompt")
    ] = False,
) -> None:
    """Add a user of the sales workspace (/workspace), or give one a new password.

    The file holds a scrypt hash of the password, never the password itself.
    """
    _commands().workspace_user(
        name=name, users_file=users_file, display_name=display_name, password_stdin=password_stdin
    )


@app.command()
def demo(
    data: Annotated[Path, typer.Option(help="folder for the synthetic CRM")] = Path("demo-data"),
    customers: Annotated[int, typer.Option(min=1000, help="number of leads")] = 20_000,
    port: Annotated[int, typer.Option(help="HTTP port of the service")] = 3000,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="keep serving until Ctrl-C")
    ] = True,
    end: EndOption = None,
) -> None:
    """The whole path on synthetic data, served, with one lead scored in German.

    Generates a CRM, validates it, builds features, trains and promotes both models,
    serves them and scores one lead with German reasons.
    """
    _commands().demo(data=data, customers=customers, port=port, serve=serve, end=end)


def main() -> None:
    app()
