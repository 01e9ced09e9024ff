"""What each ``leadscore`` command does (``leadscore.cli`` declares them and their options).

Each function takes the command's options as keywords, prints for a person, and exits with
1 and a message naming the problem when the input is bad.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from leadscore import demo as steps
from leadscore import tracking
from leadscore.cli.reports import (
    print_demo_summary,
    print_feature_table,
    print_load_result,
    print_monitor_report,
    print_store_load,
    print_training_result,
)
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
from leadscore.data.problems import write_problems
from leadscore.data.source_config import resolve_source
from leadscore.decisions.alerts import load_alert_config
from leadscore.features.coverage import coverage_notes
from leadscore.features.definitions import load_feature_set
from leadscore.features.on_dask import (
    build_feature_table_dask,
    read_canonical,
    write_feature_table_dask,
)
from leadscore.features.training_set import build_feature_table, write_feature_table
from leadscore.jobs.monitor import load_monitor_config, log_report
from leadscore.jobs.monitor import monitor as run_monitor
from leadscore.jobs.promotion import pin_version, promote_challenger, roll_back
from leadscore.jobs.run import run_job
from leadscore.scoring.batch import score_file, score_on_dask
from leadscore.scoring.champions import load_champions
from leadscore.scoring.rescore import rescore_store
from leadscore.serving.command import serve_command
from leadscore.serving.keys import api_keys
from leadscore.serving.settings import ENVIRONMENT, ServiceSettings
from leadscore.serving.webhooks import webhook_secret
from leadscore.store.database import DATABASE_URL_VARIABLE, database_url
from leadscore.store.loading import put_canonical
from leadscore.store.store import Store
from leadscore.synthetic import SyntheticConfig, generate_crm, latest_monday
from leadscore.synthetic.config import InjectedChange, describe_change
from leadscore.training.config import load_training_config
from leadscore.workspace.users import put_user

# the exit code of a promotion the gate refused: the input was fine, the challenger is not
GATE_REFUSED = 3
ALERTS_VARIABLE = ENVIRONMENT["alerts"]

console = Console(soft_wrap=True)
err_console = Console(stderr=True)


def _dask_settings(
    scheduler: str | None, workers: int, partitions: int | None
) -> DaskSettings | None:
    """Dask settings when either option asks for Dask, else None (one machine, pandas)."""
    if scheduler is None and workers == 0:
        return None
    return DaskSettings(scheduler=scheduler, workers=max(workers, 1), partitions=partitions)


@contextmanager
def _working(message: str) -> Iterator[None]:
    """A spinner on a terminal; in a log (no terminal), a line when the step starts and
    one when it ends, with the time it took."""
    if console.is_terminal:
        with console.status(message):
            yield
        return
    started = time.perf_counter()
    console.print(f"{datetime.now():%H:%M:%S} {message}", highlight=False)
    yield
    console.print(
        f"{datetime.now():%H:%M:%S} done in {time.perf_counter() - started:.1f} s",
        highlight=False,
    )


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code=1)


def _now(now: datetime | None) -> pd.Timestamp | None:
    if now is None:
        return None
    return to_utc(now)


def _history_end(end: datetime | None) -> date:
    day = latest_monday(date.today()) if end is None else end.date()
    if day.weekday() != 0:
        raise typer.BadParameter(f"{day} is a {day:%A}; give a Monday", param_hint="--end")
    return day


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


def _default_config(kind: StrEnum) -> Path:
    """training/configs/<kind>.yaml in the working directory, else the shipped one."""
    local = Path("training") / "configs" / f"{kind.value}.yaml"
    return in_working_dir_or_shipped(local, training_config(kind.value))


# shorter keys can be guessed or are placeholders ("change-me")
MIN_KEY_LENGTH = 16


def _weak_keys(keys: set[str]) -> str | None:
    """Why the service must not start with these API keys, or None."""
    make = "python3 -c 'import secrets; print(secrets.token_urlsafe(24))'"
    if not keys:
        return (
            "no API keys: set LEADSCORE_API_KEYS (comma-separated) or LEADSCORE_API_KEYS_FILE "
            f"(one per line) before serving, e.g. export LEADSCORE_API_KEYS=$({make})"
        )
    short = [k for k in keys if len(k) < MIN_KEY_LENGTH]
    if short:
        return (
            f"{len(short)} API key(s) shorter than {MIN_KEY_LENGTH} characters; make keys "
            f"with {make}"
        )
    return None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def generate(
    *,
    out: Path,
    customers: int,
    seed: int,
    end: datetime | None,
    force: bool,
    change_after: datetime | None = None,
) -> None:
    """The body of ``leadscore generate``."""
    if out.exists() and any(out.iterdir()) and not force:
        _fail(f"{out} already holds files; choose another --out, or pass --force to replace them")
    change = None if change_after is None else InjectedChange(after=change_after.date())
    try:
        config = SyntheticConfig(
            customers=customers, seed=seed, end=_history_end(end), change=change
        )
    except ValidationError as exc:
        raise typer.BadParameter(
            exc.errors()[0]["msg"].removeprefix("Value error, "), param_hint="--change-after"
        ) from None
    with _working(f"simulating {customers:,} leads until {config.end} ..."):
        result = generate_crm(config, out)
    if change is not None:
        console.print(f"injected change {describe_change(change)}", highlight=False)
    console.print(
        f"wrote {result.customers:,} customers, {result.events:,} events and "
        f"{result.purchases:,} purchases to [bold]{out}[/]\n"
        f"ground truth: {result.truth_pairs:,} (customer, date) pairs, "
        f"{result.truth_positive_rate:.1%} convert within 30 days, "
        f"oracle AUC {result.oracle_auc:.3f} (in {out / 'ground_truth'})"
    )


def validate(
    *,
    source: Path,
    report: Path | None,
    quarantine: Path | None,
    now: datetime | None,
    feature_set: str,
) -> None:
    """The body of ``leadscore validate``."""
    try:
        config = resolve_source(source)
        definition = load_feature_set(feature_set, directory=_feature_folders(None))
        with _working(f"validating {source} ..."):
            result = load_source(config, now=_now(now))
    except InputError as exc:
        _fail(str(exc))
    print_load_result(result, console)
    if result.data is not None:
        for note in coverage_notes(result.data.events, definition):
            console.print(f"note: {note}", highlight=False)
    if report is not None:
        write_problems(result.problems, report)
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


def load(
    *,
    source: Path,
    out: Path | None,
    now: datetime | None,
) -> None:
    """The body of ``leadscore load``."""
    if out is None:
        ingest(source=source, quarantine=Path("quarantine"), now=now)
        return
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


def ingest(*, source: Path, quarantine: Path, now: datetime | None) -> None:
    """The body of ``leadscore ingest`` (and of ``leadscore load`` into the store)."""
    moment = _now(now) or pd.Timestamp.now(tz="UTC")
    try:
        store = Store.open()
        known = store.created_at(store.customer_ids())
        result = load_source(
            resolve_source(source, customers_required=False), now=moment, known_customers=known
        )
    except InputError as exc:
        _fail(str(exc))
    print_load_result(result, console)
    paths = write_quarantine(result, quarantine)
    try:
        data = require_loaded(result)
        with console.status(f"writing to the store at {store.url}"):
            loaded = put_canonical(store, data, now=moment)
    except InputError as exc:
        _fail(f"{exc}\nnothing loaded; rejected rows with reasons in {quarantine}")
    for name, frame in loaded.unknown_customers.items():
        path = quarantine / f"{name}.unknown_customers.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)
        paths.append(path)
    print_store_load(loaded, store.url, console)
    rejected = sum(r.rejected for r in result.reports) + loaded.refused
    console.print(
        f"{rejected:,} rejected rows with reasons in {', '.join(str(p) for p in paths) or '-'}"
    )


def _existing_store() -> str:
    """The store's URL; an InputError saying how to fill it where its file is missing."""
    url = database_url()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise InputError(
            f"no store at {url.removeprefix('sqlite:///')}: load the leads first "
            f"(leadscore load SOURCE), or set {DATABASE_URL_VARIABLE}"
        )
    return url


