"""How a source's files and their values are written: file formats, the read_csv
options a table may pass, and the spelling of its timestamps and numbers."""

from __future__ import annotations

import inspect
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from leadscore.common.config import StrictModel

FileFormat = Literal["csv", "parquet", "jsonl", "json", "xlsx"]
# file name endings and the format they mean; a compression ending (.gz) may follow
FORMAT_OF_SUFFIX: dict[str, FileFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".xlsx": "xlsx",
}
COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz")
# read_csv options that leadscore sets itself or that have a key of their own
READ_OPTIONS_ELSEWHERE = {
    "dayfirst": "timestamps: {column: {dayfirst: true}}",
    "date_format": "timestamps: {column: {format: '%d.%m.%Y'}}",
    "parse_dates": "timestamps: {column: {format: ...}} (timestamps are parsed by leadscore)",
    "date_parser": "timestamps: {column: {format: ...}}",
    "decimal": "numbers: {decimal: ','}",
    "thousands": "numbers: {thousands: '.'}",
    "dtype": "types: {column: float}",
    "converters": "types: {column: ...} or derive: {column: {from: ..., values: ...}}",
    "encoding": "encoding: cp1252 (a key of the table, beside path)",
    "filepath_or_buffer": "path:",
    "engine": "nothing (leadscore reads with the C engine and quarantines ragged rows)",
    "on_bad_lines": "nothing (ragged rows are quarantined with their row number)",
}


@cache
def read_csv_options() -> frozenset[str]:
    return frozenset(inspect.signature(pd.read_csv).parameters)


def check_read_options(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` if each is an option of pandas.read_csv that leadscore leaves to the
    table, else a ValueError naming the key to use instead."""
    for key in options:
        if key in READ_OPTIONS_ELSEWHERE:
            raise ValueError(f"'{key}' is not set here; use {READ_OPTIONS_ELSEWHERE[key]}")
        if key not in read_csv_options():
            raise ValueError(f"'{key}' is not an option of pandas.read_csv")
    return options


TimeUnit = Literal["seconds", "milliseconds", "minutes", "hours", "days"]


class TimestampFormat(StrictModel):
    """How a timestamp column is written, where it is not ISO 8601.

    ``format`` is a strftime pattern (``%d.%m.%Y %H:%M`` for German dates);
    ``unit`` reads numbers as time since ``origin`` (``unix`` for epoch seconds).
    """

    format: str | None = Field(default=None, description="strftime pattern, e.g. '%d.%m.%Y'")
    dayfirst: bool = Field(default=False, description="read 06.01.2025 as 6 January")
    unit: TimeUnit | None = Field(default=None, description="numbers are time since origin")
    origin: datetime | Literal["unix"] = Field(
        default="unix", description="the moment 0 of a unit ('unix': 1970-01-01 UTC)"
    )

    @model_validator(mode="after")
    def _one_way(self) -> TimestampFormat:
        if self.unit is not None and (self.format is not None or self.dayfirst):
            raise ValueError("give either unit (numbers) or format/dayfirst (text), not both")
        if self.unit is None and self.origin != "unix":
            raise ValueError("origin needs a unit (e.g. unit: hours)")
        return self


class NumberFormat(StrictModel):
    """How numbers are written: German exports use ``decimal: ','`` and ``thousands: '.'``."""

    decimal: str = Field(default=".", min_length=1, max_length=1)
    thousands: str | None = Field(default=None, min_length=1, max_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> NumberFormat:
        if self.thousands == self.decimal:
            raise ValueError("decimal and thousands separators must differ")
        return self


def file_format(path: Path) -> FileFormat | None:
    """The format a file name means (``leads.csv.gz``: csv), or None."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSION_SUFFIXES:
        suffixes = suffixes[:-1]
    return FORMAT_OF_SUFFIX.get(suffixes[-1]) if suffixes else None
