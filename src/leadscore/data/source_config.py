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

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from leadscore.common.config import StrictModel, read_yaml, validated
from leadscore.common.errors import InputError
from leadscore.data.formats import (
    FORMAT_OF_SUFFIX,
    FileFormat,
    NumberFormat,
    TimestampFormat,
    check_read_options,
    file_format,
)
from leadscore.data.tables import TABLE_NAMES, ColumnKind


class RowNumberId(StrictModel):
    """Make ``customer_id`` from the row number, for exports that have no id column."""

    prefix: str = "R-"


class TimeSequence(StrictModel):
    """Spread rows evenly between two dates in file order (or an order you name).

    For exports whose rows are in time order but carry no usable timestamp (the bank
    marketing set records month and weekday only). An approximation; say so in reports.
    """

    start: datetime
    end: datetime
    newest_first: bool = Field(
        default=False, description="the file lists the newest rows first (the last row is oldest)"
    )
    order_by: str | None = Field(
        default=None,
        description="a column whose ascending values give the time order (ties keep file order)",
    )

    @model_validator(mode="after")
    def _ordered(self) -> TimeSequence:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self


class IdFromRowNumber(StrictModel):
    row_number: RowNumberId


class CreatedFromSequence(StrictModel):
    sequence: TimeSequence