def _alert_rules(env: Mapping[str, str]) -> Path | None:
    """The alert rules of whatever scores into the store: ``LEADSCORE_ALERTS``, else an
    alerts.yaml in the working directory, else none."""
    given = env.get(ALERTS_VARIABLE, "").strip()
    if given:
        return Path(given)
    return Path("alerts.yaml").resolve() if Path("alerts.yaml").exists() else None


def rescore(*, as_of: datetime | None, conversion_model: str, batch_size: int) -> None:
    """The body of ``leadscore rescore``: with the alert rules the service applies, so
    that the nightly job's rises and grades reach the CRM (the service delivers them)."""
    moment = _now(as_of) or pd.Timestamp.now(tz="UTC")
    try:
        url = _existing_store()
        rules = _alert_rules(os.environ)
        alerts = None if rules is None else load_alert_config(rules)
        scorer, versions = load_champions(
            conversion_model, None, None, database_url=url, alerts=alerts
        )
        live = scorer.require_live()
        total = live.store.count("customers")
        with Progress(console=console) as progress:
            task = progress.add_task("rescoring", total=total)
            done = rescore_store(
                live,
                now=moment,
                batch_size=batch_size,
                advance=lambda n: progress.advance(task, n),
            )
    except InputError as exc:
        _fail(str(exc))
    console.print(
        f"rescored {done.leads:,} leads as of {moment:%Y-%m-%d %H:%M} UTC with "
        f"{conversion_model} v{versions['conversion']} into the score log of "
        f"{live.store.url}"
    )
    if rules is not None:
        console.print(
            f"alert rules from {rules}: {done.alerts:,} new alerts in the outbox (the "
            "service delivers them)"
        )


