"""Source configs: how a user's own exports map onto the canonical tables.

A source config is a YAML file. Paths in it are relative to the file itself, so a config
and its data can move together. A directory in canonical layout needs no config: see
:func:`canonical_source`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator

from leadscore.common.config import StrictModel, read_yaml, validation_lines
from leadscore.common.errors import InputError
from leadscore.data.tables import TABLE_NAMES, TABLES, ColumnKind

TABLE_SUFFIXES = (".parquet", ".csv")


class RowNumberId(StrictModel):
    """Make ``customer_id`` from the row number, for exports that have no id column."""

    prefix: str = "R-"


class TimeSequence(StrictModel):
    """Spread rows evenly between two dates in file order.

    For exports whose rows are in time order but carry no usable timestamp (the bank
    marketing set records month and weekday only). An approximation; say so in reports.
    """

    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _ordered(self) -> TimeSequence:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class IdFromRowNumber(StrictModel):
    row_number: RowNumberId


class CreatedFromSequence(StrictModel):
    sequence: TimeSequence


class TableSource(StrictModel):
    """Where one canonical table comes from and how its columns map."""

    path: Path
    read: dict[str, Any] = Field(
        default_factory=dict,
        description="extra keyword arguments for pandas.read_csv, e.g. {sep: ';'}",
    )
    rename: dict[str, str] = Field(
        default_factory=dict, description="source column name -> canonical column name"
    )
    types: dict[str, ColumnKind] = Field(
        default_factory=dict, description="kinds of extra (profile) columns, parsed strictly"
    )
    drop: list[str] = Field(default_factory=list, description="source columns to leave out")
    customer_id: IdFromRowNumber | None = None
    created_at: CreatedFromSequence | None = None
    event_types: dict[str, str] = Field(
        default_factory=dict, description="source event type value -> canonical event type"
    )

    @field_validator("path")
    @classmethod
    def _known_format(cls, path: Path) -> Path:
        if path.suffix.lower() not in TABLE_SUFFIXES:
            raise ValueError(f"'{path}' must end in .csv or .parquet")
        return path


class FlagLabel(StrictModel):
    """The label is a column of the customers table (one row per lead)."""

    kind: Literal["flag"]
    column: str
    positive: list[str | int | bool]
    negative: list[str | int | bool] | None = Field(
        default=None, description="values that mean 'not converted'; others are then rejected"
    )


class OutcomeLabel(StrictModel):
    """A customer converts at the time of each row of the outcomes table."""

    kind: Literal["outcome"] = "outcome"


class EventLabel(StrictModel):
    """Outcomes are the events of one type (e.g. ``purchase``)."""

    kind: Literal["event"]
    event_type: str


Label = Annotated[FlagLabel | OutcomeLabel | EventLabel, Field(discriminator="kind")]


class SourceConfig(StrictModel):
    """A user's data source mapped onto the canonical model."""

    name: str
    description: str = ""
    timezone: str = Field(default="UTC", description="time zone of timestamps that carry no offset")
    tables: dict[str, TableSource]
    label: Label = Field(default_factory=OutcomeLabel)
    post_outcome_columns: list[str] = Field(
        default_factory=list,
        description="columns known only after the outcome; never features (leakage audit)",
    )
    created_at_tolerance_days: float = Field(
        default=1.0,
        ge=0,
        description="events and outcomes may precede their customer's created_at by this much",
    )
    base_dir: Path = Field(default=Path("."), exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, tz: str) -> str:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone '{tz}'; use an IANA name like Europe/Berlin"
            ) from exc
        return tz

    @field_validator("tables")
    @classmethod
    def _known_tables(cls, tables: dict[str, TableSource]) -> dict[str, TableSource]:
        unknown = sorted(set(tables) - set(TABLE_NAMES))
        if unknown:
            raise ValueError(f"unknown table(s) {unknown}; tables are {list(TABLE_NAMES)}")
        if "customers" not in tables:
            raise ValueError("a source needs a 'customers' table (one row per lead)")
        return tables

    @model_validator(mode="after")
    def _label_fits_tables(self) -> SourceConfig:
        if isinstance(self.label, OutcomeLabel) and not {"outcomes", "events"} & set(self.tables):
            raise ValueError(
                "label: the default label reads an 'outcomes' table, and there is none; "
                "add one, or use label {kind: flag, column: ...} for a flat lead table"
            )
        if isinstance(self.label, EventLabel) and "events" not in self.tables:
            raise ValueError("label: kind 'event' needs an 'events' table")
        return self

    def table_path(self, table: str) -> Path:
        path = self.tables[table].path
        return path if path.is_absolute() else (self.base_dir / path)


def load_source_config(path: Path) -> SourceConfig:
    """Read and check a source config file, with errors that name the file and field."""
    raw = read_yaml(path, what="source config file")
    if not isinstance(raw, dict):
        raise InputError(f"{path}: a source config must be a mapping with 'name' and 'tables'")
    try:
        return SourceConfig.model_validate({**raw, "base_dir": path.parent})
    except ValidationError as exc:
        raise InputError(f"{path}: invalid source config:\n{validation_lines(exc)}") from None


def canonical_source(directory: Path) -> SourceConfig:
    """A source config for a directory in canonical layout (``customers.parquet`` etc.)."""
    if not directory.is_dir():
        raise InputError(f"{directory}: not a directory in canonical layout or a source config")
    tables = {}
    for name in TABLE_NAMES:
        found = [directory / f"{name}{suffix}" for suffix in TABLE_SUFFIXES]
        existing = [p for p in found if p.exists()]
        if existing:
            tables[name] = TableSource(path=existing[0].name)
    if "customers" not in tables:
        raise InputError(
            f"{directory}: no customers.parquet or customers.csv; a canonical directory holds "
            f"{', '.join(f'{t}.parquet' for t in TABLE_NAMES)} (customers required)"
        )
    label: Label = OutcomeLabel() if "outcomes" in tables else _default_label(tables)
    return SourceConfig(name=directory.name, tables=tables, label=label, base_dir=directory)


def _default_label(tables: dict[str, TableSource]) -> Label:
    if "events" in tables:
        return EventLabel(kind="event", event_type="purchase")
    return FlagLabel(kind="flag", column="converted", positive=[True, 1, "true", "1", "yes"])


def resolve_source(source: Path) -> SourceConfig:
    """A SOURCE argument is either a canonical directory or a source config file."""
    if source.is_dir():
        return canonical_source(source)
    if source.suffix.lower() in (".yaml", ".yml"):
        return load_source_config(source)
    if not source.exists():
        raise InputError(f"{source}: no such file or directory")
    raise InputError(
        f"{source}: expected a directory in canonical layout or a source config (.yaml)"
    )


def known_columns(table: str) -> set[str]:
    return {c.name for c in TABLES[table].columns}
