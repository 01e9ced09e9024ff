"""Reason sentences: values written as people write them, in the form their number asks."""

from __future__ import annotations

import numpy as np

from leadscore.explain import ReasonWriter, sentence
from leadscore.features.definitions import Description, Forms
from leadscore.models.encoding import FeatureEncoder


def test_a_missing_value_reads_as_its_own_sentence() -> None:
    never = Description(en="Last visit {value} days ago", de="x", en_missing="Never visited")
    assert sentence(never, None, None, "en") == "Never visited"
    assert sentence(never, None, float("nan"), "en") == "Never visited"
    assert sentence(never, None, 3.0, "en") == "Last visit 3 days ago"


def test_values_are_written_by_their_format_and_pick_their_form() -> None:
    days = Description(
        en=Forms(zero="Today", one="Yesterday", other="{value} days ago"),
        de=Forms(zero="Heute", one="Gestern", other="Vor {value} Tagen"),
        format="days",
    )
    assert [sentence(days, None, v, "de") for v in (0.4, 1.9, 2.0, 16.04)] == [
        "Heute",
        "Gestern",
        "Vor 2 Tagen",
        "Vor 16 Tagen",
    ]
    money = Description(en="Bought for {value}", de="Für {value} gekauft", format="money")
    money = money.written("money", "EUR")
    assert sentence(money, "all", 3604.4, "de") == "Für 3.604\xa0€ gekauft"
    assert sentence(money, "all", 3604.4, "en") == "Bought for €3,604"
    rate = Description(en="Exit rate {value}", de="Ausstiegsrate {value}", format="percent")
    assert sentence(rate, None, 0.0126, "de") == "Ausstiegsrate 1,3\xa0%"
    assert sentence(rate, None, 0.0126, "en") == "Exit rate 1.3%"
    ratio = Description(en="{value} times", de="{value}-fach", format="ratio")
    assert sentence(ratio, None, 2.46, "de") == "2,5-fach"


def test_a_categorys_words_come_from_its_description() -> None:
    weekday = Description(
        en="Last called on a {value}",
        de="Zuletzt an einem {value} angerufen",
        values={"fri": {"en": "Friday", "de": "Freitag"}},
    )
    assert sentence(weekday, None, "fri", "de") == "Zuletzt an einem Freitag angerufen"
    assert sentence(weekday, None, "fri", "en") == "Last called on a Friday"
    assert sentence(weekday, None, "sat", "en") == "Last called on a sat"  # not described


def test_a_feature_that_is_no_reason_counts_but_is_never_said() -> None:
    encoder = FeatureEncoder(["page", "visits"], {"page": ["9f86d081884c7d65", "a3b1"]})
    descriptions = {
        "page": (Description(en="Page: {value}", de="Seite: {value}", reason=False), None),
        "visits": (Description(en="{value} visits", de="{value} Besuche"), None),
    }
    writer = ReasonWriter(encoder, descriptions)
    contributions = np.array([[2.0, 0.5, -1.0]])  # the page weighs most, then visits, base
    (reasons,) = writer.reasons(contributions, np.array([[0.0, 3.0]]), top_k=2, lang="en")
    assert [r["feature"] for r in reasons] == ["visits"] and reasons[0]["text"] == "3 visits"
