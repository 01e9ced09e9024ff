"""Values as the workspace shows them: the reader's locale, a dash where one is missing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadscore.workspace import formatting


def test_numbers_follow_the_readers_locale_and_missing_values_are_a_dash() -> None:
    assert formatting.number(1234.5, "de", 1) == "1.234,5"
    assert formatting.number(np.int64(1234), "en", 0) == "1,234"
    assert formatting.number(np.float32(0.5), "de", 2) == "0,5"
    for missing in (None, float("nan"), pd.NA, pd.NaT, object()):
        assert formatting.number(missing, "de", 0) == formatting.MISSING
    assert formatting.percent(0.25, "de") == "25\xa0%"
    assert formatting.day(pd.Timestamp("2026-06-03", tz="UTC"), "de") == "03.06.2026"
    assert formatting.moment(None, "en") == formatting.MISSING


def test_csv_values_are_plain() -> None:
    assert formatting.csv_value(pd.NA) == ""
    assert formatting.csv_value(3.0) == 3 and formatting.csv_value(3.5) == 3.5
    at = pd.Timestamp("2026-06-03 10:00", tz="UTC")
    assert formatting.csv_value(at) == "2026-06-03T10:00:00+00:00"


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_text() -> None:
    for given in ('=HYPERLINK("http://x.example","click")', "@SUM(A1:A9)", "+1", "-2+3", "\tx"):
        assert formatting.csv_value(given) == "'" + given
    assert formatting.csv_value("Müller GmbH") == "Müller GmbH"
    assert formatting.csv_value(-5) == -5  # a number stays a number


def test_moments_are_in_the_workspaces_zone_with_four_digit_years() -> None:
    winter = pd.Timestamp("2026-12-07 13:05", tz="UTC")
    assert formatting.moment(winter, "de") == "07.12.2026 14:05"  # Europe/Berlin by default
    assert formatting.moment(winter, "en") == "2026-12-07 14:05"
    summer = pd.Timestamp("2026-07-01 10:00")  # without a zone: UTC, as the store keeps it
    assert formatting.moment(summer, "de", "Europe/Berlin") == "01.07.2026 12:00"
    assert formatting.moment(winter, "en", "America/New_York") == "2026-12-07 08:05"
    # a moment's day is its day where the reader is
    late = pd.Timestamp("2026-12-07 23:30", tz="UTC")
    assert formatting.day(late, "de", "Europe/Berlin") == "08.12.2026"
