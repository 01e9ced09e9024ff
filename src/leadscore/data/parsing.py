"""Strict, vectorised parsing of raw column values into the canonical kinds.

Each parser returns the parsed column and a mask of values that were present but could
not be parsed, so that the caller can reject exactly those rows and say why.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from leadscore.data.formats import NumberFormat, TimestampFormat
from leadscore.data.problems import Problem
from leadscore.data.source_config import SourceConfig, TableSource
from leadscore.data.tables import DISPLAY_COLUMNS, TABLES, ColumnKind

TIMESTAMP_DTYPE = pd.DatetimeTZDtype(unit="us", tz="UTC")
_OFFSET_SUFFIX = r"(?:Z|[+-]\d{2}:?\d{2})$"
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}

# no timestamp is longer; longer text is refused unread (parsing time grows with length)
MAX_TIMESTAMP_LENGTH = 64
_UNIT_SECONDS = {"seconds": 1, "milliseconds": 1e-3, "minutes": 60, "hours": 3600, "days": 86400}
# offsets of more than this many seconds from the origin are out of pandas' range
_MAX_OFFSET_SECONDS = 9e9
# a posted number at or above this is epoch milliseconds, below it epoch seconds; at or
# above the second bound it is neither (see posted_timestamps)
EPOCH_MILLISECONDS_FROM = 1e11
EPOCH_MILLISECONDS_UP_TO = 1e14

PARSE_FIXES: dict[ColumnKind, str] = {
    "timestamp": "write timestamps as ISO 8601 (2024-03-01T09:30:00, optionally with +01:00), "
    "or say how they are written: timestamps: {column: {format: '%d.%m.%Y'}} or "
    "{unit: hours, origin: '2024-01-01'} in the source config",
    "float": "write a finite number with '.' as decimal separator, or set "
    "numbers: {decimal: ','} in the source config",
    "int": "write a whole number",
    "bool": "write true/false, yes/no or 1/0",
    "string": "remove NUL bytes (\\x00): the value holds binary data or the export is broken",
    "category": "remove NUL bytes (\\x00): the value holds binary data or the export is broken",
}


def parse_column(
    values: pd.Series,
    kind: ColumnKind,
    *,
    timezone: str,
    timestamp_format: TimestampFormat | None = None,
    numbers: NumberFormat | None = None,
) -> tuple[pd.Series, pd.Series]:
    """Parse ``values`` as ``kind``; return (parsed, failed) where failed marks bad values."""
    present = values.notna()
    if kind == "timestamp":
        parsed = parse_timestamps(values, timezone=timezone, written=timestamp_format)
    elif kind == "float":
        parsed = _to_number(values, numbers).astype("float64")
    elif kind == "int":
        number = _to_number(values, numbers)
        whole = number.isna() | (number == np.floor(number))
        parsed = number.where(whole).astype("Int64")
    elif kind == "bool":
        parsed = _to_bool(values)
    elif kind == "category":
        parsed = _to_category(values)
        parsed = parsed.where(~_has_nul(parsed))
    else:
        parsed = _to_string(values)
        parsed = parsed.where(~_has_nul(parsed))
    failed = present & parsed.isna()
    return parsed, failed


def _has_nul(text: pd.Series) -> pd.Series:
    """Which values of parsed text (plain or categorical) hold a NUL byte."""
    if isinstance(text.dtype, pd.CategoricalDtype):
        # a missing value's code -1 picks the False appended at the end
        per_category = np.append(text.cat.categories.str.contains("\x00", regex=False), False)
        return pd.Series(per_category[text.cat.codes.to_numpy()], index=text.index)
    return text.str.contains("\x00", regex=False, na=False).astype(bool)


def parse_timestamps(
    values: pd.Series,
    *,
    timezone: str,
    written: TimestampFormat | None = None,
    posted: bool = False,
) -> pd.Series:
    """Timestamps as UTC; values without an offset are read in ``timezone``.

    ``written`` says how text that is not ISO 8601 is written (a pattern, day first) or
    that numbers are time since an origin. ``posted``: a local time a clock change makes
    ambiguous is its earlier instant (a file's is unreadable: its rows say which it is).
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC").astype(TIMESTAMP_DTYPE)
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return _localize(values, timezone)
    if written is not None and written.unit is not None:
        return _since_origin(values, written, timezone)
    text = _to_string(values)
    text = text.where(text.str.len() <= MAX_TIMESTAMP_LENGTH)
    if written is not None and (written.format is not None or written.dayfirst):
        return _patterned(text, written, timezone)
    out = pd.Series(pd.NaT, index=values.index, dtype=TIMESTAMP_DTYPE)
    has_offset = text.str.contains(_OFFSET_SUFFIX, regex=True, na=False)
    if has_offset.any():
        aware = pd.to_datetime(text[has_offset], errors="coerce", utc=True, format="ISO8601")
        out[has_offset] = aware.astype(TIMESTAMP_DTYPE)
    naive_mask = text.notna() & ~has_offset
    if naive_mask.any():
        naive = pd.to_datetime(text[naive_mask], errors="coerce", format="ISO8601")
        out[naive_mask] = _localize(naive, timezone, earlier=posted)
    return out


def parse_posted(
    values: pd.Series, kind: ColumnKind, *, timezone: str
) -> tuple[pd.Series, pd.Series]:
    """Values posted over HTTP (JSON as parsed: text, numbers, booleans) parsed as ``kind``,
    as ``parse_column`` does; timestamps as ``posted_timestamps`` reads them."""
    if kind != "timestamp":
        return parse_column(values, kind, timezone=timezone)
    parsed = posted_timestamps(values, timezone=timezone)
    return parsed, values.notna() & parsed.isna()


def posted_timestamps(values: pd.Series, *, timezone: str) -> pd.Series:
    """Posted moments as UTC: ISO 8601 text, without an offset read in ``timezone`` (a
    local time a clock change makes ambiguous is the earlier instant, one it skips is
    shifted forward by the change), or a number: seconds since 1970-01-01 UTC, or
    milliseconds where it is 1e11 or more (1e11 seconds are in the year 5138, 1e11
    milliseconds in 1973). A number of 1e14 or more, or a boolean, is unreadable."""
    raw = values.astype("object")
    is_number = raw.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
    out = pd.Series(pd.NaT, index=values.index, dtype=TIMESTAMP_DTYPE)
    text = raw.where(~is_number & raw.map(lambda v: isinstance(v, str)))
    if text.notna().any():
        out[text.notna()] = parse_timestamps(text[text.notna()], timezone=timezone, posted=True)
    if is_number.any():
        number = _to_number(raw[is_number])
        size = number.abs()
        seconds = number.where(size < EPOCH_MILLISECONDS_FROM, number / 1000)
        # and within pandas' range (a posted 5.3e13 ms, the year 3646, raised: a 500)
        seconds = seconds.where(
            (size < EPOCH_MILLISECONDS_UP_TO) & (seconds.abs() < _MAX_OFFSET_SECONDS)
        )
        stamps = pd.Timestamp(0, tz="UTC") + pd.to_timedelta(seconds.round(6), unit="s")
        out[is_number] = stamps.astype(TIMESTAMP_DTYPE)
    return out


def _patterned(text: pd.Series, written: TimestampFormat, timezone: str) -> pd.Series:
    if written.format is not None:
        parsed = pd.to_datetime(
            text, format=written.format, errors="coerce", utc="%z" in written.format
        )
    else:
        parsed = pd.to_datetime(text, dayfirst=True, format="mixed", errors="coerce")
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return parsed.dt.tz_convert("UTC").astype(TIMESTAMP_DTYPE)
    return _localize(parsed, timezone)


def _since_origin(values: pd.Series, written: TimestampFormat, timezone: str) -> pd.Series:
    if written.origin == "unix":
        origin = pd.Timestamp(0, tz="UTC")
    else:
        origin = pd.Timestamp(written.origin)
        origin = origin.tz_localize(timezone) if origin.tzinfo is None else origin
    seconds = _to_number(values, None) * _UNIT_SECONDS[written.unit]
    seconds = seconds.where(seconds.abs() < _MAX_OFFSET_SECONDS)
    stamps = origin.tz_convert("UTC") + pd.to_timedelta(seconds, unit="s")
    return stamps.astype(TIMESTAMP_DTYPE)


def _localize(values: pd.Series, timezone: str, *, earlier: bool = False) -> pd.Series:
    # ambiguous as an array: True takes the time under daylight saving, the earlier instant
    ambiguous = np.ones(len(values), dtype=bool) if earlier else "NaT"
    local = values.dt.tz_localize(timezone, ambiguous=ambiguous, nonexistent="shift_forward")
    return local.dt.tz_convert("UTC").astype(TIMESTAMP_DTYPE)


def _to_number(values: pd.Series, numbers: NumberFormat | None = None) -> pd.Series:
    """Finite numbers as float64; inf and -1e999 count as unreadable."""
    if pd.api.types.is_bool_dtype(values.dtype) or pd.api.types.is_numeric_dtype(values.dtype):
        number = values.astype("float64")
    else:
        text = _to_string(values).str.strip()
        if numbers is not None and numbers.thousands is not None:
            text = text.str.replace(numbers.thousands, "", regex=False)
        if numbers is not None and numbers.decimal != ".":
            text = text.str.replace(numbers.decimal, ".", regex=False)
        number = pd.to_numeric(text, errors="coerce").astype("float64")
    return number.where(np.isfinite(number.to_numpy(dtype="float64", na_value=np.nan)))


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


def infer_kind(values: pd.Series, numbers: NumberFormat | None = None) -> ColumnKind:
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
    if _to_number(present, numbers).notna().all():
        return "float"
    return "category"


def parse_table(
    frame: pd.DataFrame, spec: TableSource, source: SourceConfig, table: str, file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    """Every column of ``table`` parsed as its kind (canonical, declared in ``spec``, or
    inferred), with a problem for each value present that cannot be read so."""
    kinds = {c.name: c.kind for c in TABLES[table].columns if c.name in frame.columns}
    if table == "customers":  # a phone number is text, even where it is all digits
        kinds |= {c: "string" for c in DISPLAY_COLUMNS if c in frame.columns}
    kinds |= {c: k for c, k in spec.types.items() if c in frame.columns}
    kinds |= {c: "timestamp" for c in spec.timestamps if c in frame.columns}
    for column in frame.columns:
        if column not in kinds and column not in source.post_outcome_columns:
            kinds[column] = infer_kind(frame[column], spec.numbers)
    parsed = {}
    problems: list[Problem] = []
    for column in frame.columns:
        kind = kinds.get(column)
        if kind is None:
            parsed[column] = frame[column]
            continue
        values, failed = parse_column(
            frame[column],
            kind,
            timezone=source.timezone,
            timestamp_format=spec.timestamps.get(column),
            numbers=spec.numbers,
        )
        parsed[column] = values
        bad = failed.to_numpy(dtype=bool)
        if not bad.any():
            continue
        rows = (frame.index.to_numpy()[bad] + 1).tolist()
        shown = frame[column][bad].astype("str").str.slice(0, 200).tolist()
        check, message, fix = f"type_{kind}", f"cannot read value as {kind}", PARSE_FIXES[kind]
        problems += [
            Problem(file, table, column, row, value, check, message, fix)
            for row, value in zip(rows, shown, strict=True)
        ]
    return pd.DataFrame(parsed, index=frame.index), problems
