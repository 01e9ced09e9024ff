"""The model page's sentences: their numbers from the report, in German and English."""

from __future__ import annotations

import pandas as pd

from leadscore.workspace.model_report import ModelReport
from leadscore.workspace.model_words import (
    METRIC_LABELS,
    grade_sentences,
    label,
    page_words,
    report_body,
    verdict,
)

GRADES = [
    {"grade": "A", "share": 0.1, "conversion": 0.2},
    {"grade": "B", "share": 0.2, "conversion": 0.06},
    {"grade": "C", "share": 0.3, "conversion": 0.03},
    {"grade": "D", "share": 0.4, "conversion": 0.004},
]


def test_each_grade_is_said_in_whole_leads_out_of_the_fewest_that_leave_a_buyer() -> None:
    said = grade_sentences(GRADES, "de", 90)
    assert said[0] == "Von 10 Leads der Klasse A kaufen etwa 2 innerhalb von 90 Tagen."
    assert said[1] == "Von 10 Leads der Klasse B kaufen etwa 1 innerhalb von 90 Tagen."
    assert said[2] == "Von 100 Leads der Klasse C kaufen etwa 3 innerhalb von 90 Tagen."
    assert said[3] == "Von 1000 Leads der Klasse D kaufen etwa 4 innerhalb von 90 Tagen."
    # 0.02 + 0.012 + 0.009 + 0.0016 = 0.0426: 1 in 23
    assert said[4] == "Im Schnitt kauft 1 von 23 Leads."
    english = grade_sentences(GRADES[:1], "en", None)
    assert english == ["Of 10 class-A leads about 2 buy.", "On average 1 in 50 leads buys."]


def test_the_verdict_says_whether_to_retrain_and_how_many_features_changed() -> None:
    retrain = {"retrain": True, "drifted": 5, "features": 55}
    assert verdict(retrain, "de") == (
        "Neu trainieren empfohlen (5 von 55 Merkmalen haben sich verändert)"
    )
    assert verdict({"retrain": False, "drifted": 0, "features": 55}, "en") == (
        "Still works: yes (0 of 55 features have changed)"
    )
    assert verdict({"retrain": False, "drifted": 0, "features": None}, "de") == (
        "Funktioniert noch: ja"
    )


def test_the_pages_words_come_from_the_report_in_the_readers_zone() -> None:
    report = ModelReport(
        name="leadscore-conversion",
        version="3",
        trained=pd.Timestamp("2026-12-02 23:30", tz="UTC"),
        run_id="r",
        metrics=[{"metric": "roc_auc", "champion": 0.8}],
        grades=GRADES,
        calibration_png=None,
        model_card="",
        monitoring={
            "retrain": True,
            "drifted": 5,
            "features": 55,
            "since": pd.Timestamp("2026-11-30 08:00", tz="UTC"),
            "until": pd.Timestamp("2026-12-07 08:00", tz="UTC"),
        },
        horizon_days=90,
        algorithm="lightgbm",
    )
    said = page_words(report, "de", "Europe/Berlin")
    assert said["trained"] == "Trainiert am 03.12.2026"  # in Berlin it was the 3rd
    assert said["checked"] == "geprüft an den Leads von 30.11.2026 09:00 bis 07.12.2026 09:00"
    assert said["metrics"] == {"roc_auc": "Trennschärfe (ROC AUC)"}
    assert said["algorithm"] == "Entscheidungsbäume (LightGBM)"
    assert said["baselines"] == ["Logistische Regression", "Punkteregeln"]
    assert label(METRIC_LABELS, "new_measure", "de") == "new_measure"


def test_a_reports_body_is_taken_from_its_page() -> None:
    page = "<html><head><title>x</title></head><body class='a'>\n<h1>M</h1>\n</body></html>"
    assert report_body(page) == "\n<h1>M</h1>\n"
    assert report_body("<p>only</p>") == "<p>only</p>"
