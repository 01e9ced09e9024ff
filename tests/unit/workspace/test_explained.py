"""What the workspace says of leads: reasons from the score log, the trend between the last
two scores, and nothing where no store or scorer is there to say it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from leadscore.data.loading import CanonicalData
from leadscore.models.conversion import ConversionPredictor
from leadscore.scoring.encoded import ModelInfo
from leadscore.scoring.scorer import Scorer
from leadscore.store.score_log import score_history
from leadscore.workspace.explained import PAGE_REASONS, LeadSaid, explained_rows, lead_said
from tests.unit.live import live_store

T0 = pd.Timestamp("2026-06-20 09:00", tz="UTC")


def test_a_lead_page_says_the_reasons_and_trend_of_its_logged_scores(
    tmp_path: Path, data: CanonicalData, models: list[ConversionPredictor]
) -> None:
    lead = str(data.customers["customer_id"].iloc[2])
    store = live_store(tmp_path, data, [lead], T0)
    info = ModelInfo("leadscore-conversion", "1", "champion")
    scorer = Scorer.serving(models[0], conversion_info=info, store=store)
    live = scorer.require_live()
    [first] = live.score_and_log([lead], now=T0, top_k=3)
    [second] = live.score_and_log([lead], now=T0 + pd.Timedelta(days=3), lang="de", top_k=3)
    said = lead_said(scorer, score_history(store, lead), "de")
    assert said.reasons[:3] == second["reasons"] and said.offers == []
    [every] = scorer.pure.logged_reasons(score_history(store, lead)[:1], lang="de", top_k=10_000)
    assert said.reasons == every[:PAGE_REASONS] and len(every) > PAGE_REASONS
    assert said.more_reasons == len(every) - PAGE_REASONS  # the smaller ones, counted
    assert said.trend is not None and said.trend["previous_score"] == first["score"]
    assert said.trend["when"] == T0 and said.trend["days_ago"] == 3
    assert lead_said(scorer, [], "de") == LeadSaid()
    rows = pd.DataFrame({"customer_id": [lead], "score": [second["score"]]})
    [listed] = explained_rows(store, scorer, rows, "de")
    assert listed["reasons"] == second["reasons"] and listed["offer"] is None
    [bare] = explained_rows(None, scorer, rows, "de")
    assert bare["reasons"] == [] and bare["offer"] is None


def test_profile_values_read_as_the_feature_set_words_them() -> None:
    from types import SimpleNamespace

    from leadscore.workspace.explained import profile_words

    metadata = {
        "descriptions": {
            "industry": {
                "en": "Industry: {value}",
                "de": "Branche: {value}",
                "values": {"finance": {"en": "Finance", "de": "Finanzwesen"}},
            }
        }
    }
    model = SimpleNamespace(metadata=metadata)
    scorer = SimpleNamespace(pure=SimpleNamespace(conversion=SimpleNamespace(model=model)))
    profile = {"industry": "finance", "company_size": "51-200", "account_id": "A-1"}
    assert profile_words(scorer, profile, "de") == {
        "industry": "Finanzwesen", "company_size": "51-200", "account_id": "A-1",
    }  # fmt: skip
    assert profile_words(None, profile, "de") == profile  # no model: as it is
