"""How a source's columns become the canonical ones: dropped, renamed, coalesced, derived,
numbered, spread over time and a flag turned into the label, before any value is parsed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.data.source_config import (
    DerivedColumn,
    FlagLabel,
    SourceConfig,
    TableSource,
    TimeSequence,
)


def map_columns(
    raw: pd.DataFrame, spec: TableSource, source: SourceConfig, table: str
) -> pd.DataFrame:
    """The raw columns of ``table`` under their canonical names, as ``spec`` maps them."""
    kept = raw.drop(columns=[c for c in spec.drop if c in raw.columns])
    frame = _coalesced(kept.rename(columns=spec.rename))
    for column, derived in spec.derive.items():
        frame[column] = _derived(frame, derived, column)
    if spec.customer_id is not None:
        prefix = spec.customer_id.row_number.prefix
        width = len(str(int(frame.index.max()) + 1 if len(frame) else 0))
        frame["customer_id"] = [f"{prefix}{i + 1:0{width}d}" for i in frame.index]
    if spec.created_at is not None:
        frame["created_at"] = _sequence(frame, spec.created_at.sequence, source.timezone)
    if spec.event_types and "event_type" in frame.columns:
        frame["event_type"] = frame["event_type"].replace(spec.event_types)
    if table == "customers" and isinstance(source.label, FlagLabel):
        frame = _flag_label(frame, source.label, source.table_path(table))
    return frame


def _coalesced(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns renamed to the same name become one: the first value present wins.

    Flattened JSON often spells a key two ways (``value.offer id``, ``value.offer_id``).
    """
    if frame.columns.is_unique:
        return frame
    out = {}
    for name in dict.fromkeys(frame.columns):
        same = frame.loc[:, frame.columns == name]
        out[name] = same.iloc[:, 0] if same.shape[1] == 1 else same.bfill(axis=1).iloc[:, 0]
    return pd.DataFrame(out, index=frame.index)


def _derived(frame: pd.DataFrame, derived: DerivedColumn, column: str) -> pd.Series:
    if derived.template is not None:
        try:
            values = [derived.template.format_map(row) for row in _text_rows(frame)]
        except KeyError as exc:
            raise InputError(
                f"derive.{column}.template names {exc}, which is not a column "
                f"(columns: {', '.join(map(str, frame.columns[:20]))})"
            ) from None
        series = pd.Series(values, index=frame.index, dtype="str")
    else:
        if derived.source not in frame.columns:
            raise InputError(
                f"derive.{column}.from: no column '{derived.source}' "
                f"(columns: {', '.join(map(str, frame.columns[:20]))})"
            )
        series = frame[derived.source]
    return series.replace(derived.values) if derived.values else series


def _text_rows(frame: pd.DataFrame) -> list[dict[str, str]]:
    text = frame.astype("str").where(frame.notna(), "")
    return text.to_dict(orient="records")


def _sequence(frame: pd.DataFrame, seq: TimeSequence, timezone: str) -> pd.Series:
    """Rows spread evenly from start to end in time order: file order, reversed, or a column's."""
    start = pd.Timestamp(seq.start).tz_localize(timezone).tz_convert("UTC")
    end = pd.Timestamp(seq.end).tz_localize(timezone).tz_convert("UTC")
    n = len(frame)
    rank = np.arange(n)
    if seq.order_by is not None:
        if seq.order_by not in frame.columns:
            raise InputError(
                f"created_at.sequence.order_by: no column '{seq.order_by}' "
                f"(columns: {', '.join(map(str, frame.columns[:20]))})"
            )
        key = frame[seq.order_by]
        numeric = pd.to_numeric(key, errors="coerce")
        key = numeric if numeric.notna().sum() == key.notna().sum() else key.astype("str")
        rank = np.empty(n, dtype=np.int64)
        rank[np.argsort(key.to_numpy(), kind="stable")] = np.arange(n)
    if seq.newest_first:
        rank = n - 1 - rank
    step = (end - start) / max(n - 1, 1)
    return pd.Series(start + step * rank, index=frame.index)


def _flag_label(frame: pd.DataFrame, label: FlagLabel, path: object) -> pd.DataFrame:
    if label.column not in frame.columns and label.optional:
        return frame
    if label.column not in frame.columns:
        # without it every lead would read as unconverted, and training fails far later
        shown = ", ".join(repr(str(c)) for c in list(frame.columns)[:12])
        more = ", ..." if len(frame.columns) > 12 else ""
        raise InputError(
            f"{path}: no column '{label.column}', which the source config's label.column "
            f"names (the file has {shown}{more}); set label.column to the column that says "
            "whether a lead converted (or 'optional: true' under label where exports may "
            "lack it)"
        )
    raw = (
        frame[label.column].astype("str").str.strip().str.lower().where(frame[label.column].notna())
    )
    positive = {str(v).lower() for v in label.positive}
    converted = pd.Series(raw.isin(positive), index=frame.index, dtype="boolean")
    if label.negative is not None:
        negative = {str(v).lower() for v in label.negative}
        converted[~raw.isin(positive | negative)] = pd.NA
    out = frame.drop(columns=[label.column]) if label.column != "converted" else frame
    return out.assign(converted=converted)
