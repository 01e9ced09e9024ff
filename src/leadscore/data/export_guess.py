"""Guess how a folder of exports maps onto the canonical tables, for ``leadscore init``.

Each file is read by what its content is (see :mod:`leadscore.data.guessing`), a sample of
its rows is looked at, and the files are given roles: the customers table (a column of
unique ids), the events table (a column of those ids, a date and a column of event
names), or none. The result is a dataclass the config writer renders with comments.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from leadscore.common.errors import InputError
from leadscore.data import guessing as g
from leadscore.data.tables import DISPLAY_COLUMNS

SAMPLE_ROWS = 20_000  # rows of a file the guesses look at
WRITTEN = ("source.yaml", "training.yaml")  # what init writes: not exports

# export headers (lower case) that mean a display field of the customers table
DISPLAY_HEADERS = {
    "firma": "company", "unternehmen": "company", "company": "company",
    "company name": "company", "firmenname": "company", "ansprechpartner": "name",
    "name": "name", "kontakt": "name", "vollständiger name": "name", "full name": "name",
    "contact": "name", "position": "job_title", "funktion": "job_title",
    "job title": "job_title", "jobtitel": "job_title", "e-mail": "email", "email": "email",
    "e-mail-adresse": "email", "telefon": "phone", "phone": "phone", "telefonnummer": "phone",
    "betreuer": "owner", "owner": "owner", "lead owner": "owner", "lead-inhaber": "owner",
    "gebiet": "territory", "vertriebsgebiet": "territory", "territory": "territory",
}  # fmt: skip
_ID_WORDS = ("id", "nr", "nummer", "number", "no", "kennung", "key")
_CREATED_WORDS = ("angelegt", "erstellt", "created", "anlage", "seit", "since", "datum", "date")
_EVENT_WORDS = ("aktivität", "aktivitaet", "activity", "event", "typ", "type", "art", "aktion")


@dataclass
class TableGuess:
    """What one file is, how it is written and which of its columns mean what."""

    path: Path
    format: g.Guess
    encoding: g.Guess | None = None
    separator: g.Guess | None = None
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    numbers: g.Guess | None = None
    number_columns: list[str] = field(default_factory=list)
    dates: dict[str, g.Guess] = field(default_factory=dict)
    labels: list[g.LabelCandidate] = field(default_factory=list)
    role: str | None = None
    role_seen: str = ""
    id_column: str | None = None
    time_column: str | None = None
    event_column: str | None = None
    event_types: dict[str, str | None] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExportGuess:
    """A folder's files, their roles, the label and the time zone guessed."""

    folder: Path
    tables: list[TableGuess]
    label: g.LabelCandidate | None
    timezone: g.Guess
    skipped: list[str]

    def table(self, role: str) -> TableGuess | None:
        return next((t for t in self.tables if t.role == role), None)

    @property
    def purchase_names(self) -> list[str]:
        """The events' names mapped to purchases: dated conversions, a better label than a
        yes/no column (behaviour before each one is what predicts it)."""
        events = self.table("events")
        if events is None:
            return []
        return [name for name, kind in events.event_types.items() if kind == "purchase"]

    @property
    def flag_label(self) -> g.LabelCandidate | None:
        """The yes/no column that is the label: the best one, unless purchases are dated."""
        return None if self.purchase_names else self.label


def guess_export(folder: Path) -> ExportGuess:
    """Every guess about the exports in ``folder``; an InputError where none is a table."""
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder; give the folder that holds your export files")
    tables: list[TableGuess] = []
    samples: dict[Path, pd.DataFrame] = {}
    skipped: list[str] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        if path.name.startswith(".") or path.name in WRITTEN:
            continue
        try:
            table, sample = _read_and_guess(path)
        # one unreadable file (an export.zip, a picture) must not stop the guesses for the
        # others: it is listed as skipped
        except Exception as exc:
            skipped.append(f"{path.name}: cannot read it ({type(exc).__name__}: {exc})")
            continue
        tables.append(table)
        samples[path] = sample
    if not tables:
        raise InputError(
            f"{folder}: no file to read (CSV, JSON lines, JSON, Parquet or Excel .xlsx); "
            "put your export files in this folder"
        )
    _assign_roles(tables, samples)
    customers = next((t for t in tables if t.role == "customers"), None)
    if customers is None:  # a config without a customers table cannot be valid
        read = ", ".join(t.path.name for t in tables)
        raise InputError(
            f"{folder}: no customers table among {read}: none has a column with a value of "
            "its own in every row (a customer or lead id); add the export of your leads or "
            "contacts to the folder"
        )
    label = g.best_label(customers.labels) if customers is not None else None
    return ExportGuess(folder, tables, label, _timezone(tables), skipped)


def read_sample(path: Path, table: TableGuess) -> pd.DataFrame:
    """The first SAMPLE_ROWS rows of the file, as it would be read with the guesses."""
    kind = table.format.value
    if kind == "parquet":
        return pd.read_parquet(path).head(SAMPLE_ROWS)
    if kind == "xlsx":
        return pd.read_excel(path, dtype="str", nrows=SAMPLE_ROWS, engine="openpyxl")
    encoding = table.encoding.value if table.encoding else "utf-8"
    if kind == "jsonl":
        # read as text, not with read_json: it would turn some columns into dates its own way
        with path.open(encoding=encoding) as handle:
            lines = (line for line in handle if line.strip())
            rows = [json.loads(line) for _, line in zip(range(SAMPLE_ROWS), lines, strict=False)]
        return pd.DataFrame.from_records([r for r in rows if isinstance(r, dict)])
    if kind == "json":
        with path.open(encoding=encoding) as handle:
            content = json.load(handle)
        if isinstance(content, dict):  # an object holding the array of rows
            content = next((v for v in content.values() if isinstance(v, list)), [])
        return pd.DataFrame.from_records([r for r in content[:SAMPLE_ROWS] if isinstance(r, dict)])
    sep = table.separator.value if table.separator else ","
    return pd.read_csv(
        path, sep=sep, encoding=encoding, dtype="str", nrows=SAMPLE_ROWS, keep_default_na=False,
        na_values=[""],
    )  # fmt: skip


