"""The end every training job shares: the model's lineage, its files written once, and
one MLflow run that registers it as challenger."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Protocol

import pandas as pd

from leadscore import tracking
from leadscore.jobs.inputs import file_digest
from leadscore.models.files import load_model_dir
from leadscore.training.config import TrainingConfig


class SavedModel(Protocol):
    def save(self, directory: Path) -> None: ...


def lineage(files: list[Path]) -> dict[str, str]:
    """Which data and which code a model came from."""
    return {"data_hash": file_digest(files), "git_commit": tracking.git_commit()}


def log_and_register(
    config: TrainingConfig,
    model: SavedModel,
    *,
    kind: str,
    params: dict[str, object],
    metrics: dict[str, float],
    tags: dict[str, str],
    texts: dict[str, str],
    frames: dict[str, pd.DataFrame],
    figures: dict[str, object] | None = None,  # matplotlib figures, by file name
) -> tracking.RegisteredRun:
    """One run of ``config``'s experiment with everything given; the model registered under
    ``config.model_name`` as challenger (and champion, if there is none yet)."""
    with tempfile.TemporaryDirectory() as tmp:
        model.save(Path(tmp))
        return tracking.log_training_run(
            tracking.RunRecord(
                kind=kind,
                model_dir=Path(tmp),
                params=params,
                metrics=metrics,
                tags=tags,
                figures=figures or {},
                texts=texts,
                frames=frames,
                load_model=load_model_dir,
            ),
            experiment=config.experiment,
            model_name=config.model_name,
        )
