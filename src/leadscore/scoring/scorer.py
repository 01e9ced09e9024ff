"""The Scorer: one object that turns leads into explained scores and next-best offers.

Shared by batch scoring (``leadscore score``) and the BentoML service. A lead is either a
known ``customer_id`` (features come from the feature store: a feature table as of now)
or a full record (profile attributes plus recent events, from which the Scorer builds
features with the same builder as training).

A Scorer never changes the models it is given: ``Scorer.serving`` gives it compiled
copies (the same values, several times faster), as batch scoring and the service use.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from functools import cached_property, partial

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.data.records import information, record_key, record_tables
from leadscore.data.tables import EVENT_TYPES
from leadscore.decisions.alerts import AlertConfig
from leadscore.explain import ReasonWriter
from leadscore.features.builder import build_features
from leadscore.features.definitions import Description, FeatureSetDefinition, expand
from leadscore.models.conversion import ConversionPredictor
from leadscore.models.grades import score
from leadscore.models.nbo import NBOModel, OfferView
from leadscore.models.propensity import PropensityModel
from leadscore.scoring.alerting import alerts_for_events, alerts_for_scores, to_outbox
from leadscore.scoring.fast_models import fast_conversion, fast_nbo
from leadscore.scoring.feature_store import FeatureStore
from leadscore.scoring.live_cache import CachedLead, LiveFeatureCache, Stamp
from leadscore.scoring.trend import (
    CHANGE_REASONS,
    days_between,
    direction,
    impacts_row,
    model_item,
    no_history,
    other_item,
)
from leadscore.store.forked import ForkedWorker, can_fork
from leadscore.store.score_log import LoggedScore, latest_scores, write_scores
from leadscore.store.store import Store

OFFER_REASONS = 3
DEFAULT_TREND_AFTER = pd.Timedelta(hours=24)
DEFAULT_LIVE_TTL = pd.Timedelta(minutes=5)  # days-since features move 0.0035 days in it
DEFAULT_LIVE_MAX_LEADS = 200_000


def _plain(value: object) -> object:
    """A feature value as JSON holds it."""
    if value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def feature_rows(features: pd.DataFrame, names: Sequence[str]) -> list[tuple]:
    """Each row's values of the features ``names`` as plain Python values, None where
    missing, column by column: twenty times faster than pandas' records for a rescore's
    thousands of rows."""
    columns = []
    for name in names:
        values = features[name]
        numpy_kind = values.dtype.kind if isinstance(values.dtype, np.dtype) else None
        if numpy_kind in ("i", "u", "b"):  # tolist gives Python's own numbers
            columns.append(values.to_numpy().tolist())
        elif numpy_kind == "f":
            columns.append([None if v != v else v for v in values.to_numpy().tolist()])
        else:
            plain = (_plain(v) for v in values.astype("object").tolist())
            columns.append([None if v is None or v != v else v for v in plain])
    if not columns:
        return [() for _ in range(len(features))]
    return list(zip(*columns, strict=True))


def _stacked(ids: list[str], cached: Sequence[CachedLead]) -> EncodedLeads:
    """Kept leads' encoded rows as one matrix per model."""
    return EncodedLeads(
        ids,
        *(
            None
            if getattr(cached[0], part) is None
            else np.vstack([getattr(c, part) for c in cached])
            for part in ("conversion", "nbo", "allowed")
        ),
    )


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    alias: str

    def as_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "alias": self.alias}


def _descriptions(model: PropensityModel) -> dict[str, tuple[Description, object]]:
    raw = model.metadata.get("descriptions", {})
    out = {}
    for name in model.features:
        info = raw.get(name) or {
            "en": f"{name}: {{value}}",
            "de": f"{name}: {{value}}",
            "window": None,
        }
        out[name] = (Description.from_metadata(info), info.get("window"))
    return out


@dataclass(frozen=True)
class EncodedLeads:
    """Leads as the models read them: one matrix per model, and what the offer rules allow
    (everything but sales readiness). Built once per request, or once for the whole
    feature store, so that scoring a known customer touches no pandas at all."""

    customer_ids: list[str | None]
    conversion: np.ndarray | None
    nbo: np.ndarray | None
    allowed: np.ndarray | None

    def row(self, k: int) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
        """The ``k``-th lead's row of each matrix."""
        return tuple(None if m is None else m[k] for m in (self.conversion, self.nbo, self.allowed))  # type: ignore[return-value]

    def take(self, positions: np.ndarray) -> EncodedLeads:
        return EncodedLeads(
            [self.customer_ids[i] for i in positions],
            None if self.conversion is None else self.conversion[positions],
            None if self.nbo is None else self.nbo[positions],
            None if self.allowed is None else self.allowed[positions],
        )


