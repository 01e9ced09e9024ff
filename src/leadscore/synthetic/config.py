"""Parameters of the synthetic CRM's generative story (see docs/synthetic-data.md)."""

from __future__ import annotations

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator


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

    @model_validator(mode="after")
    def _monday(self) -> SyntheticConfig:
        if self.end.weekday() != 0:
            raise ValueError(f"end must be a Monday, got {self.end} ({self.end:%A})")
        return self
