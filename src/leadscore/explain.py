"""Reasons in plain language: TreeSHAP impacts turned into sentences for sales reps."""

from __future__ import annotations

import math

import numpy as np

from leadscore.common.wording import UNKNOWN, as_number, format_value, shown_number
from leadscore.features.definitions import Description
from leadscore.models.encoding import FeatureEncoder

LANGUAGES = ("en", "de")
# the formats whose zero is an absence (no calls, nothing bought, no activity this week)
ABSENCE_FORMATS = ("count", "money", "ratio")
# how a change names the moment it compares with
EARLIER = {
    "en": ("{days} day ago", "{days} days ago"),
    "de": ("vor {days} Tag", "vor {days} Tagen"),
}


def sentence(description: Description, window: object, value: object, lang: str) -> str:
    """The reason's sentence: the value written as its format says, in the form its
    number asks for ("Viewed 1 page", "Last activity today"); a category in its words
    (the description's ``values``, else its code in words: "Partner portal")."""
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if missing:
        return missing_sentence(description, window, lang)
    value_format = description.format or "number"
    number = as_number(value)
    count = None if number is None else shown_number(number, value_format)
    text = value_words(description, value, lang)
    return description.render_window(lang, window, value=text, count=count)


def value_words(description: Description, value: object, lang: str) -> str:
    """A value as a sentence says it: a category in its words, a number in its format."""
    words = description.value_text(value, lang)
    if words is not None:
        return words
    if isinstance(value, str):
        return category_words(value)
    return format_value(value, lang, description.format or "number", currency=description.currency)


def missing_sentence(description: Description, window: object, lang: str) -> str:
    """What a missing value says: the description's own sentence for it; for a count, a
    sum or a trend, where nothing was counted, its sentence of none ("Had no call"); else
    the sentence up to its value, then "unknown" ("Company size: unknown"), never
    "unknown employees"."""
    if description.missing(lang):
        return description.missing(lang)
    if (description.format or "number") in ABSENCE_FORMATS:
        none = description.render_window(lang, window, value="{value}", count=0)
        if "{value}" not in none:
            return none
    text = description.render_window(lang, window, value="{value}")
    head = text.split("{value}")[0].rstrip(" :-")
    return f"{head}: {UNKNOWN[lang]}" if head else UNKNOWN[lang].capitalize()


def title(description: Description, window: object, lang: str) -> str:
    """A feature named as its reasons name it, its value left open: "Hat in den letzten
    30 Tagen … Seiten der Website aufgerufen"; a profile field's "Branche: {value}" as
    "Branche" (or as its missing value's sentence names it: "Herkunft unbekannt" as
    "Herkunft")."""
    missing = description.missing(lang)
    if missing and missing.endswith(f" {UNKNOWN[lang]}"):
        return missing[: -len(UNKNOWN[lang]) - 1]
    text = description.render_window(lang, window, value="…", count=2)
    head, colon, rest = text.partition(":")
    return head.strip() if colon and rest.strip() == "…" else text


def category_words(code: str) -> str:
    """A category's code as words, where no description names it: 'partner_portal' ->
    'Partner portal'; codes in capitals (DE, B2B) stay as they are."""
    words = code.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words.islower() else words


