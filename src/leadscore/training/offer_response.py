"""Training the offer response (part of #17): the chance of taking each offer up if made
(by one of LEARNERS, rows weighted against the logging policy's choices) and anyway (a
pooled booster), each calibrated on its validation rows. The split is by time, on the
moments offers were made; the customers not offered are split at the same boundaries.
Unlike snapshot rows, no row is purged at a boundary: waves a few days apart with two-week
windows would leave no validation rows, and an offer's label is its own customer's
response, read from after its own moment. The rows: :mod:`leadscore.training.response_rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.models.encoding import FeatureEncoder
from leadscore.models.offer_response import AveragedOffer, OfferModel, OfferResponse
from leadscore.training.config import TrainingConfig
from leadscore.training.exposures import TAKEN, estimated_propensity
from leadscore.training.response_learners import (
    LEARNERS,
    check_offer_counts,
    fit_pooled,
    subsplit,
)
from leadscore.training.response_rows import ANYWAY_PREFIX, ResponseData
from leadscore.training.rows import features_description
from leadscore.training.splits import PARTS, Split, time_boundaries


@dataclass(frozen=True)
class FittedResponse:
    model: OfferResponse
    encoder: FeatureEncoder  # of the customers' features (without the offer)
    exposed_split: Split
    control_split: Split
    trees: dict[str, int]
    learner: str


def _parts(as_of: pd.Series, bounds) -> Split:
    masks = bounds.masks(as_of.reset_index(drop=True))
    return Split(*(np.flatnonzero(masks[p].to_numpy()) for p in PARTS), "time")


def check_offer_moments(split: Split, moments: pd.Series) -> None:
    """Each part of the time split holds offers made, or what to do about it."""
    empty = [part for part in PARTS if len(getattr(split, part)) == 0]
    if empty:
        days = moments.dt.floor("D").nunique()
        raise InputError(
            f"too few offers made to learn from: they fall on {days} day(s), and the time "
            f"split by the moments offers were made leaves no {' and no '.join(empty)} "
            "offers. Each of train, validation and test needs offers made on days of its "
            "own: more waves of offers, or larger split shares (split.validation, "
            "split.test) in the training config"
        )


# no offer made counts for more than this many made at random (rare decisions' weights
# would otherwise swamp the fit)
MAX_WEIGHT = 20.0


def balancing_weights(exposed: pd.DataFrame, ids: list[str]) -> np.ndarray:
    """Rows weighted by the inverse of the logging policy's probability (logged, or the
    offer's share that day), normalised to mean 1 per offer: the response is learnt as if
    offers had been made at random, not only where the logging policy's rule put them,
    so that comparing offers for one customer does not lean on where each was usual."""
    logged = exposed["propensity"].to_numpy(dtype=float)
    if np.isnan(logged).any():
        logged = estimated_propensity(exposed)
    weight = 1.0 / logged
    weight = np.minimum(weight / weight.min(), MAX_WEIGHT)
    for offer in ids:
        mine = (exposed["offer_id"] == offer).to_numpy()
        if mine.any():
            weight[mine] /= weight[mine].mean()
    return weight


AVERAGE = "average"  # of every learner fitted: a candidate of its own


def fit_offer_response(
    response: ResponseData, config: TrainingConfig, learners: Sequence[str]
) -> tuple[dict[str, FittedResponse], dict[str, str]]:
    """The response models of each of ``learners`` (names in LEARNERS) on a time split of
    the moments offers were made, and why any of several could not be fitted (one alone
    that cannot is an error); the chance of taking offers up anyway is fitted once and
    shared."""
    exposed, control, offers = response.exposed, response.control, response.offers
    names = [f.name for f in response.features]
    ids = offers["offer_id"].tolist()
    counts = exposed["as_of"].value_counts(sort=False).sort_index()
    bounds = time_boundaries(
        counts.index.to_series(),
        counts.to_numpy(),
        validation=config.split.validation,
        test=config.split.test,
        horizon_days=0,
        test_from=config.split.test_start,
    )
    split = _parts(exposed["as_of"], bounds)
    check_offer_moments(split, exposed["as_of"])
    label = exposed[TAKEN].to_numpy(dtype=bool)
    for part in ("train", "validation"):
        check_offer_counts(label[getattr(split, part)], config, f"the {part} offers")
    encoder = FeatureEncoder.fit(exposed, names)
    matrix = encoder.matrix(exposed)
    codes = exposed["offer_id"].map({o: j for j, o in enumerate(ids)}).to_numpy(dtype=float)
    metadata = {
        "kind": "offer_response",
        "feature_set": response.feature_set.id,
        **features_description(response.features, response.feature_set),
    }
    weight = balancing_weights(exposed, ids)
    control_split = _parts(control["as_of"], bounds)
    anyway, rates, anyway_trees = _fit_anyway(
        control, control_split, encoder, ids, config, metadata
    )
    out, skipped = {}, {}
    for name in learners:
        try:
            taken, trees = LEARNERS[name](
                matrix, codes, label, split, encoder, ids, config, metadata, weight
            )
        except InputError as exc:
            if len(learners) == 1:
                raise
            skipped[name] = str(exc)
            continue
        out[name] = FittedResponse(
            OfferResponse(offers, taken, anyway, rates),
            encoder,
            split,
            control_split,
            {"taken": trees, **anyway_trees},
            name,
        )
    if len(out) > 1:
        members = list(out.values())
        averaged = {o: AveragedOffer([m.model.taken[o] for m in members]) for o in ids}
        out[AVERAGE] = FittedResponse(
            OfferResponse(offers, averaged, anyway, rates),
            encoder,
            split,
            control_split,
            {"taken": sum(m.trees["taken"] for m in members), **anyway_trees},
            AVERAGE,
        )
    return out, skipped


def _fit_anyway(
    control: pd.DataFrame,
    control_split: Split,
    encoder: FeatureEncoder,
    ids: list[str],
    config: TrainingConfig,
    metadata: dict,
) -> tuple[dict[str, OfferModel], np.ndarray, dict[str, int]]:
    """The chance of taking each offer up anyway: a pooled booster over the control rows
    where enough of them did, else each offer's rate among them."""
    k, n = len(ids), len(control)
    label = np.concatenate([control[f"{ANYWAY_PREFIX}{o}"].to_numpy(dtype=bool) for o in ids])
    stacked = control_split.repeated(n, k)
    train_rows = control_split.train
    rates = np.zeros(k)
    if len(train_rows):
        rates = np.array(
            [control[f"{ANYWAY_PREFIX}{o}"].to_numpy(dtype=bool)[train_rows].mean() for o in ids]
        )
    if (
        int(label[stacked.train].sum()) < config.min_positives
        or not label[stacked.validation].any()
    ):
        return {}, rates, {}
    kept, weight = fewer_negatives(label, stacked, seed=config.seed)
    matrix = encoder.matrix(control)
    anyway, trees = fit_pooled(
        matrix[kept % n],
        (kept // n).astype(float),
        label[kept],
        subsplit(stacked, kept),
        encoder,
        ids,
        config,
        {**metadata, "kind": "offer_response_anyway"},
        weight,
    )
    return anyway, rates, {"anyway": trees}


# doing an offer anyway is rare (a few in a hundred control rows per offer): a sample of
# the misses this many times the take-ups, each weighing for those left out, learns the
# same chance from a fraction of the (row, offer) pairs
MISSES_PER_TAKE_UP = 10


def fewer_negatives(label: np.ndarray, split: Split, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The training and validation rows to fit on: every positive and a random share of
    the negatives, with weights (1 / that share for a negative) that keep the fitted
    chance and its calibration unbiased."""
    fitted = np.concatenate([split.train, split.validation])
    positives = int(label[fitted].sum())
    negatives = len(fitted) - positives
    share = min(1.0, MISSES_PER_TAKE_UP * positives / max(negatives, 1))
    keep = label[fitted] | (np.random.default_rng(seed).random(len(fitted)) < share)
    kept = np.sort(fitted[keep])
    weight = np.where(label[kept], 1.0, 1.0 / share)
    return kept, weight
