"""Reasons in plain language: TreeSHAP impacts turned into sentences for sales reps."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from leadscore.features.definitions import Description
from leadscore.modeling.propensity import FeatureEncoder

LANGUAGES = ("en", "de")


@dataclass(frozen=True)
class Reason:
    feature: str
    value: object
    impact: float
    direction: str
    text: str

    def as_dict(self) -> dict:
        return {
            "feature": self.feature,
            "value": self.value,
            "impact": self.impact,
            "direction": self.direction,
            "text": self.text,
        }


def format_value(value: object, lang: str) -> str:
    """Numbers as a person writes them: whole numbers plain, others with one decimal."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unbekannt" if lang == "de" else "unknown"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}".replace(",", "." if lang == "de" else ",")
    if isinstance(value, (float, np.floating)):
        if float(value).is_integer():
            return format_value(int(value), lang)
        text = f"{float(value):,.1f}"
        if lang == "de":
            text = text.replace(",", "_").replace(".", ",").replace("_", ".")
        return text
    return str(value)


def sentence(description: Description, window: object, value: object, lang: str) -> str:
    days = "" if window in (None, "all") else window
    return description.render(lang, value=format_value(value, lang), window=days)


def top_reasons(
    contributions: np.ndarray,
    encoder: FeatureEncoder,
    row: np.ndarray,
    descriptions: dict[str, tuple[Description, object]],
    *,
    top_k: int,
    lang: str,
) -> list[Reason]:
    """The ``top_k`` largest impacts by size, pushing up or down, as sentences.

    ``row`` is the lead's encoded feature row; values are decoded only for the reasons.
    """
    names = encoder.features
    impacts = contributions[: len(names)]
    order = np.argsort(-np.abs(impacts), kind="stable")[:top_k]
    reasons = []
    for j in order:
        if impacts[j] == 0:
            break
        description, window = descriptions[names[j]]
        value = encoder.value(j, row[j])
        reasons.append(
            Reason(
                feature=names[j],
                value=value,
                impact=round(float(impacts[j]), 6),
                direction="up" if impacts[j] > 0 else "down",
                text=sentence(description, window, value, lang),
            )
        )
    return reasons
