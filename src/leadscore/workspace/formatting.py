"""Values as the workspace's pages and its CSV show them: numbers, days and moments in the
reader's locale, a dash where a value is missing."""

from __future__ import annotations

import numbers

import pandas as pd
from babel.dates import format_date, format_datetime, get_timezone
from babel.numbers import format_decimal, format_percent

MISSING = "\u2013"  # an en dash where a value is missing
LOCALES = {"de": "de_DE", "en": "en_GB"}
UTC = get_timezone("UTC")


def is_missing(value: object) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def number(value: object, lang: str, digits: int) -> str:
    if is_missing(value) or not isinstance(value, numbers.Real | str):
        return MISSING
    return format_decimal(round(float(value), digits), locale=LOCALES[lang])


def percent(value: float | None, lang: str) -> str:
    return MISSING if value is None else format_percent(value, locale=LOCALES[lang])


def day(value: object, lang: str) -> str:
    if is_missing(value):
        return MISSING
    return format_date(pd.Timestamp(value).date(), format="medium", locale=LOCALES[lang])


def moment(value: object, lang: str) -> str:
    if is_missing(value):
        return MISSING
    when = pd.Timestamp(value).to_pydatetime()
    return format_datetime(when, format="short", tzinfo=UTC, locale=LOCALES[lang]) + " UTC"


# a cell that starts with one of these is a formula to a spreadsheet (OWASP's CSV
# injection guidance): a lead's name or campaign from a form must not run as one
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_value(value: object) -> object:
    if is_missing(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value  # shown as the text it is, never evaluated
    return value
