"""The next-best-offer model's rules: which offers, how they are chosen and for whom.

Set in a training config's ``nbo:`` section and kept in the model, so the rules it was
evaluated under are the rules it serves under.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from leadscore.common.config import StrictModel


class EligibilityRule(StrictModel):
    """An offer is only made to customers whose profile matches every listed column."""

    offer_id: str
    requires: dict[str, list[str]]


class NBOConfig(StrictModel):
    offers: list[str] | None = Field(None, description="offers to model; default: all")
    strategy: Literal["pooled", "per_offer"] = Field(
        "pooled",
        description="one model over (lead, offer) pairs with the offer as a feature, or one "
        "model per offer (benchmarks/bench_nbo_pooled.py compares them)",
    )
    learn_from: Literal["outcomes", "exposures"] = Field(
        "outcomes",
        description="outcomes: who takes each offer within the horizon, offered or not "
        "(ranked by propensity x value); exposures: the offers actually made and their "
        "take-up within each offer's validity, against customers not offered anything "
        "(ranked by expected incremental value, 'no offer' when none adds value; the "
        "source must declare exposures)",
    )
    response_learner: Literal["auto", "pooled", "per_offer", "per_offer_logistic"] = Field(
        "auto",
        description="the learner of the response to offers made: one booster over "
        "(customer, offer) pairs, one booster per offer, or one logistic regression per "
        "offer; auto fits each, and their average (the mean of their log-odds), and "
        "keeps the one whose choices are worth most on the validation offers (doubly "
        "robust estimate)",
    )
    exclude_owned: bool = True
    rules: list[EligibilityRule] = Field(default_factory=list)
    sales_ready_grades: list[str] = Field(default_factory=lambda: ["A", "B"])
    max_offers: int = Field(3, ge=1)
    owned_features: dict[str, str] = Field(
        default_factory=dict, description="offer -> feature whose value > 0 means 'owns it'"
    )
    contact_cap: int | None = Field(
        None, description="no offer to a customer who already got this many in the period"
    )
    contact_period_days: int = 30
    contact_feature: str = Field(
        "offers_sent_30d", description="feature counting offers made in the period"
    )
    reasons_exclude: dict[Literal["product", "nurture"], list[str]] = Field(
        default_factory=dict,
        description="features (names or patterns such as purchase*) that never explain an "
        "offer of this kind: a webinar is not offered because of the last purchase",
    )
    engagement_event_types: list[str] = Field(
        default_factory=lambda: ["download", "webinar_attended"],
        description="events with an offer_id that count as taking a nurture offer",
    )
