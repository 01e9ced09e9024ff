"""The ``leadscore`` command line: the typer app, ``--version``, and which commands it has.

The commands live in one module per thing they act on (data, models, scores, the
service, monitoring, the demo), each declaring its options beside its body. Those modules
import the heavy libraries (pandas, LightGBM, MLflow) inside the bodies, so that
``leadscore --help`` and ``--version`` answer at once. Exit codes are in
``leadscore.cli.failing``.
"""

from __future__ import annotations

import os
from importlib import metadata
from typing import Annotated

import typer

from leadscore.cli import alerts, crm, data, demo, fairs, models, monitoring, scores, service
from leadscore.cli.environment import apply_project_file
from leadscore.cli.failing import fail
from leadscore.common.errors import InputError

app = typer.Typer(
    name="leadscore",
    help="Lead scoring and next-best-offer models with plain-language explanations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# in the order --help lists them: the path from data to a served model
app.command()(data.generate)
app.command()(data.init)
app.command()(data.validate)
app.command()(data.load)
app.command()(data.ingest)
app.command()(scores.rescore)
app.command()(data.features)
app.command()(models.train)
app.command()(models.promote)
app.command()(models.models)
app.command()(scores.score)
app.command()(service.serve)
app.command()(monitoring.monitor)
app.add_typer(alerts.app, name="alerts")
app.command("workspace-user")(service.workspace_user)
app.command("fair-import")(fairs.fair_import)
app.command()(demo.demo)
app.add_typer(crm.app, name="crm")


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
    try:  # a project's leadscore.yaml names its models and stores for every command
        apply_project_file(os.environ)
    except InputError as exc:
        fail(str(exc))


def main() -> None:
    """Run the command line (for ``python -m`` and scripts that call it)."""
    app()
