"""Judging offer policies on the offers actually made in the test period (part of #17).

Each test exposure is a logged decision: the offer made, the logging policy's probability
of making it (logged, or estimated as the offer's share of the offers made that day: right
for randomised waves) and its reward, take-up value less cost. Every policy chooses among
the offers and "no offer" (worth 0) and is valued by replay, IPS, SNIPS and doubly robust
(reward model: the response model's take-up value) with bootstrap intervals. On synthetic
data the ground truth gives each policy's true take-up and incremental value on the same
customers and moments.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.evaluation.off_policy import (
    Estimate,
    LoggedDecisions,
    bootstrap_interval,
    deterministic,
    evaluate_policy,
    greedy,
    true_value,
    uniform,
)
from leadscore.models.nbo import NBOModel
from leadscore.models.offer_response import OfferResponse, ResponseNBOModel, offer_money
from leadscore.training.config import TrainingConfig
from leadscore.training.exposures import TAKEN, estimated_propensity
from leadscore.training.offer_response import FittedResponse, fit_offer_response
from leadscore.training.response_learners import LEARNERS
from leadscore.training.response_rows import ANYWAY_PREFIX, ResponseData

LOGGING = "logging policy (as it chose)"
LEARNT = "leadscore (incremental value)"


@dataclass
class PolicyComparison:
    """Per policy: each estimator's value; with ground truth, the true values too."""

    estimates: dict[str, dict[str, Estimate]]
    truth: dict[str, dict[str, float]] | None
    logged_value: Estimate  # the logging policy, on its own decisions
    propensity_source: str  # "logged" or "estimated"

    def table(self) -> pd.DataFrame:
        rows = []
        for policy, estimates in self.estimates.items():
            row: dict[str, object] = {"policy": policy}
            for name, estimate in estimates.items():
                row[name] = estimate.value
                row[f"{name}_low"] = estimate.low
                row[f"{name}_high"] = estimate.high
            row["replay_rows"] = estimates["replay"].rows
            if self.truth is not None:
                row.update({f"true_{k}": v for k, v in self.truth[policy].items()})
            rows.append(row)
        logging = {"policy": LOGGING, "on_policy": self.logged_value.value}
        logging.update(on_policy_low=self.logged_value.low, on_policy_high=self.logged_value.high)
        if self.truth is not None:
            logging.update({f"true_{k}": v for k, v in self.truth[LOGGING].items()})
        return pd.DataFrame([*rows, logging])


def logged_decisions(exposed: pd.DataFrame, offers: pd.DataFrame) -> tuple[LoggedDecisions, str]:
    ids = offers["offer_id"].tolist()
    action = exposed["offer_id"].map({o: j for j, o in enumerate(ids)}).to_numpy(dtype=int)
    value, cost, paid = (column[action] for column in offer_money(offers))
    reward = exposed[TAKEN].to_numpy(dtype=float) * (value - paid) - cost
    logged = exposed["propensity"].to_numpy(dtype=float)
    if np.isnan(logged).any():
        return LoggedDecisions(action, estimated_propensity(exposed), reward), "estimated"
    return LoggedDecisions(action, logged, reward), "logged"


def _open_actions(allowed: np.ndarray) -> np.ndarray:
    """The actions open in each row: the offers the rules allow, and "no offer" (always)."""
    return np.column_stack([allowed, np.ones(len(allowed), dtype=bool)])


def _random_actions(allowed: np.ndarray) -> np.ndarray:
    """What a random policy chooses among: the allowed offers, or none where none is."""
    return np.column_stack([allowed, ~allowed.any(axis=1)])


def _with_none(values: np.ndarray) -> np.ndarray:
    return np.column_stack([values, np.zeros(len(values))])


def learnt_policy_value(
    response: OfferResponse, matrix: np.ndarray, exposed: pd.DataFrame
) -> float:
    """The doubly robust value, on these offers made, of choosing each customer's offer of
    highest expected incremental value, or none."""
    logged, _ = logged_decisions(exposed, response.offers)
    incremental, take_up = response.values(matrix)
    policy = greedy(_with_none(incremental))
    reward_model = _with_none(take_up)
    return evaluate_policy(logged, policy, reward_model=reward_model, resamples=1)["dr"].value


