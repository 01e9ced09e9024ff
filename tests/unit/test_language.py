"""The check for English on German pages finds English and raw names, not German."""

from __future__ import annotations

from tests.language import english_phrases


def test_english_phrases_are_found_and_german_ones_are_not() -> None:
    assert english_phrases("Has not visited the website") == ["Has not visited the website"]
    assert english_phrases("Branche: company_size") == ["company_size"]
    german = "Hat in den letzten 30 Tagen 4 Seiten der Website aufgerufen. Score 87 (Klasse A)"
    assert english_phrases(german) == []
