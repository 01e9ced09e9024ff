"""Training the offer response (part of #17): rows from offers made and from customers not
offered anything at the same moments; the chance of taking each offer up if made (by one
of LEARNERS, rows weighted against the logging policy's choices) and anyway (a pooled
booster), each calibrated on its validation rows. The split is by time, on the moments
offers were made; the customers not offered are split at the same boundaries. Unlike
snapshot rows, no row is purged at a boundary: waves a few days apart with two-week
windows would leave no validation rows, and an offer's label is its own customer's
response, read from after its own moment.

Rows not offered ("control" rows) are drawn per day offers were made, as many as offers
made that day, among customers created before and without an offer made within the
longest validity around it; their label per offer is taking it up anyway (a purchase, a
take-up event or an engagement naming it) within the offer's validity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from leadscore.common.errors import InputError
from leadscore.data.loading import CanonicalData
from leadscore.features.builder import build_features, feature_columns
from leadscore.features.definitions import Feature, FeatureSetDefinition
from leadscore.models.calibrator import Calibrator
from leadscore.models.encoding import FeatureEncoder
from leadscore.models.nbo import LOCALISED_NAMES, OFFER_FEATURE, OfferView, with_offer
from leadscore.models.offer_response import (
    AveragedOffer,
    CalibratedView,
    OfferModel,
    OfferResponse,
)
from leadscore.models.propensity import PropensityModel
from leadscore.training.baselines import fit_logistic
from leadscore.training.booster import PartMatrices, fit_booster
from leadscore.training.config import TrainingConfig
from leadscore.training.exposures import (
    TAKEN,
    estimated_propensity,
    exposure_rows,
    take_ups,
)
from leadscore.training.rows import features_description, shortfall
from leadscore.training.splits import PARTS, Split, time_boundaries

ANYWAY_PREFIX = "anyway__"


@dataclass(frozen=True)
class ResponseData:
    """Offers made (labelled) and customers not offered (labelled per offer), with their
    features as of their moments."""

    exposed: pd.DataFrame
    control: pd.DataFrame
    features: list[Feature]
    offers: pd.DataFrame  # offer_id, kind, value, cost, valid_days (filled)
    still_open: int
    feature_set: FeatureSetDefinition


def response_offers(
    data: CanonicalData, default_valid_days: float, only: Sequence[str] | None = None
) -> pd.DataFrame:
    """The catalog as the response reads it (of the offers ``only``, where given): cost 0
    and the default validity where the catalog states none."""
    offers = data.offers.astype({"offer_id": "str"})
    if only:
        unknown = sorted(set(only) - set(offers["offer_id"]))
        if unknown:
            raise InputError(
                f"nbo.offers names offers the catalog lacks: {unknown}; the catalog has "
                f"{sorted(offers['offer_id'])}"
            )
        offers = offers[offers["offer_id"].isin(only)]
    columns = {
        "offer_id": offers["offer_id"],
        "name": offers["name"],
        "kind": offers["kind"],
        "value": offers["value"].astype(float),
        "cost": offers["cost"].astype(float).fillna(0.0),
        "valid_days": offers["valid_days"].astype(float).fillna(default_valid_days),
    }
    for optional in ("currency", *LOCALISED_NAMES.values()):
        if optional in offers.columns:
            columns[optional] = offers[optional].astype("object")
    return pd.DataFrame(columns).reset_index(drop=True)


def control_moments(
    data: CanonicalData, exposed: pd.DataFrame, longest_days: float, seed: int
) -> pd.DataFrame:
    """Customers not offered anything around each day offers were made, one per offer
    made that day (fewer where fewer qualify), at that day's first offer's moment."""
    rng = np.random.default_rng(seed)
    customers = data.customers.assign(customer_id=data.customers["customer_id"].astype("str"))
    ids = customers["customer_id"].to_numpy()
    created = customers["created_at"]
    made = data.exposures.assign(customer_id=data.exposures["customer_id"].astype("str"))
    window = pd.Timedelta(days=longest_days)
    rows = []
    for _day, group in exposed.groupby(exposed["as_of"].dt.floor("D"), sort=True):
        moment = group["as_of"].min()
        near = made[(made["ts"] > moment - window) & (made["ts"] < moment + window)]
        # a hash lookup: numpy's isin sorts object arrays, minutes on 20,000 customers
        offered = customers["customer_id"].isin(set(near["customer_id"]))
        free = ((created < moment) & ~offered).to_numpy()
        candidates = ids[free]
        chosen = rng.choice(candidates, size=min(len(group), len(candidates)), replace=False)
        rows.append(pd.DataFrame({"customer_id": np.sort(chosen), "as_of": moment}))
    if not rows:
        return pd.DataFrame({"customer_id": pd.Series(dtype="str"), "as_of": exposed["as_of"][:0]})
    return pd.concat(rows, ignore_index=True)


def anyway_labels(
    data: CanonicalData,
    control: pd.DataFrame,
    offers: pd.DataFrame,
    engagement_event_types: Sequence[str],
) -> pd.DataFrame:
    """Per control row and offer: taken up anyway within the offer's validity."""
    taken = take_ups(data, engagement_event_types)
    labels = {}
    for offer in offers.itertuples():
        mine = taken[taken["offer_id"] == offer.offer_id]
        joined = control.reset_index().merge(mine, on="customer_id", how="inner")
        window = pd.Timedelta(days=offer.valid_days)
        inside = (joined["ts"] > joined["as_of"]) & (joined["ts"] <= joined["as_of"] + window)
        hit = np.zeros(len(control), dtype=bool)
        hit[joined.loc[inside, "index"].to_numpy()] = True
        labels[f"{ANYWAY_PREFIX}{offer.offer_id}"] = hit
    return pd.DataFrame(labels, index=control.index)


