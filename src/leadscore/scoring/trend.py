"""A score's trend: the score logged some time before, how far it moved, and why.

The reasons for a change are exact: the difference of two TreeSHAP explanations on the
margin. With the same model they are the feature impacts now less those logged then; when
the model was replaced in between, "model updated" is the new model's margin on the old
features less the old model's margin, and each feature's change is judged by the new model
(its impacts now less its impacts on the old features). Either way the items add up to the
change of the margin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# a move of fewer score points than this is steady
STEADY_POINTS = 3
CHANGE_REASONS = 3
MODEL_UPDATED = "model_updated"
NOT_ENOUGH_HISTORY = "not_enough_history"
MODEL_TEXT = {
    "en": "Model updated (version {old} to {new})",
    "de": "Modell aktualisiert (Version {old} auf {new})",
}


def direction(delta: int) -> str:
    if delta >= STEADY_POINTS:
        return "improving"
    if delta <= -STEADY_POINTS:
        return "declining"
    return "steady"


def days_between(earlier: pd.Timestamp, later: pd.Timestamp) -> int:
    return max(0, round((later - earlier) / pd.Timedelta(days=1)))


def no_history() -> dict:
    return {
        "previous_score": None,
        "days_ago": None,
        "delta": None,
        "direction": NOT_ENOUGH_HISTORY,
        "changes": [],
    }


def impacts_row(impacts: dict[str, float], names: list[str], base_value: float) -> np.ndarray:
    """Logged impacts in the model's feature order, the base value last (a feature the
    log lacks had no impact)."""
    return np.array([*(float(impacts.get(n, 0.0)) for n in names), base_value])


OTHER_TEXT = {
    "en": ("Other changes ({count} feature)", "Other changes ({count} features)"),
    "de": ("Weitere Änderungen ({count} Merkmal)", "Weitere Änderungen ({count} Merkmale)"),
}


def other_item(deltas: np.ndarray, names: list[str], shown: list[dict], lang: str) -> dict | None:
    """What the changes not shown add up to (so that every change's items add up to the
    change of the margin), or None where nothing else changed."""
    said = {item["feature"] for item in shown}
    rest = [j for j, name in enumerate(names) if name not in said and deltas[j] != 0]
    if not rest:
        return None
    share = float(deltas[rest].sum())
    return {
        "feature": None,
        "kind": "other",
        "impact": round(share, 6),
        "direction": "up" if share > 0 else "down",
        "text": OTHER_TEXT[lang][len(rest) != 1].format(count=len(rest)),
    }


def model_item(share: float, old: str, new: str, lang: str) -> dict:
    return {
        "feature": None,
        "kind": MODEL_UPDATED,
        "impact": round(float(share), 6),
        "direction": "up" if share > 0 else "down",
        "text": MODEL_TEXT[lang].format(old=old, new=new),
    }
