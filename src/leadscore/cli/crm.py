"""``leadscore crm``: scores written back into the CRM records, from the command line.

``status`` says per destination of crm.yaml how far it has come through the score log,
what waits, what was refused for good and why; ``sync --once`` runs one pass of each
(useful after ``leadscore rescore``, where the service is not running). The service's
own thread does the same passes; claims keep the two from sending one batch twice.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from leadscore.cli.environment import crm_config_path, crm_variable, existing_store
from leadscore.cli.failing import exits_on_input_error, fail
from leadscore.cli.terminal import console

if TYPE_CHECKING:
    from leadscore.decisions.crm import CrmConfig

app = typer.Typer(
    help="Scores written back into the CRM records (crm.yaml).",
    no_args_is_help=True,
)


def _config() -> CrmConfig:
    from leadscore.decisions.crm import load_crm_config

    path = crm_config_path(os.environ)
    if path is None:
        fail(f"no CRM write-back config: write crm.yaml here, or set {crm_variable()}")
    return load_crm_config(path)


@app.command()
@exits_on_input_error
def status() -> None:
    """Per destination: the score log's seq it has handled through, the scores after it,
    those sent, those waiting to be retried, those dead, and the last error."""
    from rich.table import Table

    from leadscore.store import writeback
    from leadscore.store.store import Store

    config = _config()
    store = Store.open(existing_store())
    table = Table(
        "destination",
        "kind",
        "through seq",
        "backlog",
        "sent",
        "retrying",
        "dead",
        "next try",
        "last error",
    )
    kinds = {d.name: d.kind for d in config.destinations}
    for state in writeback.states(store, list(kinds)):
        table.add_row(
            state.destination,
            kinds[state.destination],
            str(state.through_seq),
            str(state.backlog),
            str(state.sent),
            str(state.waiting),
            str(state.dead),
            "" if state.next_attempt_at is None else state.next_attempt_at.isoformat(),
            state.last_error or "",
        )
    console().print(table)


@app.command()
@exits_on_input_error
def sync(
    once: Annotated[bool, typer.Option("--once", help="one pass of each destination")] = False,
    destination: Annotated[
        str | None, typer.Option(help="this destination of crm.yaml only")
    ] = None,
) -> None:
    """Write the scores logged since the last pass into the CRM records: one batch per
    destination with --once, else until nothing waits."""
    from leadscore.serving.writeback import writers_for
    from leadscore.store.store import Store

    config = _config()
    if destination is not None:
        config = config.model_copy(update={"destinations": [config.destination(destination)]})
    writers = writers_for(config, Store.open(existing_store()))
    for writer in writers:
        while True:
            report = writer.sync_once()
            name = report.destination
            line = f"{name}: sent {report.sent}, retrying {report.retry}, dead {report.dead}"
            if not report.claimed:
                line = f"{report.destination}: another pass holds it, or it waits after a refusal"
            elif report.refused is not None:
                line = (
                    f"{report.destination}: refused ({report.refused}); next try {report.retry_at}"
                )
            console().print(line, highlight=False)
            if once or not report.full or report.refused is not None or not report.claimed:
                break
