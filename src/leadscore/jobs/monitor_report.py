"""The monitoring report as people read it, in English and German: its words, its plots
and the features named as the model's reasons name them ("Hat in den letzten 30 Tagen …
Seiten der Website aufgerufen"), never as columns (``page_views_30d``), so that the
German workspace shows a German report."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field

import jinja2
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from leadscore.evaluation.drift import FeatureDrift
from leadscore.evaluation.realised import Realised
from leadscore.explain import category_words, title
from leadscore.features.definitions import Description

REPORT_LANGS = ("en", "de")
WORDS: dict[str, dict[str, str]] = {
    "title": {"en": "Monitoring", "de": "Überwachung"},
    "period": {
        "en": "{scores} scores logged from {since} to {until} UTC, set against the "
        "champion's test rows (run {run}).",
        "de": "{scores} protokollierte Scores vom {since} bis {until} UTC, verglichen mit den "
        "Testdaten des Champions (Lauf {run}).",
    },
    "drift": {"en": "Drift", "de": "Veränderung der Daten"},
    "drift_summary": {
        "en": "{drifted} of {features} features drifted ({share} %), carrying {weight} % "
        "of the model's importance",
        "de": "{drifted} von {features} Merkmalen haben sich verändert ({share} %); sie "
        "tragen {weight} % des Gewichts im Modell",
    },
    "score_psi": {"en": "; the score's PSI is {psi}", "de": "; PSI des Scores: {psi}"},
    "feature": {"en": "feature", "de": "Merkmal"},
    "test": {"en": "test", "de": "Test"},
    "p_value": {"en": "p-value", "de": "p-Wert"},
    "drifted": {"en": "drifted", "de": "verändert"},
    "importance": {"en": "importance", "de": "Gewicht"},
    "new_categories": {"en": "new categories", "de": "neue Kategorien"},
    "yes": {"en": "yes", "de": "ja"},
    "no": {"en": "no", "de": "nein"},
    "performance": {"en": "Performance", "de": "Treffsicherheit"},
    "promised_auc": {"en": "AUC promised by the model card", "de": "AUC laut Modellkarte"},
    "estimated_auc": {
        "en": "AUC estimated from the calibrated probabilities (before labels)",
        "de": "AUC geschätzt aus den kalibrierten Wahrscheinlichkeiten (vor den Ergebnissen)",
    },
    "reference_auc": {
        "en": "the same estimate on the champion's test rows",
        "de": "dieselbe Schätzung auf den Testdaten des Champions",
    },
    "realised_auc": {
        "en": "AUC realised ({labelled} scores labelled, {waiting} waiting)",
        "de": "AUC erreicht ({labelled} Scores mit Ergebnis, {waiting} warten noch)",
    },
    "too_few": {"en": "not enough labels yet", "de": "noch zu wenige Ergebnisse"},
    "lift": {"en": "lift at 10 % (realised)", "de": "Lift in den besten 10 % (erreicht)"},
    "ece": {"en": "calibration error (realised)", "de": "Kalibrierungsfehler (erreicht)"},
    "per_grade": {
        "en": "Per grade: promised and realised conversion",
        "de": "Je Klasse: versprochene und erreichte Kaufquote",
    },
    "grade": {"en": "grade", "de": "Klasse"},
    "leads_now": {"en": "leads now", "de": "Leads jetzt"},
    "share": {"en": "share", "de": "Anteil"},
    "expected": {"en": "expected conversion", "de": "erwartete Kaufquote"},
    "labelled": {"en": "labelled scores", "de": "Scores mit Ergebnis"},
    "promised": {"en": "promised", "de": "versprochen"},
    "converted": {"en": "converted", "de": "gekauft"},
    "fairness": {"en": "Fairness", "de": "Fairness"},
    "protected_present": {
        "en": "Fields that must not be features are features: {fields}.",
        "de": "Felder, die keine Merkmale sein dürfen, sind Merkmale: {fields}.",
    },
    "field": {"en": "field", "de": "Feld"},
    "measure": {"en": "measure", "de": "Maß"},
    "highest": {"en": "highest", "de": "höchster Wert"},
    "lowest": {"en": "lowest", "de": "niedrigster Wert"},
    "gap": {"en": "gap", "de": "Abstand"},
    "flagged": {"en": "flagged", "de": "auffällig"},
    "segment": {"en": "segment", "de": "Gruppe"},
    "leads": {"en": "leads", "de": "Leads"},
    "graded_ab": {"en": "graded A or B", "de": "Klasse A oder B"},
    "proxies_of": {"en": "Proxies of {field}", "de": "Stellvertreter für {field}"},
    "telling_apart": {
        "en": "AUC telling {field} apart",
        "de": "AUC der Unterscheidung nach {field}",
    },
    "proxy": {"en": "proxy", "de": "Stellvertreter"},
    "psi_axis": {
        "en": "population stability index (PSI)",
        "de": "Populationsstabilitätsindex (PSI)",
    },
    "test_rows": {"en": "champion's test rows", "de": "Testdaten des Champions"},
    "period_scores": {"en": "scores of the period", "de": "Scores des Zeitraums"},
    "score": {"en": "score", "de": "Score"},
    "retrain": {"en": "Retraining recommended.", "de": "Neu trainieren empfohlen."},
    "keep": {"en": "No need to retrain.", "de": "Kein neues Training nötig."},
}
# the fairness measures and drift tests by their names in the report's tables
MEASURES: dict[str, dict[str, str]] = {
    "share_ab": {"en": "share graded A or B", "de": "Anteil Klasse A oder B"},
    "auc": {"en": "AUC", "de": "AUC"},
    "calibration": {"en": "calibration gap", "de": "Kalibrierungsabstand"},
    "ks": {"en": "Kolmogorov-Smirnov", "de": "Kolmogorow-Smirnow"},
    "chi2": {"en": "chi-squared", "de": "Chi-Quadrat"},
}


@dataclass(frozen=True)
class MonitorReport:
    model: str
    version: str
    run_id: str
    since: pd.Timestamp
    until: pd.Timestamp
    scores: int
    drift: list[FeatureDrift]
    score_drift: FeatureDrift | None
    promised_auc: float | None  # the model card's test AUC
    estimated_auc: float
    # the same estimate on the champion's test rows: what the period's estimate is set
    # against (estimate to estimate, so the estimator's own bias and the test set's luck
    # cancel)
    reference_estimated_auc: float
    importance: dict[str, float]  # feature: share of mean |SHAP| on the test rows
    expected_grades: pd.DataFrame
    realised: Realised
    segments: pd.DataFrame
    gaps: pd.DataFrame
    proxies: dict[str, pd.DataFrame]
    protected_present: list[str]
    retrain: bool = False
    recommendation: str = ""
    # by language, then name: PNG in base64
    figures: dict[str, dict[str, str]] = field(default_factory=dict)
    # each feature's title by language ("Branche"), for the report's reader
    titles: dict[str, dict[str, str]] = field(default_factory=dict)
    # each profile field's categories in words by language, by field, then code
    categories: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)

    @property
    def drifted(self) -> list[FeatureDrift]:
        return [d for d in self.drift if d.drifted]

    @property
    def drifted_share(self) -> float:
        return len(self.drifted) / len(self.drift) if self.drift else 0.0

    @property
    def drifted_importance(self) -> float:
        """The share of the model's importance that the drifted features carry: a few
        drifted features the model leans on matter more than many it hardly uses."""
        return float(sum(self.importance.get(d.feature, 0.0) for d in self.drifted))

    def metrics(self) -> dict[str, float]:
        out = {
            "scores": float(self.scores),
            "drifted_features": float(len(self.drifted)),
            "features": float(len(self.drift)),
            "drifted_share": self.drifted_share,
            "drifted_importance": self.drifted_importance,
            "estimated_auc": self.estimated_auc,
            "reference_estimated_auc": self.reference_estimated_auc,
            "score_psi": self.score_drift.psi if self.score_drift else float("nan"),
            "labelled": float(self.realised.labelled),
            "retrain": float(self.retrain),
        }
        out |= {f"realised_{k}": v for k, v in self.realised.metrics.items()}
        return out


def words(key: str, lang: str, **values: object) -> str:
    said = WORDS[key][lang]
    return said.format(**values) if values else said


def feature_titles(metadata: dict) -> dict[str, dict[str, str]]:
    """Each feature the model's metadata describes, titled in both languages, by name."""
    titles = {}
    for name, info in metadata.get("descriptions", {}).items():
        description = Description.from_metadata(info)
        titles[name] = {lang: title(description, info.get("window"), lang) for lang in REPORT_LANGS}
    return titles


