"""The end every training job shares: the model's lineage, its files written once, and
one MLflow run that registers it as challenger."""

from __future__ import annotations

import subprocess
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
    return {"data_hash": file_digest(files), "git_commit": git_commit()}


def git_commit() -> str:
    """The checkout's commit, or 'unknown' (an installed wheel, no git)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def run_name(config: TrainingConfig, tags: dict[str, str]) -> str:
    """What MLflow lists a training run as: the model, the data and the feature set, so
    that runs of several models and data sets tell themselves apart."""
    source = config.path(config.source)
    data = source.stem if source.suffix in (".yaml", ".yml") else source.name
    parts = [tags.get("feature_set"), tags.get("data_hash", "")[:8] or None]
    return f"{config.model_name} on {data} ({', '.join(p for p in parts if p)})"


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
                run_name=run_name(config, tags),
            ),
            experiment=config.experiment,
            model_name=config.model_name,
        )
