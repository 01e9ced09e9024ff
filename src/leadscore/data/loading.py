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
from leadscore.data.parsing import PARSE_FIXES, infer_kind, parse_column
from leadscore.data.problems import Problem
from leadscore.data.source_config import FlagLabel, SourceConfig, TableSource, known_columns
from leadscore.data.tables import TABLE_NAMES, TABLES, empty_table
from leadscore.data.validation import Reference, schema_problems, table_schema

# tables a source may leave out; they are then empty
OPTIONAL_TABLES = ("events", "offers", "outcomes")


@dataclass(frozen=True)
class TableReport:
    """How many rows of one table were read, accepted and rejected."""

    table: str
    file: str
    read: int
    accepted: int
    rejected: int

    @property
    def reconciles(self) -> bool:
        return self.read == self.accepted + self.rejected


@dataclass
class CanonicalData:
    """The four canonical tables of one source, validated."""

    customers: pd.DataFrame
    events: pd.DataFrame
    offers: pd.DataFrame
    outcomes: pd.DataFrame
    source: SourceConfig

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)


@dataclass
class LoadResult:
    """Accepted data, rejected rows with reasons, and the counts that reconcile them."""

    data: CanonicalData | None
    reports: list[TableReport] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rejected: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def table_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.rejects_whole_table]


def load_source(
    source: SourceConfig,
    *,
    now: pd.Timestamp | None = None,
) -> LoadResult:
    """Read, parse and validate every table of ``source``.

    ``now`` bounds timestamps from the future (default: the current time). Tables are
    checked in dependency order, so events of a rejected customer are rejected as well.
    """
    now = pd.Timestamp.now(tz="UTC") if now is None else now
    result = LoadResult(data=None)
    tables: dict[str, pd.DataFrame] = {}
    tolerance = pd.Timedelta(days=source.created_at_tolerance_days)
    ref = Reference(now=now, created_at_tolerance=tolerance)
    for name in TABLE_NAMES:
        if name not in source.tables:
            continue
        accepted = _load_table(source, name, ref, result)
        if accepted is None:
            continue
        tables[name] = accepted
        if name == "offers":
            ref = _with(ref, offer_ids=frozenset(accepted["offer_id"]))
        elif name == "customers":
            created = accepted.set_index("customer_id")["created_at"]
            ref = _with(ref, customer_created_at=created)
    if result.table_problems:
        return result
    result.data = _assemble(source, tables)
    return result


def _with(ref: Reference, **changes: object) -> Reference:
    return Reference(**{**ref.__dict__, **changes})


def _load_table(
    source: SourceConfig, name: str, ref: Reference, result: LoadResult
) -> pd.DataFrame | None:
    spec = source.tables[name]
    path = source.table_path(name)
    file = str(path)
    raw = _read(path, spec, table=name)
    if isinstance(raw, Problem):
        result.problems.append(raw)
        return None
    frame = _map_columns(raw, spec, source, name)
    missing = [c for c in TABLES[name].required if c not in frame.columns]
    if missing:
        result.problems.append(_missing_columns_problem(file, name, missing, spec, raw))
        return None
    parsed, problems = _parse(frame, spec, source, name, file)
    valid = parsed.drop(index=_rows(problems), errors="ignore")
    schema = table_schema(name, [c for c in valid.columns if c in known_columns(name)], ref)
    problems += schema_problems(valid, schema, file=file, table=name)
    bad_rows = _rows(problems)
    result.problems.extend(problems)
    result.rejected[name] = _quarantine_rows(raw, problems)
    accepted = _in_time_order(parsed.drop(index=bad_rows), name)
    result.reports.append(
        TableReport(name, file, read=len(raw), accepted=len(accepted), rejected=len(bad_rows))
    )
    return accepted