def category_titles(metadata: dict) -> dict[str, dict[str, dict[str, str]]]:
    """The categories the model's metadata names in words, by field, then code, then
    language, without a leading article ("die organische Suche" as "organische Suche")."""
    found: dict[str, dict[str, dict[str, str]]] = {}
    for name, info in metadata.get("descriptions", {}).items():
        values = Description.from_metadata(info).values or {}
        found[name] = {
            str(code): {lang: _no_article(words[lang]) for lang in REPORT_LANGS if lang in words}
            for code, words in values.items()
        }
    return {name: values for name, values in found.items() if values}


ARTICLES = ("der ", "die ", "das ", "ein ", "eine ", "the ", "a ", "an ")


def _no_article(words: str) -> str:
    lowered = words.lower()
    for article in ARTICLES:
        if lowered.startswith(article):
            rest = words[len(article) :]
            return rest[:1].upper() + rest[1:]
    return words


def segment_words(
    categories: dict[str, dict[str, dict[str, str]]], field_name: str, text: str, lang: str
) -> str:
    """A segment as the report's reader reads it: its category's words, a figure after
    it kept ("email_campaign (0.300)" as "E-Mail-Kampagne (0.300)")."""
    code, space, rest = str(text).partition(" (")
    words = categories.get(field_name, {}).get(code, {}).get(lang) or category_words(code)
    return f"{words}{space}{rest}"


