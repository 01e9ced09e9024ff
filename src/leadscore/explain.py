"""Reasons in plain language: TreeSHAP impacts turned into sentences for sales reps."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from leadscore.features.definitions import Description
from leadscore.modeling.propensity import FeatureEncoder

LANGUAGES = ("en", "de")


def format_value(value: object, lang: str) -> str:
    """Numbers as a person writes them: one decimal below 10, none from 10 up or where it
    would be 0 ("vor 16 Tagen", not "vor 16,0 Tagen")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unbekannt" if lang == "de" else "unknown"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}".replace(",", "." if lang == "de" else ",")
    if isinstance(value, (float, np.floating)):
        # one decimal where it carries meaning (2,5 Tage), none from 10 up (vor 396 Tagen)
        rounded = round(float(value), 1 if abs(value) < 10 else 0)
        if rounded.is_integer():
            return format_value(int(rounded), lang)
        text = f"{rounded:,.1f}"
        if lang == "de":
            text = text.replace(",", "_").replace(".", ",").replace("_", ".")
        return text
    return str(value)


@lru_cache(maxsize=65_536)  # the same few values recur across leads: render each once
def sentence(description: Description, window: object, value: object, lang: str) -> str:
    if value is None and description.missing(lang):
        return description.missing(lang)
    days = "" if window in (None, "all") else window
    return description.render(lang, value=format_value(value, lang), window=days)


def reasons_for_rows(
    contributions: np.ndarray,
    encoder: FeatureEncoder,
    matrix: np.ndarray,
    descriptions: dict[str, tuple[Description, object]],
    *,
    top_k: int,
    lang: str,
) -> list[list[dict]]:
    """Per row, the ``top_k`` largest impacts by size, pushing up or down, as sentences.

    ``matrix`` holds the rows' encoded features; values are decoded only for the reasons.
    """
    names = encoder.features
    impacts = contributions[:, : len(names)]
    top_k = min(top_k, len(names))
    order = np.argsort(-np.abs(impacts), axis=1, kind="stable")[:, :top_k]
    out = []
    for i in range(len(impacts)):
        reasons = []
        for j in order[i]:
            impact = float(impacts[i, j])
            if impact == 0:
                break
            description, window = descriptions[names[j]]
            value = encoder.value(j, matrix[i, j])
            reasons.append(
                {
                    "feature": names[j],
                    "value": value,
                    "impact": round(impact, 6),
                    "direction": "up" if impact > 0 else "down",
                    "text": sentence(description, window, value, lang),
                }
            )
        out.append(reasons)
    return out
