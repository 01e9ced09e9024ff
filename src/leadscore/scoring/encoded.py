"""What the scoring pieces hand each other: leads encoded for the models, the conversion
model's exact parts of some rows, a model's name and version, and feature values as the
score log keeps them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    alias: str

    def as_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "alias": self.alias}


LOCAL_MODEL = ModelInfo("conversion", "local", "none")


@dataclass(frozen=True)
class EncodedLeads:
    """Leads as the models read them: one matrix per model, and what the offer rules allow
    (everything but sales readiness). Built once per request, or once for the whole
    feature table, so that scoring a known customer touches no pandas at all."""

    customer_ids: list[str | None]
    conversion: np.ndarray | None
    nbo: np.ndarray | None
    allowed: np.ndarray | None

    def take(self, positions: np.ndarray) -> EncodedLeads:
        return EncodedLeads(
            [self.customer_ids[i] for i in positions],
            None if self.conversion is None else self.conversion[positions],
            None if self.nbo is None else self.nbo[positions],
            None if self.allowed is None else self.allowed[positions],
        )

    @property
    def conversion_rows(self) -> np.ndarray:
        """The conversion model's matrix, which leads of a Scorer with that model have."""
        if self.conversion is None:
            raise ValueError("these leads were encoded without a conversion model")
        return self.conversion

    @property
    def offer_rows(self) -> np.ndarray:
        """The offer models' matrix, which leads of a Scorer with offers have."""
        if self.nbo is None:
            raise ValueError("these leads were encoded without an offer model")
        return self.nbo


@dataclass(frozen=True)
class ConversionParts:
    """The conversion model's output for some rows: exact TreeSHAP contributions (the last
    column the base value), their sum (the margin), probability, score and grade."""

    contributions: np.ndarray
    margin: np.ndarray
    probability: np.ndarray
    scores: np.ndarray
    grades: np.ndarray


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


def impacts_row(impacts: dict[str, float], names: list[str], base_value: float) -> np.ndarray:
    """Logged impacts in the model's feature order, the base value last (a feature the
    log lacks had no impact)."""
    return np.array([*(float(impacts.get(n, 0.0)) for n in names), base_value])
