"""Badge scans of a trade fair as lead-retrieval apps export them: a CSV read into scans,
each with its moment in UTC, and every row that cannot be one named with what to do.

Exports differ by app and language: ``;`` or ``,`` (or tabs), a byte-order mark, UTF-8 or
Windows-1252, trailing empty columns, German dates ("03.12.2026 14:05", the fair's local
time without an offset). A scan source's mapping (YAML, ``load_scan_mapping``) names the
app's columns for leadscore's fields; without one, ``DEFAULT_HEADERS`` knows the common
German and English headers. Row numbers are the file's lines as a spreadsheet counts them
(the header is row 1), so a rejected row is found where the reader looks.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from leadscore.common.errors import InputError

FIELDS = (
    "scanned_at", "email", "first_name", "last_name", "name", "company", "job_title",
    "phone", "note", "interest", "wants_call",
)  # fmt: skip
DEFAULT_ZONE = "Europe/Berlin"
MAX_CELL = 1_000  # characters kept of a cell: a booth note is a few sentences


def header_key(header: str) -> str:
    """A header as mappings match it: case, spaces, dashes and underscores left out
    ("E-Mail", "e_mail" and "EMAIL" are one header)."""
    return re.sub(r"[\W_]+", "", header.replace("\ufeff", "").casefold())


# the headers of common scanner apps' exports, German and English, by header_key
DEFAULT_HEADERS: dict[str, str] = {
    **dict.fromkeys(
        ("scandate", "scantime", "scannedat", "scandatetime", "date", "datum", "scandatum",
         "zeitpunkt", "erfasstam", "erfasst", "timestamp", "capturedat"),
        "scanned_at",
    ),
    **dict.fromkeys(("email", "emailaddress", "emailadresse", "mail"), "email"),
    **dict.fromkeys(("firstname", "givenname", "vorname"), "first_name"),
    **dict.fromkeys(("lastname", "surname", "familyname", "nachname"), "last_name"),
    **dict.fromkeys(("name", "fullname", "vollständigername"), "name"),
    **dict.fromkeys(
        ("company", "companyname", "organisation", "organization", "firma", "unternehmen"),
        "company",
    ),
    **dict.fromkeys(
        ("jobtitle", "title", "position", "funktion", "jobtitel", "berufsbezeichnung"),
        "job_title",
    ),
    **dict.fromkeys(
        ("phone", "phonenumber", "telephone", "mobile", "telefon", "telefonnummer", "mobil",
         "handy"),
        "phone",
    ),
    **dict.fromkeys(
        ("notes", "note", "notiz", "notizen", "bemerkung", "bemerkungen", "kommentar",
         "comments", "comment"),
        "note",
    ),
    **dict.fromkeys(
        ("interest", "interests", "interesse", "produktinteresse", "productinterest", "topic",
         "thema"),
        "interest",
    ),
    **dict.fromkeys(
        ("wantscall", "callback", "callrequested", "rückruf", "rückrufgewünscht",
         "anrufgewünscht", "followupcall"),
        "wants_call",
    ),
}  # fmt: skip
YES = frozenset({"yes", "y", "ja", "j", "x", "true", "1", "wahr"})
NO = frozenset({"", "no", "n", "nein", "false", "0", "falsch", "-"})
# the moments exports write, tried in order; a US app's "12/03/2026" is month first
DATE_FORMATS = (
    "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d.%m.%y %H:%M",
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
    "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y",
)  # fmt: skip
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ScanMapping:
    """The app's headers (by ``header_key``) for leadscore's fields, the zone its moments
    are in, and a date format where the app writes one of its own."""

    headers: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_HEADERS))
    timezone: str = DEFAULT_ZONE
    date_format: str | None = None


@dataclass(frozen=True)
class Scan:
    row: int
    scanned_at: pd.Timestamp  # UTC
    email: str | None  # lower case
    name: str | None
    company: str | None = None
    job_title: str | None = None
    phone: str | None = None
    note: str | None = None
    interest: str | None = None
    wants_call: bool = False


@dataclass(frozen=True)
class Rejected:
    """A row that is no scan: its row number, the column at fault, and why, as a key of
    the workspace's word table (``workspace.texts``, "scan_*") and the values it names."""

    row: int
    column: str
    reason: str
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ScanFile:
    """The scans read, the rows rejected, and the file's columns no field maps
    (``unmapped``: kept out, so a renamed column is seen, not silently lost)."""

    scans: list[Scan]
    rejected: list[Rejected]
    unmapped: list[str]

    @property
    def read(self) -> int:
        return len(self.scans) + len(self.rejected)


def load_scan_mapping(path: Path, *, timezone: str | None = None) -> ScanMapping:
    """A scan source's YAML: ``columns`` (the app's header: a field), and optionally
    ``timezone`` and ``date_format`` (strptime's, "%d.%m.%Y %H:%M"). The default headers
    still apply to the columns it does not name."""
    import yaml

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: the scan mapping cannot be read ({exc}); fix the file") from exc
    columns = loaded.get("columns") if isinstance(loaded, dict) else None
    if not isinstance(columns, dict) or not columns:
        raise InputError(
            f"{path}: no `columns:` mapping; write the app's column names and the field each "
            f'holds, e.g. `columns: {{"Scan Date": scanned_at}}` (fields: {", ".join(FIELDS)})'
        )
    headers = dict(DEFAULT_HEADERS)
    for header, target in columns.items():
        if target not in FIELDS:
            raise InputError(
                f"{path}: columns.{header}: {target!r} is not a field; use one of "
                f"{', '.join(FIELDS)}"
            )
        headers[header_key(str(header))] = target
    zone = timezone or loaded.get("timezone") or DEFAULT_ZONE
    mapping = ScanMapping(headers, checked_zone(str(zone)), loaded.get("date_format"))
    return mapping


