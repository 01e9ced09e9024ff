"""Offers ranked on a randomised offer experiment, judged by replay on the offers made.

The data has the shape of a real offer experiment (kept outside the repository): a
portfolio of buy-one-get-one, discount and informational offers with a difficulty (the
spend that completes it), a reward and a duration; profiles with German dates and missing
values; a transcript in JSON lines of offers received, viewed and completed and of
transactions, time in hours since the start. Offers go out in six waves, each to three
customers in four, the offer drawn at random. Customers spend at their own rate; an offer
they look at raises it, by how much depending on the offer's type and on who they are;
an offer is completed when the spend within its duration reaches its difficulty, looked
at or not. Informational offers cannot be completed.

The files are loaded through ``examples/offer_experiment/source.yaml`` as a new user
would, and ``examples/offer_experiment/training.yaml`` learns the response. On the test
waves' offers made, each ranking's first offer is compared with the offer made; the
replay rate is the share completed where they match. Rankings: leadscore's (expected
incremental value, and take-up probability), popularity (the offer completed most often
on the training waves), one LightGBM per offer trained on the offers made of that offer
alone (with the job's parameters and early stopping), and random.

    .venv/bin/python benchmarks/bench_offer_experiment.py [--customers 17000] [--seeds 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd

from leadscore.data.loading import load_source, require_loaded
from leadscore.data.source_config import load_source_config
from leadscore.evaluation.offer_policy import LEARNT, choose_response, evaluate_offer_policy
from leadscore.features.definitions import load_feature_set
from leadscore.jobs.nbo import offers_made
from leadscore.training.config import load_training_config
from leadscore.training.exposures import TAKEN

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "offer_experiment"
START = pd.Timestamp("2025-01-06")
WAVES_HOURS = (0, 168, 336, 408, 504, 576)  # as the real experiment's
END_HOURS = 714
REACH = 0.75

# id, type, difficulty, reward, duration (days): the real experiment's portfolio
PORTFOLIO = (
    ("bogo-10-7", "bogo", 10, 10, 7),
    ("bogo-10-5", "bogo", 10, 10, 5),
    ("bogo-5-7", "bogo", 5, 5, 7),
    ("bogo-5-5", "bogo", 5, 5, 5),
    ("disc-20-10", "discount", 20, 5, 10),
    ("disc-7-7", "discount", 7, 3, 7),
    ("disc-10-10", "discount", 10, 2, 10),
    ("disc-10-7", "discount", 10, 2, 7),
    ("info-4", "informational", 0, 0, 4),
    ("info-3", "informational", 0, 0, 3),
)


def write_experiment(directory: Path, customers: int, seed: int) -> None:
    """The three export files, and the example's source config beside them."""
    rng = np.random.default_rng(seed)
    n = customers
    gender = rng.choice(np.array(["F", "M", "O"], dtype=object), n, p=[0.41, 0.57, 0.02])
    age = rng.integers(18, 95, n)
    income = np.round(rng.uniform(30_000, 120_000, n), -3)
    member_days = rng.integers(30, 5 * 365, n)
    blank = rng.random(n) < 0.13  # profiles filled in by nobody
    rate = np.exp(rng.normal(-2.2, 0.8, n) + 0.3 * (income - 75_000) / 45_000)  # per day
    amount = np.exp(rng.normal(np.log(4 + 14 * (income - 30_000) / 90_000), 0.4))
    # how much looking at an offer raises the spending rate: per offer type and person
    bogo_lift = np.clip(0.8 + 1.8 * (gender == "F") + 0.03 * (age - 50), 0, None)
    discount_lift = np.clip(0.8 + 2.4 * (income - 75_000) / 45_000 + member_days / 700, 0, None)
    info_lift = np.full(n, 0.3)
    lift = {"bogo": bogo_lift, "discount": discount_lift, "informational": info_lift}
    view = np.clip(0.55 + 0.35 * (age > 45) + rng.normal(0, 0.1, n), 0.1, 0.98)

    transcript: list[tuple[float, int, str, dict]] = []
    spend_times: list[np.ndarray] = []
    spend_amounts: list[np.ndarray] = []
    for i in range(n):  # the baseline spending over the whole test
        count = rng.poisson(rate[i] * END_HOURS / 24)
        spend_times.append(np.sort(rng.uniform(0, END_HOURS, count)))
        spend_amounts.append(np.round(rng.gamma(4.0, amount[i] / 4.0, count), 2))
    for wave in WAVES_HOURS:
        reached = np.flatnonzero(rng.random(n) < REACH)
        chosen = rng.integers(0, len(PORTFOLIO), len(reached))
        for i, o in zip(reached, chosen, strict=True):
            offer_id, kind, difficulty, _reward, duration = PORTFOLIO[o]
            transcript.append((wave, i, "offer received", {"offer id": offer_id}))
            end = min(wave + 24 * duration, END_HOURS)
            if rng.random() < view[i]:
                seen = wave + rng.exponential(18)
                if seen < end:
                    transcript.append((seen, i, "offer viewed", {"offer id": offer_id}))
                    extra = rng.poisson(rate[i] * lift[kind][i] * (end - seen) / 24)
                    times = rng.uniform(seen, end, extra)
                    spend_times[i] = np.concatenate([spend_times[i], times])
                    more = np.round(rng.gamma(4.0, amount[i] / 4.0, extra), 2)
                    spend_amounts[i] = np.concatenate([spend_amounts[i], more])
                    order = np.argsort(spend_times[i], kind="stable")
                    spend_times[i], spend_amounts[i] = (
                        spend_times[i][order],
                        spend_amounts[i][order],
                    )
            if kind == "informational":
                continue  # nothing to complete
            inside = (spend_times[i] > wave) & (spend_times[i] <= end)
            total = np.cumsum(spend_amounts[i][inside])
            reached_at = np.flatnonzero(total >= difficulty)
            if len(reached_at):
                done = spend_times[i][inside][reached_at[0]]
                transcript.append((done, i, "offer completed", {"offer_id": offer_id}))
    for i in range(n):
        for t, a in zip(spend_times[i], spend_amounts[i], strict=True):
            transcript.append((t, i, "transaction", {"amount": float(a)}))
    transcript.sort(key=lambda row: (row[0], row[1]))
    ids = [f"p{i:06d}" for i in range(n)]
    directory.mkdir(parents=True, exist_ok=True)
    portfolio = [
        {"id": o, "offer_type": k, "difficulty": d, "reward": r, "duration": days}
        for o, k, d, r, days in PORTFOLIO
    ]
    (directory / "portfolio.json").write_text(json.dumps(portfolio, indent=1))
    joined = (START - pd.to_timedelta(member_days, unit="D")).strftime("%d.%m.%Y")
    with (directory / "profile.jsonl").open("w") as out:
        for i in range(n):
            profile = {"id": ids[i], "became_member_on": joined[i]}
            profile |= (
                {"gender": None, "age": None, "income": None}
                if blank[i]
                else {"gender": gender[i], "age": int(age[i]), "income": float(income[i])}
            )
            out.write(json.dumps(profile) + "\n")
    with (directory / "transcript.jsonl").open("w") as out:
        for t, i, event, value in transcript:
            row = {"person": ids[i], "event": event, "time": round(float(t), 2), "value": value}
            out.write(json.dumps(row) + "\n")
    for name in ("source.yaml", "training.yaml", "offers_v1.yaml"):
        shutil.copy(EXAMPLE / name, directory / name)


