"""leadscore's own model files on disk, whatever kind of model they hold."""

from __future__ import annotations

from pathlib import Path

from leadscore.common.digests import verify_manifest
from leadscore.common.errors import InputError
from leadscore.models.conversion import ConversionPredictor
from leadscore.models.nbo import NBO_FILE, NBOModel
from leadscore.models.offer_response import ResponseNBOModel, learnt_from_exposures
from leadscore.models.propensity import META_FILE, PropensityModel

Model = ConversionPredictor | NBOModel


def load_model_dir(directory: Path) -> Model:
    """A ConversionPredictor or an NBO model, as written by the training jobs and
    registered; its files are checked against their recorded digests before any is read
    (a truncated booster would abort the process inside LightGBM)."""
    verify_manifest(directory)
    if (directory / NBO_FILE).exists():
        if learnt_from_exposures(directory):
            return ResponseNBOModel.load(directory)
        return NBOModel.load(directory)
    if not (directory / META_FILE).exists():
        raise InputError(f"{directory}: no leadscore model files here")
    model = PropensityModel.load(directory)
    kind = model.metadata.get("kind")
    if kind != "conversion":
        raise InputError(f"{directory}: unknown model kind {kind!r}")
    return ConversionPredictor(model)
