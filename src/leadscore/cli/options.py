"""Options and arguments that several commands share, declared once so that they read and
check the same everywhere."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

# exists=True: a missing file is a usage error before any command body imports the data
# stack (a typo costs no seconds of imports)
SourceArg = Annotated[
    Path,
    typer.Argument(exists=True, help="a directory in canonical layout or a source config (.yaml)"),
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
    Path | None,
    typer.Option(exists=True, dir_okay=False, help="training config naming the registered model"),
]

ModelNameOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        "--conversion-model",
        help="registered conversion model (default: leadscore.yaml's, else leadscore-conversion)",
    ),
]

NBOModelOption = Annotated[
    str | None,
    typer.Option(
        "--nbo-model",
        help="registered next-best-offer model (default: leadscore.yaml's, else "
        "leadscore-nbo; '' for none)",
    ),
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