def replay_rate(choice: np.ndarray, made: np.ndarray, taken: np.ndarray) -> tuple[float, int]:
    matched = choice == made
    return (float(taken[matched].mean()) if matched.any() else float("nan")), int(matched.sum())


def per_offer_lightgbm(rows, fitted, config, test_matrix: np.ndarray) -> np.ndarray:
    """(test rows, offers) completion chances from one LightGBM per offer, each trained on
    the training offers made of that offer alone (early stopping on its validation ones)."""
    exposed = rows.exposed
    matrix = fitted.encoder.matrix(exposed)
    label = exposed[TAKEN].to_numpy(dtype=float)
    split = fitted.exposed_split
    ids = fitted.model.offer_ids
    out = np.zeros((len(test_matrix), len(ids)))
    for j, offer in enumerate(ids):
        mine = (exposed["offer_id"] == offer).to_numpy()
        train = np.intersect1d(split.train, np.flatnonzero(mine))
        valid = np.intersect1d(split.validation, np.flatnonzero(mine))
        if label[train].sum() == 0:
            continue  # never completed (informational): 0
        params = config.lightgbm.params(
            seed=config.seed,
            positives=int(label[train].sum()),
            negatives=int((1 - label[train]).sum()),
        )
        categorical = fitted.encoder.categorical_index
        data = lgb.Dataset(matrix[train], label[train], categorical_feature=categorical)
        check = lgb.Dataset(
            matrix[valid], label[valid], reference=data, categorical_feature=categorical
        )
        booster = lgb.train(
            params,
            data,
            num_boost_round=config.lightgbm.num_boost_round,
            valid_sets=[check],
            callbacks=[lgb.early_stopping(config.lightgbm.early_stopping_rounds, verbose=False)],
        )
        out[:, j] = booster.predict(test_matrix)
    return out


