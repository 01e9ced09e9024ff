"""The Scorer: the pieces put together, each there where what it needs was given."""

from __future__ import annotations

import pytest

from leadscore.common.errors import InputError
from leadscore.scoring.scorer import Scorer


def test_the_pieces_are_there_where_what_they_need_was_given(scorer: Scorer) -> None:
    assert scorer.table is not None and scorer.require_table() is scorer.table
    assert scorer.live is None and scorer.records.pure is scorer.pure
    assert scorer.table.pure is scorer.pure
    with pytest.raises(InputError, match="needs the store"):
        scorer.require_live()
    alone = Scorer.of(scorer.pure)
    assert alone.table is None and alone.live is None
    with pytest.raises(InputError, match="feature table"):
        alone.require_table()
    assert alone.conversion_info == scorer.pure.conversion_info
