"""A score's trend: the score logged some time before, how far it moved, and why.

The reasons for a change are exact: the difference of two TreeSHAP explanations on the
margin. With the same model they are the feature impacts now less those logged then; when
the model was replaced in between, "model updated" is the new model's margin on the old
features less the old model's margin, and each feature's change is judged by the new model
(its impacts now less its impacts on the old features). Either way the items add up to the
change of the margin.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from leadscore.scoring.encoded import impacts_row
from leadscore.scoring.pure import PureScorer
from leadscore.store.score_log import LoggedScore

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


def trend_items(
    scorer: PureScorer,
    before: Sequence[LoggedScore],
    contributions: np.ndarray,
    matrix: np.ndarray,
    scores: np.ndarray,
    version: str,
    *,
    now: pd.Timestamp,
    lang: str,
) -> list[dict]:
    """Trends of leads scored now (exact contributions, encoded rows, scores) against
    their earlier logged scores: the changes add up to the change of the margin."""
    model = scorer.conversion_model
    names = list(model.features)
    old_features = pd.DataFrame([b.features for b in before], columns=names)
    old_matrix = model.encoder.matrix(old_features)
    same = np.array([b.model_version == version for b in before])
    baseline = np.vstack([impacts_row(b.impacts, names, b.base_value) for b in before])
    model_share = np.zeros(len(before))
    if not same.all():  # the new model's view of the old features is the baseline
        rescored = model.contributions(old_matrix[~same])
        model_share[~same] = rescored.sum(axis=1) - np.array(
            [b.margin for b, s in zip(before, same, strict=True) if not s]
        )
        baseline[~same] = rescored
    days = [days_between(b.scored_at, now) for b in before]
    deltas = contributions - baseline
    changes = scorer.conversion_writer.changes(
        deltas, matrix, old_matrix, days_ago=days, top_k=CHANGE_REASONS, lang=lang
    )
    out = []
    for k, earlier in enumerate(before):
        delta = int(scores[k]) - earlier.score
        items = changes[k]
        rest = other_item(deltas[k, :-1], names, items, lang)
        items = items if rest is None else [*items, rest]
        if not same[k]:
            items = [model_item(model_share[k], earlier.model_version, version, lang), *items]
        out.append(
            {
                "previous_score": earlier.score,
                "days_ago": days[k],
                "delta": delta,
                "direction": direction(delta),
                "changes": items,
            }
        )
    return out


def trend_between(
    scorer: PureScorer, before: LoggedScore, after: LoggedScore, *, lang: str
) -> dict:
    """The trend from one logged score of a lead to a later one (as a result's ``trend``
    says it), where the later one is by the model ``scorer`` serves."""
    model = scorer.conversion_model
    names = list(model.features)
    matrix = model.encoder.matrix(pd.DataFrame([after.features], columns=names))
    contributions = impacts_row(after.impacts, names, after.base_value)[None, :]
    [trend] = trend_items(
        scorer,
        [before],
        contributions,
        matrix,
        np.array([after.score]),
        after.model_version,
        now=after.scored_at,
        lang=lang,
    )
    return trend
