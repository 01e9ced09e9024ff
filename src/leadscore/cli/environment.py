"""What the commands read from their environment: moments given on the command line, the
store's URL, the alert rules, the CRM write-back config, Dask settings.

The variables' names and their parsing belong to the layers that read them
(``leadscore.store.database``, ``leadscore.serving``); this module only applies the
command line's defaults on top. Heavy modules are imported inside the functions, so that
importing the command line stays light (``leadscore --help``).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from leadscore.common.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from leadscore.cluster import DaskSettings
    from leadscore.common.project import ProjectFile

SQLITE = "sqlite:///"


def utc(moment: datetime | None) -> pd.Timestamp | None:
    """A moment given on the command line (naive: UTC) as a UTC timestamp; None stays."""
    if moment is None:
        return None
    from leadscore.common.time import to_utc

    return to_utc(moment)


def utc_or_now(moment: datetime | None) -> pd.Timestamp:
    """The moment given, else now, in UTC."""
    import pandas as pd

    return utc(moment) or pd.Timestamp.now(tz="UTC")


def history_end(end: datetime | None) -> date:
    """The Monday a synthetic history ends: the one given (--end), else the latest."""
    from leadscore.synthetic import latest_monday

    day = latest_monday(date.today()) if end is None else end.date()
    if day.weekday() != 0:
        raise typer.BadParameter(f"{day} is a {day:%A}; give a Monday", param_hint="--end")
    return day


def dask_settings(
    scheduler: str | None, workers: int, partitions: int | None
) -> DaskSettings | None:
    """Dask settings when either option asks for Dask, else None (one machine, pandas)."""
    if scheduler is None and workers == 0:
        return None
    from leadscore.cluster import DaskSettings

    return DaskSettings(scheduler=scheduler, workers=max(workers, 1), partitions=partitions)


def missing_store_file(url: str) -> str | None:
    """The file of a SQLite store that does not exist yet, as the URL names it, else None
    (it does, or the store is a server's, which a command cannot check without connecting)."""
    if not url.startswith(SQLITE):
        return None
    path = url.removeprefix(SQLITE)
    return None if Path(path).exists() else path


def existing_store(environ: Mapping[str, str] | None = None) -> str:
    """The store's URL; an InputError saying how to fill it where its file is missing
    (opening it would create an empty one, and the command would find no leads)."""
    from leadscore.store.database import DATABASE_URL_VARIABLE, database_url

    url = database_url(environ)
    missing = missing_store_file(url)
    if missing is not None:
        raise InputError(
            f"no store at {missing}: load the leads first "
            f"(leadscore load SOURCE), or set {DATABASE_URL_VARIABLE}"
        )
    return url


def apply_project_file(environ: MutableMapping[str, str]) -> Path | None:
    """Fill in what ``leadscore.yaml`` in the working directory names (models, store,
    tracking store) where ``environ`` lacks it; the file read, else None."""
    project = _project()
    if project is None:
        return None
    from leadscore.common.project import variables

    path, loaded = project
    environ.update(variables(loaded, environ))
    return path


def project_training_config(kind: str) -> Path | None:
    """The training config ``leadscore.yaml`` names for a model kind, else None."""
    project = _project()
    return None if project is None else project[1].training.get(kind)


def _project() -> tuple[Path, ProjectFile] | None:
    """``leadscore.yaml`` in the working directory and what it says, where there is one."""
    from leadscore.common.project import load_project, project_file

    path = project_file(Path.cwd())
    return None if path is None else (path, load_project(path))


def alerts_variable() -> str:
    """The variable the service reads its alert rules from (``LEADSCORE_ALERTS``)."""
    from leadscore.serving.settings import ENVIRONMENT

    return ENVIRONMENT["alerts"]


def alert_rules(environ: Mapping[str, str]) -> Path | None:
    """The alert rules of whatever scores into the store: ``LEADSCORE_ALERTS``, else an
    alerts.yaml in the working directory, else none."""
    given = environ.get(alerts_variable(), "").strip()
    if given:
        return Path(given)
    return Path("alerts.yaml").resolve() if Path("alerts.yaml").exists() else None


def crm_variable() -> str:
    """The variable the service reads its CRM write-back config from (``LEADSCORE_CRM``)."""
    from leadscore.serving.settings import ENVIRONMENT

    return ENVIRONMENT["crm"]


def crm_config_path(environ: Mapping[str, str]) -> Path | None:
    """The CRM write-back config: ``LEADSCORE_CRM``, else a crm.yaml in the working
    directory, else none."""
    given = environ.get(crm_variable(), "").strip()
    if given:
        return Path(given)
    return Path("crm.yaml").resolve() if Path("crm.yaml").exists() else None
