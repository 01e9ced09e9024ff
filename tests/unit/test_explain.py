"""Reason sentences: values written as people write them, in the form their number asks."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from leadscore.explain import ReasonWriter, category_words, is_absence, sentence
from leadscore.features.definitions import (
    Description,
    Forms,
    expand,
    load_feature_set,
    profile_description,
)
from leadscore.models.encoding import FeatureEncoder
from leadscore.synthetic.catalog import OFFERS


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
    assert sentence(weekday, None, "sat", "en") == "Last called on a Sat"  # its code in words


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


def _writer(typical: dict[str, float] | None = None) -> ReasonWriter:
    """Calls over two windows, ever bought and the last purchase ('never' when missing)."""
    calls = Description(
        en=Forms(zero="No call in {window} days", other="{value} calls in {window} days"),
        de=Forms(zero="Kein Anruf in {window} Tagen", other="{value} Anrufe in {window} Tagen"),
        format="count",
    )
    bought = Description(
        en=Forms(zero="Has never bought", other="Bought {value} times"),
        de=Forms(zero="Hat noch nie gekauft", other="Hat {value}-mal gekauft"),
        format="count",
    )
    last = Description(
        en="Last bought {value} days ago",
        de="Zuletzt vor {value} Tagen gekauft",
        en_missing="Has never bought",
        de_missing="Hat noch nie gekauft",
        format="days",
    )
    names = ["calls_7d", "calls_90d", "purchases_all", "days_since_last_purchase"]
    descriptions = {
        "calls_7d": (calls, 7),
        "calls_90d": (calls, 90),
        "purchases_all": (bought, "all"),
        "days_since_last_purchase": (last, None),
    }
    return ReasonWriter(FeatureEncoder(names, {}), descriptions, typical)


def test_equal_sentences_are_one_reason_with_the_parts_impacts_summed() -> None:
    never = np.array([[2.0, 3.0, 0.0, np.nan]])
    contributions = np.array([[0.5, -0.9, 0.3, -0.7, -1.0]])
    (reasons,) = _writer().reasons(contributions, never, top_k=10, lang="de")
    [bought] = [r for r in reasons if r["text"] == "Hat noch nie gekauft"]
    assert bought["impact"] == -0.4 and bought["direction"] == "down"
    assert bought["features"] == ["days_since_last_purchase", "purchases_all"]
    assert sum(r["impact"] for r in reasons) == pytest.approx(0.5 - 0.9 + 0.3 - 0.7)


def test_a_features_windows_rank_once_before_any_second_window() -> None:
    busy = np.array([[2.0, 3.0, 1.0, 40.0]])
    contributions = np.array([[0.8, -0.9, 0.3, 0.2, -1.0]])
    (reasons,) = _writer().reasons(contributions, busy, top_k=10, lang="en")
    assert [r["feature"] for r in reasons] == [
        "calls_90d",
        "purchases_all",
        "days_since_last_purchase",
        "calls_7d",  # a second window of calls: after every feature's first
    ]


def test_an_absence_pushing_up_ranks_last() -> None:
    quiet = np.array([[0.0, 5.0, 2.0, 40.0]])
    contributions = np.array([[0.9, 0.2, 0.1, 0.05, -1.0]])
    (reasons,) = _writer().reasons(contributions, quiet, top_k=10, lang="en")
    assert reasons[-1]["text"] == "No call in 7 days" and reasons[-1]["direction"] == "up"
    down = np.array([[-0.9, 0.2, 0.1, 0.05, -1.0]])
    (reasons,) = _writer().reasons(down, quiet, top_k=1, lang="en")
    assert reasons[0]["text"] == "No call in 7 days"  # an absence pushing down is a reason


def test_reasons_rank_by_how_far_they_stand_out_from_the_features_typical_impact() -> None:
    row = np.array([[2.0, 3.0, 1.0, 40.0]])
    contributions = np.array([[0.0, 0.9, 0.5, 0.0, -1.0]])
    (by_size,) = _writer().reasons(contributions, row, top_k=1, lang="en")
    assert by_size[0]["feature"] == "calls_90d"
    typical = {"calls_90d": 0.8, "purchases_all": 0.1}  # calls weigh this much for everyone
    (standing,) = _writer(typical).reasons(contributions, row, top_k=1, lang="en")
    assert standing[0]["feature"] == "purchases_all" and standing[0]["impact"] == 0.5


def test_an_absence_is_a_missing_value_or_none_of_what_is_counted() -> None:
    counted = Description(en="{value}", de="{value}", format="count")
    days = Description(en="{value}", de="{value}", format="days")
    assert is_absence(counted, 0.0) and is_absence(counted, None) and is_absence(days, None)
    assert not is_absence(counted, 2.0) and not is_absence(days, 0.0)  # today is no absence


SHIPPED = sorted(Path(__file__).parents[2].joinpath("features").glob("*.yaml"))


def _shipped_descriptions() -> list[tuple[str, Description, object]]:
    """Every feature of every shipped feature set, with its window, and the profile's."""
    out = []
    for path in SHIPPED:
        feature_set = load_feature_set(path)
        for definition in feature_set.features:
            for feature in expand(definition, currency=feature_set.currency):
                out.append((feature.name, feature.description, feature.window))
        profile = feature_set.profile.descriptions if feature_set.profile else {}
        out += [(column, d, None) for column, d in profile.items()]
    return [*out, ("exit_rates", profile_description("exit_rates"), None)]


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("missing", [None, float("nan")])
def test_every_shipped_sentence_reads_well_with_a_missing_value(
    lang: str, missing: float | None
) -> None:
    unknown = {"de": "unbekannt", "en": "unknown"}[lang]
    described = _shipped_descriptions()
    assert len(SHIPPED) == 3 and len(described) > 80
    for name, description, window in described:
        text = sentence(description, window, missing, lang)
        assert text[:1].isupper() and text == text.strip(), (name, text)
        assert not re.search(r"None|nan|NaN|[{}]", text), (name, text)
        # "unknown" ends the sentence: never "unbekannt Mitarbeitende", "Kam über unbekannt"
        assert unknown not in text or text.endswith(unknown), (name, text)
        assert not re.search(rf"(über|through|beim|at) {unknown}", text), (name, text)


def test_categories_read_in_words_and_unknown_codes_as_their_words() -> None:
    feature_set = load_feature_set(SHIPPED[0])
    assert feature_set.id == "conversion_v1" and feature_set.profile is not None
    profile = feature_set.profile.descriptions
    assert sentence(profile["industry"], None, "retail", "de") == "Branche: Einzelhandel"
    assert sentence(profile["lead_source"], None, "partner_portal", "de") == (
        "Kam über das Partnerportal"
    )
    assert sentence(profile["company_size"], None, None, "de") == "Unternehmensgröße unbekannt"
    assert sentence(profile["country"], None, "SE", "en") == "Country: SE"  # not named
    assert category_words("partner_portal") == "Partner portal"


def test_offers_in_german_sentences_have_their_german_names() -> None:
    nbo = load_feature_set(SHIPPED[1])
    german = " ".join(t for d in nbo.features for t in d.description.texts("de"))
    for offer in OFFERS:
        english_only = offer.name != offer.name_de
        assert not (english_only and offer.name in german), offer.name
