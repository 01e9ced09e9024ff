"""Numbers and counted words as a person writes them, in German and English: CLDR's locale
rules through Babel (plural categories, digits, grouping, percentages, currencies)."""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Literal

import numpy as np
from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent

# How a value is written: counts and whole days as integers, a ratio with one decimal,
# money in its currency, a share as a percentage, any other number with three
# significant digits (0.0126 stays 0.0126, not 0)
ValueFormat = Literal["count", "days", "ratio", "money", "percent", "number"]
UNKNOWN = {"en": "unknown", "de": "unbekannt"}
_WORD_BREAKS = re.compile(r"[_.\-\s]+|(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def plural_category(count: float, lang: str) -> str:
    """CLDR's plural category of ``count`` in ``lang`` ('one' or 'other' in en and de)."""
    return _locale(lang).plural_form(abs(count))


def as_number(value: object) -> float | None:
    """``value`` as a float where it is a finite number (bools and text are not)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def shown_number(value: float, value_format: ValueFormat) -> float:
    """The number a sentence states (and chooses its plural form by): whole days, whole
    counts, ratios to one decimal; the others as they are."""
    if value_format == "days":
        return float(math.floor(value + 1e-9))  # 1.9 days ago is 1 whole day ago
    if value_format == "count":
        return float(round(value))
    if value_format == "ratio":
        return round(value, 1)
    return value


def format_value(
    value: object, lang: str, value_format: ValueFormat = "number", *, currency: str | None = None
) -> str:
    """``value`` written for a sentence in ``lang``: numbers by the locale's rules and the
    format, missing values as 'unknown', anything else as text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return UNKNOWN[lang]
    number = as_number(value)
    if number is None:
        return str(value)
    shown = shown_number(number, value_format)
    locale = _locale(lang)
    if value_format in ("count", "days"):
        return format_decimal(shown, format="#,##0", locale=locale)
    if value_format == "ratio":
        return format_decimal(shown, format="#,##0.#", locale=locale)
    if value_format == "percent":  # the locale's pattern (1,3 %, 1.3%) with one decimal
        pattern = locale.percent_formats[None].pattern
        return format_percent(shown, format=_one_decimal(pattern), locale=locale)
    if value_format == "money":  # whole amounts, in the locale's way (3.604 €, €3,604)
        if currency is None:
            return format_decimal(shown, format="#,##0", locale=locale)
        pattern = locale.currency_formats["standard"].pattern.split(";")[0]
        return format_currency(
            round(shown),
            currency,
            format=pattern.replace(".00", ""),
            locale=locale,
            currency_digits=False,
        )
    return format_decimal(shown, format=_significant(shown), locale=locale)


def share_percent(value: float, digits: int = 1) -> str:
    """A share in a report's table as a percentage ("12.3 %"); '-' where there is none
    (an empty grade has no conversion rate)."""
    return "-" if value is None or math.isnan(value) else f"{value * 100:.{digits}f} %"


def _one_decimal(pattern: str) -> str:
    head, zero, tail = pattern.rpartition("0")
    return f"{head}{zero}.#{tail}" if zero else pattern


def _significant(number: float, digits: int = 3) -> str:
    """A decimal pattern keeping ``digits`` significant digits below 1,000 (and whole
    numbers from there): 0.0126, 1.25, 12.5, 396, 12,345."""
    magnitude = 0 if number == 0 else math.floor(math.log10(abs(number)))
    decimals = max(0, digits - 1 - magnitude)
    return "#,##0" + ("." + "#" * decimals if decimals else "")


def humanised(name: str) -> str:
    """A column's name as words: 'ExitRates' -> 'Exit rates', 'cons.conf.idx' -> 'Cons conf
    idx', 'day_of_week' -> 'Day of week'."""
    words = [w for w in _WORD_BREAKS.split(str(name)) if w]
    if not words:
        return str(name)
    words = [w if w.isupper() and len(w) > 1 else w.lower() for w in words]
    return " ".join([words[0][:1].upper() + words[0][1:], *words[1:]])
