"""Scores into the score log, and the alerts its rules make of them into the outbox."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from leadscore.decisions.alerts import AlertConfig
from leadscore.scoring.alerting import alerts_for_scores, to_outbox
from leadscore.scoring.encoded import ConversionParts, ModelInfo
from leadscore.store.score_log import LoggedScore, write_scores
from leadscore.store.store import Store


@dataclass(frozen=True, eq=False)
class ScoreLogWriter:
    """Writes the conversion model's scores (``names``: its features, in its order) to
    ``store``'s log, as model ``info``; ``alerts``' rules are applied on the way."""

    store: Store
    names: tuple[str, ...]
    info: ModelInfo
    alerts: AlertConfig | None = None

    def write(
        self,
        ids: list[str],
        values: list[tuple],
        parts: ConversionParts,
        *,
        now: pd.Timestamp,
        origin: str,
    ) -> int:
        """Log scores of ``ids`` (their feature values, their conversion parts) at
        ``now``, and the alerts the rules make of them; how many alerts were new to the
        outbox."""
        info = self.info
        columns = zip(
            ids,
            parts.probability.tolist(),
            parts.scores.tolist(),
            parts.grades.tolist(),
            parts.margin.tolist(),
            parts.contributions[:, -1].tolist(),
            parts.contributions[:, :-1].tolist(),
            values,
            strict=True,
        )
        entries = [
            LoggedScore(
                customer_id=customer_id,
                scored_at=now,
                origin=origin,
                model_name=info.name,
                model_version=info.version,
                probability=probability,
                score=int(score),
                grade=str(grade),
                margin=margin,
                base_value=base_value,
                names=self.names,
                impact_values=tuple(row),
                feature_values=tuple(features),
            )
            for customer_id, probability, score, grade, margin, base_value, row, features in columns
        ]
        alerts = (
            []
            if self.alerts is None
            else alerts_for_scores(self.alerts, self.store, entries, now=now)
        )
        write_scores(self.store, entries)
        return to_outbox(self.store, alerts, now=now)