def checked_zone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(
            f"time zone {zone!r} is unknown; give an IANA name such as Europe/Berlin"
        ) from exc
    return zone


def decoded(data: bytes) -> str:
    """The file's text: UTF-8 (a byte-order mark dropped), else Windows-1252, which older
    German Excel exports are in."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(header_line: str) -> str:
    return max(";,\t", key=header_line.count)


def read_scans(data: bytes, mapping: ScanMapping | None = None) -> ScanFile:
    """The scans of an export's bytes (see the module's notes); an empty line is no row."""
    mapping = mapping or ScanMapping()
    text = decoded(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(first))
    header = next((cells for cells in reader if any(c.strip() for c in cells)), None)
    if header is None:
        return ScanFile([], [Rejected(1, "header", "scan_empty")], [])
    columns: dict[str, int] = {}
    unmapped = []
    for i, name in enumerate(header):
        target = mapping.headers.get(header_key(name))
        if target is not None and target not in columns:
            columns[target] = i
        elif name.strip():
            unmapped.append(name.strip())
    if "scanned_at" not in columns or not ({"email", "name", "last_name"} & columns.keys()):
        reason = "scan_no_date_column" if "scanned_at" not in columns else "scan_no_who_column"
        named = {"columns": ", ".join(h.strip() for h in header if h.strip())}
        return ScanFile([], [Rejected(reader.line_num, "header", reason, named)], unmapped)
    scans, rejected = [], []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        row = reader.line_num
        values = {
            f: (cells[i].strip()[:MAX_CELL] or None) if i < len(cells) else None
            for f, i in columns.items()
        }
        scan = _scan(row, values, header, columns, mapping)
        (rejected if isinstance(scan, Rejected) else scans).append(scan)
    return ScanFile(scans, rejected, unmapped)


def _scan(
    row: int,
    values: dict[str, str | None],
    header: list[str],
    columns: dict[str, int],
    mapping: ScanMapping,
) -> Scan | Rejected:
    def column(f: str) -> str:
        return header[columns[f]].strip() if f in columns else f

    name = values.get("name") or " ".join(
        v for v in (values.get("first_name"), values.get("last_name")) if v
    )
    email = (values.get("email") or "").lower() or None
    if email is None and not name:
        return Rejected(row, column("email"), "scan_no_who")
    if email is not None and not EMAIL.match(email):
        return Rejected(row, column("email"), "scan_bad_email", {"value": email})
    when = values.get("scanned_at")
    if when is None:
        return Rejected(row, column("scanned_at"), "scan_no_date")
    moment = parse_moment(when, mapping.timezone, mapping.date_format)
    if moment is None:
        return Rejected(row, column("scanned_at"), "scan_bad_date", {"value": when})
    call = (values.get("wants_call") or "").casefold()
    if call not in YES and call not in NO:
        return Rejected(row, column("wants_call"), "scan_bad_call", {"value": call})
    return Scan(
        row=row,
        scanned_at=moment,
        email=email,
        name=name or None,
        company=values.get("company"),
        job_title=values.get("job_title"),
        phone=values.get("phone"),
        note=values.get("note"),
        interest=values.get("interest"),
        wants_call=call in YES,
    )


SCAN_YEARS = (2000, 2100)  # the scans' years read as dates; others are refused


def parse_moment(value: str, zone: str, date_format: str | None = None) -> pd.Timestamp | None:
    """``value`` in UTC: a moment without an offset is the fair's wall clock in ``zone``
    (in the hour the clocks go back, the first of the two; a time the clocks skip, at the
    offset before the change); None where it does not parse."""
    text = value.strip()
    parsed = None
    for pattern in (date_format,) if date_format else DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, pattern)
            break
        except ValueError:
            continue
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not SCAN_YEARS[0] <= parsed.year <= SCAN_YEARS[1]:
        return None  # a typo or a device's default date (01.01.0001), not a scan
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return pd.Timestamp(parsed).tz_convert("UTC")


def scan_customer_id(scan: Scan) -> str:
    """The id of the lead a scan makes where no lead has its e-mail: the same for the
    same e-mail at every fair (by its name and company where it has none)."""
    key = scan.email or f"{(scan.name or '').casefold()}|{(scan.company or '').casefold()}"
    return "SCAN-" + hashlib.blake2b(key.encode(), digest_size=6).hexdigest().upper()


def scan_event_id(fair: str, scan: Scan, customer_id: str) -> str:
    """The scan's event id: one fair, one person, one moment is one scan, so the same file
    imported again adds nothing."""
    who = scan.email or customer_id
    stamp = scan.scanned_at.strftime("%Y%m%dT%H%M%S")
    digest = hashlib.blake2b(f"{fair}\x1f{who}\x1f{stamp}".encode(), digest_size=12).hexdigest()
    return f"scan-{digest}"
