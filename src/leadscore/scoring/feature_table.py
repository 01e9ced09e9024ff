"""The feature table: features of known customers as of one moment (a snapshot held in
memory), looked up by id and scored without reading anything else."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.scoring.encoded import EncodedLeads
from leadscore.scoring.pure import PureScorer


@dataclass
class FeatureTable:
    """Features of known customers as of one moment, for lookups by id."""

    frame: pd.DataFrame  # indexed by customer_id

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> FeatureTable:
        latest = table.sort_values("as_of").drop_duplicates("customer_id", keep="last")
        return cls(latest.set_index(latest["customer_id"].astype("str")))

    @cached_property
    def _positions(self) -> dict[str, int]:
        return {customer: i for i, customer in enumerate(self.frame.index)}

    def positions(self, customer_ids: list[str]) -> np.ndarray:
        """Row positions of the given customers; unknown ids are an UnknownCustomers error."""
        index = self._positions
        missing = [c for c in customer_ids if c not in index]
        if missing:
            raise UnknownCustomers(missing)
        return np.fromiter((index[c] for c in customer_ids), dtype=np.intp, count=len(customer_ids))

    def knows(self, customer_ids: list[str]) -> list[bool]:
        index = self._positions
        return [c in index for c in customer_ids]

    def rows(self, customer_ids: list[str]) -> pd.DataFrame:
        return self.frame.iloc[self.positions(customer_ids)].reset_index(drop=True)


class UnknownCustomers(InputError):
    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        super().__init__(f"unknown customer_id(s): {ids[:10]}; send the full record instead")


@dataclass(frozen=True, eq=False)
class TableScorer:
    """Known customers scored from a feature table, encoded once at load (not per
    request). Nothing is logged: a feature table is a snapshot, not the store."""

    pure: PureScorer
    feature_table: FeatureTable

    @cached_property
    def leads(self) -> EncodedLeads:
        return self.pure.encode(self.feature_table.frame.reset_index(drop=True))

    def score_ids(
        self,
        customer_ids: list[str],
        *,
        lang: str = "en",
        top_k: int = 5,
        positions: Sequence[int] | None = None,
    ) -> list[dict]:
        """Explained scores for known customers; an id the table does not hold gets
        ``{"customer_id", "error"}`` in its place (messages name the lead by
        ``positions``, its place in the request, where given)."""
        known = self.feature_table.knows(customer_ids)
        items = unknown_ids(customer_ids, positions, why=NOT_IN_TABLE)
        found = [i for i, k in enumerate(known) if k]
        if found:
            ids = [customer_ids[i] for i in found]
            leads = self.leads.take(self.feature_table.positions(ids))
            scored = self.pure.score_encoded(leads, lang=lang, top_k=top_k)
            for i, result in zip(found, scored, strict=True):
                items[i] = result
        return items


NOT_IN_TABLE = "not a customer in the feature table of known customers"
NO_TABLE = "no feature table of known customers is loaded, so ids cannot be looked up"


def unknown_ids(
    customer_ids: list[str], positions: Sequence[int] | None = None, *, why: str = NO_TABLE
) -> list[dict]:
    """Each id's error item, saying ``why`` it cannot be scored (messages name the lead by
    ``positions``, its place in the request, where given)."""
    at = list(positions) if positions is not None else list(range(len(customer_ids)))
    return [
        {
            "customer_id": customer_id,
            "error": f"leads[{at[i]}].customer_id: {why}; send the full record instead "
            "(profile and events)",
        }
        for i, customer_id in enumerate(customer_ids)
    ]
