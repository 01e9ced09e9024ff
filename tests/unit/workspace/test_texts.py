from __future__ import annotations

import pytest

from leadscore.data.tables import EVENT_TYPES
from leadscore.workspace.texts import (
    EVENT_LABELS,
    LANG_COOKIE,
    TEXTS,
    chosen_lang,
    event_label,
    profile_label,
)


def test_every_text_and_event_type_has_both_languages() -> None:
    for key, words in TEXTS.items():
        assert set(words) == {"de", "en"}, key
    assert set(EVENT_TYPES) <= set(EVENT_LABELS)
    assert event_label("trade_fair_visit", "de") == "Messe-Scan"
    assert event_label("a_new_type", "de") == "a_new_type"


@pytest.mark.parametrize(
    ("query", "cookies", "accept", "lang"),
    [
        ({}, {}, "de-DE,de;q=0.9,en;q=0.8", "de"),
        ({}, {}, "fr-FR,fr;q=0.9,en-GB;q=0.7,de;q=0.5", "en"),
        ({}, {}, "en;q=0.2, de;q=0.8", "de"),
        ({}, {}, "", "en"),
        ({}, {}, "fr", "en"),
        ({}, {LANG_COOKIE: "de"}, "en", "de"),
        ({"lang": "en"}, {LANG_COOKIE: "de"}, "de", "en"),
        ({"lang": "xx"}, {}, "de", "de"),
        ({}, {}, "de;q=oops, en", "en"),
    ],
)
def test_the_language_follows_the_switch_the_cookie_then_the_browser(
    query: dict, cookies: dict, accept: str, lang: str
) -> None:
    assert chosen_lang(query, cookies, accept) == lang


def test_a_profile_field_reads_as_a_rep_would_say_it() -> None:
    assert profile_label("company_size", "de") == "Unternehmensgröße"
    assert profile_label("lead_source", "en") == "Lead source"
    assert profile_label("preferred_contact_time", "de") == "Preferred contact time"


def test_channels_read_as_words_in_both_languages() -> None:
    from leadscore.workspace.texts import channel_label

    assert channel_label("paid_search", "de") == "Bezahlte Suche"
    assert channel_label("paid_search", "en") == "Paid search"
    assert channel_label("partner_portal", "de") == "Partner portal"  # unknown: its words
