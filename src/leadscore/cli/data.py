"""Commands on data: ``generate``, ``init``, ``validate``, ``load``, ``ingest``, ``features``.

Each command's declaration (its options, its help) and its body are one function. The
data stack (pandas, pyarrow, the leadscore modules that use them) is imported inside the
bodies, so that ``leadscore --help`` does not load it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadscore.cli.environment import dask_settings, history_end, utc, utc_or_now
from leadscore.cli.failing import exits_on_input_error, fail
from leadscore.cli.options import (
    DaskSchedulerOption,
    DaskWorkersOption,
    EndOption,
    NowOption,
    PartitionsOption,
    SourceArg,
)
from leadscore.cli.terminal import console, working
from leadscore.common.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from leadscore.cluster import DaskSettings

# the default of --suspicious-auc: leadscore.features.audit.DEFAULT_SUSPICIOUS_AUC (a test
# checks they agree; importing it here would load scikit-learn for --help)
SUSPICIOUS_AUC = 0.85


def feature_folders(given: Path | None) -> list[Path]:
    """Where feature sets are looked up: the folder given, else ./features, then the shipped."""
    from leadscore.common.declarations import feature_sets_dir

    return [given] if given is not None else [Path("features"), feature_sets_dir()]


@exits_on_input_error
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
    style: Annotated[
        str,
        typer.Option(
            help="canonical (Parquet tables, ground truth) or export-de: a German CRM's export "
            "(Kunden.csv in Latin-1 with ';', decimal commas, dd.mm.yyyy; activities as JSON "
            "lines) for `leadscore init`"
        ),
    ] = "canonical",
) -> None:
    """Write a synthetic B2B CRM in canonical layout, with ground truth beside it."""
    if style not in ("canonical", "export-de"):
        raise typer.BadParameter("use canonical or export-de", param_hint="--style")
    from pydantic import ValidationError

    from leadscore.synthetic import SyntheticConfig, generate_crm
    from leadscore.synthetic.config import InjectedChange, describe_change

    if out.exists() and any(out.iterdir()) and not force:
        fail(f"{out} already holds files; choose another --out, or pass --force to replace them")
    change = None if change_after is None else InjectedChange(after=change_after.date())
    try:
        config = SyntheticConfig(
            customers=customers, seed=seed, end=history_end(end), change=change
        )
    except ValidationError as exc:
        raise typer.BadParameter(
            exc.errors()[0]["msg"].removeprefix("Value error, "), param_hint="--change-after"
        ) from None
    if style == "export-de":
        from leadscore.synthetic.export_de import write_german_export

        with working(f"simulating {customers:,} leads until {config.end} ..."):
            export = write_german_export(config, out)
        console().print(
            f"wrote a German CRM export of {export.customers:,} customers ({export.converted:,} "
            f"with Abschluss 'ja') and {export.events:,} activities to [bold]{out}[/]; "
            f"next: leadscore init {out}"
        )
        return
    with working(f"simulating {customers:,} leads until {config.end} ..."):
        result = generate_crm(config, out)
    if change is not None:
        console().print(f"injected change {describe_change(change)}", highlight=False)
    console().print(
        f"wrote {result.customers:,} customers, {result.events:,} events and "
        f"{result.purchases:,} purchases to [bold]{out}[/]\n"
        f"ground truth: {result.truth_pairs:,} (customer, date) pairs, "
        f"{result.truth_positive_rate:.1%} convert within 30 days, "
        f"oracle AUC {result.oracle_auc:.3f} (in {out / 'ground_truth'})"
    )


@exits_on_input_error
def init(
    folder: Annotated[Path, typer.Argument(help="the folder holding your export files")],
    out: Annotated[
        Path | None, typer.Option(help="where to write the configs (default: FOLDER)")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="replace configs written before")] = False,
) -> None:
    """Guess a source config and a training config from a folder of exports.

    Reads CSV, JSON lines, JSON, Parquet and Excel (.xlsx) by their content, and writes
    source.yaml and training.yaml, each guess commented with what it rests on.
    """
    from leadscore.data.export_guess import guess_export
    from leadscore.data.guessed_config import source_yaml, training_yaml

    target = out or folder
    written = [target / "source.yaml", target / "training.yaml"]
    if any(p.exists() for p in written) and not force:
        fail(f"{target} holds a source.yaml or training.yaml; pass --force to replace them")
    guess = guess_export(folder)
    target.mkdir(parents=True, exist_ok=True)
    written[0].write_text(source_yaml(guess, target), encoding="utf-8")
    written[1].write_text(training_yaml(guess), encoding="utf-8")
    for table in guess.tables:
        console().print(f"{table.path.name}: {table.role or 'not mapped'}", highlight=False)
    console().print(
        f"wrote [bold]{written[0]}[/] and [bold]{written[1]}[/]; check the guesses, then: "
        f"leadscore validate {written[0]}",
        highlight=False,
    )


@exits_on_input_error
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
    from leadscore.cli.reports import print_load_result
    from leadscore.data.guessing import number_notes
    from leadscore.data.loading import load_source, write_quarantine
    from leadscore.data.problems import write_problems
    from leadscore.data.source_config import resolve_source
    from leadscore.features.coverage import coverage_notes
    from leadscore.features.definitions import load_feature_set

    config = resolve_source(source)
    definition = load_feature_set(feature_set, directory=feature_folders(None))
    with working(f"validating {source} ..."):
        result = load_source(config, now=utc(now))
    print_load_result(result, console())
    if result.data is not None:
        for note in number_notes(result.data.source, result.data.table):
            console().print(f"note: {note}", highlight=False)
        for note in coverage_notes(result.data.events, definition):
            console().print(f"note: {note}", highlight=False)
    if report is not None:
        write_problems(result.problems, report)
        console().print(f"all {len(result.problems):,} problems written to {report}")
    if quarantine is not None:
        for path in write_quarantine(result, quarantine):
            console().print(f"rejected rows: {path}")
    if not result.ok:
        over = "; tables over their rejection limit: " + ", ".join(
            r.table for r in result.over_limit
        )
        fail(
            f"{len(result.problems):,} problem(s) in {source}; see the list above"
            + (over if result.over_limit else "")
        )
    console().print(f"[green]valid:[/] {source}")


@exits_on_input_error
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
    if out is None:
        ingest(source=source, quarantine=Path("quarantine"), now=now)
        return
    from leadscore.cli.reports import print_load_result
    from leadscore.data.loading import (
        load_source,
        require_loaded,
        write_canonical,
        write_quarantine,
    )
    from leadscore.data.source_config import resolve_source

    result = load_source(resolve_source(source), now=utc(now))
    print_load_result(result, console())
    paths = write_quarantine(result, out / "quarantine")
    try:
        data = require_loaded(result)
    except InputError as exc:  # the quarantine is written: say where
        raise InputError(
            f"{exc}\nnothing loaded; rejected rows with reasons in {out / 'quarantine'}"
        ) from exc
    write_canonical(data, out)
    rejected = sum(r.rejected for r in result.reports)
    console().print(
        f"accepted rows written to [bold]{out}[/]; {rejected:,} rejected rows with reasons in "
        f"{', '.join(str(p) for p in paths) or '-'}"
    )


@exits_on_input_error
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
    from leadscore.cli.reports import print_load_result, print_store_load
    from leadscore.data.loading import load_source, require_loaded, write_quarantine
    from leadscore.data.source_config import resolve_source
    from leadscore.store.loading import put_canonical
    from leadscore.store.store import Store

    moment = utc_or_now(now)
    store = Store.open()
    known = store.created_at(store.customer_ids())
    result = load_source(
        resolve_source(source, customers_required=False), now=moment, known_customers=known
    )
    print_load_result(result, console())
    paths = write_quarantine(result, quarantine)
    try:
        data = require_loaded(result)
        with console().status(f"writing to the store at {store.url}"):
            loaded = put_canonical(store, data, now=moment)
    except InputError as exc:  # the quarantine is written: say where
        raise InputError(
            f"{exc}\nnothing loaded; rejected rows with reasons in {quarantine}"
        ) from exc
    for name, frame in loaded.unknown_customers.items():
        path = quarantine / f"{name}.unknown_customers.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(path, index=False)
        paths.append(path)
    print_store_load(loaded, store.url, console())
    rejected = sum(r.rejected for r in result.reports) + loaded.refused
    console().print(
        f"{rejected:,} rejected rows with reasons in {', '.join(str(p) for p in paths) or '-'}"
    )


@exits_on_input_error
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
    if spine not in ("auto", "snapshots", "creation"):
        raise typer.BadParameter("use auto, snapshots or creation", param_hint="--spine")
    if out.suffix != ".parquet":
        fail(f"{out}: the feature table is written as Parquet; name it *.parquet")
    if not as_of and not label and now is not None:
        as_of = [now]  # one meaning of 'now': the scoring table is built as of it
    folders = feature_folders(features_dir)
    settings = dask_settings(dask_scheduler, dask_workers, partitions)
    if settings is not None:
        _features_on_dask(
            source,
            out,
            settings,
            feature_set=feature_set,
            folders=folders,
            as_of=[utc(d) for d in as_of or []],
            horizon_days=horizon_days if label else None,
            spine=spine,
        )
        return
    from leadscore.cli.reports import print_feature_table
    from leadscore.data.loading import load_source, require_loaded
    from leadscore.data.source_config import resolve_source
    from leadscore.features.coverage import coverage_notes
    from leadscore.features.definitions import load_feature_set
    from leadscore.features.training_set import build_feature_table, write_feature_table

    definition = load_feature_set(feature_set, directory=folders)
    result = load_source(resolve_source(source), now=utc(now))
    data = require_loaded(result)
    for note in coverage_notes(data.events, definition):
        console().print(f"note: {note}", highlight=False)
    with working(f"building {definition.id} features ..."):
        table = build_feature_table(
            data,
            definition,
            as_of=[utc(d) for d in as_of or []],
            horizon_days=horizon_days if label else None,
            suspicious_auc=suspicious_auc,
            spine_kind=spine,
        )
    rejected = sum(r.rejected for r in result.reports)
    if rejected:
        console().print(
            f"[yellow]{rejected:,} rejected input rows left out[/] (leadscore validate)"
        )
    paths = write_feature_table(table, out)
    print_feature_table(table, paths, console())


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
    import time

    import pyarrow.parquet as pq

    from leadscore.cluster import dask_client, partition_count
    from leadscore.features.definitions import load_feature_set
    from leadscore.features.on_dask import (
        build_feature_table_dask,
        read_canonical,
        write_feature_table_dask,
    )

    started = time.perf_counter()
    definition = load_feature_set(feature_set, directory=folders)
    tables = read_canonical(source)
    with dask_client(settings) as client, console().status("building features on Dask ..."):
        table = build_feature_table_dask(
            tables,
            definition,
            partitions=partition_count(settings, client),
            as_of=as_of,
            horizon_days=horizon_days,
            spine_kind=spine,
        )
        write_feature_table_dask(table, out)
    files = sorted(out.glob("*.parquet"))
    rows = sum(pq.read_metadata(f).num_rows for f in files)
    console().print(
        f"{definition.id}: {rows:,} rows x {len(table.features)} features in {len(files)} "
        f"partition file(s) under [bold]{out}[/] ({time.perf_counter() - started:.1f} s)"
    )