def _read_and_guess(path: Path) -> tuple[TableGuess, pd.DataFrame]:
    with path.open("rb") as handle:
        head = handle.read(g.SNIFF_BYTES)
    table = TableGuess(path=path, format=g.sniff_format(path, head))
    if table.format.value in ("csv", "json", "jsonl"):
        table.encoding = g.sniff_encoding(head)
    if table.format.value == "csv":
        header = head.decode(table.encoding.value, errors="replace").lstrip("\ufeff")
        table.separator = g.sniff_separator(header.splitlines()[0] if header else "")
    sample = read_sample(path, table)
    table.rows = len(sample)
    table.columns = [str(c) for c in sample.columns]
    styles: dict[str, g.Guess] = {}
    for column in table.columns:
        values = sample[column]
        date = g.date_format(values)
        if date is not None:
            table.dates[column] = date
            continue
        style = g.number_style(values)
        if style is not None:
            styles[column] = style
        candidate = g.label_candidate(column, values)
        if candidate is not None:
            table.labels.append(candidate)
    if styles:
        # one way of writing numbers per file: the most columns' way
        values = [s.value for s in styles.values()]
        common = max(set(values), key=values.count)
        table.number_columns = [c for c, s in styles.items() if s.value == common]
        first = styles[table.number_columns[0]]
        table.numbers = g.Guess(common, f"column {table.number_columns[0]}: {first.seen}")
    return table, sample


def _assign_roles(tables: list[TableGuess], samples: dict[Path, pd.DataFrame]) -> None:
    """The customers table: the file with a column of unique ids (by its name, else its
    first column); the events table: a file with a column of those ids and dates."""
    ids: set[str] = set()
    best: tuple[TableGuess, str] | None = None
    for table in tables:
        sample = samples[table.path]
        for column in _id_like(table.columns):
            values = sample[column].dropna().astype("str")
            if len(values) == len(sample) and values.is_unique and len(values) > 0:
                if best is None or len(values) > best[0].rows:
                    best = (table, column)
                break
    if best is None:
        return
    customers, id_column = best
    customers.role, customers.id_column = "customers", id_column
    customers.role_seen = f"column '{id_column}' holds a unique value in every row"
    ids = set(samples[customers.path][id_column].astype("str"))
    customers.time_column = _by_words(list(customers.dates), _CREATED_WORDS)
    customers.display = _display_columns(customers.columns, id_column)
    for table in tables:
        if table is customers or not table.dates:
            continue
        sample = samples[table.path]
        column = next(
            (c for c in table.columns if sample[c].dropna().astype("str").isin(ids).mean() > 0.9),
            None,
        )
        if column is None:
            continue
        table.role, table.id_column = "events", column
        table.role_seen = f"column '{column}' holds the ids of {customers.path.name}"
        table.time_column = _by_words(list(table.dates), ("zeit", "time", "ts", "datum", "date"))
        table.event_column, table.event_types = _event_names(table, sample)


def _id_like(columns: list[str]) -> list[str]:
    """Columns whose name says id first, then the first column."""
    named = [c for c in columns if any(w in _words(c) for w in _ID_WORDS)]
    return [*named, *[c for c in columns[:1] if c not in named]]


def _words(name: str) -> set[str]:
    return set(re.split(r"[^a-zäöüß0-9]+", name.lower())) | {name.lower()}


def _by_words(columns: list[str], words: tuple[str, ...]) -> str | None:
    for column in columns:
        if any(w in column.lower() for w in words):
            return column
    return columns[0] if columns else None


def _display_columns(columns: list[str], id_column: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for column in columns:
        target = DISPLAY_HEADERS.get(column.lower().strip())
        # where a column of the field's own name exists, it is the field
        fresh = target not in found.values() and target not in columns
        if target in DISPLAY_COLUMNS and column != id_column and fresh:
            found[column] = target
    return found


def _event_names(table: TableGuess, sample: pd.DataFrame) -> tuple[str | None, dict]:
    """The column of event names: few distinct text values, most of them known words."""
    best: tuple[tuple[int, bool], str, dict[str, str | None]] | None = None
    for column in table.columns:
        if column in (table.id_column, *table.dates):
            continue
        values = sample[column].dropna()
        if values.empty or pd.api.types.is_numeric_dtype(values.dtype):
            continue
        counts = values.astype("str").value_counts()
        if len(counts) > 200:
            continue
        mapping = {str(v): g.event_type_of(str(v)) for v in counts.index}
        known = sum(1 for t in mapping.values() if t is not None)
        named = any(w in column.lower() for w in _EVENT_WORDS)
        score = (known, named)
        if (known or named) and (best is None or score > best[0]):
            best = (score, column, mapping)
    return (best[1], best[2]) if best is not None else (None, {})


def _timezone(tables: list[TableGuess]) -> g.Guess:
    german = [
        t.path.name
        for t in tables
        if (t.numbers is not None and t.numbers.value.startswith(","))
        or any(d.value and d.value.startswith("%d.%m") for d in t.dates.values())
    ]
    if german:
        return g.Guess(
            "Europe/Berlin", f"German numbers or dates in {german[0]}: times read as Berlin's"
        )
    return g.Guess("UTC", "nothing says where the export's clock is")
