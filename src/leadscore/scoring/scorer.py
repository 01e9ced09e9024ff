"""The Scorer: the champions' scoring pieces, put together once per model load.

Each piece has one job (see the package's modules): ``pure`` scores and explains what it is
given and reads nothing; ``records`` checks full records and builds their features;
``table`` scores known customers from a feature table held in memory; ``live`` scores them
from the store as of each request, and logs a score only when asked to. Batch scoring, the
service and the workspace use the pieces they need.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from leadscore.common.errors import InputError
from leadscore.data.records import RECORD_TIMEZONE
from leadscore.decisions.alerts import AlertConfig
from leadscore.models.conversion import ConversionPredictor
from leadscore.models.nbo import NBOModel
from leadscore.scoring.encoded import LOCAL_MODEL, ModelInfo
from leadscore.scoring.feature_table import FeatureTable, TableScorer
from leadscore.scoring.live import LiveScorer
from leadscore.scoring.log_queue import ScoreLogQueue
from leadscore.scoring.pure import PureScorer
from leadscore.scoring.records import DEFAULT_MIN_INFORMATION, RecordScorer
from leadscore.store.store import Store


@dataclass(frozen=True, eq=False)
class Scorer:
    """The pieces that score with one pair of models. ``table`` is there where a feature
    table of known customers was given, ``live`` where a store was."""

    pure: PureScorer
    records: RecordScorer
    table: TableScorer | None = None
    live: LiveScorer | None = None

    @classmethod
    def serving(
        cls,
        conversion: ConversionPredictor | None,
        nbo: NBOModel | None = None,
        *,
        conversion_info: ModelInfo = LOCAL_MODEL,
        nbo_info: ModelInfo | None = None,
        feature_table: FeatureTable | None = None,
        store: Store | None = None,
        alerts: AlertConfig | None = None,
        accept_unknown_event_types: bool = False,
        lenient_profiles: bool = False,
        min_information: int = DEFAULT_MIN_INFORMATION,
        timezone: str = RECORD_TIMEZONE,
    ) -> Scorer:
        """The pieces on compiled copies of the models (see ``fast_models``)."""
        pure = PureScorer.compiled(
            conversion, nbo, conversion_info=conversion_info, nbo_info=nbo_info
        )
        return cls.of(
            pure,
            feature_table=feature_table,
            store=store,
            alerts=alerts,
            accept_unknown_event_types=accept_unknown_event_types,
            lenient_profiles=lenient_profiles,
            min_information=min_information,
            timezone=timezone,
        )

    @classmethod
    def of(
        cls,
        pure: PureScorer,
        *,
        feature_table: FeatureTable | None = None,
        store: Store | None = None,
        alerts: AlertConfig | None = None,
        accept_unknown_event_types: bool = False,
        lenient_profiles: bool = False,
        min_information: int = DEFAULT_MIN_INFORMATION,
        timezone: str = RECORD_TIMEZONE,
    ) -> Scorer:
        """The pieces around ``pure``: a table scorer where a feature table is given, a
        live scorer (with ``alerts``' rules) where a store is."""
        records = RecordScorer(
            pure,
            accept_unknown_event_types=accept_unknown_event_types,
            lenient_profiles=lenient_profiles,
            min_information=min_information,
            timezone=timezone,
        )
        table = None if feature_table is None else TableScorer(pure, feature_table)
        if table is not None:
            _ = table.leads  # encoded at load, not at the first request
        live = None if store is None else LiveScorer(pure, records, store, alerts=alerts)
        return cls(pure, records, table, live)

    def logging_to(self, queue: ScoreLogQueue) -> Scorer:
        """This Scorer with the scores its live scorer logs handed to ``queue``'s writer
        thread (the service's: a request never waits for the store's write lock)."""
        if self.live is None:
            return self
        return replace(self, live=replace(self.live, log_queue=queue))

    @property
    def conversion_info(self) -> ModelInfo:
        return self.pure.conversion_info

    def require_table(self) -> TableScorer:
        """The table scorer, which a Scorer loaded with a feature table has (an
        InputError otherwise)."""
        if self.table is None:
            raise InputError("this needs a feature table of known customers: load one")
        return self.table

    def require_live(self) -> LiveScorer:
        """The live scorer, which a Scorer loaded with a store has (an InputError
        otherwise)."""
        if self.live is None:
            raise InputError("this needs the store: load the champions with a database URL")
        return self.live
