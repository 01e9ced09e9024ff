"""Off-policy evaluation: what a ranking policy would have earned, judged on the offers a
different (logging) policy actually made.

Logged data is one row per decision: the action taken (an offer, or "no offer"), the
probability with which the logging policy took it, and the reward that followed. A
policy to judge gives, per row, a probability for every action (a deterministic policy:
1 for its choice). The estimators, each with a bootstrap confidence interval:

- replay: the mean reward of the rows where the policy's choice matches the logged action
  (a random policy's rows each counted by its chance of that action), unbiased for a
  uniformly random logging policy; reads only the matched rows;
- IPS: inverse propensity scoring, ``mean(pi(a|x) / p * r)`` (unbiased wherever the
  logging policy could take every action the policy takes);
- SNIPS: IPS normalised by the mean weight (a little bias, much less variance);
- DR: doubly robust, a reward model's estimate corrected by IPS on its errors (unbiased
  if either the propensities or the reward model are right).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from leadscore.common.errors import InputError

ESTIMATORS = ("replay", "ips", "snips", "dr")


@dataclass(frozen=True)
class LoggedDecisions:
    """What the logging policy did: per row the action index, its logged probability
    (the propensity) and the reward observed."""

    action: np.ndarray  # int, indexes the columns of a policy's matrix
    propensity: np.ndarray  # in (0, 1]
    reward: np.ndarray  # float (taken-up or not, or money)

    def __post_init__(self) -> None:
        n = len(self.action)
        if len(self.propensity) != n or len(self.reward) != n:
            raise InputError(
                f"logged decisions disagree in length: {n} actions, "
                f"{len(self.propensity)} propensities, {len(self.reward)} rewards"
            )
        bad = ~((self.propensity > 0) & (self.propensity <= 1))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"logged propensity {float(self.propensity[row])} in row {row + 1} (of "
                f"{int(bad.sum())} such rows) is not in (0, 1]: a logging policy can only "
                "make a decision it gives a positive probability; fix the exposures' "
                "propensity column or leave it out to have it estimated"
            )


@dataclass(frozen=True)
class Estimate:
    """A policy value, its 95 % bootstrap interval and the rows it rests on."""

    value: float
    low: float
    high: float
    rows: int  # rows that carry weight (replay: the matched rows)

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high, "rows": self.rows}


def _check_shapes(logged: LoggedDecisions, policy: np.ndarray, name: str) -> None:
    if policy.ndim != 2 or policy.shape[0] != len(logged.action):
        raise InputError(
            f"{name}: needs one row per logged decision ({len(logged.action)}) and one "
            f"column per action; got shape {policy.shape}"
        )
    if len(logged.action) and (logged.action.min() < 0 or logged.action.max() >= policy.shape[1]):
        raise InputError(f"{name}: a logged action lies outside its {policy.shape[1]} columns")


def bootstrap_interval(
    terms: np.ndarray, weights: np.ndarray | None, *, resamples: int, seed: int
) -> tuple[float, float]:
    """95 % bias-corrected and accelerated (BCa) bootstrap interval of the mean of
    ``terms`` (or of ``sum(terms) / sum(weights)``) over rows drawn with replacement.

    Inverse-propensity terms are skewed (a few rare decisions carry large weights), and
    the plain percentile interval of such a mean falls short on the side of the long tail;
    BCa moves the percentiles by the bootstrap's median bias and by the skewness of each
    row's influence (for a mean, its distance from the mean: the jackknife's in closed
    form)."""
    n = len(terms)
    if n == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    values = np.empty(resamples)
    for b in range(resamples):
        drawn = rng.integers(0, n, n)
        if weights is None:
            values[b] = terms[drawn].mean()
        else:
            total = weights[drawn].sum()
            values[b] = terms[drawn].sum() / total if total > 0 else np.nan
    if weights is None:
        estimate = float(terms.mean())
        influence = terms - estimate
    else:
        total = weights.sum()
        if total <= 0:
            return float("nan"), float("nan")
        estimate = float(terms.sum() / total)
        influence = (terms - estimate * weights) / weights.mean()
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    if np.ptp(values) == 0:  # every draw alike (one row, or all terms equal)
        return float(values[0]), float(values[0])
    below = (values < estimate).mean() + 0.5 * (values == estimate).mean()
    if below in (0.0, 1.0):  # the estimate outside every draw: no bias to correct by
        low, high = np.percentile(values, [2.5, 97.5])
        return float(low), float(high)
    bias = norm.ppf(below)
    acceleration = (influence**3).sum() / (6 * ((influence**2).sum()) ** 1.5)
    edges = []
    for z in norm.ppf([0.025, 0.975]):
        shifted = bias + (bias + z) / (1 - acceleration * (bias + z))
        edges.append(100 * norm.cdf(shifted))
    low, high = np.percentile(values, edges)
    return float(low), float(high)


def evaluate_policy(
    logged: LoggedDecisions,
    policy: np.ndarray,
    *,
    reward_model: np.ndarray | None = None,
    resamples: int = 500,
    seed: int = 0,
) -> dict[str, Estimate]:
    """Replay, IPS, SNIPS and (with a ``reward_model``: the expected reward of every
    action in every row) DR estimates of ``policy`` (rows: decisions, columns: actions,
    each row's probabilities summing to 1)."""
    _check_shapes(logged, policy, "policy")
    n = len(logged.action)
    rows = np.arange(n)
    chosen_probability = policy[rows, logged.action]
    weight = chosen_probability / logged.propensity
    reward = logged.reward.astype(float)
    out: dict[str, Estimate] = {}

    # replay: the logged rows the policy would have chosen as they were, each counted by
    # how likely it chose so (1 for a deterministic policy; a random one's 1/k, not its
    # first allowed action's 1)
    matched = chosen_probability > 0
    chance = chosen_probability[matched]
    replay_terms = reward[matched]
    stochastic = bool((chance < 1).any())
    out["replay"] = Estimate(
        float((chance * replay_terms).sum() / chance.sum()) if len(chance) else float("nan"),
        *bootstrap_interval(
            chance * replay_terms if stochastic else replay_terms,
            chance if stochastic else None,
            resamples=resamples,
            seed=seed,
        ),
        int(matched.sum()),
    )
    ips_terms = weight * reward
    carried = int((weight > 0).sum())
    out["ips"] = Estimate(
        float(ips_terms.mean()) if n else float("nan"),
        *bootstrap_interval(ips_terms, None, resamples=resamples, seed=seed),
        carried,
    )
    total = weight.sum()
    out["snips"] = Estimate(
        float(ips_terms.sum() / total) if total > 0 else float("nan"),
        *bootstrap_interval(ips_terms, weight, resamples=resamples, seed=seed),
        carried,
    )
    if reward_model is not None:
        dr_terms = doubly_robust_terms(logged, policy, reward_model)
        out["dr"] = Estimate(
            float(dr_terms.mean()) if n else float("nan"),
            *bootstrap_interval(dr_terms, None, resamples=resamples, seed=seed),
            n,
        )
    return out


def doubly_robust_terms(
    logged: LoggedDecisions, policy: np.ndarray, reward_model: np.ndarray
) -> np.ndarray:
    """Each decision's share of the doubly robust estimate (its mean): the reward model's
    value of the policy's choice, corrected by the weighted error of the reward model on
    what was logged. Two policies' terms on the same rows give their paired difference."""
    _check_shapes(logged, policy, "policy")
    _check_shapes(logged, reward_model, "reward_model")
    rows = np.arange(len(logged.action))
    weight = policy[rows, logged.action] / logged.propensity
    direct = (policy * reward_model).sum(axis=1)
    return direct + weight * (logged.reward - reward_model[rows, logged.action])


def deterministic(choice: np.ndarray, actions: int) -> np.ndarray:
    """A policy matrix that takes action ``choice[i]`` in row i with probability 1."""
    policy = np.zeros((len(choice), actions))
    policy[np.arange(len(choice)), choice] = 1.0
    return policy


def uniform(rows: int, actions: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Random among the ``allowed`` actions of each row (all, by default)."""
    mask = np.ones((rows, actions), dtype=bool) if allowed is None else allowed.astype(bool)
    counts = mask.sum(axis=1, keepdims=True)
    if (counts == 0).any():
        raise InputError("a row allows no action: a random policy cannot choose there")
    return mask / counts


def greedy(scores: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """The deterministic policy that takes each row's best-scoring allowed action."""
    masked = scores if allowed is None else np.where(allowed, scores, -np.inf)
    return deterministic(masked.argmax(axis=1), scores.shape[1])


def true_value(
    policy: np.ndarray,
    p_with: np.ndarray,
    value: np.ndarray,
    cost: np.ndarray,
    p_without: np.ndarray | None = None,
    reward: np.ndarray | None = None,
) -> float:
    """A policy's true value where every response is known (synthetic ground truth): per
    row ``sum_o pi(o) (p_with(o) (value(o) - reward(o)) - p_without(o) value(o) - cost(o))``
    (take-up value without ``p_without``, incremental value with it). A last column beyond
    the offers is "no offer", worth 0."""
    offers = p_with.shape[1]
    paid = 0.0 if reward is None else reward  # to the customer, on each take-up
    worth = p_with * (value - paid) - cost
    if p_without is not None:  # taken up anyway, with no offer made: earned, nothing paid
        worth = worth - p_without * value
    return float((policy[:, :offers] * worth).sum(axis=1).mean())
