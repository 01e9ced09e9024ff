"""Batch scoring of feature tables into JSON lines."""

from __future__ import annotations

import json

import pytest

from leadscore.common.errors import InputError
from leadscore.scoring.batch import score_file
from leadscore.scoring.scorer import Scorer


def test_batch_results_carry_as_of_and_a_wrong_table_names_the_fix(
    scorer: Scorer, tmp_path
) -> None:
    rows = scorer.table.feature_table.frame.head(5).reset_index(drop=True)
    out = tmp_path / "scores.jsonl"
    score_file(scorer.pure, rows, out, lang="en", top_k=1, batch_size=2)
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert [w["as_of"] for w in written] == ["2026-06-29T00:00:00+00:00"] * 5
    with pytest.raises(InputError, match=r"--feature-set conversion_v1") as caught:
        score_file(
            scorer.pure,
            rows.drop(columns=["page_views_30d"]),
            out,
            lang="en",
            top_k=1,
            batch_size=2,
        )
    assert "page_views_30d" in str(caught.value) and "conversion local" not in str(caught.value)
