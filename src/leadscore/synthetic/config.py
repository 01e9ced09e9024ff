"""Parameters of the synthetic CRM's generative story (see docs/synthetic-data.md)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadscore.synthetic.catalog import COMPANY_SIZES, COUNTRIES, INDUSTRIES, NEW_LEAD_CHANNEL

SEGMENTS = {"industry": INDUSTRIES, "company_size": COMPANY_SIZES, "country": COUNTRIES}


class IntentDynamics(BaseModel):
    """Weekly latent buying intent on the log-odds scale of the weekly purchase hazard."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: float = Field(-5.6, description="population mean of a customer's resting intent")
    customer_sd: float = Field(1.4, description="spread of resting intent between customers")
    persistence: float = Field(0.95, description="AR(1) pull of last week's intent (rho)")
    noise_sd: float = Field(0.20, description="weekly random change")
    trigger_prob: float = Field(0.010, description="weekly chance of a buying trigger")
    trigger_jump: float = Field(1.5, description="intent jump of a trigger (a new project)")
    new_lead_boost: float = Field(1.0, description="extra intent when a lead is created")
    after_purchase_drop: float = Field(2.0, description="intent drop after a purchase")
    reference: float = Field(-5.0, description="intent at which event rates are as listed")


class OfferCampaigns(BaseModel):
    """Waves of offers sent by a logging policy: part random exploration, part a
    marketer's targeting rule, each decision's probability logged (see campaigns.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    waves: int = Field(16, ge=0, description="offer waves at the end of the history (0: none)")
    every_days: int = Field(4, ge=1, description="days between waves")
    reach: float = Field(0.3, gt=0, le=1, description="share of free customers per wave")
    exploration: float = Field(
        0.4, ge=0, le=1, description="share of decisions made at random (offers or none)"
    )


class InjectedChange(BaseModel):
    """A change of the world from a date on, for monitoring to find (none by default): a new
    lead source never seen before, one segment far more active on the web and in e-mail
    without wanting to buy more, and a season's dip or rise of all activity and buying."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    after: date = Field(description="the change holds from the week that starts on this day")
    new_source_share: float = Field(
        0.3,
        ge=0,
        le=1,
        description="share of leads created from then on who come in through "
        "a new lead source, 'partner_portal'",
    )
    segment_field: Literal["industry", "company_size", "country"] = "industry"
    segment: str = Field("retail", description="the segment whose behaviour shifts")
    segment_activity: float = Field(
        3.0, gt=0, description="how many times more web and e-mail events the segment makes"
    )
    season: float | None = Field(
        0.3,
        gt=0,
        description="everyone's activity and buying from then on, against an average month "
        "(the calendar's months range from 0.65 to 1.15; 0.3: a lull deeper than any "
        "the history had); none: the calendar's own",
    )

    @model_validator(mode="after")
    def _known_segment(self) -> InjectedChange:
        known = SEGMENTS[self.segment_field]
        if self.segment not in known:
            raise ValueError(
                f"segment {self.segment!r} is no {self.segment_field} of the synthetic CRM; "
                f"choose one of {', '.join(known)}"
            )
        return self


def describe_change(change: InjectedChange) -> str:
    """The change in a line, as the demo and ``leadscore generate`` print it."""
    parts = []
    if change.new_source_share:
        parts.append(f"{change.new_source_share:.0%} of new leads come through {NEW_LEAD_CHANNEL}")
    if change.segment_activity != 1.0:
        parts.append(
            f"{change.segment_field} {change.segment} {change.segment_activity:g}x as active "
            "on the web and in e-mail"
        )
    if change.season is not None:
        parts.append(f"everyone's activity and buying at {change.season:.0%} of a usual month")
    return f"from {change.after}: " + ", ".join(parts or ["nothing"])


def latest_monday(today: date) -> date:
    """The Monday on or before ``today``: where generated history ends 'now'."""
    return today - timedelta(days=today.weekday())


class SyntheticConfig(BaseModel):
    """Everything that decides the synthetic CRM; the same config gives the same bytes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    customers: int = Field(10_000, ge=100)
    seed: int = Field(42, ge=0)
    end: date = Field(date(2026, 6, 29), description="a Monday; history ends here")
    weeks: int = Field(104, ge=80, description="weeks of history (at least 18 months)")
    leads_per_account: float = Field(1.4, ge=1.0)
    intent: IntentDynamics = IntentDynamics()
    duplicate_rate: float = Field(0.015, description="share of web/e-mail events fired twice")
    missing_channel_rate: float = Field(0.03)
    missing_industry_rate: float = Field(0.06)
    missing_size_rate: float = Field(0.10)
    missing_country_rate: float = Field(0.02)
    truth_customers: int = Field(10_000, description="customers sampled for ground truth")
    truth_every_weeks: int = Field(4, description="as-of dates every N weeks")
    horizon_days: int = Field(30)
    oracle_paths: int = Field(256, description="Monte Carlo paths per ground-truth pair")
    campaigns: OfferCampaigns = OfferCampaigns()
    change: InjectedChange | None = Field(
        None, description="a change from a date on, for monitoring to find (none: no change)"
    )

    @model_validator(mode="after")
    def _monday(self) -> SyntheticConfig:
        if self.end.weekday() != 0:
            raise ValueError(f"end must be a Monday, got {self.end} ({self.end:%A})")
        start = self.end - timedelta(weeks=self.weeks)
        if self.change is not None and not start < self.change.after < self.end:
            raise ValueError(
                f"change.after ({self.change.after}) must lie inside the history, after "
                f"{start} and before {self.end}"
            )
        return self
