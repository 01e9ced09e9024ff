"""Whether a German page says something in English: the check of the workspace's pages
and reports (a list of words that are English and never German, and raw column names)."""

from __future__ import annotations

import re

# words that are English and never German: two of them in one phrase make it English
ENGLISH = frozenset((
    "the", "and", "of", "to", "is", "are", "were", "with", "for", "this", "that", "has",
    "have", "been", "not", "ago", "since", "which", "what", "why", "when", "who", "your",
    "you", "our", "their", "its", "by", "from", "at", "or", "on", "than", "there", "these",
    "those", "would", "should", "could", "yet", "yes",
))  # fmt: skip
# a raw column or feature name: words joined by underscores (company_size, page_views_30d)
RAW_NAME = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def english_phrases(text: str) -> list[str]:
    """The phrases of a page's visible text that read as English or name a raw column."""
    found = []
    for phrase in re.split(r"[\n.:;!?()]+", text):
        words = re.findall(r"[A-Za-zÄÖÜäöüß]+", phrase)
        english = [w for w in words if w.lower() in ENGLISH]
        if len(english) >= 2 or RAW_NAME.search(phrase):
            found.append(phrase.strip())
    return found