def features(
    *,
    source: Path,
    out: Path,
    as_of: list[datetime] | None,
    feature_set: str,
    features_dir: Path | None,
    label: bool,
    horizon_days: int,
    suspicious_auc: float,
    spine: str,
    now: datetime | None,
    dask_scheduler: str | None,
    dask_workers: int,
    partitions: int | None,
) -> None:
    """The body of ``leadscore features``."""
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
        with _working(f"building {definition.id} features ..."):
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


def train(
    *,
    kind: StrEnum,
    config: Path | None,
    source: Path | None,
    features_file: Path | None,
    dask_scheduler: str | None,
    dask_workers: int,
    partitions: int | None,
) -> None:
    """The body of ``leadscore train``."""
    path = config or _default_config(kind)
    dask = _dask_settings(dask_scheduler, dask_workers, partitions)
    try:
        settings = load_training_config(
            path, source=None if source is None else source.resolve(), dask=dask
        )
        if settings.dask is not None and kind.value != "conversion":
            _fail(
                "only the conversion model trains on Dask; "
                "the next-best-offer job runs on one machine"
            )
        if settings.model != kind.value:
            _fail(f"{path} configures a '{settings.model}' model, not '{kind.value}'")
        with _working(f"training the {kind.value} model ..."):
            result = run_job(settings, features_file=features_file)
    except InputError as exc:
        _fail(str(exc))
    print_training_result(result, console)


def promote(
    *,
    kind: StrEnum,
    config: Path | None,
    rollback: bool,
    auc_tolerance: float,
    version: str | None = None,
) -> None:
    """The body of ``leadscore promote``."""
    if rollback and version is not None:
        raise typer.BadParameter("give --rollback or --version, not both", param_hint="--version")
    path = config or _default_config(kind)
    try:
        name = load_training_config(path).model_name
        if version is not None:
            decision = pin_version(name, version, by=_who())
        elif rollback:
            decision = roll_back(name)
        else:
            decision = promote_challenger(name, auc_tolerance)
    except InputError as exc:
        _fail(str(exc))
    console.print(decision.message, highlight=False)
    if not decision.promoted:
        raise typer.Exit(code=GATE_REFUSED)


