"""Off-policy estimators on cases whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from leadscore.common.errors import InputError
from leadscore.evaluation.off_policy import (
    LoggedDecisions,
    bootstrap_interval,
    deterministic,
    evaluate_policy,
    greedy,
    true_value,
    uniform,
)


def test_hand_computed_case() -> None:
    # two actions; the logging policy took action 0 with 0.5 and action 1 with 0.25
    logged = LoggedDecisions(
        action=np.array([0, 1, 0, 1]),
        propensity=np.array([0.5, 0.25, 0.5, 0.25]),
        reward=np.array([1.0, 1.0, 0.0, 0.0]),
    )
    policy = deterministic(np.array([1, 1, 1, 0]), 2)
    model = np.array([[0.2, 0.6], [0.2, 0.6], [0.2, 0.6], [0.2, 0.6]])
    got = evaluate_policy(logged, policy, reward_model=model, resamples=50)
    assert got["replay"].value == pytest.approx(1.0)  # row 2 alone matches (reward 1)
    assert got["replay"].rows == 1
    # weights 0, 4, 0, 0: IPS = (4 * 1) / 4 rows
    assert got["ips"].value == pytest.approx(1.0)
    assert got["snips"].value == pytest.approx(1.0)
    # DR per row: direct (0.6, 0.6, 0.6, 0.2) + corrections (0, 4 * 0.4, 0, 0)
    assert got["dr"].value == pytest.approx((0.6 + 0.6 + 1.6 + 0.6 + 0.2) / 4)


def test_the_logging_policy_itself_is_valued_at_its_mean_reward() -> None:
    rng = np.random.default_rng(3)
    n, k = 2000, 4
    logging = rng.dirichlet(np.ones(k), n)
    action = np.array([rng.choice(k, p=p) for p in logging])
    reward = rng.random(n) < 0.3
    logged = LoggedDecisions(action, logging[np.arange(n), action], reward)
    got = evaluate_policy(logged, logging, resamples=50)
    assert got["ips"].value == pytest.approx(reward.mean())  # every weight is 1
    assert got["snips"].value == pytest.approx(reward.mean())


def _world(seed: int, n: int = 20_000, k: int = 3):
    """Contexts of two segments; uniform random logging; known mean rewards."""
    rng = np.random.default_rng(seed)
    segment = rng.integers(0, 2, n)
    means = np.array([[0.10, 0.30, 0.05], [0.40, 0.05, 0.20]])[segment]  # n x k
    action = rng.integers(0, k, n)
    reward = rng.random(n) < means[np.arange(n), action]
    logged = LoggedDecisions(action, np.full(n, 1 / k), reward)
    return logged, means, segment


def test_estimates_cover_the_true_value_of_a_better_policy() -> None:
    hits = {"replay": 0, "ips": 0, "snips": 0, "dr": 0}
    for seed in range(20):
        logged, means, _ = _world(seed)
        policy = greedy(means)  # the oracle: best action per segment
        truth = means.max(axis=1).mean()
        noisy_model = np.clip(means + 0.05, 0, 1)  # a biased reward model: DR still holds
        got = evaluate_policy(logged, policy, reward_model=noisy_model, resamples=200, seed=seed)
        for name, estimate in got.items():
            assert estimate.value == pytest.approx(truth, abs=0.03), (name, seed)
            hits[name] += estimate.low <= truth <= estimate.high
    assert min(hits.values()) >= 17, hits  # 95 % intervals: at least 17 of 20 cover


def test_doubly_robust_with_a_correct_model_has_a_narrower_interval() -> None:
    logged, means, _ = _world(0)
    policy = greedy(means)
    got = evaluate_policy(logged, policy, reward_model=means, resamples=200)
    assert got["dr"].high - got["dr"].low < got["ips"].high - got["ips"].low
    random_value = evaluate_policy(logged, uniform(len(means), 3), resamples=50)["ips"].value
    assert random_value == pytest.approx(means.mean(), abs=0.01)
    assert got["dr"].value > random_value + 0.1


def test_bad_logged_data_is_refused_with_where() -> None:
    with pytest.raises(InputError, match=r"propensity 0\.0 in row 2 .* not in \(0, 1\]"):
        LoggedDecisions(np.array([0, 1]), np.array([0.5, 0.0]), np.array([1.0, 0.0]))
    with pytest.raises(InputError, match="disagree in length"):
        LoggedDecisions(np.array([0, 1]), np.array([0.5]), np.array([1.0, 0.0]))
    logged = LoggedDecisions(np.array([0, 3]), np.array([0.5, 0.5]), np.array([1.0, 0.0]))
    with pytest.raises(InputError, match="outside its 2 columns"):
        evaluate_policy(logged, deterministic(np.array([0, 1]), 2))
    with pytest.raises(InputError, match="allows no action"):
        uniform(2, 2, np.array([[True, False], [False, False]]))


def test_intervals_cover_a_skewed_mean_as_often_as_they_say() -> None:
    """Inverse-propensity terms: most rows 0, a rare few carry 1/propensity. The corrected
    (BCa) interval covers the true mean about 95 % of the time; the plain percentile
    interval, which falls short on the long tail's side, less often."""
    rng = np.random.default_rng(1)
    true_mean, rare = 0.3, 0.05
    covered, percentile_covered, runs = 0, 0, 200
    for run in range(runs):
        weight = np.where(rng.random(400) < rare, 1 / rare, 0.0)
        terms = weight * (rng.random(400) < true_mean)
        low, high = bootstrap_interval(terms, None, resamples=300, seed=run)
        covered += low <= true_mean <= high
        draws = [terms[rng.integers(0, 400, 400)].mean() for _ in range(300)]
        plain_low, plain_high = np.percentile(draws, [2.5, 97.5])
        percentile_covered += plain_low <= true_mean <= plain_high
    assert covered / runs >= 0.93
    assert covered > percentile_covered


def test_a_random_policys_replay_is_the_mean_over_its_actions_not_its_first() -> None:
    # uniform logging over three offers of take-up 0.1, 0.3, 0.05 (segment 0) and 0.4,
    # 0.05, 0.2 (segment 1): sending one at random is worth their mean, 0.183
    logged, means, _ = _world(4)
    got = evaluate_policy(logged, uniform(len(means), means.shape[1]), resamples=50)
    truth = means.mean()
    assert got["replay"].value == pytest.approx(truth, abs=0.01)
    assert got["replay"].low < truth < got["replay"].high
    assert got["replay"].rows == len(means)  # every row is one it might have chosen
    first = evaluate_policy(logged, deterministic(np.zeros(len(means), int), 3), resamples=50)
    assert abs(first["replay"].value - got["replay"].value) > 0.05  # not the first offer's


def test_a_reward_is_paid_on_take_ups_only_and_not_when_taken_up_anyway() -> None:
    # one offer worth 10 on a take-up, costing 1 per offer made, paying 4 back on a
    # take-up; taken up with 0.5 when made, 0.2 anyway
    policy = np.array([[1.0, 0.0]])  # make it (the last column: no offer)
    p_with, p_without = np.array([[0.5]]), np.array([[0.2]])
    value, cost, reward = np.array([10.0]), np.array([1.0]), np.array([4.0])
    assert true_value(policy, p_with, value, cost, reward=reward) == pytest.approx(0.5 * 6 - 1)
    incremental = true_value(policy, p_with, value, cost, p_without, reward=reward)
    assert incremental == pytest.approx(0.5 * 6 - 0.2 * 10 - 1)  # 0.0: not worth making
    assert true_value(policy, p_with, value, cost) == pytest.approx(0.5 * 10 - 1)
