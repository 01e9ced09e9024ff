"""Fixtures of the unit tests that score known customers from a store."""

from __future__ import annotations

import pytest

from leadscore.data.loading import CanonicalData, load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.jobs.conversion import train_conversion
from leadscore.jobs.inputs import prepare_table
from leadscore.models.conversion import ConversionPredictor
from leadscore.synthetic import GeneratedCRM
from leadscore.training.config import load_training_config
from tests.conftest import NOW, REPO


@pytest.fixture(scope="session")
def data(small_crm: GeneratedCRM) -> CanonicalData:
    return require_loaded(load_source(canonical_source(small_crm.directory), now=NOW))


@pytest.fixture(scope="session")
def models(small_crm: GeneratedCRM) -> list[ConversionPredictor]:
    """Two conversion models of the same data: the second grown with another seed."""
    config = load_training_config(
        REPO / "training/configs/conversion.yaml", source=small_crm.directory
    )
    table, _, _ = prepare_table(config, None)
    first = ConversionPredictor(train_conversion(table, config).model)
    other = config.model_copy(update={"seed": config.seed + 1})
    other = other.model_copy(
        update={"lightgbm": config.lightgbm.model_copy(update={"num_leaves": 7})}
    )
    return [first, ConversionPredictor(train_conversion(table, other).model)]
