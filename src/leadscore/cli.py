"""The ``leadscore`` command line. Exit codes: 0 success, 1 bad input, 2 usage error."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import pyarrow.parquet as pq
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from leadscore import demo as steps
from leadscore import tracking
from leadscore.cluster import DaskSettings, dask_client, partition_count
from leadscore.common.declarations import (
    feature_sets_dir,
    in_working_dir_or_shipped,
    training_config,
)
from leadscore.common.errors import InputError
from leadscore.common.time import to_utc
from leadscore.data.loading import (
    load_source,
    require_loaded,
    write_canonical,
    write_quarantine,
)
from leadscore.data.problems import problems_frame
from leadscore.data.source_config import resolve_source
from leadscore.features.audit import DEFAULT_SUSPICIOUS_AUC
from leadscore.features.coverage import coverage_notes
from leadscore.features.definitions import load_feature_set
from leadscore.features.on_dask import (
    build_feature_table_dask,
    read_canonical,
    write_feature_table_dask,
)
from leadscore.features.training_set import build_feature_table, write_feature_table
from leadscore.jobs.promotion import promote_challenger, roll_back
from leadscore.jobs.run import run_job
from leadscore.reporting import (
    print_demo_summary,
    print_feature_table,
    print_load_result,
    print_training_result,
)
from leadscore.scoring.batch import score_file, score_on_dask
from leadscore.scoring.champions import load_champions
from leadscore.serving.command import serve_command
from leadscore.synthetic import SyntheticConfig, generate_crm, latest_monday
from leadscore.training.config import load_training_config

app = typer.Typer(
    name="leadscore",
    help="Lead scoring and next-best-offer models with plain-language explanations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(soft_wrap=True)
err_console = Console(stderr=True)

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


def _dask_settings(
    scheduler: str | None, workers: int, partitions: int | None
) -> DaskSettings | None:
    """Dask settings when either option asks for Dask, else None (one machine, pandas)."""
    if scheduler is None and workers == 0:
        return None
    return DaskSettings(scheduler=scheduler, workers=max(workers, 1), partitions=partitions)


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code=1)


def _now(now: datetime | None) -> pd.Timestamp | None:
    if now is None:
        return None
    return to_utc(now)


EndOption = Annotated[
    datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        help="a Monday where the history ends (default: the latest Monday, so it reaches today)",
    ),
]


def _history_end(end: datetime | None) -> date:
    day = latest_monday(date.today()) if end is None else end.date()
    if day.weekday() != 0:
        raise typer.BadParameter(f"{day} is a {day:%A}; give a Monday", param_hint="--end")
    return day


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
) -> None:
    """Write a synthetic B2B CRM in canonical layout, with ground truth beside it."""
    if out.exists() and any(out.iterdir()) and not force:
        _fail(f"{out} already holds files; choose another --out, or pass --force to replace them")
    config = SyntheticConfig(customers=customers, seed=seed, end=_history_end(end))
    with console.status(f"simulating {customers:,} leads until {config.end} ..."):
        result = generate_crm(config, out)
    console.print(
        f"wrote {result.customers:,} customers, {result.events:,} events and "
        f"{result.purchases:,} purchases to [bold]{out}[/]\n"
        f"ground truth: {result.truth_pairs:,} (customer, date) pairs, "
        f"{result.truth_positive_rate:.1%} convert within 30 days, "
        f"oracle AUC {result.oracle_auc:.3f} (in {out / 'ground_truth'})"
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
    """Check a source and report every problem; exit 1 if there is any, or if a table
    rejects more than its max_rejected_share of rows."""
    try:
        config = resolve_source(source)
        definition = load_feature_set(feature_set, directory=_feature_folders(None))
        with console.status(f"validating {source} ..."):
            result = load_source(config, now=_now(now))
    except InputError as exc:
        _fail(str(exc))
    print_load_result(result, console)
    if result.data is not None:
        for note in coverage_notes(result.data.events, definition):
            console.print(f"note: {note}", highlight=False)
    if report is not None:
        problems_frame(result.problems).to_csv(report, index=False)
        console.print(f"all {len(result.problems):,} problems written to {report}")
    if quarantine is not None:
        for path in write_quarantine(result, quarantine):
            console.print(f"rejected rows: {path}")
    if not result.ok:
        over = "; tables over their rejection limit: " + ", ".join(
            r.table for r in result.over_limit
        )
        _fail(
            f"{len(result.problems):,} problem(s) in {source}; see the list above"
            + (over if result.over_limit else "")
        )
    console.print(f"[green]valid:[/] {source}")


@app.command()
def load(
    source: SourceArg,
    out: Annotated[Path, typer.Option(help="directory for the accepted canonical tables")],
    now: NowOption = None,
) -> None:
    """Load a source into canonical Parquet tables; rejected rows go to OUT/quarantine.

    Exits 1, writing only the quarantine, when a table cannot be read or rejects more than
    its max_rejected_share of rows (default 5 %).
    """
    try:
        result = load_source(resolve_source(source), now=_now(now))
    except InputError as exc:
        _fail(str(exc))
    print_load_result(result, console)
    paths = write_quarantine(result, out / "quarantine")
    try:
        data = require_loaded(result)
    except InputError as exc:
        _fail(f"{exc}\nnothing loaded; rejected rows with reasons in {out / 'quarantine'}")
    write_canonical(data, out)
    rejected = sum(r.rejected for r in result.reports)
    console.print(
        f"accepted rows written to [bold]{out}[/]; {rejected:,} rejected rows with reasons in "
        f"{', '.join(str(p) for p in paths) or '-'}"
    )


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
    ] = DEFAULT_SUSPICIOUS_AUC,
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
    if spine not in ("auto", "snapshots", "creation"):
        raise typer.BadParameter("use auto, snapshots or creation", param_hint="--spine")
    if out.suffix != ".parquet":
        _fail(f"{out}: the feature table is written as Parquet; name it *.parquet")
    if not as_of and not label and now is not None:
        as_of = [now]  # one meaning of 'now': the scoring table is built as of it
    folders = _feature_folders(features_dir)
    settings = _dask_settings(dask_scheduler, dask_workers, partitions)
    if settings is not None:
        _features_on_dask(
            source,
            out,
            settings,
            feature_set=feature_set,
            folders=folders,
            as_of=[_now(d) for d in as_of or []],
            horizon_days=horizon_days if label else None,
            spine=spine,
        )
        return
    try:
        definition = load_feature_set(feature_set, directory=folders)
        result = load_source(resolve_source(source), now=_now(now))
        data = require_loaded(result)
        for note in coverage_notes(data.events, definition):
            console.print(f"note: {note}", highlight=False)
        with console.status(f"building {definition.id} features ..."):
            table = build_feature_table(
                data,
                definition,
                as_of=[_now(d) for d in as_of or []],
                horizon_days=horizon_days if label else None,
                suspicious_auc=suspicious_auc,
                spine_kind=spine,
            )
    except InputError as exc:
        _fail(str(exc))
    rejected = sum(r.rejected for r in result.reports)
    if rejected:
        console.print(f"[yellow]{rejected:,} rejected input rows left out[/] (leadscore validate)")
    paths = write_feature_table(table, out)
    print_feature_table(table, paths, console)


def _features_on_dask(
    source: Path,
    out: Path,
    settings: DaskSettings,
    *,
    feature_set: str,
    folders: list[Path],
    as_of: list[pd.Timestamp | None],
    horizon_days: int | None,
    spine: str,
) -> None:
    started = time.perf_counter()
    try:
        definition = load_feature_set(feature_set, directory=folders)
        tables = read_canonical(source)
        with dask_client(settings) as client, console.status("building features on Dask ..."):
            table = build_feature_table_dask(
                tables,
                definition,
                partitions=partition_count(settings, client),
                as_of=as_of,
                horizon_days=horizon_days,
                spine_kind=spine,
            )
            write_feature_table_dask(table, out)
    except InputError as exc:
        _fail(str(exc))
    files = sorted(out.glob("*.parquet"))
    rows = sum(pq.read_metadata(f).num_rows for f in files)
    console.print(
        f"{definition.id}: {rows:,} rows x {len(table.features)} features in {len(files)} "
        f"partition file(s) under [bold]{out}[/] ({time.perf_counter() - started:.1f} s)"
    )


def _feature_folders(given: Path | None) -> list[Path]:
    """Where feature sets are looked up: the folder given, else ./features, then the shipped."""
    return [given] if given is not None else [Path("features"), feature_sets_dir()]


class ModelKind(StrEnum):
    conversion = "conversion"
    nbo = "nbo"


def _default_config(kind: ModelKind) -> Path:
    """training/configs/<kind>.yaml in the working directory, else the shipped one."""
    local = Path("training") / "configs" / f"{kind.value}.yaml"
    return in_working_dir_or_shipped(local, training_config(kind.value))


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
    path = config or _default_config(kind)
    dask = _dask_settings(dask_scheduler, dask_workers, partitions)
    try:
        settings = load_training_config(
            path, source=None if source is None else source.resolve(), dask=dask
        )
        if settings.dask is not None and kind is not ModelKind.conversion:
            _fail(
                "only the conversion model trains on Dask; "
                "the next-best-offer job runs on one machine"
            )
        if settings.model != kind.value:
            _fail(f"{path} configures a '{settings.model}' model, not '{kind.value}'")
        with console.status(f"training the {kind.value} model ..."):
            result = run_job(settings, features_file=features_file)
    except InputError as exc:
        _fail(str(exc))
    print_training_result(result, console)


@app.command()
def promote(
    kind: Annotated[ModelKind, typer.Argument(help="which model's champion to move")],
    config: Annotated[
        Path | None, typer.Option(help="training config naming the registered model")
    ] = None,
    rollback: Annotated[
        bool, typer.Option("--rollback", help="give the champion alias back to the previous one")
    ] = False,
    auc_tolerance: Annotated[
        float, typer.Option(help="how much AUC the challenger may lose")
    ] = 0.002,
) -> None:
    """Move 'champion' to the challenger if it beats the champion on the same test set."""
    path = config or _default_config(kind)
    try:
        name = load_training_config(path).model_name
        decision = roll_back(name) if rollback else promote_challenger(name, auc_tolerance)
    except InputError as exc:
        _fail(str(exc))
    console.print(decision.message, highlight=False)
    if not decision.promoted:
        raise typer.Exit(code=1)


@app.command()
def score(
    input_file: Annotated[
        Path, typer.Option("--input", help="feature table (.parquet) from 'leadscore features'")
    ],
    out: Annotated[Path, typer.Option(help="results, one JSON object per lead (.jsonl)")],
    lang: Annotated[str, typer.Option(help="language of the reasons: de or en")] = "en",
    top_k: Annotated[int, typer.Option(min=0, max=50, help="reasons per lead")] = 5,
    conversion_model: Annotated[
        str, typer.Option(help="registered model")
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
    if lang not in ("de", "en"):
        raise typer.BadParameter("use de or en", param_hint="--lang")
    settings = _dask_settings(dask_scheduler, dask_workers, None)
    try:
        if not input_file.exists():
            raise InputError(f"{input_file}: no such feature table")
        scorer, versions = load_champions(conversion_model, nbo_model or None, None)
        with Progress(console=console) as progress:
            task = progress.add_task("scoring", total=None)

            def advance(rows: int) -> None:
                progress.advance(task, rows)

            if settings is None:
                frame = pd.read_parquet(input_file)
                progress.update(task, total=len(frame))
                rows = score_file(
                    scorer,
                    frame,
                    out,
                    lang=lang,
                    top_k=top_k,
                    batch_size=batch_size,
                    advance=advance,
                )
            else:
                with dask_client(settings) as client:
                    rows, _ = score_on_dask(
                        scorer,
                        input_file,
                        out,
                        client,
                        lang=lang,
                        top_k=top_k,
                        batch_size=batch_size,
                        advance=advance,
                    )
    except InputError as exc:
        _fail(str(exc))
    console.print(f"scored {rows:,} leads with {versions} into {out}")


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="HTTP port")] = 3000,
    feature_store: Annotated[
        Path | None, typer.Option(help="feature table of known customers (as of now)")
    ] = None,
) -> None:
    """Start the BentoML service on the champion models (Ctrl-C stops it)."""
    env = dict(os.environ)
    if feature_store is not None:
        env["LEADSCORE_FEATURE_STORE"] = str(feature_store.resolve())
    env.setdefault("MLFLOW_TRACKING_URI", tracking.default_tracking_uri())
    raise typer.Exit(subprocess.call(serve_command(port=port), env=env))


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
    """The whole path on synthetic data: generate, validate, build features, train and
    promote both models, serve them and score one lead with German reasons."""
    keys = [k for k in os.environ.get("LEADSCORE_API_KEYS", "").split(",") if k.strip()]
    settings = steps.DemoSettings(
        data=data,
        customers=customers,
        port=port,
        api_key=keys[0].strip() if keys else steps.DEMO_KEY,
        end=_history_end(end),
    )
    summary = steps.DemoSummary()
    started = time.perf_counter()
    process = None
    log = data / "service.log"
    env = {**os.environ}
    env.setdefault("MLFLOW_TRACKING_URI", tracking.default_tracking_uri())
    try:
        steps.check_port_free(port)
        columns = (
            SpinnerColumn(),
            TextColumn("{task.description:<48}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("", total=len(steps.STEPS) + 1)
            for description, step in steps.STEPS:
                progress.update(task, description=description)
                step(settings, summary)
                progress.advance(task)
            progress.update(task, description="starting the service, scoring one lead")
            process = steps.start_service(settings, log, env)
            steps.wait_until_ready(settings, process, log)
            summary.example = steps.score_example(settings, steps.example_candidates(settings))
            customer = summary.example["customer_id"]
            progress.advance(task)
        print_demo_summary(
            summary,
            console,
            seconds=time.perf_counter() - started,
            tracking_uri=env["MLFLOW_TRACKING_URI"],
            curl=steps.curl_command(settings, customer),
        )
        if serve:
            console.print(
                f"\n[bold]serving on {settings.url}[/] (API docs at {settings.url}/docs, "
                f"log in {log}); Ctrl-C stops it"
            )
            signal.signal(signal.SIGTERM, _interrupt)  # stopped by a supervisor: the same
            process.wait()
    except InputError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        console.print("stopping the service ...")
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except Exception:
                process.kill()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> None:
    app()