@dataclass(frozen=True)
class ChosenResponse:
    """The response kept, and each learner's validation value that chose it."""

    fitted: FittedResponse
    values: dict[str, float]
    skipped: dict[str, str]  # learners that could not be fitted, and why

    @property
    def why(self) -> str:
        ranked = sorted(self.values.items(), key=lambda item: -item[1])
        figures = ", ".join(f"{name} {value:,.1f}" for name, value in ranked)
        if len(ranked) == 1 and not self.skipped:
            return f"{self.fitted.learner}, as configured (validation value {figures})"
        text = (
            f"{self.fitted.learner}: its choices are worth most on the validation offers "
            f"(doubly robust value per offer made: {figures})"
        )
        return text + "".join(f"; {name} not fitted: {why}" for name, why in self.skipped.items())


def choose_response(response: ResponseData, config: TrainingConfig) -> ChosenResponse:
    """The configured learner, or (``auto``) each learner, kept by its validation value."""
    chosen = config.nbo.response_learner
    learners = list(LEARNERS) if chosen == "auto" else [chosen]
    fitted, skipped = fit_offer_response(response, config, learners)
    # every candidate shares the encoding and the split: the validation rows, encoded once
    first = next(iter(fitted.values()))
    exposed = response.exposed.iloc[first.exposed_split.validation].reset_index(drop=True)
    matrix = first.encoder.matrix(exposed)
    values = {
        name: learnt_policy_value(candidate.model, matrix, exposed)
        for name, candidate in fitted.items()
    }
    best = max(values, key=lambda name: values[name])
    return ChosenResponse(fitted[best], values, skipped)


def compare_policies(
    response: OfferResponse,
    matrix: np.ndarray,
    exposed: pd.DataFrame,
    popularity: np.ndarray,
    *,
    truth: tuple[np.ndarray, np.ndarray] | None = None,
    allowed: np.ndarray | None = None,
    seed: int = 0,
    resamples: int = 500,
) -> PolicyComparison:
    """The learned policies against popularity (one offer for all: the best take-up value
    on the training rows), random offers and, given the truth (p_with, p_without of every
    offer in these rows), the oracle; all valued on these logged decisions, each choosing
    among the offers ``allowed`` in each row (eligibility rules; default all) or none."""
    offers = response.offers
    logged, source = logged_decisions(exposed, offers)
    k = len(offers)
    incremental, take_up = response.values(matrix)
    if allowed is None:
        allowed = np.ones((len(matrix), k), dtype=bool)
    choosable = _open_actions(allowed)
    policies = {
        LEARNT: greedy(_with_none(incremental), choosable),
        "take-up value": greedy(_with_none(take_up), choosable),
        "popularity": greedy(_with_none(np.broadcast_to(popularity, take_up.shape)), choosable),
        "random": uniform(len(matrix), k + 1, _random_actions(allowed)),
    }
    value, cost, paid = offer_money(offers)
    if truth is not None:
        p_with, p_without = truth
        oracle = p_with * (value - paid) - p_without * value - cost
        policies["oracle"] = greedy(_with_none(oracle), choosable)
    reward_model = _with_none(take_up)
    estimates = {
        name: evaluate_policy(
            logged, policy, reward_model=reward_model, seed=seed, resamples=resamples
        )
        for name, policy in policies.items()
    }
    truths = None
    if truth is not None:
        p_with, p_without = truth
        policies[LOGGING] = deterministic(logged.action, k + 1)  # as it chose, for the truth
        truths = {
            name: {
                "take_up_value": true_value(policy, p_with, value, cost, reward=paid),
                "incremental_value": true_value(
                    policy, p_with, value, cost, p_without, reward=paid
                ),
            }
            for name, policy in policies.items()
        }
    return PolicyComparison(estimates, truths, on_policy(logged, seed, resamples), source)


def on_policy(logged: LoggedDecisions, seed: int, resamples: int) -> Estimate:
    """The logging policy's own value: the mean reward of its decisions."""
    reward = logged.reward
    low, high = bootstrap_interval(reward, None, resamples=resamples, seed=seed)
    return Estimate(float(reward.mean()), low, high, len(reward))


def popularity_values(train: pd.DataFrame, offers: pd.DataFrame) -> np.ndarray:
    """Each offer's take-up value (rate x value - cost) on the training offers made."""
    rate = train.groupby("offer_id")[TAKEN].mean().reindex(offers["offer_id"]).fillna(0.0)
    value, cost, paid = offer_money(offers)
    return rate.to_numpy() * (value - paid) - cost


