"""The monitoring report in its reader's language: features titled as their reasons say
them, German words and numbers in the German report, plots in both languages."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd

from leadscore.jobs.monitor_report import (
    category_titles,
    feature_titles,
    named,
    report_figures,
    report_html,
    segment_words,
)
from tests.language import english_phrases
from tests.unit.jobs.test_monitor import NAMES, _even, _report

METADATA = {
    "descriptions": {
        "page_views_30d": {
            "en": {"zero": "Has not visited the website in the last {window} days",
                   "one": "Viewed 1 page of the website in the last {window} days",
                   "other": "Viewed {value} pages of the website in the last {window} days"},
            "de": {"zero": "War in den letzten {window} Tagen nicht auf der Website",
                   "one": "Hat in den letzten {window} Tagen 1 Seite der Website aufgerufen",
                   "other": "Hat in den letzten {window} Tagen {value} Seiten der Website "
                            "aufgerufen"},
            "window": 30,
        },
        "industry": {"en": "Industry: {value}", "de": "Branche: {value}", "window": None},
        "lead_source": {"en": "Came in through {value}", "de": "Kam über {value}",
                        "en_missing": "Lead source unknown", "de_missing": "Herkunft unbekannt",
                        "values": {"email_campaign": {"en": "an e-mail campaign",
                                                      "de": "eine E-Mail-Kampagne"}},
                        "window": None},
    }
}  # fmt: skip


def test_features_are_titled_as_their_reasons_name_them() -> None:
    titles = feature_titles(METADATA)
    assert titles["page_views_30d"] == {
        "en": "Viewed … pages of the website in the last 30 days",
        "de": "Hat in den letzten 30 Tagen … Seiten der Website aufgerufen",
    }
    assert titles["industry"] == {"en": "Industry", "de": "Branche"}
    assert named(titles, "share_ab", "de") == "Anteil Klasse A oder B"
    assert titles["lead_source"] == {"en": "Lead source", "de": "Herkunft"}
    assert named(titles, "job_level", "de") == "job level"  # untitled: words, no column
    categories = category_titles(METADATA)
    assert categories == {
        "lead_source": {"email_campaign": {"en": "E-mail campaign", "de": "E-Mail-Kampagne"}}
    }
    assert segment_words(categories, "lead_source", "email_campaign (0.300)", "de") == (
        "E-Mail-Kampagne (0.300)"
    )
    assert segment_words(categories, "country", "paid_search", "de") == "Paid search"


def _titled_report():
    titles = {n: {"en": f"Feature number {n[1:]}", "de": f"Merkmal Nummer {n[1:]}"} for n in NAMES}
    titles["industry"] = {"en": "Industry", "de": "Branche"}
    report = _report(drifted=["f1", "f2"], importance=_even({"f1": 0.3}), estimated=0.74)
    grades = pd.DataFrame(
        {"grade": ["A", "B"], "leads": [10, 30], "share": [0.25, 0.75], "expected": [0.3, 0.1]}
    )
    gaps = pd.DataFrame(
        {"field": ["industry"], "measure": ["share_ab"], "high": ["retail (0.300)"],
         "low": ["finance (0.100)"], "gap": [0.2], "flagged": [True]}
    )  # fmt: skip
    return dataclasses.replace(
        report, titles=titles, expected_grades=grades, gaps=gaps, retrain=True,
        recommendation="Retrain m: 2 of 20 features drifted.",
    )  # fmt: skip


def test_the_german_report_says_nothing_in_english_and_names_no_column() -> None:
    report = _titled_report()
    german = report_html(report, "de")
    text = re.sub(r"<[^>]+>", "\n", german.split("<body>")[1])
    assert english_phrases(text) == [], english_phrases(text)
    assert '<html lang="de">' in german and "Neu trainieren empfohlen." in german
    assert "Merkmal Nummer 1" in german and "f1<" not in german
    assert "Anteil Klasse A oder B" in german and "Branche" in german
    assert "01.11.2026 00:00" in german and "25,0 %" in german  # German dates and numbers
    english = report_html(report, "en")
    assert "<h2>Drift</h2>" in english and "Retrain m: 2 of 20 features drifted." in english
    assert "Feature number 1" in english and "25.0 %" in english


def test_the_plots_are_drawn_in_each_language() -> None:
    report = _titled_report()
    scores = pd.Series([10.0, 50.0, 90.0])
    figures = report_figures(report, scores, scores, psi_limit=0.2, titles=report.titles)
    assert set(figures) == {"en", "de"}
    assert figures["en"]["psi"] != figures["de"]["psi"]  # their labels differ
    assert all(len(png) > 1_000 for lang in figures.values() for png in lang.values())