def one_seed(customers: int, seed: int, workdir: Path) -> dict:
    directory = workdir / f"experiment-{seed}"
    write_experiment(directory, customers, seed)
    config = load_training_config(directory / "training.yaml")
    data = require_loaded(load_source(load_source_config(directory / "source.yaml")))
    feature_set = load_feature_set(config.feature_set, directory=config.path(config.features_dir))
    rows = offers_made(config, data, feature_set)
    chosen = choose_response(rows, config)
    fitted = chosen.fitted
    evaluation = evaluate_offer_policy(rows, chosen, config)
    test = evaluation.test
    ids = fitted.model.offer_ids
    made = test["offer_id"].map({o: j for j, o in enumerate(ids)}).to_numpy()
    taken = test[TAKEN].to_numpy(dtype=bool)
    matrix = fitted.encoder.matrix(test)
    incremental, _ = fitted.model.values(matrix)
    p_with, _ = fitted.model.probabilities(matrix)
    train = rows.exposed.iloc[fitted.exposed_split.train]
    rates = train.groupby("offer_id")[TAKEN].mean().reindex(ids).fillna(0).to_numpy()
    # every ranking chooses among the offers made in the test waves (whose windows closed
    # before the data ends): a choice no row can match would leave each ranking judged on
    # other customers
    present = np.isin(np.arange(len(ids)), made)

    def best(scores: np.ndarray) -> np.ndarray:
        return np.where(present, scores, -np.inf).argmax(axis=1)

    choices = {
        "leadscore, incremental value": best(incremental),
        "leadscore, take-up probability": best(p_with),
        "popularity": best(np.broadcast_to(rates, p_with.shape)),
        "LightGBM per offer (offers made)": best(per_offer_lightgbm(rows, fitted, config, matrix)),
    }
    result = {"seed": seed, "offers_made": len(rows.exposed), "test_offers": len(test)}
    for name, choice in choices.items():
        rate, matched = replay_rate(choice, made, taken)
        result[name] = rate
        result[f"{name} rows"] = matched
    result["random"] = float(taken.mean())  # every offer equally likely: the mean
    result["learner"] = fitted.learner
    result["none share"] = float((incremental.max(axis=1) <= 0).mean())
    result["dr"] = evaluation.comparison.estimates[LEARNT]["dr"].value
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=17_000)
    parser.add_argument("--seeds", type=int, default=5)
    arguments = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for seed in range(arguments.seeds):
            result = one_seed(arguments.customers, seed, Path(workdir))
            results.append(result)
            rates = ", ".join(f"{k} {v:.3f}" for k, v in result.items() if k in RANKINGS)
            print(
                f"seed {seed} ({result['learner']}, {result['test_offers']:,} test offers "
                f"made): {rates}",
                flush=True,
            )
    frame = pd.DataFrame(results)
    print(
        f"\n{len(frame)} seeds, {arguments.customers:,} customers each; replay rate (share "
        "completed where the ranking's first offer is the one made), median over seeds:"
    )
    for name in RANKINGS:
        print(f"  {name}: {frame[name].median():.3f} (min {frame[name].min():.3f})")
    ours = frame["leadscore, incremental value"]
    for other in ("popularity", "LightGBM per offer (offers made)", "random"):
        print(
            f"leadscore (incremental value) beats {other} in {(ours > frame[other]).mean():.0%}"
            " of seeds"
        )
    take_up = frame["leadscore, take-up probability"]
    for other in ("popularity", "LightGBM per offer (offers made)", "random"):
        print(
            f"leadscore (take-up probability) beats {other} in "
            f"{(take_up > frame[other]).mean():.0%} of seeds"
        )


RANKINGS = (
    "leadscore, incremental value",
    "leadscore, take-up probability",
    "popularity",
    "LightGBM per offer (offers made)",
    "random",
)


if __name__ == "__main__":
    main()
