"""Scores into the score log, and the alerts its rules make of them into the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from leadscore.decisions.alerts import AlertConfig
from leadscore.scoring.alerting import LoggedReasons, alerts_for_scores, to_outbox
from leadscore.scoring.encoded import ConversionParts, ModelInfo
from leadscore.store.score_log import LoggedScore, newest_said, write_scores
from leadscore.store.store import Store


@dataclass(frozen=True, eq=False)
class ScoreLogWriter:
    """Writes the conversion model's scores (``names``: its features, in its order) to
    ``store``'s log, as model ``info``; ``alerts``' rules are applied on the way, each
    alert with the reasons ``reasons`` gives its score (in the rules' language)."""

    store: Store
    names: tuple[str, ...]
    info: ModelInfo
    alerts: AlertConfig | None = None
    reasons: LoggedReasons | None = None

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
        return self.commit([(self.entries(ids, values, parts, now=now, origin=origin), now)])

    def write_changed(
        self,
        ids: list[str],
        values: list[tuple],
        parts: ConversionParts,
        *,
        now: pd.Timestamp,
        origin: str,
    ) -> int:
        """As ``write``, only the scores that say something new (see ``changed``)."""
        entries = self.entries(ids, values, parts, now=now, origin=origin)
        return self.commit(self.changed([(entries, now)]))

    def entries(
        self,
        ids: list[str],
        values: list[tuple],
        parts: ConversionParts,
        *,
        now: pd.Timestamp,
        origin: str,
    ) -> list[LoggedScore]:
        """The log's entries of scores of ``ids`` at ``now`` (nothing is written)."""
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
        return entries

    def changed(
        self, batches: Sequence[tuple[Sequence[LoggedScore], pd.Timestamp]]
    ) -> list[tuple[list[LoggedScore], pd.Timestamp]]:
        """``batches`` without the entries that repeat their customer's newest logged score
        (the same model version, score and grade: what a CRM and a rep read): a CRM
        polling a lead every second wrote 381 identical rows in 10 s, and the rep's
        history showed them as 60 points of one day. The score, not the probability or
        the margin: features that count days since something move the margin a little
        with every poll, and isotonic calibration gives many margins one probability."""
        said = newest_said(self.store, [e.customer_id for entries, _ in batches for e in entries])
        kept = []
        for entries, now in batches:
            new = []
            for entry in entries:
                saying = (entry.model_name, entry.model_version, entry.score, entry.grade)
                if said.get(entry.customer_id) != saying:
                    new.append(entry)
                    said[entry.customer_id] = saying
            if new:
                kept.append((new, now))
        return kept

    def commit(self, batches: Sequence[tuple[Sequence[LoggedScore], pd.Timestamp]]) -> int:
        """Write ``batches`` (entries, and the moment they were scored at) to the log, with
        the alerts the rules make of them; how many alerts were new to the outbox.

        Without rules the batches go in one transaction; with them one after another, so
        that each batch's alerts compare with the log as the batch before left it (a lead
        scored twice in a moment makes one alert of a change, not two), each batch's alerts
        into the outbox before its scores into the log: a batch tried again after a failure
        between the two finds the same alerts (the outbox keeps each key once) against the
        same log, where the other order would find its scores logged and no alert."""
        if self.alerts is None:
            write_scores(self.store, [e for entries, _ in batches for e in entries])
            return 0
        new = 0
        for entries, now in batches:
            alerts = alerts_for_scores(
                self.alerts, self.store, list(entries), now=now, reasons=self.reasons
            )
            new += to_outbox(self.store, alerts, now=now)
            write_scores(self.store, list(entries))
        return new
