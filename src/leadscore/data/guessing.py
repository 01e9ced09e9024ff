"""Guesses about one export file and its columns, for ``leadscore init`` and ``validate``:
the file's format by its content, its encoding and separator, how its numbers and dates
are written, yes/no columns that could be the label, and what its event names mean.

Each guess says what it rests on, so that the config written from it can say so too.
Pure functions over bytes and text values; nothing here reads more than a file's start.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from leadscore.data.source_config import SourceConfig
from leadscore.data.tables import DISPLAY_COLUMNS

SNIFF_BYTES = 1 << 20  # the start of a file a guess reads
SEPARATORS = (";", ",", "\t", "|")

_GERMAN_NUMBER = re.compile(r"^-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
_ENGLISH_NUMBER = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"\d,\d+$")
_THOUSANDS_DOT = re.compile(r"\d\.\d{3}(?:,|$)")
_THOUSANDS_COMMA = re.compile(r"\d,\d{3}(?:\.|$)")

# columns that are never numbers, whatever their values look like
_NOT_NUMBERS = {"customer_id", "offer_id", "event_id", *DISPLAY_COLUMNS}

# strftime patterns tried on a column's values, most specific first; ISO 8601 needs none
DATE_FORMATS = (
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
)
_ISO_DATE = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)
_DATE_LIKE = re.compile(r"^\d{1,2}[./]\d{1,2}[./]\d{2,4}( \d{1,2}:\d{2}(:\d{2})?)?$")

# a flag's two values, the positive first
FLAG_PAIRS = (
    ("ja", "nein"),
    ("yes", "no"),
    ("y", "n"),
    ("j", "n"),
    ("true", "false"),
    ("wahr", "falsch"),
    ("1", "0"),
    ("1.0", "0.0"),
    ("won", "lost"),
    ("gewonnen", "verloren"),
    ("converted", "not converted"),
)
# words in a column's name that say it is the outcome
LABEL_WORDS = (
    "abschluss", "converted", "conversion", "gewonnen", "won", "kauf", "deal", "label",
    "target", "outcome", "erfolg", "kunde geworden", "y",
)  # fmt: skip

# canonical event types and words that name them, checked in this order (the first match
# wins: 'Messebesuch' is a fair, not a website visit; 'E-Mail geklickt' a click, not an open)
EVENT_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("offer_received", ("angebot versendet", "angebot gesendet", "offer sent", "offer received")),
    ("offer_viewed", ("angebot angesehen", "offer viewed")),
    ("offer_completed", ("angebot angenommen", "offer completed")),
    ("quote_request", ("angebotsanfrage", "anfrage", "quote", "rfq")),
    ("purchase", ("kauf", "bestellung", "auftrag", "purchase", "order", "transaction")),
    ("trade_fair_visit", ("messe", "trade fair", "fair", "expo", "booth")),
    ("webinar_registered", ("webinar anmeldung", "webinar registr", "webinar angemeldet")),
    ("webinar_attended", ("webinar",)),
    ("pricing_page_view", ("preis", "pricing", "price")),
    ("product_page_view", ("produkt", "product")),
    ("download", ("download", "whitepaper", "herunterg")),
    ("email_click", ("geklickt", "klick", "click")),
    ("email_open", ("geöffnet", "geoeffnet", "open", "e mail", "email", "newsletter")),
    ("meeting", ("termin", "meeting", "treffen")),
    ("call", ("anruf", "telefonat", "call")),
    ("page_view", ("webseite", "website", "seitenaufruf", "page view", "pageview", "visit")),
)


@dataclass(frozen=True)
class Guess:
    """A guessed setting and what it rests on, in words for a YAML comment."""

    value: str | None
    seen: str


def sniff_format(path: Path, head: bytes) -> Guess:
    """The file's format from its first bytes (``head``), whatever its name says."""
    if head.startswith(b"PAR1"):
        return Guess("parquet", "starts with PAR1 (Parquet)")
    if head.startswith(b"PK\x03\x04"):
        return Guess("xlsx", "a zip archive, as an Excel workbook (.xlsx) is")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return Guess("json", "starts with '[': a JSON array")
    if text.startswith(b"{"):
        lines = [line for line in text.splitlines() if line.strip()]
        first = _json_object(lines[0]) if lines else None
        if first is not None and len(lines) > 1:
            return Guess("jsonl", f"one JSON object per line ({path.suffix or 'no'} ending)")
        return Guess("json", "starts with '{': one JSON document")
    return Guess("csv", "text in lines, not JSON: a delimited text file")


def _json_object(line: bytes) -> dict | None:
    try:
        value = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def sniff_encoding(head: bytes) -> Guess:
    """UTF-8 where the start decodes as it, else Latin-1 (Windows-1252 where its extra
    characters, bytes 0x80-0x9f, occur)."""
    cut = head[: len(head) - 3] if len(head) == SNIFF_BYTES else head  # a split character
    try:
        cut.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = f"byte 0x{cut[exc.start]:02x} at {exc.start}"
        if any(0x80 <= b <= 0x9F for b in cut):
            return Guess("cp1252", f"not UTF-8 ({byte}); bytes 0x80-0x9f as Windows writes them")
        return Guess("latin-1", f"not UTF-8 ({byte}): read as Latin-1 (ISO-8859-1)")
    return Guess("utf-8", "decodes as UTF-8")


