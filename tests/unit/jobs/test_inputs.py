"""What a training job starts from: here, the creation spine's labels counted without
building its features (to check whether ``spine: creation`` would pass a split)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from leadscore.data.loading import CanonicalData
from leadscore.features.definitions import load_feature_set
from leadscore.features.training_set import LABEL, build_feature_table
from leadscore.jobs.inputs import creation_rows
from leadscore.training.config import TrainingConfig
from tests.conftest import REPO


def test_creation_rows_are_the_rows_of_the_creation_table(data: CanonicalData) -> None:
    config = TrainingConfig(model="conversion", source=Path("crm"), horizon_days=30)
    label, as_of = creation_rows(data, config)
    table = build_feature_table(
        data,
        load_feature_set("conversion_v1", directory=REPO / "features"),
        horizon_days=30,
        spine_kind="creation",
    )
    built = table.frame
    assert 0 < label.sum() < len(label)
    assert (len(label), int(label.sum())) == (len(built), int(built[LABEL].sum()))
    assert np.array_equal(np.sort(as_of.to_numpy()), np.sort(built["as_of"].to_numpy()))
