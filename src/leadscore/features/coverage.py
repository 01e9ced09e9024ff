"""Which of a source's events a feature set reads, and which features read nothing.

An unmapped event type loads without complaint and a feature whose filter matches no
event is 0 for every lead: both are silent unless someone says so, so this says so.
"""

from __future__ import annotations

import pandas as pd

from leadscore.data.tables import EVENT_TYPES
from leadscore.features.definitions import FeatureDefinition, FeatureSetDefinition

_LISTED = 8  # at most this many types or features named in one note


def coverage_notes(events: pd.DataFrame, definition: FeatureSetDefinition) -> list[str]:
    """Notes on event types no feature names and on features no event matches."""
    if not definition.features:
        return []
    if events.empty:
        return [
            f"the source has no events: the {len(definition.features)} behaviour features of "
            f"{definition.id} are 0 for every lead; profile_v1 fits a lead list without events"
        ]
    notes = []
    counts = events["event_type"].astype("str").value_counts()
    named = {t for f in definition.features for t in (f.where.event_type or [])}
    unused = counts[~counts.index.isin(named)]
    if len(unused):
        listed = ", ".join(
            f"{t} ({n:,}{'' if t in EVENT_TYPES else ', not canonical'})"
            for t, n in unused.head(_LISTED).items()
        )
        more = f" and {len(unused) - _LISTED} more" if len(unused) > _LISTED else ""
        notes.append(
            f"event types no feature of {definition.id} names: {listed}{more}; they count only "
            "in features over all events. Map them onto the canonical types with event_types: "
            "in the source config (see docs/reference.md), or add features for them"
        )
    empty = [f.name for f in definition.features if f.where.items() and not _matches(events, f)]
    if empty:
        listed = ", ".join(empty[:_LISTED]) + (
            f" and {len(empty) - _LISTED} more" if len(empty) > _LISTED else ""
        )
        notes.append(
            f"{len(empty)} feature(s) of {definition.id} match no event and are 0 for every "
            f"lead: {listed}; the event types they read are not in the data"
        )
    return notes


def _matches(events: pd.DataFrame, feature: FeatureDefinition) -> bool:
    mask = pd.Series(True, index=events.index)
    for column, values in feature.where.items():
        if column not in events.columns:
            return False
        mask &= events[column].astype("str").isin(values)
    return bool(mask.any())
