"""A data scientist's first day with their own data: a German CRM export, `leadscore init`,
`validate` and `train` on the configs it wrote, without editing them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from leadscore.cli import app

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path


def test_german_export_to_a_trained_model_without_edits(workdir: Path) -> None:
    export = workdir / "export"
    generated = runner.invoke(
        app, ["generate", "--style", "export-de", "--customers", "2000", "--out", str(export)]
    )
    assert generated.exit_code == 0, generated.output
    assert "leadscore init" in generated.output

    initialised = runner.invoke(app, ["init", str(export)])
    assert initialised.exit_code == 0, initialised.output
    source = yaml.safe_load((export / "source.yaml").read_text(encoding="utf-8"))
    assert source["tables"]["customers"]["numbers"] == {"decimal": ",", "thousands": "."}
    # the orders date the conversions; the yes/no column stating them is never a feature
    assert source["label"] == {"kind": "event", "event_type": "purchase"}
    assert source["tables"]["customers"]["drop"] == ["Abschluss"]
    assert source["tables"]["events"]["event_types"]["Auftrag erteilt"] == "purchase"
    again = runner.invoke(app, ["init", str(export)])
    assert again.exit_code != 0 and "--force" in again.output

    checked = runner.invoke(app, ["validate", str(export / "source.yaml")])
    assert checked.exit_code == 0, checked.output
    assert "valid:" in checked.output

    trained = runner.invoke(app, ["train", "conversion", "--config", str(export / "training.yaml")])
    assert trained.exit_code == 0, trained.output
    assert "registered leadscore-export-conversion version 1" in trained.output


def test_validate_suggests_the_numbers_setting(workdir: Path) -> None:
    export = workdir / "export"
    assert (
        runner.invoke(
            app, ["generate", "--style", "export-de", "--customers", "300", "--out", str(export)]
        ).exit_code
        == 0
    )
    assert runner.invoke(app, ["init", str(export)]).exit_code == 0
    path = export / "source.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    numbers:", "    # numbers:"), encoding="utf-8")
    checked = runner.invoke(app, ["validate", str(path)])
    assert "customers, column Umsatz: read as text" in checked.output
    assert 'numbers: {decimal: ",", thousands: "."}' in checked.output
