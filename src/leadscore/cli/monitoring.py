"""The ``monitor`` command: whether the champion still works, for whom, and when to retrain.

Its declaration and its body are one function; the monitoring job (pandas, MLflow) is
imported inside the body, so that ``leadscore --help`` does not load it.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from leadscore.cli.environment import existing_store, utc_or_now
from leadscore.cli.failing import exits_on_input_error
from leadscore.cli.options import ModelNameOption
from leadscore.cli.terminal import console, working


@exits_on_input_error
def monitor(
    as_of: Annotated[
        datetime | None, typer.Option(help="the end of the period monitored (default: now), UTC")
    ] = None,
    days: Annotated[
        int | None, typer.Option(min=1, help="days monitored (default: config's)")
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="monitoring config (default: monitoring.yaml here, if there is one)",
        ),
    ] = None,
    model: ModelNameOption = None,
    log: Annotated[
        bool, typer.Option("--log/--no-log", help="log the HTML report to MLflow")
    ] = True,
) -> None:
    """Whether the champion still works, for whom, and when to retrain: drift, estimated
    and realised performance, fairness per segment, and a recommendation."""
    from leadscore.cli.reports import print_monitor_report
    from leadscore.common.project import conversion_model
    from leadscore.jobs.monitor import load_monitor_config, log_report
    from leadscore.jobs.monitor import monitor as run_monitor
    from leadscore.store.store import Store

    moment = utc_or_now(as_of)
    url = existing_store()
    if config is None and Path("monitoring.yaml").exists():
        config = Path("monitoring.yaml")
    settings = load_monitor_config(config)
    if days is not None:
        settings = settings.model_copy(update={"period_days": days})
    with working("monitoring the champion"):
        report = run_monitor(
            Store.open(url),
            model_name=conversion_model(model, os.environ),
            now=moment,
            config=settings,
        )
    logged = log_report(report) if log else None
    print_monitor_report(report, console(), logged_run=logged)
