"""The learners of the chance of taking each offer up if made (part of #17): one booster
over (row, offer) pairs, one booster per offer, or one logistic regression per offer; each
calibrated by a sigmoid on validation rows weighted like its fit."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from leadscore.common.errors import InputError
from leadscore.models.calibrator import Calibrator
from leadscore.models.encoding import FeatureEncoder
from leadscore.models.nbo import OFFER_FEATURE, OfferView, with_offer
from leadscore.models.offer_response import CalibratedView, OfferModel
from leadscore.models.propensity import PropensityModel
from leadscore.training.baselines import fit_logistic
from leadscore.training.booster import PartMatrices, fit_booster
from leadscore.training.config import TrainingConfig
from leadscore.training.rows import shortfall
from leadscore.training.splits import PARTS, Split

# an offer's own calibration needs this many take-ups among its validation rows
MIN_CALIBRATION_POSITIVES = 20


def subsplit(split: Split, rows: np.ndarray) -> Split:
    """The split of the rows at positions ``rows``, as positions into ``rows``."""
    return Split(*(np.flatnonzero(np.isin(rows, getattr(split, p))) for p in PARTS), split.kind)


def fit_pooled(
    matrix: np.ndarray,
    codes: np.ndarray,
    label: np.ndarray,
    split: Split,
    encoder: FeatureEncoder,
    ids: list[str],
    config: TrainingConfig,
    metadata: dict,
    weight: np.ndarray | None = None,
) -> tuple[dict[str, OfferModel], int]:
    """One booster over (row, offer) pairs; each offer calibrated on its own validation
    rows where it has enough take-ups there, else by the pooled calibration."""
    stacked = with_offer(matrix, codes)
    pooled_encoder = FeatureEncoder(
        [*encoder.features, OFFER_FEATURE], {**encoder.categories, OFFER_FEATURE: ids}
    )
    fitted = fit_booster(
        PartMatrices.of(stacked, split), label, split, pooled_encoder, config, weight
    )
    valid_label = label[split.validation]
    valid_codes = codes[split.validation]
    valid_weight = None if weight is None else weight[split.validation]
    # a sigmoid, as every calibration of the response is: the log-odds of the learners'
    # average then add up, and so do their Shapley values
    calibrator = weighted_platt(fitted.validation_margin, valid_label, valid_weight)
    pooled = PropensityModel(fitted.booster, pooled_encoder, calibrator, metadata)
    views: dict[str, OfferModel] = {}
    for j, offer in enumerate(ids):
        mine = valid_codes == j
        taken = int(valid_label[mine].sum())
        if taken >= MIN_CALIBRATION_POSITIVES and taken < mine.sum():
            own = weighted_platt(
                fitted.validation_margin[mine],
                valid_label[mine],
                None if valid_weight is None else valid_weight[mine],
            )
            views[offer] = CalibratedView(pooled, offer, own)
        else:
            views[offer] = OfferView(pooled, offer)
    return views, fitted.best_iteration


def weighted_platt(margin: np.ndarray, label: np.ndarray, weight: np.ndarray | None) -> Calibrator:
    """A sigmoid over the margin, its rows weighted like the booster's (so that an offer's
    probabilities hold for every customer, not only those the logging policy chose)."""
    fit = LogisticRegression(C=1e6).fit(margin.reshape(-1, 1), label, sample_weight=weight)
    return Calibrator("platt", slope=float(fit.coef_[0, 0]), intercept=float(fit.intercept_[0]))


def fit_per_offer(
    matrix: np.ndarray,
    codes: np.ndarray,
    label: np.ndarray,
    split: Split,
    encoder: FeatureEncoder,
    ids: list[str],
    config: TrainingConfig,
    metadata: dict,
    weight: np.ndarray | None = None,
) -> tuple[dict[str, OfferModel], int]:
    """One booster per offer, on the rows of that offer alone."""
    models: dict[str, OfferModel] = {}
    trees = 0
    for j, offer in enumerate(ids):
        rows = np.flatnonzero(codes == j)
        part = subsplit(split, rows)
        for name in ("train", "validation"):
            chosen = label[rows][getattr(part, name)]
            check_offer_counts(chosen, config, f"the {name} offers of {offer}")
        own = None if weight is None else weight[rows]
        fitted = fit_booster(
            PartMatrices.of(matrix[rows], part), label[rows], part, encoder, config, own
        )
        calibrator = weighted_platt(
            fitted.validation_margin,
            label[rows][part.validation],
            None if own is None else own[part.validation],
        )
        models[offer] = PropensityModel(
            fitted.booster, encoder, calibrator, {**metadata, "offer_id": offer}
        )
        trees += fitted.best_iteration
    return models, trees


def check_offer_counts(label: np.ndarray, config: TrainingConfig, part: str) -> None:
    """Enough offers taken up and not taken up in ``part``, or what to do about it."""
    short = shortfall(
        int(label.sum()), int((~label).sum()), config, names=("taken up", "not taken up")
    )
    if short:
        raise InputError(
            f"not enough offers made to learn from: {part} have {' and '.join(short)}. "
            "More waves of offers, a larger split share for that part, or lower "
            "min_positives / min_negatives in the training config"
        )


def fit_per_offer_logistic(
    matrix: np.ndarray,
    codes: np.ndarray,
    label: np.ndarray,
    split: Split,
    encoder: FeatureEncoder,
    ids: list[str],
    config: TrainingConfig,
    metadata: dict,
    weight: np.ndarray | None = None,
) -> tuple[dict[str, OfferModel], int]:
    """One logistic regression per offer (responses that add up per feature need few
    rows), calibrated by a weighted sigmoid on the offer's validation rows: these need
    take-ups and misses, not the minimum counts a booster's early stopping needs."""
    models: dict[str, OfferModel] = {}
    for j, offer in enumerate(ids):
        rows = np.flatnonzero(codes == j)
        part = subsplit(split, rows)
        train, valid = rows[part.train], rows[part.validation]
        check_offer_counts(label[train], config, f"the train offers of {offer}")
        if label[valid].all() or not label[valid].any():  # its sigmoid needs both
            raise InputError(
                f"not enough offers made to learn from: the validation offers of {offer} "
                "are all taken up or none is. More waves of offers, or a larger split "
                "share for validation"
            )
        linear = fit_logistic(
            matrix[train],
            label[train],
            encoder.categorical_index,
            weight=None if weight is None else weight[train],
        )
        calibrator = weighted_platt(
            linear.margin(matrix[valid]), label[valid], None if weight is None else weight[valid]
        )
        models[offer] = PropensityModel(
            linear, encoder, calibrator, {**metadata, "offer_id": offer}
        )
    return models, 0


LEARNERS = {
    "pooled": fit_pooled,
    "per_offer": fit_per_offer,
    "per_offer_logistic": fit_per_offer_logistic,
}
