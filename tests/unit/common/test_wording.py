"""Numbers and plural categories by the locales' rules (CLDR through Babel)."""

from __future__ import annotations

import numpy as np
import pytest

from leadscore.common.wording import format_value, humanised, plural_category, share_percent


@pytest.mark.parametrize(
    ("value", "value_format", "en", "de"),
    [
        (1234.4, "count", "1,234", "1.234"),
        (np.int32(7), "count", "7", "7"),
        (1.9, "days", "1", "1"),  # whole days elapsed
        (0.3, "days", "0", "0"),
        (2.46, "ratio", "2.5", "2,5"),
        (3.0, "ratio", "3", "3"),
        (0.0126, "number", "0.0126", "0,0126"),  # small values keep their digits
        (-51.23, "number", "-51.2", "-51,2"),
        (395.82, "number", "396", "396"),
        (12345.6, "number", "12,346", "12.346"),
        (0.0126, "percent", "1.3%", "1,3\xa0%"),
        (0.5, "percent", "50%", "50\xa0%"),
        (3604.4, "money", "3,604", "3.604"),  # no currency given: a plain amount
        (float("nan"), "number", "unknown", "unbekannt"),
        (None, "count", "unknown", "unbekannt"),
        ("fri", "number", "fri", "fri"),
        (True, "number", "True", "True"),
    ],
)
def test_values_are_written_by_the_locale(value, value_format, en: str, de: str) -> None:
    assert format_value(value, "en", value_format) == en
    assert format_value(value, "de", value_format) == de


def test_money_in_its_currency_the_locales_way() -> None:
    assert format_value(3604.4, "en", "money", currency="EUR") == "€3,604"
    assert format_value(3604.4, "de", "money", currency="EUR") == "3.604\xa0€"
    assert format_value(-10, "de", "money", currency="USD") == "-10\xa0$"


def test_plural_categories() -> None:
    assert [plural_category(n, "en") for n in (0, 1, 2, 1.5)] == ["other", "one", "other", "other"]
    assert [plural_category(n, "de") for n in (0, 1, 21)] == ["other", "one", "other"]


def test_column_names_as_words() -> None:
    assert humanised("ExitRates") == "Exit rates"
    assert humanised("cons.conf.idx") == "Cons conf idx"
    assert humanised("day_of_week") == "Day of week"
    assert humanised("HTTPCode") == "HTTP code"
    assert humanised("x") == "X"


def test_shares_in_report_tables_and_none_for_an_empty_grade() -> None:
    assert share_percent(0.1234) == "12.3 %" and share_percent(0.05234, 2) == "5.23 %"
    assert share_percent(float("nan")) == "-" and share_percent(None) == "-"
