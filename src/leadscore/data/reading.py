"""Reading one export file (CSV, Parquet, JSON lines, JSON, Excel) into a frame of raw values.

The frame's index is the 0-based data row of the file, also where rows could not be read
(a ragged CSV line, a JSON line that is not an object): those rows are problems of their
own, so rows read = rows in the frame + unreadable rows.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from leadscore.data.problems import Problem
from leadscore.data.source_config import TableSource

FALLBACK_ENCODING = "cp1252"  # Windows' Western European: what Excel writes in Germany
SEPARATORS = (",", ";", "\t", "|")
_SKIPPED_LINE = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")
_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


@dataclass(frozen=True)
class RawTable:
    """The raw values of one file, what could not be read, and what was assumed."""

    frame: pd.DataFrame
    rows_read: int
    unreadable: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_raw(path: Path, spec: TableSource, *, table: str) -> RawTable | Problem:
    """The file's rows as raw values (text for CSV), or the Problem that stops reading it."""

    def problem(message: str, fix: str) -> Problem:
        return Problem(str(path), table, None, None, None, "readable", message, fix)

    if not path.exists():
        return problem("file not found", "correct the path in the source config (relative to it)")
    readers = {
        "parquet": _read_parquet,
        "csv": _read_csv,
        "jsonl": _read_json_lines,
        "xlsx": _read_excel,
    }
    reader = readers.get(spec.file_format, _read_json_array)
    try:
        raw = reader(path, spec, table)
    except ImportError as exc:  # openpyxl, where leadscore was installed without it
        return problem(
            f"cannot read the Excel file: {exc}",
            "install openpyxl (pip install openpyxl), or save the sheet as CSV",
        )
    except UnicodeDecodeError as exc:
        return problem(
            f"cannot decode the file as {spec.encoding}: {exc.reason} at byte {exc.start}",
            "set the file's encoding beside its path, e.g. encoding: cp1252 or latin-1",
        )
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        return problem(f"cannot read the file: {exc}", "check the format and the 'read' options")
    frame = _flattened(raw.frame, spec.flatten) if spec.flatten else raw.frame
    if spec.missing:
        unknown = [c for c in spec.missing if isinstance(spec.missing, dict) and c not in frame]
        if unknown:
            return problem(
                f"missing: names {', '.join(map(repr, unknown))}, not a column of the file",
                f"use the file's column names ({', '.join(map(str, frame.columns[:12]))})",
            )
        frame = without_missing(frame, spec.missing)
    return RawTable(frame, raw.rows_read, raw.unreadable, raw.notes)


def without_missing(
    frame: pd.DataFrame, missing: list[str | float] | dict[str, list[str | float]]
) -> pd.DataFrame:
    """``frame`` with the values that mean 'missing' (in every column, or per column)
    made missing: text matched as it is written, a number by its value."""
    per_column = missing if isinstance(missing, dict) else dict.fromkeys(frame.columns, missing)
    out = frame.copy()
    for column, values in per_column.items():
        if column not in out:
            continue
        texts = [v for v in values if isinstance(v, str)]
        numbers = [float(v) for v in values if not isinstance(v, str)]
        hit = out[column].isin(texts)
        if numbers:
            hit |= pd.to_numeric(out[column], errors="coerce").isin(numbers)
        out[column] = out[column].mask(hit)
    return out


def _read_parquet(path: Path, spec: TableSource, table: str) -> RawTable:
    frame = pd.read_parquet(path).reset_index(drop=True)
    return RawTable(frame, rows_read=len(frame))


def _read_csv(path: Path, spec: TableSource, table: str) -> RawTable:
    notes: list[str] = []
    encoding = spec.encoding or "utf-8-sig"
    try:
        return _read_csv_as(path, spec, table, encoding, notes)
    except UnicodeDecodeError as exc:
        if spec.encoding is not None:
            raise
        notes.append(
            f"not UTF-8 ({exc.reason} at byte {exc.start}): read as {FALLBACK_ENCODING}; "
            f"set encoding: beside the path to say which it is"
        )
        return _read_csv_as(path, spec, table, FALLBACK_ENCODING, notes)


def _read_csv_as(
    path: Path, spec: TableSource, table: str, encoding: str, notes: list[str]
) -> RawTable:
    options = _csv_options(spec)
    if "sep" not in options and "delimiter" not in options:
        options["sep"] = _sniffed_separator(path, encoding)
        if options["sep"] != ",":
            notes.append(
                f"separator {options['sep']!r} detected; set read: {{sep: {options['sep']!r}}} "
                "to be sure"
            )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        frame = pd.read_csv(path, encoding=encoding, on_bad_lines="warn", **options)
    skipped = [
        (int(m[1]), int(m[2]), int(m[3]))
        for w in caught
        if issubclass(w.category, pd.errors.ParserWarning)
        for m in _SKIPPED_LINE.finditer(str(w.message))
    ]
    header_lines = 0 if options.get("header", "infer") is None else 1
    unreadable = [
        Problem(
            file=str(path),
            table=table,
            column="(whole row)",
            row=line - header_lines,
            value=None,
            check="field_count",
            message=f"row has {saw} fields, the header has {expected}",
            fix="quote values that contain the separator, or remove the extra fields",
        )
        for line, expected, saw in skipped
    ]
    rows = _row_labels(len(frame), [p.row - 1 for p in unreadable])
    return RawTable(frame.set_axis(rows), len(frame) + len(unreadable), unreadable, notes)


