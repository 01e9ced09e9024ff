"""The bounds of one item's parts hold alike for /score's records and the intake."""

from __future__ import annotations

import pandas as pd
import pytest
from pydantic import ValidationError

from leadscore.data.bounds import (
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PROFILE_FIELDS,
    MAX_TEXT_LENGTH,
)
from leadscore.data.intake import lead_intake
from leadscore.serving.contract import IntakeLead, Lead

NOW = pd.Timestamp("2026-06-29 12:00", tz="UTC")


@pytest.mark.parametrize(
    ("lead", "refused"),
    [
        ({"customer_id": "c" * MAX_ID_LENGTH}, False),
        ({"customer_id": "c" * (MAX_ID_LENGTH + 1)}, True),
        ({"profile": {f"f{i}": i for i in range(MAX_PROFILE_FIELDS)}}, False),
        ({"profile": {f"f{i}": i for i in range(MAX_PROFILE_FIELDS + 1)}}, True),
        ({"profile": {"k" * MAX_NAME_LENGTH: "v" * MAX_TEXT_LENGTH}}, False),
        ({"profile": {"k" * (MAX_NAME_LENGTH + 1): 1}}, True),
        ({"profile": {"note": "v" * (MAX_TEXT_LENGTH + 1)}}, True),
    ],
)
def test_a_record_the_score_route_refuses_the_intake_refuses_too(lead: dict, refused: bool) -> None:
    lead = {"customer_id": "c1", **lead}

    def score_refuses() -> bool:
        try:
            Lead(**lead)
            IntakeLead(**lead)  # the schema the intake routes publish says the same
        except ValidationError:
            return True
        return False

    assert score_refuses() is refused
    assert bool(lead_intake([lead], now=NOW).problems) is refused
