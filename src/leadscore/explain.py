"""Reasons in plain language: TreeSHAP impacts turned into sentences for sales reps."""

from __future__ import annotations

import math

import numpy as np

from leadscore.common.wording import as_number, format_value, shown_number
from leadscore.features.definitions import Description
from leadscore.models.encoding import FeatureEncoder

LANGUAGES = ("en", "de")
# how a change names the moment it compares with
EARLIER = {
    "en": ("{days} day ago", "{days} days ago"),
    "de": ("vor {days} Tag", "vor {days} Tagen"),
}


def sentence(description: Description, window: object, value: object, lang: str) -> str:
    """The reason's sentence: the value written as its format says, in the form its
    number asks for ("Viewed 1 page", "Last activity today")."""
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if missing and description.missing(lang):
        return description.missing(lang)
    value_format = description.format or "number"
    number = as_number(value)
    count = None if number is None else shown_number(number, value_format)
    text = description.value_text(value, lang) or format_value(
        value, lang, value_format, currency=description.currency
    )
    return description.render_window(lang, window, value=text, count=count)


class ReasonWriter:
    """Turns one model's TreeSHAP values into reasons: per row, the ``top_k`` largest
    impacts by size, pushing up or down, each with a sentence for sales reps.

    The same few values recur across leads (0 visits, "manufacturing"), so each feature
    value's decoded form and sentence are made once and kept (up to ``CACHE_SIZE``).
    """

    CACHE_SIZE = 65_536

    def __init__(
        self, encoder: FeatureEncoder, descriptions: dict[str, tuple[Description, object]]
    ) -> None:
        self.encoder = encoder
        self.names = encoder.features
        self._descriptions = [descriptions[name] for name in self.names]
        # features that count in the score but are never given as reasons (ids, hashes)
        self._silent = np.array([not d.reason for d, _ in self._descriptions], dtype=bool)
        self._said: dict[tuple, tuple[object, str]] = {}

    def reasons(
        self, contributions: np.ndarray, matrix: np.ndarray, *, top_k: int, lang: str
    ) -> list[list[dict]]:
        """``matrix`` holds the rows' encoded features; values are decoded for the reasons."""
        impacts = contributions[:, : len(self.names)]
        if self._silent.any():
            impacts = np.where(self._silent, 0.0, impacts)
        top_k = min(top_k, len(self.names))
        order = np.argsort(-np.abs(impacts), axis=1, kind="stable")[:, :top_k]
        top = np.take_along_axis(impacts, order, axis=1)
        rounded = np.round(top, 6).tolist()
        encoded = np.take_along_axis(matrix, order, axis=1).tolist()
        names, said = self.names, self._said
        out = []
        for row_order, row_top, row_rounded, row_encoded in zip(
            order.tolist(), top.tolist(), rounded, encoded, strict=True
        ):
            reasons = []
            for j, impact, shown, raw in zip(
                row_order, row_top, row_rounded, row_encoded, strict=True
            ):
                if impact == 0:
                    break
                key = (j, raw if raw == raw else None, lang)  # NaN != NaN: one key for all
                value_text = said.get(key)
                if value_text is None:
                    value_text = self._say(key, raw)
                reasons.append(
                    {
                        "feature": names[j],
                        "value": value_text[0],
                        "impact": shown,
                        "direction": "up" if impact > 0 else "down",
                        "text": value_text[1],
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
        current = self.reasons(deltas, now, top_k=top_k, lang=lang)
        earlier = self.reasons(deltas, before, top_k=top_k, lang=lang)
        out = []
        for row_now, row_before, days in zip(current, earlier, days_ago, strict=True):
            items = []
            then = EARLIER[lang][days != 1].format(days=days)
            for reason, old in zip(row_now, row_before, strict=True):
                j = self.names.index(reason["feature"])
                description, _ = self._descriptions[j]
                was = description.value_text(old["value"], lang) or format_value(
                    old["value"],
                    lang,
                    description.format or "number",
                    currency=description.currency,
                )
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

    def _say(self, key: tuple[int, float | None, str], raw: float) -> tuple[object, str]:
        j, _, lang = key
        value = self.encoder.value(j, raw)
        description, window = self._descriptions[j]
        said = (value, sentence(description, window, value, lang))
        if len(self._said) >= self.CACHE_SIZE:
            self._said.clear()
        self._said[key] = said
        return said
