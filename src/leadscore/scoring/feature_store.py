"""Features of known customers as of one moment, looked up by id."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError


@dataclass
class FeatureStore:
    """Features of known customers as of one moment, for lookups by id."""

    frame: pd.DataFrame  # indexed by customer_id

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> FeatureStore:
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