def named(titles: dict[str, dict[str, str]], name: str, lang: str) -> str:
    """A feature, field or measure as the report's reader reads it (a name nothing
    titles: its words, ``lead_source`` as "lead source")."""
    known = titles.get(name) or MEASURES.get(name)
    return known[lang] if known else str(name).replace("_", " ")


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def report_figures(
    report: MonitorReport,
    reference: pd.Series,
    current: pd.Series,
    *,
    psi_limit: float,
    titles: dict[str, dict[str, str]],
) -> dict[str, dict[str, str]]:
    """The report's plots (PNG in base64) by language, then name: the PSI of the most
    drifted features and the score distributions."""
    figures: dict[str, dict[str, str]] = {}
    top = report.drift[:15]
    for lang in REPORT_LANGS:
        figure = Figure(figsize=(7, 0.3 * len(top) + 1.2))
        axes = figure.add_subplot()
        labels = [_short(named(titles, d.feature, lang)) for d in top][::-1]
        axes.barh(labels, [d.psi for d in top][::-1],
                  color=["#b42318" if d.drifted else "#8b95a7" for d in top][::-1])  # fmt: skip
        axes.axvline(psi_limit, color="#1d2330", linewidth=1, linestyle="--")
        axes.set_xlabel(words("psi_axis", lang))
        psi = _png(figure)
        figure = Figure(figsize=(7, 3.2))
        axes = figure.add_subplot()
        bins = np.linspace(0, 100, 26)
        axes.hist(reference, bins=bins, density=True, alpha=0.6, label=words("test_rows", lang))
        if len(current):
            axes.hist(
                current, bins=bins, density=True, alpha=0.6, label=words("period_scores", lang)
            )
        axes.set_xlabel(words("score", lang))
        axes.legend()
        figures[lang] = {"psi": psi, "scores": _png(figure)}
    return figures


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def report_html(report: MonitorReport, lang: str = "en") -> str:
    """The report as one HTML page in ``lang``: inline styles and images, no script."""
    templates = jinja2.Environment(
        loader=jinja2.PackageLoader("leadscore.jobs", "templates"), autoescape=True
    )
    return templates.get_template("monitoring.html").render(
        report=report,
        lang=lang,
        w=lambda key, **values: words(key, lang, **values),
        name=lambda n: named(report.titles, n, lang),
        segment=lambda f, text: segment_words(report.categories, f, text, lang),
        figures=report.figures.get(lang) or report.figures.get("en") or {},
        number=lambda value, digits: _number(value, digits, lang),
    )


def _number(value: float, digits: int, lang: str) -> str:
    shown = f"{value:,.{digits}f}"
    return shown.translate(str.maketrans(",.", ".,")) if lang == "de" else shown
