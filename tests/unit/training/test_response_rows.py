"""The rows the offer response learns from: offers made, and customers not offered
anything at the same moments, labelled by taking each offer up anyway."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from leadscore.common.errors import InputError
from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import canonical_source
from leadscore.features.definitions import load_feature_set
from leadscore.synthetic import GeneratedCRM
from leadscore.training.config import load_training_config
from leadscore.training.exposures import TAKEN
from leadscore.training.response_rows import ANYWAY_PREFIX, response_data
from tests.conftest import NOW, REPO


def _config(crm: GeneratedCRM):
    return load_training_config(REPO / "training" / "configs" / "nbo.yaml", source=crm.directory)


def test_rows_not_offered_had_no_offer_near_their_moment(learnt) -> None:
    data, rows = learnt.data, learnt.rows
    control, exposed = rows.control, rows.exposed
    assert 0 < len(control) <= len(exposed)
    longest = pd.Timedelta(days=rows.offers["valid_days"].max())
    made = data.exposures.assign(customer_id=data.exposures["customer_id"].astype("str"))
    near = control.merge(made, on="customer_id")
    assert not ((near["ts"] - near["as_of"]).abs() < longest).any()
    # a purchase of a product, or the content read, counts as taking it up anyway
    assert control[f"{ANYWAY_PREFIX}O-WP-ROI"].mean() > 0.01
    assert exposed[TAKEN].mean() > 0.1 and rows.still_open == 0


def test_a_source_without_offers_made_is_told_what_to_add(
    tmp_path: Path, small_crm: GeneratedCRM
) -> None:
    directory = tmp_path / "no_exposures"
    directory.mkdir()
    for name in ("customers", "events", "offers", "outcomes"):
        (directory / f"{name}.parquet").write_bytes(
            (small_crm.directory / f"{name}.parquet").read_bytes()
        )
    config = _config(small_crm)
    data = require_loaded(load_source(canonical_source(directory), now=NOW))
    feature_set = load_feature_set(config.feature_set, directory=config.path(config.features_dir))
    with pytest.raises(InputError, match=r"no offers made to learn from.*exposure_event_type"):
        response_data(data, feature_set, default_valid_days=30, engagement_event_types=(), seed=0)
