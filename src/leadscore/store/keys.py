"""The key of an appended row: what makes a retried delivery count once.

A row that carries its sender's ``event_id`` goes by it; any other by a digest of its
content (customer, moment to the microsecond, type and the other canonical columns), so
the same export ingested twice, or a batch posted again after a timeout, adds nothing.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

ID_COLUMN = "event_id"
SEPARATOR = "\x1f"


def _text(value: object) -> str:
    """A value as its key spells it: missing values (None, NaN, NA) as nothing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and value != value:
        return ""
    return str(value)


def row_keys(table: str, frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One key per row of ``frame`` (its canonical ``columns``, moments in microseconds)."""
    values = zip(*(frame[c].tolist() for c in columns), strict=True)
    digests = np.array(
        [
            hashlib.blake2b(
                f"{table}\x1e{SEPARATOR.join(map(_text, row))}".encode(), digest_size=20
            ).hexdigest()
            for row in values
        ],
        dtype=object,
    )
    if ID_COLUMN in frame:
        given = frame[ID_COLUMN].astype("object")
        has_id = given.notna().to_numpy() & (given.astype(str).str.len() > 0).to_numpy()
        digests[has_id] = [_id_key(str(v)) for v in given[has_id]]
    return digests


def _id_key(event_id: str) -> str:
    if len(event_id) <= 61:  # the key column holds 64 characters
        return f"id:{event_id}"
    return "id#" + hashlib.blake2b(event_id.encode(), digest_size=30).hexdigest()
