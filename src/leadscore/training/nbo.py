"""The next-best-offer model's training: labels per offer, then one pooled model over
(lead, offer) pairs or one model per offer, each calibrated on validation. Evaluation is
:mod:`leadscore.evaluation.nbo`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.data.loading import CanonicalData
from leadscore.features.spine import converted_within
from leadscore.features.training_set import FeatureTable
from leadscore.models.encoding import FeatureEncoder
from leadscore.models.nbo import LABEL_PREFIX, OFFER_FEATURE, NBOModel, OfferView, with_offer
from leadscore.models.nbo_config import NBOConfig
from leadscore.models.propensity import PropensityModel
from leadscore.training.booster import PartMatrices, fit_booster
from leadscore.training.calibration import fit_calibrator
from leadscore.training.config import TrainingConfig
from leadscore.training.rows import check_enough_data, make_split, self_description
from leadscore.training.splits import Split


def offer_labels(
    data: CanonicalData, spine: pd.DataFrame, horizon_days: int, config: NBOConfig
) -> pd.DataFrame:
    """Per offer: did the customer take it (buy it, or engage with it) in the horizon?"""
    offers = data.offers
    labels = {}
    for offer in offers.itertuples():
        if offer.kind == "product":
            taken = data.outcomes[data.outcomes["offer_id"].astype("object") == offer.offer_id]
        else:
            events = data.events
            chosen = events["event_type"].astype("object").isin(config.engagement_event_types)
            taken = events[chosen & (events["offer_id"].astype("object") == offer.offer_id)]
        labels[f"{LABEL_PREFIX}{offer.offer_id}"] = converted_within(
            spine, taken[["customer_id", "ts"]], horizon_days=horizon_days
        )
    return pd.DataFrame(labels)


@dataclass(frozen=True)
class FittedNBO:
    """The fitted next-best-offer model, what was fitted per offer, and the rows it saw."""

    model: NBOModel
    per_offer: pd.DataFrame  # offer_id, kind, train_positives, trees
    split: Split
    matrix: np.ndarray  # every row of the table, encoded


def fit_nbo(
    table: FeatureTable, labels: pd.DataFrame, offers: pd.DataFrame, config: TrainingConfig
) -> FittedNBO:
    """Fit the offers' propensities on train and validation; offers with too few positives
    rank by their base rate on train."""
    frame, features = table.frame, table.feature_names
    split = make_split(table, config)
    encoder = FeatureEncoder.fit(frame, features)
    matrix = encoder.matrix(frame)
    metadata = {"feature_set": table.feature_set.id, **self_description(table)}
    fit = _fit_pooled if config.nbo.strategy == "pooled" else _fit_per_offer
    models, rows = fit(matrix, labels, offers, split, encoder, config, metadata)
    priors = {
        o: float(labels[f"{LABEL_PREFIX}{o}"].to_numpy(dtype=bool)[split.train].mean())
        for o in offers["offer_id"]
    }
    model = NBOModel(offers.reset_index(drop=True), models, priors, config.nbo, features)
    return FittedNBO(model, pd.DataFrame(rows), split, matrix)


def _fit_per_offer(matrix, labels, offers, split, encoder, config, metadata):
    """One calibrated model per offer with enough positives; the others rank by base rate."""
    models, rows = {}, []
    for offer in offers.itertuples():
        label = labels[f"{LABEL_PREFIX}{offer.offer_id}"].to_numpy(dtype=bool)
        positives = int(label[split.train].sum())
        enough = positives >= config.min_positives and label[split.validation].sum() > 0
        row = {"offer_id": offer.offer_id, "kind": offer.kind, "train_positives": positives}
        row["trees"] = 0  # too few positives: the offer's base rate stands in
        if enough:
            fitted = fit_booster(PartMatrices.of(matrix, split), label, split, encoder, config)
            calibrator, _ = fit_calibrator(
                fitted.validation_margin, label[split.validation], config.calibration
            )
            models[offer.offer_id] = PropensityModel(
                fitted.booster,
                encoder,
                calibrator,
                {"kind": "nbo_offer", "offer_id": offer.offer_id, **metadata},
            )
            row["trees"] = fitted.booster.best_iteration
        rows.append(row)
    return models, rows


def _fit_pooled(matrix, labels, offers, split, encoder, config, metadata):
    """One calibrated model over (row, offer) pairs, the offer a categorical feature."""
    ids = offers["offer_id"].tolist()
    n, k = len(matrix), len(ids)
    stacked = with_offer(np.tile(matrix, (k, 1)), np.repeat(np.arange(k, dtype=float), n))
    label = np.concatenate([labels[f"{LABEL_PREFIX}{o}"].to_numpy(dtype=bool) for o in ids])
    pooled_split = split.repeated(n, k)
    for part in ("train", "validation"):  # early stopping and calibration need both classes
        check_enough_data(label[getattr(pooled_split, part)], config, f"{part} (all offers)")
    pooled_encoder = FeatureEncoder(
        [*encoder.features, OFFER_FEATURE], {**encoder.categories, OFFER_FEATURE: ids}
    )
    fitted = fit_booster(
        PartMatrices.of(stacked, pooled_split), label, pooled_split, pooled_encoder, config
    )
    calibrator, _ = fit_calibrator(
        fitted.validation_margin, label[pooled_split.validation], config.calibration
    )
    pooled = PropensityModel(
        fitted.booster, pooled_encoder, calibrator, {"kind": "nbo_pooled", **metadata}
    )
    rows = [
        {
            "offer_id": o,
            "kind": kind,
            "train_positives": int(
                labels[f"{LABEL_PREFIX}{o}"].to_numpy(dtype=bool)[split.train].sum()
            ),
            "trees": fitted.booster.best_iteration,
        }
        for o, kind in zip(ids, offers["kind"], strict=True)
    ]
    return {o: OfferView(pooled, o) for o in ids}, rows
