"""The ``leadscore`` command line. Exit codes: 0 success, 1 bad input, 2 usage error."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from leadscore.errors import InputError
from leadscore.loading import load_source, require_loaded, write_canonical, write_quarantine
from leadscore.problems import problems_frame
from leadscore.reporting import print_load_result
from leadscore.source_config import resolve_source

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


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code=1)


def _now(now: datetime | None) -> pd.Timestamp | None:
    if now is None:
        return None
    stamp = pd.Timestamp(now)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="directory to write the synthetic CRM into")],
    customers: Annotated[int, typer.Option(min=100, help="number of leads")] = 10_000,
    seed: Annotated[int, typer.Option(min=0, help="random seed; same seed, same bytes")] = 42,
) -> None:
    """Write a synthetic B2B CRM in canonical layout, with ground truth beside it."""
    from leadscore.synthetic import SyntheticConfig, generate_crm

    with console.status(f"simulating {customers:,} leads ..."):
        result = generate_crm(SyntheticConfig(customers=customers, seed=seed), out)
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
) -> None:
    """Check a source and report every problem; exit 1 if there is any."""
    try:
        config = resolve_source(source)
    except InputError as exc:
        _fail(str(exc))
    with console.status(f"validating {source} ..."):
        result = load_source(config, now=_now(now))
    print_load_result(result, console)
    if report is not None:
        problems_frame(result.problems).to_csv(report, index=False)
        console.print(f"all {len(result.problems):,} problems written to {report}")
    if quarantine is not None:
        for path in write_quarantine(result, quarantine):
            console.print(f"rejected rows: {path}")
    if not result.ok:
        _fail(f"{len(result.problems):,} problem(s) in {source}; see the list above")
    console.print(f"[green]valid:[/] {source}")


@app.command()
def load(
    source: SourceArg,
    out: Annotated[Path, typer.Option(help="directory for the accepted canonical tables")],
    now: NowOption = None,
) -> None:
    """Load a source into canonical Parquet tables; rejected rows go to OUT/quarantine."""
    try:
        result = load_source(resolve_source(source), now=_now(now))
        data = require_loaded(result)
    except InputError as exc:
        _fail(str(exc))
    write_canonical(data, out)
    paths = write_quarantine(result, out / "quarantine")
    print_load_result(result, console)
    rejected = sum(r.rejected for r in result.reports)
    console.print(
        f"accepted rows written to [bold]{out}[/]; {rejected:,} rejected rows with reasons in "
        f"{', '.join(str(p) for p in paths) or '-'}"
    )


def main() -> None:
    app()
