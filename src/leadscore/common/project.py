"""The project file, ``leadscore.yaml`` in the working directory: the names a project
would otherwise repeat on every command (its registered models, its store, its MLflow
tracking store, its training configs).

Every command reads it the same way, through the environment the service reads too:
a variable already set wins over the file, and an option given on the command line wins
over both. So ``leadscore serve``, ``score``, ``rescore`` and ``monitor`` serve a project's
own model without any option or variable once the file names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import Field

from leadscore.common.config import StrictModel, read_yaml, validated

PROJECT_FILE = "leadscore.yaml"

# the project file's keys and the variables they fill in when unset
VARIABLES = {
    "conversion_model": "LEADSCORE_CONVERSION_MODEL",
    "nbo_model": "LEADSCORE_NBO_MODEL",
    "database_url": "LEADSCORE_DATABASE_URL",
    "tracking_uri": "MLFLOW_TRACKING_URI",
}

DEFAULT_CONVERSION_MODEL = "leadscore-conversion"
DEFAULT_NBO_MODEL = "leadscore-nbo"


class ProjectFile(StrictModel):
    """What ``leadscore.yaml`` may say; every key is optional."""

    conversion_model: str | None = Field(
        None, description="registered conversion model the commands and the service use"
    )
    nbo_model: str | None = Field(
        None, description="registered next-best-offer model ('' for none)"
    )
    database_url: str | None = Field(
        None, description="the store (sqlite:///file.db relative to this file, or PostgreSQL)"
    )
    tracking_uri: str | None = Field(
        None, description="MLflow tracking store (sqlite:///mlflow.db relative to this file)"
    )
    training: dict[str, Path] = Field(
        default_factory=dict,
        description="training config per model kind (conversion, nbo), relative to this file",
    )


def project_file(directory: Path) -> Path | None:
    """``leadscore.yaml`` in ``directory`` where there is one."""
    path = directory / PROJECT_FILE
    return path if path.is_file() else None


def load_project(path: Path) -> ProjectFile:
    """The project file at ``path``, its relative paths made absolute (from its folder)."""
    raw = read_yaml(path, what="project file") or {}
    project = validated(ProjectFile, raw, path=path, what="project file")
    base = path.resolve().parent
    return project.model_copy(
        update={
            "database_url": _absolute_sqlite(project.database_url, base),
            "tracking_uri": _absolute_sqlite(project.tracking_uri, base),
            "training": {
                kind: config if config.is_absolute() else base / config
                for kind, config in project.training.items()
            },
        }
    )


def variables(project: ProjectFile, environ: Mapping[str, str]) -> dict[str, str]:
    """The variables the project file sets: those it names and ``environ`` does not set."""
    named = {
        variable: getattr(project, key)
        for key, variable in VARIABLES.items()
        if getattr(project, key) is not None
    }
    # set, even to '' (LEADSCORE_NBO_MODEL='': no offers model), is set
    return {variable: value for variable, value in named.items() if variable not in environ}


def conversion_model(given: str | None, environ: Mapping[str, str]) -> str:
    """The conversion model a command uses: the option, else the variable (which the
    project file fills in), else ``leadscore-conversion``."""
    return given or environ.get(VARIABLES["conversion_model"]) or DEFAULT_CONVERSION_MODEL


def nbo_model(given: str | None, environ: Mapping[str, str]) -> str:
    """The next-best-offer model a command uses ('' for none): the option, else the
    variable (which the project file fills in), else ``leadscore-nbo``."""
    if given is not None:
        return given
    return environ.get(VARIABLES["nbo_model"], DEFAULT_NBO_MODEL)


def _absolute_sqlite(url: str | None, base: Path) -> str | None:
    # a relative SQLite file is the project's, wherever the command runs from
    prefix = "sqlite:///"
    if url is None or not url.startswith(prefix) or url.startswith(prefix + "/"):
        return url
    return prefix + str(base / url.removeprefix(prefix))
