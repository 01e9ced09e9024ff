"""Strict, vectorised parsing of raw column values into the canonical kinds.

Each parser returns the parsed column and a mask of values that were present but could
not be parsed, so that the caller can reject exactly those rows and say why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadscore.data.tables import ColumnKind

TIMESTAMP_DTYPE = pd.DatetimeTZDtype(unit="us", tz="UTC")
_OFFSET_SUFFIX = r"(?:Z|[+-]\d{2}:?\d{2})$"
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}

PARSE_FIXES: dict[ColumnKind, str] = {
    "timestamp": "write timestamps as ISO 8601 (2024-03-01T09:30:00, optionally with +01:00)",
    "float": "write a plain number with '.' as decimal separator",
    "int": "write a whole number",
    "bool": "write true/false, yes/no or 1/0",
    "string": "write text",
    "category": "write text",
}


def parse_column(
    values: pd.Series, kind: ColumnKind, *, timezone: str
) -> tuple[pd.Series, pd.Series]:
    """Parse ``values`` as ``kind``; return (parsed, failed) where failed marks bad values."""
    present = values.notna()
    if kind == "timestamp":
        parsed = parse_timestamps(values, timezone=timezone)
    elif kind == "float":
        parsed = _to_number(values).astype("float64")
    elif kind == "int":
        number = _to_number(values)
        whole = number.isna() | (number == np.floor(number))
        parsed = number.where(whole).astype("Int64")
    elif kind == "bool":
        parsed = _to_bool(values)
    elif kind == "category":
        parsed = _to_category(values)
    else:
        parsed = _to_string(values)
    failed = present & parsed.isna()
    return parsed, failed


def parse_timestamps(values: pd.Series, *, timezone: str) -> pd.Series:
    """Timestamps as UTC; values without an offset are read in ``timezone``."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype(TIMESTAMP_DTYPE)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _localize(values, timezone)
    text = _to_string(values)
    out = pd.Series(pd.NaT, index=values.index, dtype=TIMESTAMP_DTYPE)
    has_offset = text.str.contains(_OFFSET_SUFFIX, regex=True, na=False)
    if has_offset.any():
        aware = pd.to_datetime(text[has_offset], errors="coerce", utc=True, format="ISO8601")
        out[has_offset] = aware.astype(TIMESTAMP_DTYPE)
    naive_mask = text.notna() & ~has_offset
    if naive_mask.any():
        naive = pd.to_datetime(text[naive_mask], errors="coerce", format="ISO8601")
        out[naive_mask] = _localize(naive, timezone)
    return out


def _localize(values: pd.Series, timezone: str) -> pd.Series:
    local = values.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward")
    return local.dt.tz_convert("UTC").astype(TIMESTAMP_DTYPE)


def _to_number(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("float64")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64")
    return pd.to_numeric(_to_string(values).str.strip(), errors="coerce")


def _to_bool(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean")
    text = _to_string(values).str.strip().str.lower()
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(_TRUE)] = True
    out[text.isin(_FALSE)] = False
    return out


def _to_category(values: pd.Series) -> pd.Series:
    """Categorical with text categories in sorted order (so codes sort like the text)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return _to_string(values).astype("category")
    values = values.cat.remove_unused_categories()
    categories = values.cat.categories
    if categories.dtype != "str":
        values = values.cat.rename_categories(categories.astype("str"))
        categories = values.cat.categories
    if not categories.is_monotonic_increasing:
        values = values.cat.reorder_categories(categories.sort_values())
    return values


def _to_string(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.na_value is np.nan:
        return values
    out = values.astype("str")
    return out.where(values.notna())


def infer_kind(values: pd.Series) -> ColumnKind:
    """The kind of an undeclared profile column: numeric when every present value is."""
    present = values.dropna()
    if present.empty:
        return "string"
    if pd.api.types.is_bool_dtype(values.dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(values.dtype):
        return "float"
    if isinstance(values.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
        values.dtype
    ):
        return "timestamp"
    if _to_number(present).notna().all():
        return "float"
    return "category"
