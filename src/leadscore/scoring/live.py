"""The live scorer: known customers scored from the store's events as of each request.

Features are built from the store and kept a while (``live_cache``); each result carries
its trend against the score logged ``trend_after`` before. Reading never writes: a score
reaches the log only through ``score_and_log``, the one call that says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial

import numpy as np
import pandas as pd

from leadscore.decisions.alert_payloads import TOP_REASONS
from leadscore.decisions.alerts import AlertConfig
from leadscore.scoring.alerting import alerts_for_events, to_outbox
from leadscore.scoring.encoded import ConversionParts, EncodedLeads, feature_rows
from leadscore.scoring.live_cache import CachedLead, LiveFeatureCache, Stamp
from leadscore.scoring.log_queue import ScoreLogQueue
from leadscore.scoring.log_writer import ScoreLogWriter
from leadscore.scoring.pure import PureScorer
from leadscore.scoring.records import NOT_ENOUGH_DATA, RecordScorer
from leadscore.scoring.trend import no_history, trend_items
from leadscore.store.score_log import latest_scores
from leadscore.store.store import Store

DEFAULT_TREND_AFTER = pd.Timedelta(hours=24)
DEFAULT_LIVE_TTL = pd.Timedelta(minutes=5)  # days-since features move 0.0035 days in it
DEFAULT_LIVE_MAX_LEADS = 200_000


@dataclass(frozen=True)
class BuiltLeads:
    """Customers' ids, encoded rows and the conversion model's feature values as the log
    keeps them (in the model's order)."""

    ids: list[str]
    leads: EncodedLeads
    values: list[tuple]


def _read(value: object, kind: list[str] | str) -> bool:
    """Whether the models read a stored profile value of this kind (its categories, or
    "number"): one they do not know counts as missing, so as nothing known."""
    if value is None or (isinstance(value, float) and value != value):
        return False
    if kind == "number":
        return not isinstance(value, bool) and pd.notna(pd.to_numeric(value, errors="coerce"))
    return str(value) in kind


def _part(matrix: np.ndarray | None, k: int) -> np.ndarray | None:
    return None if matrix is None else matrix[k]


def _stacked(ids: list[str], cached: Sequence[CachedLead]) -> EncodedLeads:
    """Kept leads' encoded rows as one matrix per model (every lead has a row of a model,
    or none has: they were encoded by one scorer)."""

    def stack(rows: list[np.ndarray | None]) -> np.ndarray | None:
        return None if rows[0] is None else np.vstack(rows)

    return EncodedLeads(
        list(ids),
        stack([c.conversion for c in cached]),
        stack([c.nbo for c in cached]),
        stack([c.allowed for c in cached]),
    )


@dataclass(eq=False)
class LiveScorer:
    """Scores known customers of ``store`` with ``pure`` (features built by
    ``records``' builder); ``alerts``' rules apply to the scores it logs."""

    pure: PureScorer
    records: RecordScorer
    store: Store
    alerts: AlertConfig | None = None
    # the trend compares with the newest score logged at least this long before
    trend_after: pd.Timedelta = DEFAULT_TREND_AFTER
    # how long a known customer's features built from the store serve later requests
    # while nothing new of the customer came in (see ``live_cache``)
    live_ttl: pd.Timedelta = DEFAULT_LIVE_TTL
    live_max_leads: int = DEFAULT_LIVE_MAX_LEADS
    # where the scores it logs go: the service's writer thread (requests never wait for
    # the store's write lock), or None to write them in the caller's thread
    log_queue: ScoreLogQueue | None = None
    _kept: LiveFeatureCache = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._kept = LiveFeatureCache(ttl=self.live_ttl, max_leads=self.live_max_leads)

    @cached_property
    def log(self) -> ScoreLogWriter:
        """The writer of this scorer's scores into the store's log."""
        names = tuple(self.pure.conversion_model.features)
        reasons = (
            None
            if self.alerts is None
            else partial(self.pure.logged_reasons, lang=self.alerts.lang, top_k=TOP_REASONS)
        )
        return ScoreLogWriter(self.store, names, self.pure.conversion_info, self.alerts, reasons)

    def score(
        self,
        customer_ids: list[str],
        *,
        now: pd.Timestamp,
        lang: str = "en",
        top_k: int = 5,
        positions: Sequence[int] | None = None,
    ) -> list[dict]:
        """Explained scores of known customers from the store's events as of ``now``, each
        with its trend; nothing is logged. An id the store does not hold gets its error
        item."""
        return self._score(customer_ids, now, lang, top_k, positions, origin=None)

    def score_and_log(
        self,
        customer_ids: list[str],
        *,
        now: pd.Timestamp,
        lang: str = "en",
        top_k: int = 5,
        positions: Sequence[int] | None = None,
        origin: str = "request",
    ) -> list[dict]:
        """As ``score``, and each score written to the log (with the alerts it makes)."""
        return self._score(customer_ids, now, lang, top_k, positions, origin=origin)

    def _score(
        self,
        customer_ids: list[str],
        now: pd.Timestamp,
        lang: str,
        top_k: int,
        positions: Sequence[int] | None,
        *,
        origin: str | None,
    ) -> list[dict]:
        at = list(positions) if positions is not None else list(range(len(customer_ids)))
        stamps = self.store.freshness(customer_ids)
        items: list[dict] = [
            {
                "customer_id": customer_id,
                "error": f"leads[{at[i]}].customer_id: not a customer in the store; send the "
                "full record instead (profile and events), or add the lead first (POST /leads)",
            }
            for i, customer_id in enumerate(customer_ids)
        ]
        found = [i for i, c in enumerate(customer_ids) if c in stamps]
        thin = self._thin([customer_ids[i] for i in found if stamps[customer_ids[i]][1] is None])
        for i in [i for i in found if customer_ids[i] in thin]:
            items[i] = {"customer_id": customer_ids[i], **thin[customer_ids[i]]}
        found = [i for i in found if customer_ids[i] not in thin]
        if not found:
            return items
        ids = list(dict.fromkeys(customer_ids[i] for i in found))
        cached = self.leads_as_of(ids, stamps, now)
        leads = _stacked(ids, cached)
        if self.pure.conversion is None:
            scored = self.pure.score_encoded(leads, lang=lang, top_k=top_k)
        else:
            parts = self.pure.conversion_parts(leads.conversion_rows)
            scored = self.pure.score_encoded(leads, lang=lang, top_k=top_k, parts=parts)
            trends = self._trends(ids, leads, parts, now=now, lang=lang)
            for result, trend in zip(scored, trends, strict=True):
                result["trend"] = trend
            if origin is not None:
                values = [c.values for c in cached]
                if self.log_queue is None:
                    self.log.write_changed(ids, values, parts, now=now, origin=origin)
                else:
                    entries = self.log.entries(ids, values, parts, now=now, origin=origin)
                    self.log_queue.put(self.log, entries, now)
        by_id = dict(zip(ids, scored, strict=True))
        for i in found:
            items[i] = dict(by_id[customer_ids[i]])
        return items

    def _thin(self, without_events: list[str]) -> dict[str, dict]:
        """The customers without events that hold fewer profile values the models read
        than ``min_information``: each one's item saying so (not scored, nor logged), as a
        record that holds too little gets."""
        needed = self.records.min_information
        if not without_events or needed <= 0:
            return {}
        kinds = {f: k for f, k in self.records.profile_kinds().items() if k != "any"}
        customers = self.store.customers(without_events, fields=frozenset(kinds))
        counts = {
            str(row["customer_id"]): sum(_read(row.get(f), kind) for f, kind in kinds.items())
            for row in customers.to_dict("records")
        }
        return {
            str(customer_id): {
                "status": NOT_ENOUGH_DATA,
                "message": f"not enough data to score: {int(n)} profile values the models read "
                f"and no events, at least {needed} needed (LEADSCORE_MIN_INFORMATION); add its "
                "events (POST /events) or profile (POST /leads)",
            }
            for customer_id, n in counts.items()
            if n < needed
        }

    def offers_for(
        self, customer_ids: Sequence[str], *, now: pd.Timestamp, lang: str
    ) -> dict[str, list[dict]]:
        """The next-best offers of known customers as of ``now``, ranked and explained, by
        id (nothing is logged: a page that shows them is not a score)."""
        if self.pure.nbo is None or not customer_ids:
            return {}
        stamps = self.store.freshness(customer_ids)
        ids = [c for c in dict.fromkeys(customer_ids) if c in stamps]
        if not ids:
            return {}
        leads = _stacked(ids, self.leads_as_of(ids, stamps, now))
        grades = (
            None
            if self.pure.conversion is None
            else self.pure.conversion_parts(leads.conversion_rows).grades
        )
        return dict(zip(ids, self.pure.ranked_offers(leads, grades, lang), strict=True))

    def refresh(self, customer_ids: list[str], *, now: pd.Timestamp) -> int:
        """Build and keep the features of customers something new of came in for (at
        intake, before it acknowledges), so their next score needs no building; how many."""
        if not customer_ids:
            return 0
        stamps = self.store.freshness(customer_ids)
        ids = [c for c in dict.fromkeys(customer_ids) if c in stamps]
        if ids:
            self.leads_as_of(ids, stamps, now)
        return len(ids)

    def keep_ahead(
        self,
        *,
        now: pd.Timestamp,
        batch_size: int = 2_000,
        stop: Callable[[], bool] = lambda: False,
    ) -> int:
        """Build and keep, ahead of any request, the features of the store's most active
        customers as of ``now`` (as many as are kept: ``live_max_leads``), so that a first
        request finds them built; how many were built. A customer whose kept features are
        still fresh is left as it is; ``stop`` is asked between batches."""
        if self.live_ttl <= pd.Timedelta(0):
            return 0
        ids = self.store.most_active(self.live_max_leads)
        built = 0
        for start in range(0, len(ids), batch_size):
            if stop():
                break
            batch = ids[start : start + batch_size]
            stamps = self.store.freshness(batch)
            # kept ones younger than half their life stay: a keeper runs that often
            half = now - self.live_ttl / 2
            stale = [
                c
                for c in batch
                if c in stamps
                and ((e := self._kept.fresh(c, stamps[c], now)) is None or e.as_of < half)
            ]
            self._keep(stale, stamps, now)
            built += len(stale)
        return built

    @property
    def kept_leads(self) -> int:
        """How many known customers' features are kept now."""
        return len(self._kept)

    def alert_on_events(self, events: pd.DataFrame, *, now: pd.Timestamp) -> int:
        """Alerts of events just taken into the store whose type a rule names: their leads
        are scored at once (and logged, so score rules may fire too), and each such event
        of a lead graded as the rule says makes an alert; the alerts new to the outbox."""
        config = self.alerts
        if config is None or self.pure.conversion is None:
            return 0
        matching = events[events["event_type"].astype("object").isin(config.event_types)]
        if matching.empty:
            return 0
        ids = matching["customer_id"].astype(str).unique().tolist()
        # the reasons the alerts carry, in the rules' language
        scored = self.score_and_log(ids, now=now, lang=config.lang, top_k=TOP_REASONS)
        results = dict(zip(ids, scored, strict=True))
        keys = self.store.keys_of("events", matching)
        alerts = alerts_for_events(config, matching, keys, results, now=now)
        return to_outbox(self.store, alerts, now=now)

    def leads_as_of(
        self, ids: list[str], stamps: dict[str, Stamp], now: pd.Timestamp
    ) -> list[CachedLead]:
        """Each lead's encoded features as of ``now``: kept ones where still fresh (see
        ``live_cache``), the others built from the store's events and kept."""
        found = {c: self._kept.fresh(c, stamps[c], now) for c in ids}
        built = self._keep([c for c in ids if found[c] is None], stamps, now)
        return [found[c] or built[c] for c in ids]

    def _keep(
        self, ids: list[str], stamps: dict[str, Stamp], now: pd.Timestamp
    ) -> dict[str, CachedLead]:
        """Build the features of ``ids`` as of ``now`` and keep them under the stamps read
        before (an event that came in between makes them stale, never wrong)."""
        built = self.built(ids, now) if ids else None
        if built is None:
            return {}
        kept = {}
        leads = built.leads
        for k, customer_id in enumerate(built.ids):
            entry = CachedLead(
                stamps[customer_id],
                now,
                _part(leads.conversion, k),
                _part(leads.nbo, k),
                _part(leads.allowed, k),
                built.values[k],
            )
            self._kept.put(customer_id, entry)
            kept[customer_id] = entry
        return kept

    def built(self, customer_ids: Sequence[str], now: pd.Timestamp) -> BuiltLeads | None:
        """The features of the customers of ``customer_ids`` the store holds, built from
        its events as of ``now``; None where it holds none."""
        customers = self.store.customers(customer_ids, fields=self.records.profile_fields)
        if customers.empty:
            return None
        events = self.store.rows("events", customers["customer_id"].tolist(), by_customer=True)
        return self.built_from(customers, events, now)

    def built_from(
        self, customers: pd.DataFrame, events: pd.DataFrame, now: pd.Timestamp
    ) -> BuiltLeads:
        """Customers' leads built from their events as of ``now``."""
        features = self.records.features_as_of(customers, events, now=now)
        conversion = self.pure.conversion
        names = [] if conversion is None else list(conversion.model.features)
        values = feature_rows(features, names)
        ids = features["customer_id"].astype(str).tolist()
        return BuiltLeads(ids, self.pure.encode(features), values)

    def _trends(
        self,
        ids: list[str],
        leads: EncodedLeads,
        parts: ConversionParts,
        *,
        now: pd.Timestamp,
        lang: str,
    ) -> list[dict]:
        """Each lead's trend against its newest score logged ``trend_after`` before now."""
        previous = latest_scores(self.store, ids, at_or_before=now - self.trend_after)
        out = [no_history() for _ in ids]
        rows = [i for i, c in enumerate(ids) if c in previous]
        if not rows:
            return out
        trends = trend_items(
            self.pure,
            [previous[ids[i]] for i in rows],
            parts.contributions[rows],
            leads.conversion_rows[rows],
            parts.scores[rows],
            self.pure.conversion_info.version,
            now=now,
            lang=lang,
        )
        for i, trend in zip(rows, trends, strict=True):
            out[i] = trend
        return out
