"""What the workspace says of leads: their reasons from the score log, in the model serving
now's sentences, the trend between their last two scores, and their next-best offers as of
now. It reads the store and the scorer, and writes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from leadscore.explain import value_words
from leadscore.features.definitions import Description
from leadscore.scoring.scorer import Scorer
from leadscore.scoring.trend import trend_between
from leadscore.store.score_log import LoggedScore, latest_scores
from leadscore.store.store import Store
from leadscore.workspace.formatting import DEFAULT_ZONE
from leadscore.workspace.why_now import why_now_of

LIST_REASONS = 3
ALL_REASONS = 10_000
# a lead page shows the reasons that make the lead stand out, not all of the model's
# features (a page listed 50-56, most of them too small to matter to a rep)
PAGE_REASONS = 8


def explained_rows(
    store: Store | None,
    scorer: Scorer | None,
    rows: pd.DataFrame,
    lang: str,
    zone: str = DEFAULT_ZONE,
) -> list[dict]:
    """The lead list's rows with their top three reasons, their "why now" line and their
    next-best offer (no reasons or offer without a store and a scorer)."""
    ids = rows["customer_id"].tolist()
    now = pd.Timestamp.now(tz="UTC")
    now_lines = why_now_of(store, ids, now, lang, zone)
    reasons: dict[str, list[dict]] = {}
    offers: dict[str, list[dict]] = {}
    if scorer is not None and store is not None:
        entries = latest_scores(store, ids, at_or_before=now)
        logged = [entries[c] for c in ids if c in entries]
        said = scorer.pure.logged_reasons(logged, lang=lang, top_k=LIST_REASONS)
        reasons = {e.customer_id: r for e, r in zip(logged, said, strict=True)}
        if scorer.live is not None:
            offers = scorer.live.offers_for(ids, now=now, lang=lang)
    out = []
    for row in rows.itertuples(index=False):
        lead = row._asdict()
        lead["reasons"] = reasons.get(row.customer_id, [])
        lead["why_now"] = now_lines.get(row.customer_id)
        lead["offer"] = (offers.get(row.customer_id) or [None])[0]
        out.append(lead)
    return out


@dataclass(frozen=True)
class LeadSaid:
    """A lead page's reasons (the first ``PAGE_REASONS``; ``more_reasons`` counts the
    smaller ones left out), trend (None without an earlier score) and offers."""

    reasons: list[dict] = field(default_factory=list)
    trend: dict | None = None
    offers: list[dict] = field(default_factory=list)
    more_reasons: int = 0


def lead_said(scorer: Scorer, history: Sequence[LoggedScore], lang: str) -> LeadSaid:
    """What a lead's page says of its newest logged score (``history``: newest first)."""
    if not history:
        return LeadSaid()
    latest = history[0]
    [every] = scorer.pure.logged_reasons([latest], lang=lang, top_k=ALL_REASONS)
    reasons = every[:PAGE_REASONS]
    trend = None
    previous = next((h for h in history[1:] if h.scored_at < latest.scored_at), None)
    if previous is not None:
        trend = trend_between(scorer.pure, previous, latest, lang=lang)
        trend["when"] = previous.scored_at
    offers: list[dict] = []
    if scorer.live is not None:
        now = pd.Timestamp.now(tz="UTC")
        found = scorer.live.offers_for([latest.customer_id], now=now, lang=lang)
        offers = found.get(latest.customer_id, [])
    return LeadSaid(reasons, trend, offers, len(every) - len(reasons))


def profile_words(scorer: Scorer | None, profile: dict, lang: str) -> dict[str, object]:
    """A lead's profile values as the model's reasons say them ("finance" as
    "Finanzwesen", "NL" as "Niederlande"); a value the feature set names no words for,
    or a profile without a serving model, as it is."""
    conversion = None if scorer is None else scorer.pure.conversion
    described = {} if conversion is None else conversion.model.metadata.get("descriptions", {})
    said: dict[str, object] = {}
    for field_name, value in profile.items():
        info = described.get(field_name)
        if info is not None and isinstance(value, str) and Description.from_metadata(info).values:
            said[field_name] = value_words(Description.from_metadata(info), value, lang)
        else:
            said[field_name] = value
    return said
