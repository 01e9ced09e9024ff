"""The scorer of the scoring tests: a conversion and an offer model trained once per
session on the small synthetic CRM, with a feature table of its customers."""

from __future__ import annotations

import pandas as pd
import pytest

from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.features.definitions import load_feature_set
from leadscore.features.training_set import build_feature_table
from leadscore.jobs.conversion import train_conversion
from leadscore.jobs.inputs import prepare_table
from leadscore.jobs.nbo import train_nbo
from leadscore.models.conversion import ConversionPredictor
from leadscore.scoring.feature_table import FeatureTable
from leadscore.scoring.scorer import Scorer
from leadscore.synthetic import GeneratedCRM
from leadscore.training.config import load_training_config
from leadscore.training.nbo import offer_labels
from tests.conftest import NOW, REPO


@pytest.fixture(scope="session")
def scorer(small_crm: GeneratedCRM) -> Scorer:
    config = load_training_config(
        REPO / "training/configs/conversion.yaml", source=small_crm.directory
    )
    table, _, _ = prepare_table(config, None)
    conversion = ConversionPredictor(train_conversion(table, config).model)
    nbo_config = load_training_config(
        REPO / "training/configs/nbo.yaml", source=small_crm.directory
    )
    data = require_loaded(load_source(canonical_source(small_crm.directory), now=NOW))
    nbo_set = load_feature_set("nbo_v1", directory=REPO / "features")
    nbo_table = build_feature_table(data, nbo_set, horizon_days=30)
    labels = offer_labels(data, nbo_table.frame[["customer_id", "as_of"]], 30, nbo_config.nbo)
    offers = data.offers.astype({"offer_id": "str"})
    nbo = train_nbo(nbo_table, labels, offers, nbo_config).model
    now = build_feature_table(data, nbo_set, as_of=[pd.Timestamp("2026-06-29", tz="UTC")])
    return Scorer.serving(conversion, nbo, feature_table=FeatureTable.from_table(now.frame))