def true_responses(
    exposed: pd.DataFrame, truth: pd.DataFrame, offer_ids: list[str]
) -> tuple[np.ndarray, np.ndarray] | None:
    """The synthetic ground truth's chance of taking each offer up with and without it,
    for each offer made in ``exposed`` (None where the truth does not cover them all)."""
    joined = exposed[["customer_id", "as_of"]].merge(
        truth.astype({"customer_id": "str"}),
        left_on=["customer_id", "as_of"],
        right_on=["customer_id", "ts"],
        how="left",
    )
    with_columns = [f"p_with:{o}" for o in offer_ids]
    without_columns = [f"p_without:{o}" for o in offer_ids]
    if not set(with_columns + without_columns) <= set(joined.columns):
        return None
    p_with, p_without = joined[with_columns].to_numpy(), joined[without_columns].to_numpy()
    if np.isnan(p_with).any() or np.isnan(p_without).any():
        return None
    return p_with, p_without


def policy_of(model: NBOModel, frame: pd.DataFrame) -> np.ndarray:
    """The policy a served next-best-offer model follows on ``frame``'s rows, as a matrix
    over its offers and "no offer": the first offer it would list, or none where it lists
    none (a model learnt from offers made lists only offers that add value; one learnt
    from outcomes lists the best allowed offer wherever one is allowed)."""
    _, expected = model.expected_values(model.encoder.matrix(frame))
    allowed = model.allowed(frame)
    if isinstance(model, ResponseNBOModel):
        allowed = allowed & (expected > 0)
    scores = np.where(allowed, expected, -np.inf)
    best = scores.argmax(axis=1)
    choice = np.where(allowed.any(axis=1), best, len(model.offers))
    return deterministic(choice, len(model.offers) + 1)


@dataclass
class OfferEvaluation:
    """The next-best-offer model learnt from offers made, and how its choices compare on
    the test period's offers made."""

    model: ResponseNBOModel
    chosen: ChosenResponse
    comparison: PolicyComparison
    test: pd.DataFrame  # the test offers made, with features: the gate's rows
    per_offer: pd.DataFrame
    still_open: int  # offers made whose window had not closed when the data ends

    @property
    def learnt(self) -> dict[str, Estimate]:
        return self.comparison.estimates[LEARNT]


def evaluate_offer_policy(
    response: ResponseData,
    chosen: ChosenResponse,
    config: TrainingConfig,
    *,
    truth: pd.DataFrame | None = None,
    resamples: int = 500,
) -> OfferEvaluation:
    """The chosen response as a served model, judged on the test offers made against the
    logging policy, popularity, random and (with the synthetic ``truth``) the oracle."""
    fitted = chosen.fitted
    offers = fitted.model.offers
    model = ResponseNBOModel.of(fitted.model, config.nbo, fitted.encoder.features)
    test = response.exposed.iloc[fitted.exposed_split.test].reset_index(drop=True)
    train = response.exposed.iloc[fitted.exposed_split.train]
    ids = offers["offer_id"].tolist()
    comparison = compare_policies(
        fitted.model,
        fitted.encoder.matrix(test),
        test,
        popularity_values(train, offers),
        truth=None if truth is None else true_responses(test, truth, ids),
        allowed=model.allowed(test),
        seed=config.seed,
        resamples=resamples,
    )
    return OfferEvaluation(
        model,
        chosen,
        comparison,
        test,
        offer_table(response, fitted),
        response.still_open,
    )


def offer_table(response: ResponseData, fitted: FittedResponse) -> pd.DataFrame:
    """Per offer: how often it was made and taken up in each part, and how often customers
    not offered anything took it up anyway (training part)."""
    exposed, control = response.exposed, response.control
    taken_up = exposed[TAKEN].to_numpy(dtype=bool)
    parts = {}
    for part in ("train", "validation", "test"):
        parts[part] = np.zeros(len(exposed), dtype=bool)
        parts[part][getattr(fitted.exposed_split, part)] = True
    rows = []
    for offer in response.offers.itertuples():
        row = {"offer_id": offer.offer_id, "kind": offer.kind, "value": offer.value}
        row["cost"] = offer.cost
        row["reward"] = getattr(offer, "reward", 0.0)  # paid on each take-up
        mine = (exposed["offer_id"] == offer.offer_id).to_numpy()
        for part, at in parts.items():
            row[f"{part}_made"] = int((mine & at).sum())
            taken = taken_up[mine & at]
            row[f"{part}_take_up"] = float(taken.mean()) if len(taken) else float("nan")
        anyway = control[f"{ANYWAY_PREFIX}{offer.offer_id}"].to_numpy(dtype=bool)
        train_control = anyway[fitted.control_split.train]
        row["anyway_rate"] = float(train_control.mean()) if len(train_control) else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)