def _in_time_order(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Events and outcomes sorted by (customer_id, ts): features then need no sort of their own."""
    if table not in ("events", "outcomes") or frame.empty:
        return frame.reset_index(drop=True)
    ts = frame["ts"].to_numpy(dtype="datetime64[us]", na_value=np.datetime64("NaT"))
    order = np.lexsort((ts, frame["customer_id"].cat.codes.to_numpy()))
    return frame.iloc[order].reset_index(drop=True)


def _rows(problems: list[Problem]) -> list[int]:
    return sorted({p.row - 1 for p in problems if p.row is not None})


def _read(path: Path, spec: TableSource, *, table: str) -> pd.DataFrame | Problem:
    def problem(message: str, fix: str) -> Problem:
        return Problem(str(path), table, None, None, None, "readable", message, fix)

    if not path.exists():
        return problem("file not found", "correct the path in the source config (relative to it)")
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], **spec.read)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        return problem(f"cannot read the file: {exc}", "check the format and the 'read' options")
    return frame.reset_index(drop=True)


def _map_columns(
    raw: pd.DataFrame, spec: TableSource, source: SourceConfig, table: str
) -> pd.DataFrame:
    frame = raw.drop(columns=[c for c in spec.drop if c in raw.columns]).rename(columns=spec.rename)
    if spec.customer_id is not None:
        prefix = spec.customer_id.row_number.prefix
        width = len(str(len(frame)))
        frame["customer_id"] = [f"{prefix}{i:0{width}d}" for i in range(1, len(frame) + 1)]
    if spec.created_at is not None:
        seq = spec.created_at.sequence
        start = pd.Timestamp(seq.start).tz_localize(source.timezone).tz_convert("UTC")
        end = pd.Timestamp(seq.end).tz_localize(source.timezone).tz_convert("UTC")
        step = (end - start) / max(len(frame) - 1, 1)
        frame["created_at"] = start + step * np.arange(len(frame))
    if spec.event_types and "event_type" in frame.columns:
        frame["event_type"] = frame["event_type"].replace(spec.event_types)
    if table == "customers" and isinstance(source.label, FlagLabel):
        frame = _flag_label(frame, source.label)
    return frame


def _flag_label(frame: pd.DataFrame, label: FlagLabel) -> pd.DataFrame:
    if label.column not in frame.columns:
        return frame  # reported as a missing required column below
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


def _missing_columns_problem(
    file: str, table: str, missing: list[str], spec: TableSource, raw: pd.DataFrame
) -> Problem:
    available = ", ".join(map(str, raw.columns[:20]))
    return Problem(
        file=file,
        table=table,
        column=", ".join(missing),
        row=None,
        value=None,
        check="required_columns",
        message=f"required column(s) {missing} missing (file has: {available})",
        fix=(
            "add the column(s), or map yours with 'rename: {your_column: "
            f"{missing[0]}}}' in the source config"
        ),
    )


def _parse(
    frame: pd.DataFrame, spec: TableSource, source: SourceConfig, table: str, file: str
) -> tuple[pd.DataFrame, list[Problem]]:
    kinds = {c.name: c.kind for c in TABLES[table].columns if c.name in frame.columns}
    kinds |= {c: k for c, k in spec.types.items() if c in frame.columns}
    for column in frame.columns:
        if column not in kinds and column not in source.post_outcome_columns:
            kinds[column] = infer_kind(frame[column])
    parsed = {}
    problems: list[Problem] = []
    for column in frame.columns:
        kind = kinds.get(column)
        if kind is None:
            parsed[column] = frame[column]
            continue
        values, failed = parse_column(frame[column], kind, timezone=source.timezone)
        parsed[column] = values
        for row in np.flatnonzero(failed.to_numpy()):
            problems.append(
                Problem(
                    file=file,
                    table=table,
                    column=column,
                    row=int(row) + 1,
                    value=str(frame[column].iat[row]),
                    check=f"type_{kind}",
                    message=f"cannot read value as {kind}",
                    fix=PARSE_FIXES[kind],
                )
            )
    return pd.DataFrame(parsed, index=frame.index), problems


def _quarantine_rows(raw: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    reasons: dict[int, list[str]] = {}
    for p in problems:
        if p.row is not None:
            reasons.setdefault(p.row - 1, []).append(f"{p.column}: {p.message}")
    rows = sorted(reasons)
    out = raw.iloc[rows].astype("str").where(raw.iloc[rows].notna())
    out.insert(0, "_reason", ["; ".join(reasons[r]) for r in rows])
    out.insert(0, "_row", [r + 1 for r in rows])
    return out.reset_index(drop=True)


def _assemble(source: SourceConfig, tables: dict[str, pd.DataFrame]) -> CanonicalData:
    for name in OPTIONAL_TABLES:
        if name not in tables:
            tables[name] = empty_table(name)
    label = source.label
    if getattr(label, "kind", None) == "event" and "outcomes" not in source.tables:
        events = tables["events"]
        chosen = events[events["event_type"] == label.event_type]
        tables["outcomes"] = chosen[["customer_id", "ts", "offer_id", "value"]].reset_index(
            drop=True
        )
    return CanonicalData(source=source, **tables)


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
    """The data of a load, or an InputError naming what made whole tables unusable."""
    if result.data is None:
        lines = [f"{p.file}: {p.message}. Fix: {p.fix}" for p in result.table_problems]
        raise InputError("cannot load the source:\n" + "\n".join(lines))
    return result.data