@dataclass(frozen=True)
class RecordFeatures:
    """Features of the records that keep the rules (in the order of ``accepted``, their
    positions among the records given), each other record's problem, and warnings."""

    features: pd.DataFrame
    accepted: list[int]
    problems: dict[int, str]
    warnings: dict[int, list[str]]


@dataclass(frozen=True)
class ConversionParts:
    """The conversion model's output for some rows: exact TreeSHAP contributions (the last
    column the base value), their sum (the margin), probability, score and grade."""

    contributions: np.ndarray
    margin: np.ndarray
    probability: np.ndarray
    scores: np.ndarray
    grades: np.ndarray


# the status of a record that holds too little to be scored (no grade, no offer)
NOT_ENOUGH_DATA = "not_enough_data"
DEFAULT_MIN_INFORMATION = 1


@dataclass(frozen=True)
class Rescored:
    """What a rescore did: leads scored into the log, and alerts new to the outbox."""

    leads: int
    alerts: int


@dataclass
class Scorer:
    """Scores, reasons and offers for leads. Without a conversion model (``None``: batch
    scoring of a next-best-offer model alone) results hold the offers only, and every
    eligible offer is open to every lead (there is no grade to tell sales readiness)."""

    conversion: ConversionPredictor | None
    nbo: NBOModel | None = None
    store: FeatureStore | None = None
    conversion_info: ModelInfo = ModelInfo("conversion", "local", "none")
    nbo_info: ModelInfo | None = None
    accept_unknown_event_types: bool = False
    lenient_profiles: bool = False
    # a record with fewer profile values and events than this is not scored: it says so
    min_information: int = DEFAULT_MIN_INFORMATION
    # the store of known customers: their features are built as of each request from the
    # events it holds, and every score is logged there (instead of ``store``'s snapshot)
    database: Store | None = None
    # the trend compares with the newest score logged at least this long before
    trend_after: pd.Timedelta = DEFAULT_TREND_AFTER
    # rules whose alerts go to the store's outbox when scores are logged
    alerts: AlertConfig | None = None
    # how long a known customer's features built from the store serve later requests
    # while nothing new of the customer came in (see ``live_cache``)
    live_ttl: pd.Timedelta = DEFAULT_LIVE_TTL
    live_max_leads: int = DEFAULT_LIVE_MAX_LEADS
    _writers: dict[str, ReasonWriter] = field(default_factory=dict, init=False, repr=False)
    _store_leads: EncodedLeads | None = field(default=None, init=False, repr=False)
    _live: LiveFeatureCache = field(init=False, repr=False)

    @classmethod
    def serving(
        cls,
        conversion: ConversionPredictor | None,
        nbo: NBOModel | None = None,
        store: FeatureStore | None = None,
        conversion_info: ModelInfo = ModelInfo("conversion", "local", "none"),
        nbo_info: ModelInfo | None = None,
        *,
        accept_unknown_event_types: bool = False,
        lenient_profiles: bool = False,
        min_information: int = DEFAULT_MIN_INFORMATION,
        database: Store | None = None,
        alerts: AlertConfig | None = None,
    ) -> Scorer:
        """A Scorer on compiled copies of the models (see ``fast_models``)."""
        fast_offers = None if nbo is None else fast_nbo(nbo)
        return cls(
            None if conversion is None else fast_conversion(conversion),
            fast_offers,
            store,
            conversion_info,
            nbo_info,
            accept_unknown_event_types,
            lenient_profiles,
            min_information,
            database,
            alerts=alerts,
        )

    def __post_init__(self) -> None:
        self._live = LiveFeatureCache(ttl=self.live_ttl, max_leads=self.live_max_leads)
        if self.conversion is not None:
            model = self.conversion.model
            self._writers = {"conversion": ReasonWriter(model.encoder, _descriptions(model))}
        if self.nbo is not None and not self.nbo.models:
            self.nbo = None  # no offer could be modelled: nothing to rank
        if self.conversion is None and self.nbo is None:
            raise InputError("nothing to score with: neither a conversion nor an offer model")
        if self.nbo is not None:  # the offers' models share the lead features' texts
            first = self._first_offer
            self._writers["nbo"] = ReasonWriter(self.nbo.encoder, _descriptions(first))
        if self.store is not None:  # encoded once at load, not per request
            self._store_leads = self.encode(self.store.frame.reset_index(drop=True))

    @property
    def feature_set(self) -> FeatureSetDefinition:
        """The conversion model's feature set (the offer model's, where it scores alone)."""
        model = self.conversion.model if self.conversion is not None else self._first_offer
        return FeatureSetDefinition.model_validate(model.metadata["feature_set_definition"])

    @property
    def _first_offer(self) -> PropensityModel | OfferView:
        """One offer's model: every offer shares the lead features, their texts and set."""
        return next(iter(self.nbo.models.values()))  # type: ignore[union-attr]

    def check_table(self, columns: Sequence[str]) -> None:
        """An InputError naming the model, its feature set and the command that builds a
        table it can score, when ``columns`` lack any of the models' features."""
        for info, needed, feature_set in self._needs():
            missing = [f for f in needed if f not in set(columns)]
            if missing:
                shown = ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
                raise InputError(
                    f"the feature table lacks {len(missing)} of the {len(needed)} features of "
                    f"{info.name} v{info.version} ({shown}); that model reads feature set "
                    f"{feature_set}: build the table with `leadscore features SOURCE "
                    f"--feature-set {feature_set} --out table.parquet`"
                )

    def _needs(self) -> list[tuple[ModelInfo, list[str], str]]:
        needs = []
        if self.conversion is not None:
            model = self.conversion.model
            needs.append((self.conversion_info, list(model.features), self.feature_set.id))
        if self.nbo is not None and self.nbo_info is not None:
            offer_set = self._first_offer.metadata.get("feature_set", "?")
            needs.append((self.nbo_info, list(self.nbo.features), offer_set))
        return needs

    def encode(self, frame: pd.DataFrame) -> EncodedLeads:
        ids = (
            frame["customer_id"].astype("object").map(str).tolist()
            if "customer_id" in frame
            else [None] * len(frame)
        )
        conversion = (
            None if self.conversion is None else self.conversion.model.encoder.matrix(frame)
        )
        if self.nbo is None:
            return EncodedLeads(ids, conversion, None, None)
        return EncodedLeads(
            ids, conversion, self.nbo.encoder.matrix(frame), self.nbo.allowed(frame)
        )

    def score_frame(self, frame: pd.DataFrame, *, lang: str = "en", top_k: int = 5) -> list[dict]:
        """Explained scores (and offers) for feature rows, vectorised over the batch."""
        return self.score_encoded(self.encode(frame), lang=lang, top_k=top_k)

    def score_ids(
        self,
        customer_ids: list[str],
        *,
        lang: str = "en",
        top_k: int = 5,
        positions: Sequence[int] | None = None,
    ) -> list[dict]:
        """Explained scores for known customers, from the feature store; an id it does not
        hold gets ``{"customer_id", "error"}`` in its place (messages name the lead by
        ``positions``, its place in the request, where given)."""
        at = list(positions) if positions is not None else list(range(len(customer_ids)))
        if self.database is not None:
            now = pd.Timestamp.now(tz="UTC")
            return self.score_live(customer_ids, now=now, lang=lang, top_k=top_k, positions=at)
        if self.store is None or self._store_leads is None:
            known = [False] * len(customer_ids)
            why = "no feature table of known customers is loaded, so ids cannot be looked up"
        else:
            known = self.store.knows(customer_ids)
            why = "not a customer in the feature table of known customers"
        items: list[dict] = [
            {
                "customer_id": customer_id,
                "error": f"leads[{at[i]}].customer_id: {why}; send the full record instead "
                "(profile and events)",
            }
            for i, customer_id in enumerate(customer_ids)
        ]
        found = [i for i, k in enumerate(known) if k]
        if found:
            ids = [customer_ids[i] for i in found]
            leads = self._store_leads.take(self.store.positions(ids))  # type: ignore[union-attr]
            scored = self.score_encoded(leads, lang=lang, top_k=top_k)
            for i, result in zip(found, scored, strict=True):
                items[i] = result
        return items

    def score_live(
        self,
        customer_ids: list[str],
        *,
        now: pd.Timestamp,
        lang: str = "en",
        top_k: int = 5,
        positions: Sequence[int] | None = None,
    ) -> list[dict]:
        """Explained scores of known customers from the store's events as of ``now``,
        each with its trend, and logged; an id the store does not hold gets its error
        item."""
        database = self.database
        assert database is not None
        at = list(positions) if positions is not None else list(range(len(customer_ids)))
        stamps = database.freshness(customer_ids)
        items: list[dict] = [
            {
                "customer_id": customer_id,
                "error": f"leads[{at[i]}].customer_id: not a customer in the store "
                f"({database.url}); send the full record instead (profile and events), or "
                "add the lead first (POST /leads)",
            }
            for i, customer_id in enumerate(customer_ids)
        ]
        found = [i for i, c in enumerate(customer_ids) if c in stamps]
        if not found:
            return items
        ids = list(dict.fromkeys(customer_ids[i] for i in found))
        cached = self._live_leads(ids, stamps, now)
        leads = _stacked(ids, cached)
        if self.conversion is None:
            scored = self.score_encoded(leads, lang=lang, top_k=top_k)
        else:
            parts = self.conversion_parts(leads.conversion)  # type: ignore[arg-type]
            scored = self.score_encoded(leads, lang=lang, top_k=top_k, parts=parts)
            trends = self._trends(ids, leads, parts, now=now, lang=lang)
            for result, trend in zip(scored, trends, strict=True):
                result["trend"] = trend
            self._log(ids, [c.values for c in cached], parts, now=now, origin="request")
        by_id = dict(zip(ids, scored, strict=True))
        for i in found:
            items[i] = dict(by_id[customer_ids[i]])
        return items

    def rescore(
        self,
        customer_ids: Sequence[str],
        *,
        now: pd.Timestamp,
        batch_size: int = 2_000,
        advance: Callable[[int], None] = lambda _: None,
    ) -> Rescored:
        """Score the customers of ``customer_ids`` the store holds as of ``now`` into the
        score log (with the alerts its rules make), batch by batch, as the nightly job
        does. Nothing is explained, offered or trended, as nobody reads it, and
        nothing is kept: a rescore's features would be stale long before most leads'
        next request. ``advance`` hears how many customers each batch covered."""
        database = self.database
        if database is None or self.conversion is None:
            raise InputError("a rescore needs a store and a conversion model")
        batches = [
            customer_ids[start : start + batch_size]
            for start in range(0, len(customer_ids), batch_size)
        ]
        forked = len(batches) > 1 and database.engine.dialect.name == "sqlite" and can_fork()
        built = self._built_forked(batches, now) if forked else self._built_aside(batches, now)
        # the next batches are read and built while this one is scored and the last one
        # written to the log; a batch or two wait at each stage at most
        done = alerts = 0
        with closing(built), ThreadPoolExecutor(1, thread_name_prefix="rescore-write") as writer:
            written = None
            for batch, one in built:
                if one is not None:
                    ids, leads, values = one
                    parts = self.conversion_parts(leads.conversion)  # type: ignore[arg-type]
                    if written is not None:
                        alerts += written.result()
                    written = writer.submit(
                        self._log, ids, values, parts, now=now, origin="rescore"
                    )
                    done += len(ids)
                advance(len(batch))
            if written is not None:
                alerts += written.result()
        return Rescored(done, alerts)

    def _built_aside(self, batches: list[Sequence[str]], now: pd.Timestamp) -> Iterator[tuple]:
        """Each batch with what ``_built`` made of it, the next one made in a thread
        (drivers other than SQLite's leave the interpreter while they wait)."""
        stage = partial(self._built, now=now)
        with ThreadPoolExecutor(1, thread_name_prefix="rescore-read") as reader:
            pending = reader.submit(stage, batches[0]) if batches else None
            for k, batch in enumerate(batches):
                built = pending.result()  # type: ignore[union-attr]
                pending = reader.submit(stage, batches[k + 1]) if k + 1 < len(batches) else None
                yield batch, built

    def _built_forked(self, batches: list[Sequence[str]], now: pd.Timestamp) -> Iterator[tuple]:
        """Each batch with what ``_built`` made of it, made by two forked processes in
        turn. SQLite's driver holds the interpreter while it makes its rows, so a thread
        reading beside the job would take turns with it rather than run beside it.
        (Scoring stays in the job: LightGBM's OpenMP may not run in a child forked after
        it ran; and a child writing the log gained nothing over the thread.)"""
        database = self.database
        assert database is not None
        stage = partial(self._built, now=now)
        with ExitStack() as stack:
            builders = [stack.enter_context(ForkedWorker(stage, database.engine)) for _ in range(2)]
            reading = stack.enter_context(ThreadPoolExecutor(2, thread_name_prefix="rescore-read"))
            ahead = deque(reading.submit(builders[k], batches[k]) for k in range(2))
            for k, batch in enumerate(batches):
                built = ahead.popleft().result()
                if k + 2 < len(batches):
                    ahead.append(reading.submit(builders[k % 2], batches[k + 2]))
                yield batch, built

    def _log(
        self,
        ids: list[str],
        values: list[tuple],
        parts: ConversionParts,
        *,
        now: pd.Timestamp,
        origin: str,
    ) -> int:
        """Write scores to the log, and the alerts its rules make of them to the outbox;
        how many alerts were new to it."""
        database = self.database
        assert database is not None
        names = tuple(self.conversion.model.features)  # type: ignore[union-attr]
        info = self.conversion_info
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
                names=names,
                impact_values=tuple(row),
                feature_values=tuple(features),
            )
            for customer_id, probability, score, grade, margin, base_value, row, features in columns
        ]
        alerts = (
            []
            if self.alerts is None
            else alerts_for_scores(self.alerts, database, entries, now=now)
        )
        write_scores(database, entries)
        return to_outbox(database, alerts, now=now)

    def refresh_live(self, customer_ids: list[str], *, now: pd.Timestamp) -> int:
        """Build and keep the features of customers something new of came in for (at
        intake, before it acknowledges), so their next score needs no building; how many."""
        database = self.database
        if database is None or not customer_ids:
            return 0
        stamps = database.freshness(customer_ids)
        ids = [c for c in dict.fromkeys(customer_ids) if c in stamps]
        if ids:
            self._live_leads(ids, stamps, now)
        return len(ids)

    def keep_live_ahead(
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
        database = self.database
        if database is None or self.live_ttl <= pd.Timedelta(0):
            return 0
        ids = database.most_active(self.live_max_leads)
        built = 0
        for start in range(0, len(ids), batch_size):
            if stop():
                break
            batch = ids[start : start + batch_size]
            stamps = database.freshness(batch)
            # kept ones younger than half their life stay: a keeper runs that often
            half = now - self.live_ttl / 2
            stale = [
                c
                for c in batch
                if c in stamps
                and ((e := self._live.fresh(c, stamps[c], now)) is None or e.as_of < half)
            ]
            self._keep(stale, stamps, now)
            built += len(stale)
        return built

    @property
    def kept_leads(self) -> int:
        """How many known customers' features are kept now."""
        return len(self._live)

    def alert_on_events(self, events: pd.DataFrame, *, now: pd.Timestamp) -> int:
        """Alerts of events just taken into the store whose type a rule names: their leads
        are scored at once (and logged, so score rules may fire too), and each such event
        of a lead graded as the rule says makes an alert; the alerts new to the outbox."""
        config, store = self.alerts, self.database
        if config is None or store is None or self.conversion is None:
            return 0
        matching = events[events["event_type"].astype("object").isin(config.event_types)]
        if matching.empty:
            return 0
        ids = matching["customer_id"].astype(str).unique().tolist()
        results = dict(zip(ids, self.score_live(ids, now=now, top_k=0), strict=True))
        alerts = alerts_for_events(config, matching, store.keys_of("events", matching), results)
        return to_outbox(store, alerts, now=now)

    def _live_leads(
        self, ids: list[str], stamps: dict[str, Stamp], now: pd.Timestamp
    ) -> list[CachedLead]:
        """Each lead's encoded features as of ``now``: kept ones where still fresh (see
        ``live_cache``), the others built from the store's events and kept."""
        database = self.database
        assert database is not None
        found = {c: self._live.fresh(c, stamps[c], now) for c in ids}
        found |= self._keep([c for c in ids if found[c] is None], stamps, now)
        return [found[c] for c in ids]  # type: ignore[misc]

    def _keep(
        self, ids: list[str], stamps: dict[str, Stamp], now: pd.Timestamp
    ) -> dict[str, CachedLead]:
        """Build the features of ``ids`` as of ``now`` and keep them under the stamps read
        before (an event that came in between makes them stale, never wrong)."""
        built = self._built(ids, now) if ids else None
        if built is None:
            return {}
        kept = {}
        for k, customer_id in enumerate(built[0]):
            entry = CachedLead(stamps[customer_id], now, *built[1].row(k), built[2][k])
            self._live.put(customer_id, entry)
            kept[customer_id] = entry
        return kept

    def _built(
        self, customer_ids: Sequence[str], now: pd.Timestamp
    ) -> tuple[list[str], EncodedLeads, list[tuple]] | None:
        """The features of the customers of ``customer_ids`` the store holds, built from
        its events as of ``now`` (see ``_built_from``); None where it holds none."""
        read = self._read(customer_ids)
        return None if read is None else self._built_from(*read, now)

    def _read(self, customer_ids: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame] | None:
        """The store's customers of ``customer_ids`` and their events; None where it holds
        none of them."""
        database = self.database
        assert database is not None
        customers = database.customers(customer_ids)
        if customers.empty:
            return None
        events = database.rows("events", customers["customer_id"].tolist(), by_customer=True)
        return customers, events

    def _built_from(
        self, customers: pd.DataFrame, events: pd.DataFrame, now: pd.Timestamp
    ) -> tuple[list[str], EncodedLeads, list[tuple]]:
        """Customers' ids, encoded rows and the conversion model's feature values as the
        log keeps them (in the model's order), built from their events as of ``now``."""
        features = self.features_as_of(customers, events, now=now)
        names = [] if self.conversion is None else list(self.conversion.model.features)
        values = feature_rows(features, names)
        return features["customer_id"].astype(str).tolist(), self.encode(features), values

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
        database = self.database
        assert database is not None and self.conversion is not None
        previous = latest_scores(database, ids, at_or_before=now - self.trend_after)
        out = [no_history() for _ in ids]
        rows = [i for i, c in enumerate(ids) if c in previous]
        if not rows:
            return out
        trends = self._trend_items(
            [previous[ids[i]] for i in rows],
            parts.contributions[rows],
            leads.conversion[rows],  # type: ignore[index]
            parts.scores[rows],
            self.conversion_info.version,
            now=now,
            lang=lang,
        )
        for i, trend in zip(rows, trends, strict=True):
            out[i] = trend
        return out

    def trend_between(self, before: LoggedScore, after: LoggedScore, *, lang: str) -> dict:
        """The trend from one logged score of a lead to a later one (as a result's
        ``trend`` says it), where the later one is by the model serving now."""
        model = self.conversion.model  # type: ignore[union-attr]
        names = list(model.features)
        matrix = model.encoder.matrix(pd.DataFrame([after.features], columns=names))
        contributions = impacts_row(after.impacts, names, after.base_value)[None, :]
        [trend] = self._trend_items(
            [before],
            contributions,
            matrix,
            np.array([after.score]),
            after.model_version,
            now=after.scored_at,
            lang=lang,
        )
        return trend

    def _trend_items(
        self,
        before: list[LoggedScore],
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
        model = self.conversion.model  # type: ignore[union-attr]
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
        changes = self._writers["conversion"].changes(
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

    def logged_reasons(
        self, entries: Sequence[LoggedScore], *, lang: str, top_k: int
    ) -> list[list[dict]]:
        """The reasons of logged scores (their exact impacts, their feature values), as a
        result's ``reasons`` say them, with the model serving now's sentences."""
        if not entries:
            return []
        model = self.conversion.model  # type: ignore[union-attr]
        names = list(model.features)
        matrix = model.encoder.matrix(pd.DataFrame([e.features for e in entries], columns=names))
        contributions = np.vstack([impacts_row(e.impacts, names, e.base_value) for e in entries])
        return self._writers["conversion"].reasons(contributions, matrix, top_k=top_k, lang=lang)

    def offers_for(
        self, customer_ids: Sequence[str], *, now: pd.Timestamp, lang: str
    ) -> dict[str, list[dict]]:
        """The next-best offers of known customers as of ``now``, ranked and explained, by
        id (nothing is logged: a page that shows them is not a score)."""
        database = self.database
        if database is None or self.nbo is None or not customer_ids:
            return {}
        stamps = database.freshness(customer_ids)
        ids = [c for c in dict.fromkeys(customer_ids) if c in stamps]
        if not ids:
            return {}
        leads = _stacked(ids, self._live_leads(ids, stamps, now))
        grades = (
            None if self.conversion is None else self.conversion_parts(leads.conversion).grades  # type: ignore[arg-type]
        )
        return dict(zip(ids, self._offers(leads, grades, lang), strict=True))

    def conversion_parts(self, matrix: np.ndarray) -> ConversionParts:
        """The conversion model's exact explanation of encoded rows and what follows from
        it: margin, calibrated probability, score and grade."""
        model = self.conversion.model  # type: ignore[union-attr]
        contributions = model.contributions(matrix)
        margin = contributions.sum(axis=1)
        probability = model.calibrator(margin)
        grades = self.conversion.bands.grades(margin, probability)  # type: ignore[union-attr]
        return ConversionParts(contributions, margin, probability, score(probability), grades)

    def score_encoded(
        self,
        leads: EncodedLeads,
        *,
        lang: str,
        top_k: int,
        parts: ConversionParts | None = None,
    ) -> list[dict]:
        """Explained scores of encoded leads (``parts``: their conversion parts, where
        worked out already)."""
        if self.conversion is None:
            offers = self._offers(leads, None, lang)
            info = None if self.nbo_info is None else self.nbo_info.as_dict()
            return [
                {"customer_id": customer_id, "next_best_offers": offers[i], "model": info}
                for i, customer_id in enumerate(leads.customer_ids)
            ]
        parts = parts or self.conversion_parts(leads.conversion)  # type: ignore[arg-type]
        contributions, margin, probability = parts.contributions, parts.margin, parts.probability
        scores, grades = parts.scores, parts.grades
        offers = (
            self._offers(leads, grades, lang)
            if self.nbo is not None
            else [[] for _ in leads.customer_ids]
        )
        reasons = self._writers["conversion"].reasons(
            contributions, leads.conversion, top_k=top_k, lang=lang
        )
        model_info = self.conversion_info.as_dict()
        return [
            {
                "customer_id": customer_id,
                "probability": float(probability[i]),
                "score": int(scores[i]),
                "grade": str(grades[i]),
                "base_value": float(contributions[i, -1]),
                "margin": float(margin[i]),
                "reasons": reasons[i],
                "next_best_offers": offers[i],
                "model": model_info,
            }
            for i, customer_id in enumerate(leads.customer_ids)
        ]

    def _offers(
        self, leads: EncodedLeads, grades: np.ndarray | None, lang: str
    ) -> list[list[dict]]:
        """Ranked, explained offers; without grades (or with a model that learnt what
        each offer adds) every eligible offer is open."""
        nbo = self.nbo
        propensity, expected = nbo.expected_values(leads.nbo)
        if grades is None or not nbo.splits_by_readiness:
            eligible = leads.allowed
        else:
            ready = np.isin(grades, nbo.config.sales_ready_grades)
            eligible = nbo.for_readiness(leads.allowed, ready)
        ranked = nbo.rank(propensity, eligible, expected, lang=lang)
        explained, rows = [], []
        for i, offers in enumerate(ranked):
            for offer in offers:
                if offer["offer_id"] in nbo.models:
                    explained.append(offer)
                    rows.append(i)
                else:  # an offer without a model ranks by its base rate: nothing to explain
                    offer["reasons"] = []
        if not explained:
            return ranked
        # each offer's reasons are its own: what makes it more likely than the lead's
        # other offers (one TreeSHAP pass for every offer of these leads), among the
        # features that may explain an offer of its kind
        explained_leads, at = np.unique(rows, return_inverse=True)
        shown: list[set[str]] = [set() for _ in explained_leads]
        for k, offer in zip(at, explained, strict=True):
            shown[k].add(offer["kind"])
        modelled, relative = nbo.relative_contributions(leads.nbo, explained_leads, shown)
        slot = {offer: j for j, offer in enumerate(modelled)}
        pairs = relative[at, [slot[o["offer_id"]] for o in explained]]
        for kind in {o["kind"] for o in explained}:
            of_kind = np.array([o["kind"] == kind for o in explained])
            pairs[np.ix_(of_kind, np.flatnonzero(~nbo.reason_mask(kind)))] = 0.0
        reasons = self._writers["nbo"].reasons(
            pairs, leads.nbo[np.asarray(rows)], top_k=OFFER_REASONS, lang=lang
        )
        for offer, offer_reasons in zip(explained, reasons, strict=True):
            offer["reasons"] = offer_reasons
        return ranked

    def score_records(
        self,
        records: list[dict],
        *,
        now: pd.Timestamp,
        lang: str = "en",
        top_k: int = 5,
        positions: Sequence[int] | None = None,
    ) -> list[dict]:
        """One item per record, in order: its explained score; ``{"customer_id",
        "error"}`` where the record breaks a rule (see ``features_for_records``); or
        ``{"customer_id", "status": "not_enough_data", "message"}`` where it holds fewer
        profile values and events than ``min_information`` (no grade, no offer). Results
        carry the record's own ``customer_id`` (None where it has none)."""
        built = self.features_for_records(records, now=now, positions=positions)
        items: list[dict] = [{} for _ in records]
        for i, message in built.problems.items():
            items[i] = {"customer_id": records[i].get("customer_id"), "error": message}
        known = {i: information(records[i]) for i in built.accepted}
        thin = {i for i, given in known.items() if given < self.min_information}
        for i in thin:
            items[i] = {
                "customer_id": records[i].get("customer_id"),
                "status": NOT_ENOUGH_DATA,
                "message": (
                    f"not enough data to score: {known[i]} profile values and "
                    f"events, at least {self.min_information} needed "
                    "(LEADSCORE_MIN_INFORMATION); send what is known of the lead"
                ),
            }
        rows = [row for row, i in enumerate(built.accepted) if i not in thin]  # features' rows
        accepted = [built.accepted[row] for row in rows]
        features = built.features.iloc[rows].reset_index(drop=True) if thin else built.features
        if accepted:
            scored = self.score_frame(features, lang=lang, top_k=top_k)
            for i, result in zip(accepted, scored, strict=True):
                result["customer_id"] = records[i].get("customer_id")
                result["warnings"] = built.warnings.get(i, [])
                items[i] = result
        return items

    def features_for_records(
        self,
        records: list[dict],
        *,
        now: pd.Timestamp,
        positions: Sequence[int] | None = None,
    ) -> RecordFeatures:
        """Features built from full records (profile + events) with the training builder,
        for the records that keep the rules; each other record's problem names the lead and
        field (``leadscore.data.records``; messages use ``positions``, the records' places
        in the request, where given).

        Profile fields the models know but a record lacks count as missing. A profile field
        the models do not read, or a category they do not know, is a problem; with
        ``lenient_profiles`` it is a warning instead (the field is ignored, the category
        counts as missing).
        """
        known = None if self.accept_unknown_event_types else self.known_event_types
        at = list(positions) if positions is not None else list(range(len(records)))
        tables = record_tables(records, now=now, event_types=known, positions=at)
        problems, warnings = dict(tables.problems), {}
        for i, record in enumerate(records):
            if i in problems:
                continue
            found = self._profile_problems(record.get("profile") or {}, f"leads[{at[i]}]")
            if found and not self.lenient_profiles:
                problems[i] = found[0]
            elif found:
                warnings[i] = found
        keep = [i for i in tables.accepted if i not in problems]
        kept = [record_key(i) for i in keep]
        customer_frame = tables.customers[tables.customers["customer_id"].isin(kept)]
        customer_frame = customer_frame.reset_index(drop=True)
        events = tables.events[tables.events["customer_id"].isin(kept)]
        features = self.features_as_of(customer_frame, events, now=now)
        return RecordFeatures(features, keep, problems, warnings)

    def features_as_of(
        self, customers: pd.DataFrame, events: pd.DataFrame, *, now: pd.Timestamp
    ) -> pd.DataFrame:
        """The models' features of ``customers`` (canonical columns, profile attributes as
        text or numbers) from their ``events``, as of ``now``, by the training builder; a
        category the models do not know counts as missing."""
        customer_frame = customers.copy()
        for column, levels in self._categories.items():
            if column in customer_frame:
                known = set(levels)
                values = [
                    None if pd.isna(v) or str(v) not in known else str(v)
                    for v in customer_frame[column].astype("object")
                ]
            else:
                values = [None] * len(customer_frame)
            customer_frame[column] = pd.Categorical(values, categories=levels)
        spine = pd.DataFrame({"customer_id": customer_frame["customer_id"], "as_of": now})
        spine["as_of"] = pd.to_datetime(spine["as_of"], utc=True)
        definition = self._record_feature_set
        features = build_features(customer_frame, events, spine, definition, n_jobs=1)
        for name in self._profile_numbers:
            if name not in features.columns:
                features[name] = float("nan")
        return features

    def _profile_problems(self, profile: dict, where: str) -> list[str]:
        found = []
        for key, value in profile.items():
            if key not in self.profile_fields:
                found.append(
                    f"{where}.profile.{key}: not a profile field the models read (they read "
                    f"{', '.join(sorted(self.profile_fields)) or 'none'}); leave it out"
                )
            elif value is not None and key in self._categories:
                levels = self._categories[key]
                if str(value) not in levels:
                    shown = ", ".join(map(str, levels[:12])) + (" ..." if len(levels) > 12 else "")
                    found.append(
                        f"{where}.profile.{key}: {str(value)[:40]!r} is not a value the models "
                        f"know (they know {shown}); send one of these, or leave it out"
                    )
        return found

    def profile_kinds(self) -> dict[str, list[str] | str]:
        """Each profile field a record may send: its categories, "number", or "any" (one its
        feature set leaves out)."""
        kinds: dict[str, list[str] | str] = {f: "any" for f in self.profile_fields}
        kinds |= {f: "number" for f in self._profile_numbers}
        kinds |= {f: [str(v) for v in levels] for f, levels in self._categories.items()}
        return kinds

    @cached_property
    def profile_fields(self) -> frozenset[str]:
        """The profile attributes the models read (their categories and profile numbers),
        and those their feature set names to leave out (known, so not a mistake)."""
        spec = self._record_feature_set.profile
        excluded = frozenset(spec.exclude) if spec is not None else frozenset()
        return frozenset(self._categories) | frozenset(self._profile_numbers) | excluded

    @cached_property
    def known_event_types(self) -> frozenset[str]:
        """The canonical event types and every type the models' features name."""
        named = {t for f in self._record_feature_set.features for t in (f.where.event_type or [])}
        return frozenset(EVENT_TYPES) | named

    @cached_property
    def _categories(self) -> dict[str, list[str]]:
        categories = (
            {} if self.conversion is None else dict(self.conversion.model.encoder.categories)
        )
        if self.nbo is not None and self.nbo.models:
            categories |= self.nbo.encoder.categories
        return categories

    @cached_property
    def _profile_numbers(self) -> list[str]:
        """Numeric features a record may omit (profile columns that are not built)."""
        built = {f.name for d in self._record_feature_set.features for f in expand(d)}
        names = [] if self.conversion is None else list(self.conversion.model.features)
        if self.nbo is not None:
            names += self.nbo.features
        categorical = self._categories
        return [n for n in dict.fromkeys(names) if n not in built and n not in categorical]

    @cached_property
    def _record_feature_set(self) -> FeatureSetDefinition:
        """Both models' feature sets in one, to build every feature a record needs once."""
        definition = self.feature_set
        if self.nbo is None or not self.nbo.models:
            return definition
        nbo_meta = self._first_offer.metadata["feature_set_definition"]
        other = FeatureSetDefinition.model_validate(nbo_meta)
        known = {d.name for d in definition.features}
        extra = [d for d in other.features if d.name not in known]
        return definition.model_copy(update={"features": [*definition.features, *extra]})
