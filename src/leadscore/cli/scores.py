"""Commands that score: ``score`` (a feature table, in batch) and ``rescore`` (every lead
in the store, into the score log).

Each command's declaration and its body are one function; the models and the data stack
are imported inside the bodies, so that ``leadscore --help`` does not load them.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from leadscore.cli.environment import alert_rules, dask_settings, existing_store, utc_or_now
from leadscore.cli.failing import exits_on_input_error
from leadscore.cli.options import (
    DaskSchedulerOption,
    DaskWorkersOption,
    ModelNameOption,
    NBOModelOption,
)
from leadscore.cli.terminal import console


@exits_on_input_error
def rescore(
    as_of: Annotated[
        datetime | None,
        typer.Option(help="score as of this UTC moment (default: now), e.g. for a backfill"),
    ] = None,
    model: ModelNameOption = None,
    batch_size: Annotated[int, typer.Option(min=1)] = 2000,
) -> None:
    """Score every lead in the store (that had come in by --as-of) with the champion into
    the score log (the nightly job): what the trends and alerts compare with."""
    # with the alert rules the service applies, so that the nightly job's rises and
    # grades reach the CRM (the service delivers them)
    from rich.progress import Progress

    from leadscore.common.project import conversion_model
    from leadscore.decisions.alerts import load_alert_config
    from leadscore.scoring.champions import load_champions
    from leadscore.scoring.rescore import rescore_store

    name = conversion_model(model, os.environ)
    moment = utc_or_now(as_of)
    url = existing_store()
    rules = alert_rules(os.environ)
    alerts = None if rules is None else load_alert_config(rules)
    scorer, versions = load_champions(name, None, None, database_url=url, alerts=alerts)
    live = scorer.require_live()
    total = live.store.count("customers")
    with Progress(console=console()) as progress:
        task = progress.add_task("rescoring", total=total)
        done = rescore_store(
            live,
            now=moment,
            batch_size=batch_size,
            advance=lambda n: progress.advance(task, n),
        )
    console().print(
        f"rescored {done.leads:,} leads as of {moment:%Y-%m-%d %H:%M} UTC with "
        f"{name} v{versions['conversion']} into the score log of "
        f"{live.store.url}"
    )
    if rules is not None:
        console().print(
            f"alert rules from {rules}: {done.alerts:,} new alerts in the outbox (the "
            "service delivers them)"
        )


@exits_on_input_error
def score(
    input_file: Annotated[
        Path,
        typer.Option(
            "--input", exists=True, help="feature table (.parquet) from 'leadscore features'"
        ),
    ],
    out: Annotated[Path, typer.Option(help="results, one JSON object per lead (.jsonl)")],
    lang: Annotated[str, typer.Option(help="language of the reasons: de or en")] = "en",
    top_k: Annotated[int, typer.Option(min=0, max=50, help="reasons per lead")] = 5,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "--conversion-model",
            help="registered conversion model (default: leadscore.yaml's, else "
            "leadscore-conversion; '' for none: the next-best-offer model ranks offers alone)",
        ),
    ] = None,
    nbo: NBOModelOption = None,
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
    import pandas as pd
    from rich.progress import Progress

    from leadscore.cluster import dask_client
    from leadscore.common.project import conversion_model, nbo_model
    from leadscore.scoring.batch import score_file, score_on_dask
    from leadscore.scoring.champions import load_champions

    settings = dask_settings(dask_scheduler, dask_workers, None)
    conversion = conversion_model(model, os.environ) if model != "" else None
    offers = nbo_model(nbo, os.environ)
    scorer, versions = load_champions(conversion, offers or None, None)
    with Progress(console=console()) as progress:
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
    models = ", ".join(f"{kind} model v{version}" for kind, version in versions.items())
    console().print(f"scored {rows:,} leads with the champion {models} into {out}")