def _who() -> str:
    """Who runs the command, for the registry's record of a pinned champion."""
    try:
        return os.getlogin()
    except OSError:
        return os.environ.get("USER") or os.environ.get("USERNAME") or f"uid {os.getuid()}"


# the metrics ``leadscore models`` shows, by model kind: run metric -> column
SHOWN_METRICS = {
    "conversion": {"test_roc_auc": "AUC", "test_pr_auc": "PR AUC", "test_brier": "Brier"},
    "nbo": {
        "products_model_hit_rate_at_3": "products hit@3",
        "nurture_model_hit_rate_at_3": "nurture hit@3",
        "test_dr_value": "DR value",  # learnt from offers made
    },
}


def models(*, kind: StrEnum | None, config: Path | None, kinds: list[StrEnum]) -> None:
    """The body of ``leadscore models``."""
    wanted = [kind] if kind is not None else kinds
    try:
        for each in wanted:
            settings = load_training_config(config or _default_config(each))
            versions = tracking.model_versions(settings.model_name)
            console.print(_versions_table(settings.model_name, each.value, versions))
    except InputError as exc:
        _fail(str(exc))


def _versions_table(name: str, kind: str, versions: list[tracking.VersionSummary]) -> Table:
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


def score(
    *,
    input_file: Path,
    out: Path,
    lang: str,
    top_k: int,
    conversion_model: str,
    nbo_model: str,
    batch_size: int,
    dask_scheduler: str | None,
    dask_workers: int,
) -> None:
    """The body of ``leadscore score``."""
    if lang not in ("de", "en"):
        raise typer.BadParameter("use de or en", param_hint="--lang")
    settings = _dask_settings(dask_scheduler, dask_workers, None)
    try:
        if not input_file.exists():
            raise InputError(f"{input_file}: no such feature table")
        scorer, versions = load_champions(conversion_model or None, nbo_model or None, None)
        with Progress(console=console) as progress:
            task = progress.add_task("scoring", total=None)

            def advance(rows: int) -> None:
                progress.advance(task, rows)

            if settings is None:
                frame = pd.read_parquet(input_file)
                progress.update(task, total=len(frame))
                rows = score_file(
                    scorer.pure,
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
                        scorer.pure,
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
    models = ", ".join(f"{kind} model v{version}" for kind, version in versions.items())
    console.print(f"scored {rows:,} leads with the champion {models} into {out}")


def monitor(
    *,
    as_of: datetime | None,
    days: int | None,
    config: Path | None,
    conversion_model: str,
    log: bool,
) -> None:
    """The body of ``leadscore monitor``."""
    moment = _now(as_of) or pd.Timestamp.now(tz="UTC")
    try:
        url = _existing_store()
        if config is None and Path("monitoring.yaml").exists():
            config = Path("monitoring.yaml")
        settings = load_monitor_config(config)
        if days is not None:
            settings = settings.model_copy(update={"period_days": days})
        with _working("monitoring the champion"):
            report = run_monitor(
                Store.open(url), model_name=conversion_model, now=moment, config=settings
            )
        logged = log_report(report) if log else None
    except InputError as exc:
        _fail(str(exc))
    print_monitor_report(report, console, logged_run=logged)


def workspace_user(
    *, name: str, users_file: Path, display_name: str | None, password_stdin: bool
) -> None:
    """The body of ``leadscore workspace-user``."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        new = put_user(users_file, name, password, display_name=display_name)
    except InputError as exc:
        _fail(str(exc))
    console.print(
        f"{'added' if new else 'changed the password of'} {name} in {users_file}: sign in at "
        "/workspace of the service (`leadscore serve`)"
    )


def serve(
    *,
    port: int,
    feature_store: Path | None,
    host: str,
) -> None:
    """The body of ``leadscore serve``: checks there is a champion, then runs ``bentoml
    serve`` in its own process group and hands it SIGTERM and SIGINT, so a supervisor's
    stop ends the server and its workers (in-flight requests finish) and frees the port."""
    env = dict(os.environ)
    refusal = _weak_keys(api_keys(env))
    if refusal is not None:
        _fail(refusal)
    if feature_store is not None:
        if not feature_store.exists():
            _fail(f"{feature_store}: no such feature table (build it with leadscore features)")
        env["LEADSCORE_FEATURE_STORE"] = str(feature_store.resolve())
    env.setdefault("MLFLOW_TRACKING_URI", tracking.default_tracking_uri())
    if feature_store is None:  # known customers come from the store, as of each request
        url = database_url(env)
        if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
            console.print(
                f"note: no store at {url.removeprefix('sqlite:///')}: known customers cannot "
                "be looked up (load them with `leadscore load SOURCE`, or set "
                f"{DATABASE_URL_VARIABLE}); full records are scored"
            )
        else:
            env[DATABASE_URL_VARIABLE] = url
            rules = _alert_rules(env)
            if rules is not None and ALERTS_VARIABLE not in env:
                env[ALERTS_VARIABLE] = str(rules)
                console.print("alert rules from alerts.yaml: their webhooks go out from the store")
    env.setdefault("LEADSCORE_WORKSPACE_USERS", str(Path("workspace_users.yaml").resolve()))
    try:  # the models the service will load, named as the service reads them
        settings = ServiceSettings.from_environment(env)
    except InputError as exc:
        _fail(str(exc))
    if settings.alerts is not None:  # the service would refuse them: say so before it starts
        try:
            webhook_secret(load_alert_config(settings.alerts).webhook, env)
        except InputError as exc:
            _fail(str(exc))
    missing = tracking.missing_champion(settings.conversion_model)
    if missing is not None:
        _fail(f"nothing to serve: {missing}")
    for name in (settings.conversion_model, settings.nbo_model):
        broken = tracking.broken_champion(name) if name else None
        if broken is not None:  # the service would refuse it too: say so before it starts
            _fail(
                f"the champion of {name} cannot be served: {broken}; move the champion "
                "alias to a good version (leadscore promote --rollback, or --version N)"
            )
    process = subprocess.Popen(serve_command(port=port, host=host), env=env, start_new_session=True)

    def forward(signum: int, _frame: object) -> None:
        # to BentoML's server alone: it stops its workers gracefully (requests in flight
        # finish); a worker signalled twice, by the group and by its server, would quit
        # at once and cut them off
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    code = process.wait()
    with contextlib.suppress(ProcessLookupError):  # nothing of it outlives it
        os.killpg(process.pid, signal.SIGKILL)
    raise typer.Exit(code)


def demo(
    *,
    data: Path,
    customers: int,
    port: int,
    serve: bool,
    end: datetime | None,
) -> None:
    """The body of ``leadscore demo``."""
    keys = [k for k in os.environ.get("LEADSCORE_API_KEYS", "").split(",") if k.strip()]
    settings = steps.DemoSettings(
        data=data,
        customers=customers,
        port=port,
        api_key=keys[0].strip() if keys else steps.new_api_key(),
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
            progress.update(task, description="serving, replaying the last days live")
            process = steps.start_service(settings, log, env)
            steps.wait_until_ready(settings, process, log)
            active = steps.replay(settings, summary)
            summary.example, summary.risen = steps.score_examples(settings, active)
            progress.update(task, description="monitoring the champion")
            steps.monitor_champion(settings, summary)
            customer = summary.example["customer_id"]
            progress.advance(task)
        print_demo_summary(
            summary,
            console,
            seconds=time.perf_counter() - started,
            tracking_uri=env["MLFLOW_TRACKING_URI"],
            curl=steps.curl_command(settings, customer),
        )
        console.print(
            f"\n[bold]sales workspace: {settings.url}/workspace[/] - sign in as "
            f"{settings.workspace_user} with the password {settings.workspace_password} "
            f"(new each run; add users with `leadscore workspace-user NAME`)",
            highlight=False,
        )
        if serve:
            console.print(
                f"\n[bold]serving on {settings.url}[/] (this machine only; API docs at "
                f"{settings.url}/docs, log in {log}); API key of this run: {settings.api_key} "
                "(set LEADSCORE_API_KEYS to choose one); Ctrl-C stops it",
                highlight=False,
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