def is_absence(description: Description, value: object) -> bool:
    """Whether the value says something did not happen: a missing value, or none of what
    is counted or summed ("Had no call with sales", "Has never bought"). Zero days is no
    absence: it reads "today"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return True
    number = as_number(value)
    return (
        number is not None
        and (description.format or "number") in ABSENCE_FORMATS
        and shown_number(number, description.format or "number") == 0
    )


class ReasonWriter:
    """Turns one model's TreeSHAP values into reasons a sales rep can use.

    Per row: features whose sentences are equal are one reason, with the parts' impacts
    summed (so base value + every reason's impact is still the margin); reasons rank by
    how far their impact stands out from the feature's typical size (``typical``: the
    mean |impact| over reference rows, stored at training; without it by size alone);
    within a feature's windows (``page_views_7d``, ``_30d``...) only the one that stands
    out most ranks among the first, the others after every feature's first; an absence
    pushing up ("▲ Had no call with sales") ranks last. Each row gives its ``top_k`` first.

    The same few values recur across leads (0 visits, "manufacturing"), so each feature
    value's decoded form and sentence are made once and kept (up to ``CACHE_SIZE``).
    """

    CACHE_SIZE = 65_536

    def __init__(
        self,
        encoder: FeatureEncoder,
        descriptions: dict[str, tuple[Description, object]],
        typical: dict[str, float] | None = None,
    ) -> None:
        self.encoder = encoder
        self.names = encoder.features
        self._descriptions = [descriptions[name] for name in self.names]
        # features that count in the score but are never given as reasons (ids, hashes)
        self._silent = np.array([not d.reason for d, _ in self._descriptions], dtype=bool)
        typical = typical or {}
        self._typical = [float(typical.get(name, 0.0)) for name in self.names]
        # a feature's windows share one description: they are one family of reasons
        families: dict[str, int] = {}
        self._family = [
            families.setdefault(d.model_dump_json(), len(families)) for d, _ in self._descriptions
        ]
        self._said: dict[tuple, tuple[object, str, bool]] = {}

    def description(self, feature: str) -> Description:
        """The description that says ``feature``'s reasons."""
        return self._descriptions[self.names.index(feature)][0]

    def reasons(
        self, contributions: np.ndarray, matrix: np.ndarray, *, top_k: int, lang: str
    ) -> list[list[dict]]:
        """``matrix`` holds the rows' encoded features; values are decoded for the reasons."""
        impacts = self._impacts(contributions)
        out = []
        for row_impacts, row_encoded in zip(impacts.tolist(), matrix.tolist(), strict=True):
            merged: dict[str, list] = {}
            for j, impact in enumerate(row_impacts):
                if impact == 0:
                    continue
                value, text, absent = self._value_text(j, row_encoded[j], lang)
                merged.setdefault(text, []).append((abs(impact), j, impact, value, absent))
            reasons = [self._reason(text, parts) for text, parts in merged.items()]
            reasons = [r for r in reasons if r[1] != 0]  # parts that cancel say nothing
            out.append([reason for reason, *_ in _ranked(reasons)][:top_k])
        return out

    def _reason(self, text: str, parts: list) -> tuple[dict, float, float, int, bool]:
        """One reason of the parts that say ``text``, and what ranks it: its summed impact,
        how far it stands out, its family and whether it is an absence."""
        parts.sort(key=lambda part: -part[0])
        _, lead, _, value, absent = parts[0]
        total = math.fsum(part[2] for part in parts)
        typical = max(self._typical[part[1]] for part in parts)
        return (
            {
                "feature": self.names[lead],
                "features": [self.names[part[1]] for part in parts],
                "value": value,
                "impact": round(total, 6),
                "direction": "up" if total > 0 else "down",
                "text": text,
            },
            total,
            abs(total) - typical,
            self._family[lead],
            absent and total > 0,
        )

    def _impacts(self, contributions: np.ndarray) -> np.ndarray:
        impacts = contributions[:, : len(self.names)]
        return np.where(self._silent, 0.0, impacts) if self._silent.any() else impacts

    def _largest(
        self, contributions: np.ndarray, matrix: np.ndarray, *, top_k: int, lang: str
    ) -> list[list[dict]]:
        """Per row, the ``top_k`` largest impacts by size, one reason each (changes of
        impact, where the values then and now are said side by side)."""
        impacts = self._impacts(contributions)
        top_k = min(top_k, len(self.names))
        order = np.argsort(-np.abs(impacts), axis=1, kind="stable")[:, :top_k]
        top = np.take_along_axis(impacts, order, axis=1)
        encoded = np.take_along_axis(matrix, order, axis=1).tolist()
        out = []
        for row_order, row_top, row_encoded in zip(
            order.tolist(), top.tolist(), encoded, strict=True
        ):
            reasons = []
            for j, impact, raw in zip(row_order, row_top, row_encoded, strict=True):
                if impact == 0:
                    break
                value, text, _ = self._value_text(j, raw, lang)
                reasons.append(
                    {
                        "feature": self.names[j],
                        "value": value,
                        "impact": round(impact, 6),
                        "direction": "up" if impact > 0 else "down",
                        "text": text,
                    }
                )
            out.append(reasons)
        return out

    def changes(
        self,
        deltas: np.ndarray,
        now: np.ndarray,
        before: np.ndarray,
        *,
        days_ago: list[int],
        top_k: int,
        lang: str,
    ) -> list[list[dict]]:
        """Why scores changed: per row, the ``top_k`` largest changes of impact
        (``deltas``, exact TreeSHAP differences on the margin), each with the sentence of
        the value now and what it was ``days_ago``. Rows of ``now`` and ``before`` hold
        the encoded features then and now."""
        current = self._largest(deltas, now, top_k=top_k, lang=lang)
        earlier = self._largest(deltas, before, top_k=top_k, lang=lang)
        out = []
        for row_now, row_before, days in zip(current, earlier, days_ago, strict=True):
            items = []
            then = EARLIER[lang][days != 1].format(days=days)
            for reason, old in zip(row_now, row_before, strict=True):
                j = self.names.index(reason["feature"])
                description, _ = self._descriptions[j]
                was = value_words(description, old["value"], lang)
                items.append(
                    {
                        "kind": "feature",
                        "feature": reason["feature"],
                        "value": reason["value"],
                        "previous_value": old["value"],
                        "impact": reason["impact"],
                        "direction": reason["direction"],
                        "text": f"{reason['text']} ({then}: {was})",
                    }
                )
            out.append(items)
        return out

    def _value_text(self, j: int, raw: float, lang: str) -> tuple[object, str, bool]:
        """The decoded value, its sentence and whether it is an absence (kept)."""
        key = (j, raw if raw == raw else None, lang)  # NaN != NaN: one key for all
        said = self._said.get(key)
        if said is None:
            value = self.encoder.value(j, raw)
            description, window = self._descriptions[j]
            said = (
                value,
                sentence(description, window, value, lang),
                is_absence(description, value),
            )
            if len(self._said) >= self.CACHE_SIZE:
                self._said.clear()
            self._said[key] = said
        return said


def _ranked(reasons: list[tuple[dict, float, float, int, bool]]) -> list[tuple]:
    """Reasons in the order a rep reads them: each family's most outstanding first (by
    how far each stands out), then the families' other reasons, then absences pushing up;
    ties by size."""
    by_standing = sorted(reasons, key=lambda r: (-r[2], -abs(r[1])))
    seen: set[int] = set()
    tiers = []
    for reason in by_standing:
        tier = 2 if reason[4] else (1 if reason[3] in seen else 0)
        if tier == 0:
            seen.add(reason[3])
        tiers.append(tier)
    order = sorted(range(len(by_standing)), key=lambda i: tiers[i])  # stable
    return [by_standing[i] for i in order]
