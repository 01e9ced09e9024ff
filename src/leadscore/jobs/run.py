"""Which job trains which kind of model."""

from __future__ import annotations

from pathlib import Path

from leadscore.jobs.conversion import run_conversion
from leadscore.jobs.inputs import JobResult
from leadscore.jobs.nbo import run_nbo
from leadscore.training.config import TrainingConfig

JOBS = {"conversion": run_conversion, "nbo": run_nbo}


def run_job(config: TrainingConfig, *, features_file: Path | None = None) -> JobResult:
    """Train, evaluate, track and register the model the config asks for."""
    return JOBS[config.model](config, features_file=features_file)