def sniff_separator(header: str) -> Guess:
    """The separator that splits the header line into the most fields."""
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: (counts[sep], sep == ","))
    if counts[best] == 0:
        return Guess(",", "one column only in the header")
    names = {";": "semicolons", ",": "commas", "\t": "tabs", "|": "bars"}
    return Guess(best, f"the header holds {counts[best]} {names[best]}")


def present_text(values: pd.Series, limit: int = 2_000) -> pd.Series:
    """The column's present values as stripped text (a sample of ``limit``)."""
    text = values.dropna().astype("str").str.strip()
    text = text[text != ""]
    return text.head(limit)


def number_style(values: pd.Series) -> Guess | None:
    """How a text column's numbers are written where it holds numbers only and they say
    so: ``decimal,thousands`` as ``",,."`` -> Guess(',.'); None for plain numbers or text."""
    text = present_text(values)
    if text.empty or pd.api.types.is_numeric_dtype(values.dtype):
        return None
    example = None
    if text.str.fullmatch(_GERMAN_NUMBER).all():
        commas = text[text.str.contains(_DECIMAL_COMMA)]
        dots = text[text.str.contains(_THOUSANDS_DOT)]
        if len(commas):
            example = commas.iloc[0] if not len(dots) else dots.iloc[0]
            thousands = "." if len(dots) else ""
            return Guess("," + thousands, f"values like '{example}'")
    if text.str.fullmatch(_ENGLISH_NUMBER).all():
        commas = text[text.str.contains(_THOUSANDS_COMMA)]
        if len(commas):
            return Guess(".,", f"values like '{commas.iloc[0]}'")
    return None


def date_format(values: pd.Series) -> Guess | None:
    """The strftime pattern every value of a text column fits (value None for ISO 8601),
    or None where they are not dates."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return Guess(None, "a date column of the file's own type")
    text = present_text(values, limit=500)
    if text.empty or pd.api.types.is_numeric_dtype(values.dtype):
        return None
    if text.str.fullmatch(_ISO_DATE).all():
        return Guess(None, f"ISO 8601 dates like '{text.iloc[0]}'")
    if not text.str.fullmatch(_DATE_LIKE).all():
        return None
    for pattern in DATE_FORMATS:
        parsed = pd.to_datetime(text, format=pattern, errors="coerce")
        if parsed.notna().all():
            day_first = pattern.startswith("%d")
            ambiguous = "/" in pattern and day_first and _could_be_month_first(text)
            seen = f"values like '{text.iloc[0]}'"
            if ambiguous:
                seen += " (no day above 12 seen: could be month first, %m/%d/%Y)"
            return Guess(pattern, seen)
    return None


def _could_be_month_first(text: pd.Series) -> bool:
    return pd.to_datetime(text, format="%m/%d/%Y", errors="coerce").notna().all()


@dataclass(frozen=True)
class LabelCandidate:
    """A column of two values that could say 'converted'."""

    column: str
    positive: str
    negative: str
    positives: int
    rows: int
    named: bool  # its name says it is an outcome

    @property
    def share(self) -> float:
        return self.positives / self.rows if self.rows else 0.0


def label_candidate(column: str, values: pd.Series) -> LabelCandidate | None:
    """The column as a label where it holds two values of a known yes/no pair."""
    present = values.dropna()
    if present.empty:
        return None
    text = present.astype("str").str.strip()
    distinct = set(text.unique())
    if len(distinct) != 2:
        return None
    lowered = {value.lower(): value for value in distinct}
    for positive, negative in FLAG_PAIRS:
        if set(lowered) == {positive, negative}:
            spelt_positive, spelt_negative = lowered[positive], lowered[negative]
            name = column.lower().replace("_", " ")
            named = any(re.search(rf"\b{re.escape(w)}\b", name) for w in LABEL_WORDS)
            positives = int((text == spelt_positive).sum())
            return LabelCandidate(
                column, spelt_positive, spelt_negative, positives, len(text), named
            )
    return None


def best_label(candidates: list[LabelCandidate]) -> LabelCandidate | None:
    """The candidate whose name says outcome, then the one with a share of positives
    nearest to what a conversion rate is (a few percent to a half)."""
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c.named, 0.01 <= c.share <= 0.6, -abs(c.share - 0.2)))


def event_type_of(name: str) -> str | None:
    """The canonical event type an event name says, by its words (None: unknown)."""
    text = re.sub(r"[-_/]+", " ", name.lower()).strip()
    for event_type, words in EVENT_WORDS:
        if any(word in text for word in words):
            return event_type
    return None


def number_notes(source: SourceConfig, table: Callable[[str], pd.DataFrame]) -> list[str]:
    """A note for each text column of the loaded tables whose values are numbers written
    otherwise than the table's ``numbers:`` says (1.871,44 read as text, not 1871.44),
    with the YAML that reads them as numbers."""
    notes = []
    for name, spec in source.tables.items():
        frame = table(name)
        for column in frame.columns:
            values = frame[column]
            if column in _NOT_NUMBERS or pd.api.types.is_numeric_dtype(values.dtype):
                continue
            style = number_style(values)
            if style is None:
                continue
            decimal, thousands = style.value[0], style.value[1:] or None
            if (spec.numbers.decimal, spec.numbers.thousands) == (decimal, thousands):
                continue
            yaml = f'numbers: {{decimal: "{decimal}"' + (
                f', thousands: "{thousands}"}}' if thousands else "}"
            )
            notes.append(
                f"{name}, column {column}: read as text, but its {style.seen} are numbers "
                f"written with {decimal!r} as decimal separator; if they are numbers, add "
                f"{yaml} to tables: {name}: in the source config"
            )
    return notes
