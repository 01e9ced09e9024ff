"""The synthetic CRM's parameters: what they accept, and the change in a line."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from leadscore.synthetic.catalog import NEW_LEAD_CHANNEL
from leadscore.synthetic.config import (
    InjectedChange,
    SyntheticConfig,
    describe_change,
    latest_monday,
)


def test_the_latest_monday_is_today_on_a_monday_and_the_one_before_otherwise() -> None:
    assert latest_monday(date(2026, 6, 29)) == date(2026, 6, 29)  # a Monday
    assert latest_monday(date(2026, 7, 5)) == date(2026, 6, 29)  # the Sunday after
    assert latest_monday(date(2026, 6, 30)) == date(2026, 6, 29)


def test_history_must_end_on_a_monday() -> None:
    assert SyntheticConfig(end=date(2026, 6, 22)).end == date(2026, 6, 22)
    with pytest.raises(ValidationError, match="end must be a Monday, got 2026-06-30 \\(Tuesday\\)"):
        SyntheticConfig(end=date(2026, 6, 30))


def test_a_change_must_lie_inside_the_history() -> None:
    inside = InjectedChange(after=date(2026, 3, 2))
    assert SyntheticConfig(change=inside).change == inside
    for after in (date(2024, 1, 1), date(2026, 6, 29), date(2026, 8, 1)):
        with pytest.raises(ValidationError, match="must lie inside the history"):
            SyntheticConfig(change=InjectedChange(after=after))


def test_a_change_names_a_segment_the_crm_has() -> None:
    assert InjectedChange(after=date(2026, 3, 2), segment_field="country", segment="DE")
    with pytest.raises(ValidationError, match="'mining' is no industry of the synthetic CRM"):
        InjectedChange(after=date(2026, 3, 2), segment="mining")


def test_unknown_parameters_and_too_few_customers_are_refused() -> None:
    with pytest.raises(ValidationError):
        SyntheticConfig(customer=500)
    with pytest.raises(ValidationError):
        SyntheticConfig(customers=99)


def test_a_change_is_described_by_each_of_its_parts() -> None:
    change = InjectedChange(after=date(2026, 3, 2), segment_activity=2.5, season=0.3)
    assert describe_change(change) == (
        f"from 2026-03-02: 30% of new leads come through {NEW_LEAD_CHANNEL}, "
        "industry retail 2.5x as active on the web and in e-mail, "
        "everyone's activity and buying at 30% of a usual month"
    )


def test_a_change_of_nothing_says_so() -> None:
    change = InjectedChange(
        after=date(2026, 3, 2), new_source_share=0, segment_activity=1.0, season=None
    )
    assert describe_change(change) == "from 2026-03-02: nothing"
