"""Load a source into the canonical tables, rejecting bad rows into a quarantine.

Nothing is dropped silently: for every table, rows read = rows accepted + rows rejected,
and every rejected row carries the reasons it was rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.data.identifiers import identifier_columns
from leadscore.data.mapping import map_columns
from leadscore.data.parsing import parse_table
from leadscore.data.problems import Problem
from leadscore.data.quarantine import missing_columns_problems, quarantine_rows
from leadscore.data.reading import read_raw
from leadscore.data.source_config import SourceConfig
from leadscore.data.tables import (
    DISPLAY_COLUMNS,
    TABLE_NAMES,
    TABLES,
    column_names,
    empty_table,
    known_columns,
    with_default_channels,
)
from leadscore.data.validation import Reference, schema_problems, table_schema

# tables a source may leave out; they are then empty
OPTIONAL_TABLES = ("events", "offers", "outcomes", "exposures")


@dataclass(frozen=True)
class TableReport:
    """How many rows of one table were read, accepted and rejected."""

    table: str
    file: str
    read: int
    accepted: int
    rejected: int
    max_rejected_share: float = 1.0

    @property
    def reconciles(self) -> bool:
        return self.read == self.accepted + self.rejected

    @property
    def rejected_share(self) -> float:
        return self.rejected / self.read if self.read else 0.0

    @property
    def too_many_rejected(self) -> bool:
        return self.rejected_share > self.max_rejected_share or (
            self.read > 0 and self.accepted == 0
        )


@dataclass
class CanonicalData:
    """The canonical tables of one source, validated."""

    customers: pd.DataFrame
    events: pd.DataFrame
    offers: pd.DataFrame
    outcomes: pd.DataFrame
    source: SourceConfig
    # offers made (a file of their own, or events of the source's exposure_event_type)
    exposures: pd.DataFrame = field(default_factory=lambda: empty_table("exposures"))

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def up_to(self, moment: pd.Timestamp) -> CanonicalData:
        """The data as it stood at ``moment``: customers created and rows stamped by then
        (the catalog whole)."""
        return CanonicalData(
            customers=self.customers[self.customers["created_at"] <= moment],
            events=self.events[self.events["ts"] <= moment],
            offers=self.offers,
            outcomes=self.outcomes[self.outcomes["ts"] <= moment],
            source=self.source,
            exposures=self.exposures[self.exposures["ts"] <= moment],
        )


@dataclass
class LoadResult:
    """Accepted data, rejected rows with reasons, and the counts that reconcile them."""

    data: CanonicalData | None
    reports: list[TableReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # per table: the ids of rejected rows -> their row, so dependent rows can say why
    rejected_ids: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def table_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.rejects_whole_table]

    @property
    def over_limit(self) -> list[TableReport]:
        """Tables that rejected more than their allowed share of rows (or every row)."""
        return [r for r in self.reports if r.too_many_rejected]


def load_source(
    source: SourceConfig,
    *,
    now: pd.Timestamp | None = None,
    known_customers: pd.Series | None = None,
) -> LoadResult:
    """Read, parse and validate every table of ``source``.

    ``now`` bounds timestamps from the future (default: the current time). Tables are
    checked in dependency order, so events of a rejected customer are rejected as well.
    ``known_customers`` (id -> created_at: those of the store a day's export goes into)
    count as customers beside the source's own.
    """
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    result = LoadResult(data=None)
    tables: dict[str, pd.DataFrame] = {}
    tolerance = pd.Timedelta(days=source.created_at_tolerance_days)
    ref = Reference(now=now, created_at_tolerance=tolerance, customer_created_at=known_customers)
    for name in TABLE_NAMES:
        if name not in source.tables:
            continue
        accepted = _load_table(source, name, ref, result)
        if accepted is None:
            continue
        if name == "events" and "channel" not in accepted.columns and len(accepted):
            accepted = with_default_channels(accepted)
            result.notes.append(
                f"{source.table_path(name)}: no channel column; each canonical event type's "
                "channel was filled in (page views: web, calls: sales, ...; others missing). "
                "Map yours with rename: {your_column: channel} where you have one"
            )
        tables[name] = accepted
        if name == "offers":
            ref = _with(
                ref,
                offer_ids=frozenset(accepted["offer_id"]),
                rejected_offers=result.rejected_ids.get("offers", {}),
            )
        elif name == "customers":
            created = accepted.set_index("customer_id")["created_at"]
            if known_customers is not None:  # the export's own moments win
                created = pd.concat(
                    [known_customers[~known_customers.index.isin(created.index)], created]
                )
            ref = _with(
                ref,
                customer_created_at=created,
                rejected_customers=result.rejected_ids.get("customers", {}),
            )
    if result.table_problems:
        return result
    if "customers" in tables:
        source = _with_identifiers(source, tables["customers"], result)
    result.data = _assemble(source, tables, result.notes)
    return result


def _with_identifiers(source: SourceConfig, customers: pd.DataFrame, result) -> SourceConfig:
    """The source with the customers' columns that look like ids or hashes among its
    identifier_columns (kept out of the features), and a note naming them."""
    # display columns (a name, an e-mail) are kept out of the features anyway, unnoted
    skip = {"customer_id", "created_at", "converted", *DISPLAY_COLUMNS}
    skip |= set(source.post_outcome_columns)
    declared = set(source.identifier_columns)
    found = [c for c in identifier_columns(customers, skip=skip) if c not in declared]
    if not found:
        return source
    result.notes.append(
        f"{', '.join(found)}: values that look like ids or hashes, left out of the features "
        "(name a column under the feature set's profile.include to use it)"
    )
    return source.model_copy(update={"identifier_columns": [*source.identifier_columns, *found]})


def _with(ref: Reference, **changes: object) -> Reference:
    return Reference(**{**ref.__dict__, **changes})


def _rejected_ids(frame: pd.DataFrame, bad_rows: list[int], column: str) -> dict[str, int]:
    if column not in frame.columns or not bad_rows:
        return {}
    ids = frame[column].reindex(bad_rows).dropna().astype("str")
    return {value: int(row) + 1 for row, value in ids.items()}


def _load_table(
    source: SourceConfig, name: str, ref: Reference, result: LoadResult
) -> pd.DataFrame | None:
    spec = source.tables[name]
    path = source.table_path(name)
    file = str(path)
    raw = read_raw(path, spec, table=name)
    if isinstance(raw, Problem):
        result.problems.append(raw)
        return None
    result.notes.extend(f"{file}: {note}" for note in raw.notes)
    frame = map_columns(raw.frame, spec, source, name)
    frame, dropped = _without_empty_columns(frame, name)
    if dropped:
        result.notes.append(f"{file}: {dropped}")
    problems: list[Problem] = list(raw.unreadable)
    missing = [c for c in TABLES[name].required if c not in frame.columns]
    if missing:
        problems.extend(missing_columns_problems(file, name, missing, raw.frame))
        parsed = frame.iloc[0:0]
    else:
        parsed, parse_problems = parse_table(frame, spec, source, name, file)
        valid = parsed.drop(index=_rows(parse_problems), errors="ignore")
        # a row's own id (event_id, as the store keys rows) tells apart rows that are
        # otherwise the same: two page views in one second are two events, not a duplicate
        checked = [c for c in valid.columns if c in known_columns(name) or c == "event_id"]
        schema = table_schema(name, checked, ref)
        found = schema_problems(valid, schema, file=file, table=name, ref=ref)
        problems += parse_problems + found
    bad_rows = _rows(problems)
    id_column = {"offers": "offer_id", "customers": "customer_id"}.get(name)
    if id_column is not None:
        result.rejected_ids[name] = _rejected_ids(frame, bad_rows, id_column)
    result.problems.extend(problems)
    result.rejected[name] = quarantine_rows(raw.frame, problems)
    accepted = _in_time_order(parsed.drop(index=bad_rows, errors="ignore"), name)
    result.reports.append(
        TableReport(
            name,
            file,
            read=raw.rows_read,
            accepted=len(accepted),
            rejected=raw.rows_read - len(accepted),
            max_rejected_share=source.rejected_share_limit(name),
        )
    )
    return None if missing else accepted


def _without_empty_columns(frame: pd.DataFrame, table: str) -> tuple[pd.DataFrame, str]:
    """Extra columns with no value in any row dropped (a trailing comma makes one)."""
    canonical = set(column_names(table))
    empty = [
        c for c in frame.columns if c not in canonical and len(frame) and frame[c].isna().all()
    ]
    if not empty:
        return frame, ""
    note = f"dropped {len(empty)} column(s) without any value: " + ", ".join(
        repr(str(c)) for c in empty
    )
    if any(str(c).startswith("Unnamed: ") for c in empty):
        note += " (a separator at the end of every line makes an unnamed one)"
    return frame.drop(columns=empty), note


def _in_time_order(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Events and outcomes sorted by (customer_id, ts): features then need no sort of their own."""
    if table not in ("events", "outcomes", "exposures") or frame.empty:
        return frame.reset_index(drop=True)
    ts = frame["ts"].to_numpy(dtype="datetime64[us]", na_value=np.datetime64("NaT"))
    order = np.lexsort((ts, frame["customer_id"].cat.codes.to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def _rows(problems: list[Problem]) -> list[int]:
    return sorted({p.row - 1 for p in problems if p.row is not None})


def _assemble(
    source: SourceConfig, tables: dict[str, pd.DataFrame], notes: list[str]
) -> CanonicalData:
    if "exposures" not in tables and source.exposure_event_type and "events" in tables:
        tables["exposures"] = _exposures_from_events(
            tables["events"], source.exposure_event_type, notes
        )
    for name in (*OPTIONAL_TABLES, "customers"):  # customers: a day's events alone
        if name not in tables:
            tables[name] = empty_table(name)
    tables = {name: _with_optional_columns(frame, name) for name, frame in tables.items()}
    label = source.label
    if getattr(label, "kind", None) == "event" and "outcomes" not in source.tables:
        events = tables["events"]
        chosen = events[events["event_type"] == label.event_type]
        tables["outcomes"] = chosen[["customer_id", "ts", "offer_id", "value"]].reset_index(
            drop=True
        )
    return CanonicalData(source=source, **tables)


def _exposures_from_events(events: pd.DataFrame, event_type: str, notes: list[str]) -> pd.DataFrame:
    """The events of ``event_type`` as offers made; those naming no offer cannot be one."""
    chosen = events[events["event_type"] == event_type]
    named = chosen[chosen["offer_id"].notna()]
    if len(named) < len(chosen):
        notes.append(
            f"exposures: {len(chosen) - len(named):,} of {len(chosen):,} '{event_type}' events "
            "name no offer_id and are not counted as offers made"
        )
    notes.append(
        f"exposures: {len(named):,} offers made, read from the '{event_type}' events "
        "(exposure_event_type)"
    )
    columns = ["customer_id", "ts", "offer_id", "channel"]
    exposures = named[columns].astype({"offer_id": "str"}).reset_index(drop=True)
    return exposures.assign(propensity=np.nan)


def _with_optional_columns(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Optional canonical columns a source lacks, added empty, so every reader finds them."""
    absent = [c for c in column_names(table) if c not in frame.columns]
    if not absent:
        return frame
    empty = empty_table(table)
    added = {}
    for c in absent:
        categorical = TABLES[table].column(c).kind == "category" and not frame.empty
        dtype = "category" if categorical else empty[c].dtype
        added[c] = pd.Series(None, index=frame.index, dtype=dtype)
    return frame.assign(**added)


def write_quarantine(result: LoadResult, directory: Path) -> list[Path]:
    """Write each table's rejected rows, with row numbers and reasons, as CSV."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for table, rows in result.rejected.items():
        path = directory / f"{table}.rejected.csv"
        rows.to_csv(path, index=False)
        written.append(path)
    return written


def write_canonical(data: CanonicalData, directory: Path) -> None:
    """Write the accepted tables in canonical layout (Parquet)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in TABLE_NAMES:
        data.table(name).to_parquet(directory / f"{name}.parquet", index=False)


def require_loaded(result: LoadResult) -> CanonicalData:
    """The data of a load, or an InputError naming what made whole tables unusable or which
    tables rejected more rows than they may."""
    if result.data is None:
        lines = [f"{p.file}: {p.message}. Fix: {p.fix}" for p in result.table_problems]
        raise InputError("cannot load the source:\n" + "\n".join(lines))
    refusal = rejection_limit_message(result)
    if refusal is not None:
        raise InputError(f"too many rows rejected: {refusal}")
    return result.data


def rejection_limit_message(result: LoadResult) -> str | None:
    """Why a load is refused for its rejected share, or None when every table is within it."""
    over = result.over_limit
    if not over:
        return None
    parts = [
        f"{r.table} rejected {r.rejected:,} of {r.read:,} rows ({r.rejected_share:.1%}, "
        f"limit {r.max_rejected_share:.0%})"
        for r in over
    ]
    return (
        "; ".join(parts) + ". Fix the problems listed above, or raise max_rejected_share in "
        "the source config (for the whole source or one table) if such losses are expected"
    )