def _csv_options(spec: TableSource) -> dict[str, Any]:
    """leadscore's read_csv options with the user's merged in: missing values add up."""
    user = dict(spec.read)
    if spec.path.suffix.lower() == ".tsv":
        user.setdefault("sep", "\t")
    na_values = user.pop("na_values", [])
    if isinstance(na_values, dict):
        na_values = {column: ["", *values] for column, values in na_values.items()}
    else:
        na_values = ["", *([na_values] if isinstance(na_values, str) else na_values)]
    return {"dtype": "str", "keep_default_na": False, **user, "na_values": na_values}


def _sniffed_separator(path: Path, encoding: str) -> str:
    """The separator that splits the header line into the most fields (',' on a tie)."""
    with _open_text(path, encoding) as handle:
        header = handle.readline()
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: (counts[sep], sep == ","))
    return best if counts[best] > 0 else ","


def _row_labels(kept: int, unreadable_rows: list[int]) -> np.ndarray:
    """0-based file rows of the rows pandas kept, given the rows it skipped."""
    labels = np.arange(kept + len(unreadable_rows))
    return np.delete(labels, sorted(unreadable_rows)) if unreadable_rows else labels


def _open_text(path: Path, encoding: str) -> IO[str]:
    opener = _OPENERS.get(path.suffix.lower())
    if opener is not None:
        return opener(path, "rt", encoding=encoding)
    return path.open(encoding=encoding)


@dataclass(frozen=True)
class _NotJson:
    """A line that does not parse, and why."""

    reason: str


def _read_json_lines(path: Path, spec: TableSource, table: str) -> RawTable:
    with _open_text(path, spec.encoding or "utf-8-sig") as handle:
        return _object_rows(path, table, ((_parsed(line), line) for line in _non_blank(handle)))


def _parsed(line: str) -> object:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        return _NotJson(exc.msg)


def _non_blank(lines: IO[str]) -> Iterator[str]:
    for line in lines:
        if line.strip():
            yield line


def _read_excel(path: Path, spec: TableSource, table: str) -> RawTable:
    """The first sheet, every cell as text (as a CSV's are), empty cells missing."""
    frame = pd.read_excel(path, dtype="str", engine="openpyxl").reset_index(drop=True)
    return RawTable(frame, rows_read=len(frame))


def _read_json_array(path: Path, spec: TableSource, table: str) -> RawTable:
    if _holds_json_lines(path, spec.encoding or "utf-8-sig"):
        raw = _read_json_lines(path, spec, table)
        note = f"{path.name} holds JSON lines, read as such; set format: jsonl to say so"
        return RawTable(raw.frame, raw.rows_read, raw.unreadable, [*raw.notes, note])
    with _open_text(path, spec.encoding or "utf-8-sig") as handle:
        content = json.load(handle)
    if isinstance(content, dict):
        arrays = [v for v in content.values() if isinstance(v, list)]
        if len(arrays) != 1:
            raise ValueError("expected a JSON array of objects (or an object holding one array)")
        content = arrays[0]
    if not isinstance(content, list):
        raise ValueError("expected a JSON array of objects")
    return _object_rows(path, table, ((value, None) for value in content))


def _holds_json_lines(path: Path, encoding: str) -> bool:
    """Whether a .json file is JSON lines: its first line a whole object, a second after it
    (a JSON document spans lines, or is one line alone)."""
    with _open_text(path, encoding) as handle:
        lines = []
        for line in _non_blank(handle):
            lines.append(line)
            if len(lines) == 2:
                break
    return len(lines) == 2 and isinstance(_parsed(lines[0]), dict)


def _object_rows(path: Path, table: str, values: Iterable[tuple[object, str | None]]) -> RawTable:
    """JSON values (each with its text, where it has one) as rows: an object is a row,
    anything else an unreadable row of its own."""
    records: list[dict] = []
    rows: list[int] = []
    unreadable: list[Problem] = []
    for row, (value, text) in enumerate(values):
        if isinstance(value, dict):
            records.append(value)
            rows.append(row)
            continue
        message = (
            f"not JSON: {value.reason}" if isinstance(value, _NotJson) else "not a JSON object"
        )
        shown = text if text is not None else repr(value)
        unreadable.append(_bad_record(path, table, row, shown, message))
    frame = pd.DataFrame.from_records(records, index=rows) if records else pd.DataFrame()
    return RawTable(frame, len(records) + len(unreadable), unreadable)


def _bad_record(path: Path, table: str, row: int, text: str, message: str) -> Problem:
    return Problem(
        file=str(path),
        table=table,
        column="(whole row)",
        row=row + 1,
        value=text.strip()[:200],
        check="json_record",
        message=message,
        fix='write one JSON object per line, e.g. {"customer_id": "C-1", ...}',
    )


def _flattened(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Objects in ``columns`` spread into ``column.key`` columns (text holding JSON too)."""
    out = frame
    for column in columns:
        if column not in out.columns:
            continue
        objects = out[column].map(_as_object)
        keys = list(dict.fromkeys(k for obj in objects if obj for k in obj))
        spread = pd.DataFrame(
            {f"{column}.{key}": objects.map(lambda o, k=key: (o or {}).get(k)) for key in keys},
            index=out.index,
        )
        at = out.columns.get_loc(column)
        out = pd.concat([out.iloc[:, :at], spread, out.iloc[:, at + 1 :]], axis=1)
    return out


def _as_object(value: Any) -> dict | None:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return None
