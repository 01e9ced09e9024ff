"""The store's values as the database holds them and as frames hold them: profiles as
JSON objects, missing values as None, and the dtypes and order of the rows read back."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pydantic_core
import sqlalchemy as sa


def parsed_json(value: str | dict) -> dict:
    """A JSON object as the driver gave it: text (SQLite) or parsed (psycopg)."""
    return value if isinstance(value, dict) else pydantic_core.from_json(value)


def grouped_by_customer(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with their customer column a categorical of the ids in order, each
    customer's rows together (a stable sort, where chunks of ids came out of order)."""
    customer = frame["customer_id"]
    if isinstance(customer.dtype, pd.CategoricalDtype):
        codes = customer.cat.codes.to_numpy()
        if customer.cat.categories.is_monotonic_increasing and (np.diff(codes) >= 0).all():
            return frame
        customer = customer.astype("str")
    codes, ids = pd.factorize(customer, sort=True)
    grouped = frame.assign(customer_id=pd.Categorical.from_codes(codes, categories=ids))
    if (np.diff(codes) >= 0).all():
        return grouped
    return grouped.iloc[np.argsort(codes, kind="stable")].reset_index(drop=True)


def typed(frame: pd.DataFrame, columns: Sequence[sa.Column]) -> pd.DataFrame:
    """Columns the driver left as objects (a column empty in every row read) in the dtype
    their type gives: text as text, numbers as floats, so every read has the same dtypes."""
    typed = {}
    for column in columns:
        values = frame[column.name]
        if values.dtype == object:
            python = column.type.python_type
            typed[column.name] = values.astype("float64" if python is float else "str")
    return frame.assign(**typed) if typed else frame


def nones(values: pd.Series) -> list:
    """A column's values as Python objects, None where missing."""
    plain = values.astype("object")
    return plain.where(plain.notna(), None).tolist()


def json_profiles(frame: pd.DataFrame) -> list[dict]:
    """Profile attributes as JSON values: text, numbers, booleans, ISO moments, or null."""
    columns = {}
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            shown = [None if pd.isna(v) else pd.Timestamp(v).isoformat() for v in values]
        elif pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            shown = [_plain(v) for v in values.astype("object")]
        else:
            shown = [None if pd.isna(v) else str(v) for v in values.astype("object")]
        columns[name] = shown
    return [{name: columns[name][i] for name in columns} for i in range(len(frame))]


def _plain(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else float(value)
    return value


def changes(row: dict, profile: dict, converted: bool | None) -> bool:
    """Whether a customer ``row`` about to be stored changes what the store holds (its
    ``profile`` and ``converted``): an attribute of another value, or a known outcome."""
    if row["converted"] is not None and row["converted"] != converted:
        return True
    return any(profile.get(key) != value for key, value in row["profile"].items())