def response_data(
    data: CanonicalData,
    feature_set: FeatureSetDefinition,
    *,
    default_valid_days: float,
    engagement_event_types: Sequence[str],
    seed: int,
    offer_ids: Sequence[str] | None = None,
) -> ResponseData:
    """Labelled offers made (of ``offer_ids``, default all) and control rows, with their
    features."""
    offers = response_offers(data, default_valid_days, offer_ids)
    labelled = exposure_rows(
        data, default_valid_days=default_valid_days, engagement_event_types=engagement_event_types
    )
    exposed = labelled.rows[labelled.rows["offer_id"].isin(offers["offer_id"])]
    if exposed.empty:
        raise InputError(
            "no offers made to learn from: the source has no exposures (an exposures table, "
            "or exposure_event_type naming the event of an offer sent), or every offer's "
            "window is still open"
        )
    control = control_moments(data, exposed, float(offers["valid_days"].max()), seed)
    control = pd.concat(
        [control, anyway_labels(data, control, offers, engagement_event_types)], axis=1
    )

    def with_features(rows: pd.DataFrame) -> pd.DataFrame:
        built = build_features(
            data.customers,
            data.events,
            rows[["customer_id", "as_of"]],
            feature_set,
            post_outcome_columns=data.source.post_outcome_columns,
            identifier_columns=data.source.identifier_columns,
        )
        extra = rows.drop(columns=["customer_id", "as_of"]).reset_index(drop=True)
        return pd.concat([built, extra], axis=1)

    features = feature_columns(
        feature_set,
        data.customers,
        post_outcome_columns=data.source.post_outcome_columns,
        identifier_columns=data.source.identifier_columns,
    )
    return ResponseData(
        with_features(exposed.reset_index(drop=True)),
        with_features(control),
        features,
        offers,
        labelled.still_open,
        feature_set,
    )


@dataclass(frozen=True)
class FittedResponse:
    model: OfferResponse
    encoder: FeatureEncoder  # of the customers' features (without the offer)
    exposed_split: Split
    control_split: Split
    trees: dict[str, int]
    learner: str


# an offer's own calibration needs this many take-ups among its validation rows
MIN_CALIBRATION_POSITIVES = 20


def _parts(as_of: pd.Series, bounds) -> Split:
    masks = bounds.masks(as_of.reset_index(drop=True))
    return Split(*(np.flatnonzero(masks[p].to_numpy()) for p in PARTS), "time")


def _subsplit(split: Split, rows: np.ndarray) -> Split:
    """The split of the rows at positions ``rows``, as positions into ``rows``."""
    return Split(*(np.flatnonzero(np.isin(rows, getattr(split, p))) for p in PARTS), split.kind)


def _fit_pooled(
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


def _fit_per_offer(
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
        part = _subsplit(split, rows)
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


def _fit_per_offer_logistic(
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
        part = _subsplit(split, rows)
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
    "pooled": _fit_pooled,
    "per_offer": _fit_per_offer,
    "per_offer_logistic": _fit_per_offer_logistic,
}
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
    anyway, trees = _fit_pooled(
        matrix[kept % n],
        (kept // n).astype(float),
        label[kept],
        _subsplit(stacked, kept),
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
