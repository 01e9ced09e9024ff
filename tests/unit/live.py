"""A store of some synthetic customers and a live scorer on it, for the live loop's tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from leadscore.data.loading import CanonicalData
from leadscore.models.conversion import ConversionPredictor
from leadscore.scoring.encoded import ModelInfo
from leadscore.scoring.live import LiveScorer
from leadscore.scoring.scorer import Scorer
from leadscore.store.store import Store


def live_store(tmp_path: Path, data: CanonicalData, ids: list[str], until: pd.Timestamp) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'leadscore.db'}")
    store.put_customers(data.customers[data.customers["customer_id"].isin(ids)], now=until)
    events = data.events[data.events["customer_id"].isin(ids) & (data.events["ts"] <= until)]
    store.append("events", events, now=until)
    return store


def live_scorer(
    model: ConversionPredictor, store: Store, version: str = "1", **options: object
) -> LiveScorer:
    """``options``: the Scorer's own (``lenient_profiles``, ``min_information``, ...)."""
    info = ModelInfo("leadscore-conversion", version, "champion")
    return Scorer.serving(model, conversion_info=info, store=store, **options).require_live()