class DerivedColumn(StrictModel):
    """A column made from another: its values mapped, or a template over the row."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: str | None = Field(default=None, alias="from", description="the column to map")
    template: str | None = Field(
        default=None, description="text with {column} placeholders, e.g. '{offer_type} {reward}'"
    )
    values: dict[str, str] = Field(
        default_factory=dict,
        description="value -> new value (others are kept as they are, and checked as usual)",
    )

    @model_validator(mode="after")
    def _one_source(self) -> DerivedColumn:
        if (self.source is None) == (self.template is None):
            raise ValueError("give exactly one of 'from' (a column) or 'template'")
        return self


class TableSource(StrictModel):
    """Where one canonical table comes from and how its columns map.

    Column names in ``types``, ``timestamps`` and ``derive`` are the names after ``rename``.
    """

    path: Path = Field(description="the file, relative to the source config")
    format: FileFormat | None = Field(
        default=None, description="csv, parquet, jsonl, json or xlsx (default: from the file name)"
    )
    encoding: str | None = Field(
        default=None,
        description="text encoding of a CSV or JSON file (default: UTF-8, else Windows-1252 "
        "with a note)",
    )
    read: dict[str, Any] = Field(
        default_factory=dict,
        description="extra keyword arguments for pandas.read_csv, e.g. {sep: ';'}; "
        "na_values are added to leadscore's",
    )
    missing: list[str | float] | dict[str, list[str | float]] = Field(
        default_factory=list,
        description="values that mean 'missing': in any column (a list, e.g. form defaults "
        "['Select']), or per column of the file ({age: [118]}: a numeric sentinel; a number "
        "matches however the file writes it, 118 or 118.0)",
    )
    numbers: NumberFormat = Field(default_factory=NumberFormat)
    timestamps: dict[str, TimestampFormat] = Field(
        default_factory=dict, description="column -> how its timestamps are written"
    )
    flatten: list[str] = Field(
        default_factory=list,
        description='columns holding objects ({"offer id": ..}) to spread into '
        "'column.key' columns",
    )
    rename: dict[str, str] = Field(
        default_factory=dict, description="source column name -> canonical column name"
    )
    derive: dict[str, DerivedColumn] = Field(
        default_factory=dict,
        description="column -> how it is made from others, e.g. "
        "{kind: {from: offer_type, values: {bogo: product}}}",
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
    max_rejected_share: float | None = Field(
        default=None, ge=0, le=1, description="this table's limit (default: the source's)"
    )

    @field_validator("customer_id", mode="before")
    @classmethod
    def _id_is_a_mapping(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(
                f"to use your column '{value}' as the id write rename: {{{value}: customer_id}}; "
                "customer_id: here only numbers the rows ({row_number: {prefix: 'R-'}})"
            )
        return value

    @field_validator("created_at", mode="before")
    @classmethod
    def _created_is_a_mapping(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(
                f"to use your column '{value}' write rename: {{{value}: created_at}} (and "
                f"timestamps: {{created_at: {{format: ...}}}} if it is not ISO 8601); "
                "created_at: here only spreads rows over a period ({sequence: {start, end}})"
            )
        return value

    @field_validator("read")
    @classmethod
    def _known_read_options(cls, options: dict[str, Any]) -> dict[str, Any]:
        return check_read_options(options)

    @model_validator(mode="after")
    def _known_format(self) -> TableSource:
        if self.format is None and file_format(self.path) is None:
            endings = ", ".join(FORMAT_OF_SUFFIX)
            raise ValueError(
                f"path: cannot tell the format of '{self.path}' from its ending ({endings}); "
                "name it so or set format: csv | parquet | jsonl | json | xlsx"
            )
        if self.read and self.file_format != "csv":
            raise ValueError("read: options apply to CSV files only")
        return self

    @property
    def file_format(self) -> FileFormat:
        return self.format or file_format(self.path)  # type: ignore[return-value]


class FlagLabel(StrictModel):
    """The label is a column of the customers table (one row per lead)."""

    kind: Literal["flag"]
    column: str
    positive: list[str | int | bool]
    negative: list[str | int | bool] | None = Field(
        default=None, description="values that mean 'not converted'; others are then rejected"
    )
    optional: bool = Field(
        False,
        description="a file may lack the column (a day's export of new leads); by default a "
        "customers file without it is an error, since every lead would read as unconverted",
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

    name: str = Field(description="the source's name, shown in reports and run tags")
    description: str = ""
    timezone: str = Field(default="UTC", description="time zone of timestamps that carry no offset")
    tables: dict[str, TableSource] = Field(
        description="offers, customers (required), events, outcomes, exposures: one file each"
    )
    label: Label = Field(
        default_factory=OutcomeLabel,
        description="what 'converted' means: kind outcome (rows of outcomes), event "
        "(events of one type) or flag (a column of customers)",
    )
    exposure_event_type: str | None = Field(
        default=None,
        description="offers made are the events of this type that name an offer (e.g. "
        "offer_received), where there is no exposures table",
    )
    take_up_event_type: str = Field(
        default="offer_completed",
        description="an offer made is taken up by an event of this type naming the offer, "
        "or by an outcome naming it, within the offer's valid_days",
    )
    post_outcome_columns: list[str] = Field(
        default_factory=list,
        description="columns known only after the outcome; never features (leakage audit)",
    )
    identifier_columns: list[str] = Field(
        default_factory=list,
        description="columns that name or hash a lead (ids, hashes, e-mail addresses): "
        "never features unless a feature set's profile.include names them; loading adds "
        "the customers' columns that look so",
    )
    max_rejected_share: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="load and validate fail when a table rejects more than this share of rows",
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
    def _known_tables(
        cls, tables: dict[str, TableSource], info: ValidationInfo
    ) -> dict[str, TableSource]:
        unknown = sorted(set(tables) - set(TABLE_NAMES))
        if unknown:
            raise ValueError(f"unknown table(s) {unknown}; tables are {list(TABLE_NAMES)}")
        # a day's export into the store may hold events alone: see canonical_source
        required = (info.context or {}).get("customers_required", True)
        if "customers" not in tables and required:
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
        if self.exposure_event_type is not None:
            if "exposures" in self.tables:
                raise ValueError(
                    "exposure_event_type: the source has an exposures table already; "
                    "give one of the two"
                )
            if "events" not in self.tables:
                raise ValueError("exposure_event_type: needs an 'events' table to read")
        return self

    def rejected_share_limit(self, table: str) -> float:
        own = self.tables[table].max_rejected_share
        return self.max_rejected_share if own is None else own

    def table_path(self, table: str) -> Path:
        path = self.tables[table].path
        return path if path.is_absolute() else (self.base_dir / path)


def load_source_config(path: Path) -> SourceConfig:
    """Read and check a source config file, with errors that name the file and field."""
    raw = read_yaml(path, what="source config file")
    if not isinstance(raw, dict):
        raise InputError(f"{path}: a source config must be a mapping with 'name' and 'tables'")
    return validated(
        SourceConfig, {**raw, "base_dir": path.parent}, path=path, what="source config"
    )


def canonical_source(directory: Path, *, customers_required: bool = True) -> SourceConfig:
    """A source config for a directory in canonical layout (``customers.parquet`` etc.);
    without ``customers_required``, a day's export of events alone will do too (their
    customers are in the store)."""
    if not directory.is_dir():
        raise InputError(f"{directory}: not a directory in canonical layout or a source config")
    tables = {}
    for name in TABLE_NAMES:
        found = [directory / f"{name}{suffix}" for suffix in CANONICAL_SUFFIXES]
        existing = [p for p in found if p.exists()]
        if existing:
            tables[name] = TableSource(path=existing[0].name)
    if "customers" not in tables and (customers_required or not tables):
        raise InputError(
            f"{directory}: no customers.parquet or customers.csv; a canonical directory holds "
            f"{', '.join(f'{t}.parquet' for t in TABLE_NAMES)} (customers required; .csv and "
            ".jsonl are read too)"
        )
    label: Label = OutcomeLabel() if "outcomes" in tables else _default_label(tables)
    return SourceConfig.model_validate(
        {"name": directory.name, "tables": tables, "label": label, "base_dir": directory},
        context={"customers_required": customers_required},
    )


CANONICAL_SUFFIXES = (".parquet", ".csv", ".jsonl")


def _default_label(tables: dict[str, TableSource]) -> Label:
    if "events" in tables:
        return EventLabel(kind="event", event_type="purchase")
    return FlagLabel(
        kind="flag", column="converted", positive=[True, 1, "true", "1", "yes"], optional=True
    )


def resolve_source(source: Path, *, customers_required: bool = True) -> SourceConfig:
    """A SOURCE argument is either a canonical directory or a source config file."""
    if source.is_dir():
        return canonical_source(source, customers_required=customers_required)
    if source.suffix.lower() in (".yaml", ".yml"):
        return load_source_config(source)
    if not source.exists():
        raise InputError(f"{source}: no such file or directory")
    raise InputError(
        f"{source}: expected a directory in canonical layout or a source config (.yaml)"
    )
