"""The project file: names a project would otherwise repeat on every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadscore.common.errors import InputError
from leadscore.common.project import (
    DEFAULT_CONVERSION_MODEL,
    conversion_model,
    load_project,
    nbo_model,
    project_file,
    variables,
)


def test_relative_stores_and_configs_are_the_projects_wherever_a_command_runs(
    tmp_path: Path,
) -> None:
    (tmp_path / "leadscore.yaml").write_text(
        "conversion_model: acme-conversion\n"
        "nbo_model: ''\n"
        "database_url: sqlite:///crm.db\n"
        "tracking_uri: sqlite:////srv/mlflow.db\n"
        "training: {conversion: configs/training.yaml}\n"
    )
    path = project_file(tmp_path)
    assert path == tmp_path / "leadscore.yaml"
    project = load_project(path)
    assert project.database_url == f"sqlite:///{tmp_path.resolve()}/crm.db"
    assert project.tracking_uri == "sqlite:////srv/mlflow.db"  # absolute stays
    assert project.training == {"conversion": tmp_path.resolve() / "configs/training.yaml"}
    assert project_file(tmp_path / "elsewhere") is None


def test_a_variable_already_set_wins_over_the_file(tmp_path: Path) -> None:
    (tmp_path / "leadscore.yaml").write_text(
        "conversion_model: acme-conversion\nnbo_model: ''\ntracking_uri: http://mlflow:5000\n"
    )
    project = load_project(tmp_path / "leadscore.yaml")
    filled = variables(project, {"MLFLOW_TRACKING_URI": "http://other:5000"})
    assert filled == {"LEADSCORE_CONVERSION_MODEL": "acme-conversion", "LEADSCORE_NBO_MODEL": ""}
    assert "LEADSCORE_DATABASE_URL" not in filled  # the file does not name it


def test_the_option_wins_then_the_variable_then_the_default() -> None:
    environ = {"LEADSCORE_CONVERSION_MODEL": "acme-conversion"}
    assert conversion_model("given", environ) == "given"
    assert conversion_model(None, environ) == "acme-conversion"
    assert conversion_model(None, {}) == DEFAULT_CONVERSION_MODEL
    # the offers model the same way, where '' means none
    assert nbo_model("", {"LEADSCORE_NBO_MODEL": "acme-nbo"}) == ""
    assert nbo_model(None, {"LEADSCORE_NBO_MODEL": ""}) == ""
    assert nbo_model(None, {}) == "leadscore-nbo"


def test_a_misspelt_key_names_the_file_and_the_key(tmp_path: Path) -> None:
    (tmp_path / "leadscore.yaml").write_text("conversion_modle: acme\n")
    expected = r"(?s)leadscore\.yaml: invalid project file.*conversion_modle"
    with pytest.raises(InputError, match=expected):
        load_project(tmp_path / "leadscore.yaml")


def test_a_variable_set_empty_is_set(tmp_path: Path) -> None:
    # LEADSCORE_NBO_MODEL='' means "no offers model", whatever the file names
    (tmp_path / "leadscore.yaml").write_text("nbo_model: acme-nbo\n")
    filled = variables(load_project(tmp_path / "leadscore.yaml"), {"LEADSCORE_NBO_MODEL": ""})
    assert filled == {}
