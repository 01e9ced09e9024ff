"""Columns that name or hash a lead rather than describe it: ids, hashes, e-mail
addresses. As features they explain nothing a rep could act on ("Landing page id:
b76ef374...") and let a model learn the training rows by heart."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

# a value that is a hash, a UUID or a long code of hex digits
_HASH = re.compile(
    r"^(?:[0-9a-f]{16,}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
# a share of values that makes a column a hash column, or a near-unique one
HASH_SHARE = 0.9
UNIQUE_SHARE = 0.95
MIN_VALUES = 50  # below this, distinct values say little
SAMPLE = 10_000


def identifier_columns(customers: pd.DataFrame, *, skip: Iterable[str] = ()) -> list[str]:
    """The text columns of ``customers`` whose values are hashes (most of them), or nearly
    all distinct: ids, not attributes."""
    found, skipped = [], set(skip)
    for column in customers.columns:
        if column in skipped:
            continue
        values = customers[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        if pd.api.types.is_datetime64_any_dtype(values):
            continue
        present = values.dropna().astype(str)
        if len(present) > SAMPLE:
            present = present.sample(SAMPLE, random_state=0)
        if len(present) < MIN_VALUES:
            continue
        hashes = present.str.strip().str.lower().str.fullmatch(_HASH).mean()
        distinct = present.nunique() / len(present)
        if hashes >= HASH_SHARE or distinct >= UNIQUE_SHARE:
            found.append(str(column))
    return found
