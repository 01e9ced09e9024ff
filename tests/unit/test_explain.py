"""Reason sentences: values written as people write them."""

from __future__ import annotations

import numpy as np

from leadscore.explain import format_value, sentence
from leadscore.features.definitions import Description


def test_values_are_written_for_people() -> None:
    assert format_value(5.0, "de") == "5"
    assert format_value(1234.4, "de") == "1.234"
    assert format_value(12345.6, "en") == "12,346"
    assert format_value(395.82, "de") == "396"
    assert format_value(float("nan"), "de") == "unbekannt"
    assert format_value(np.int32(7), "en") == "7"
    assert format_value(16.04, "de") == "16"  # not "16,0"
    assert format_value(0.96, "en") == "1"
    assert format_value(2.46, "de") == "2,5"
    never = Description(en="Last visit {value} days ago", de="x", en_missing="Never visited")
    assert sentence(never, None, None, "en") == "Never visited"
    assert sentence(never, None, 3.0, "en") == "Last visit 3 days ago"
