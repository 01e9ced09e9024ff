"""Known customers scored from the feature table held in memory."""

from __future__ import annotations

import json

import pytest
from pydantic import TypeAdapter

from leadscore.common.errors import InputError
from leadscore.scoring.scorer import Scorer
from leadscore.serving.contract import LeadResult, results_json


def test_results_are_what_the_http_contract_declares(scorer: Scorer) -> None:
    rows = scorer.table.feature_table.frame.head(300).reset_index(drop=True)
    ids = scorer.table.feature_table.frame.index[:50].tolist()
    for lang in ("de", "en"):
        results = scorer.pure.score_frame(rows, lang=lang, top_k=7) + scorer.table.score_ids(
            ids, lang=lang, top_k=2
        )
        checked = TypeAdapter(list[LeadResult]).validate_python(results, strict=True)
        assert any(r.next_best_offers for r in checked) and all(r.reasons for r in checked)
        written = json.loads(results_json(results))
        assert written == json.loads(TypeAdapter(list[LeadResult]).dump_json(checked))


def test_unknown_customer_is_a_clear_error(scorer: Scorer) -> None:
    with pytest.raises(InputError, match="C-NOPE"):
        scorer.table.feature_table.rows(["C-NOPE"])
