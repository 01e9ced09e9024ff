"""The service's thread that builds known customers' features ahead of requests."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from leadscore.data.loading import CanonicalData
from leadscore.models.conversion import ConversionPredictor
from leadscore.serving.keeper import FeatureKeeper
from leadscore.store.score_log import score_history
from tests.unit.live import live_scorer, live_store


def test_a_round_keeps_every_lead_and_later_rounds_build_only_what_changed(
    tmp_path: Path,
    data: CanonicalData,
    models: list[ConversionPredictor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = data.customers["customer_id"].astype(str).iloc[:30].tolist()
    now = pd.Timestamp.now(tz="UTC")
    store = live_store(tmp_path, data, ids, now)
    scorer = live_scorer(models[0], store)
    keeper = FeatureKeeper(lambda: scorer)
    assert keeper.status() == {"kept": 0, "rounds": 0, "last_round": None}

    assert keeper.round(scorer) == 30
    status = keeper.status()
    assert status["kept"] == scorer.kept_leads == 30
    assert status["rounds"] == 1 and status["last_round"]["built"] == 30
    assert keeper.round(scorer) == 0  # all kept, and young

    lead = ids[4]
    visit = pd.DataFrame(
        {
            "customer_id": [lead],
            "ts": [pd.Timestamp.now(tz="UTC") - pd.Timedelta(seconds=5)],
            "event_type": ["pricing_page_view"],
        }
    )
    assert store.append("events", visit, now=pd.Timestamp.now(tz="UTC")).added == 1
    assert keeper.round(scorer) == 1  # only the lead something new came in for

    # a request now finds every lead's features built: none is built for it
    def no_building(*args: object, **kwargs: object) -> None:
        raise AssertionError("a kept lead's features were built again")

    monkeypatch.setattr(scorer, "built", no_building)
    moment = pd.Timestamp.now(tz="UTC")
    results = scorer.score_and_log(ids, now=moment)
    assert all("score" in r for r in results)
    # and what it scored is what the builder makes of the store's events at that round
    monkeypatch.undo()
    kept = score_history(store, lead)[0].features
    as_of = pd.Timestamp(keeper.status()["last_round"]["at"])
    built = scorer.records.features_as_of(
        store.customers([lead]), store.rows("events", [lead]), now=as_of
    )
    for name, value in kept.items():
        expected = built[name].astype("object").iloc[0]
        if value is None or isinstance(expected, str):
            assert value == (None if pd.isna(expected) else expected), name
        else:
            assert value == pytest.approx(expected), name


def test_the_thread_waits_for_models_and_stops_when_told(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    ids = data.customers["customer_id"].astype(str).iloc[:5].tolist()
    scorer = live_scorer(models[0], live_store(tmp_path, data, ids, pd.Timestamp.now(tz="UTC")))
    loaded: list = []
    keeper = FeatureKeeper(lambda: loaded[0] if loaded else None)
    stop = threading.Event()
    thread = threading.Thread(target=keeper.run, args=(stop,), daemon=True)
    thread.start()
    loaded.append(scorer)  # the champions arrive after the thread started
    deadline = pd.Timestamp.now() + pd.Timedelta(seconds=60)
    while keeper.status()["rounds"] == 0 and pd.Timestamp.now() < deadline:
        stop.wait(0.05)
    assert keeper.status()["kept"] == 5
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
