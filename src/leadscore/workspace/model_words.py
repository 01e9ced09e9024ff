"""The model and monitoring pages in the reader's words: what the champion is good at, said
from its per-grade conversion on the test rows, whether it still works, from the newest
monitoring run, and the names of its technical measures for the Details block."""

from __future__ import annotations

import re

from leadscore.workspace.formatting import day, moment, number
from leadscore.workspace.model_report import ModelReport
from leadscore.workspace.texts import text

# the measures' names as a reader reads them; the data-science name in brackets, where
# it is the word a colleague would look up
METRIC_LABELS: dict[str, dict[str, str]] = {
    "roc_auc": {"de": "Trennschärfe (ROC AUC)", "en": "Separation (ROC AUC)"},
    "pr_auc": {"de": "Treffgenauigkeit (PR AUC)", "en": "Precision over recall (PR AUC)"},
    "lift_at_10pct": {
        "de": "Vorsprung in den besten 10 % (Lift)",
        "en": "Lift in the best 10 %",
    },
    "log_loss": {"de": "Vorhersagefehler (Log-Loss)", "en": "Prediction error (log loss)"},
    "brier": {"de": "Wahrscheinlichkeitsfehler (Brier)", "en": "Probability error (Brier)"},
    "ece": {"de": "Kalibrierungsfehler (ECE)", "en": "Calibration error (ECE)"},
}
BASELINE_LABELS: dict[str, dict[str, str]] = {
    "logistic_regression": {"de": "Logistische Regression", "en": "Logistic regression"},
    "rules_points": {"de": "Punkteregeln", "en": "Points rules"},
}
ALGORITHM_LABELS: dict[str, dict[str, str]] = {
    "lightgbm": {"de": "Entscheidungsbäume (LightGBM)", "en": "Decision trees (LightGBM)"},
    **BASELINE_LABELS,
}


def label(table: dict[str, dict[str, str]], name: str, lang: str) -> str:
    """A measure's or algorithm's name in ``lang``; an unknown one as it is named."""
    return table.get(name, {}).get(lang, name)


def grade_sentences(grades: list[dict], lang: str, horizon_days: int | None) -> list[str]:
    """One sentence a grade, "Von 10 Leads der Klasse A kaufen etwa 2 …", and one on the
    average lead: the per-grade conversion on the test rows, in whole leads, out of the
    fewest (10, 100, 1000) that leaves at least one buyer."""
    within = "" if not horizon_days else text("model_within", lang, days=int(horizon_days))
    said = []
    for g in grades:
        rate = g.get("conversion")
        if rate is None or rate != rate:
            continue
        base = next((b for b in (10, 100, 1000) if round(rate * b) >= 1), 1000)
        buyers = number(rate * base, lang, 0)
        said.append(
            text("model_grade", lang, base=base, grade=g["grade"], buyers=buyers, within=within)
        )
    known = [g for g in grades if g.get("share") is not None and g.get("conversion") is not None]
    average = sum(g["share"] * g["conversion"] for g in known)
    if known and average > 0:
        said.append(text("model_average", lang, one_in=number(1 / average, lang, 0)))
    return said


def verdict(monitoring: dict, lang: str) -> str:
    """Whether the champion still works, as the newest monitoring run judged it."""
    said = text("model_retrain" if monitoring.get("retrain") else "model_works", lang)
    if monitoring.get("features"):
        changed = text(
            "model_changed", lang, drifted=monitoring["drifted"], features=monitoring["features"]
        )
        said += f" ({changed})"
    return said


def page_words(report: ModelReport, lang: str, zone: str) -> dict:
    """What the model and monitoring pages say of ``report`` in ``lang``."""
    monitoring = report.monitoring or {}
    since, until = monitoring.get("since"), monitoring.get("until")
    return {
        "grades": grade_sentences(report.grades, lang, report.horizon_days),
        "trained": text("model_trained_on", lang, day=day(report.trained, lang, zone)),
        "verdict": verdict(monitoring, lang) if monitoring else "",
        "checked": (
            text(
                "model_checked",
                lang,
                since=moment(since, lang, zone),
                until=moment(until, lang, zone),
            )
            if since is not None and until is not None
            else ""
        ),
        "algorithm": label(ALGORITHM_LABELS, report.algorithm, lang),
        "baselines": [label(BASELINE_LABELS, b, lang) for b in BASELINE_LABELS],
        "metrics": {
            m: label(METRIC_LABELS, m, lang) for m in (r["metric"] for r in report.metrics)
        },
    }


BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)


def report_body(html: str) -> str:
    """The body of a monitoring report (leadscore's own page, made by ``leadscore
    monitor``), to be shown inside the workspace's frame."""
    found = BODY.search(html)
    return found.group(1) if found else html
