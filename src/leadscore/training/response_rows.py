"""The rows the offer response learns from (part of #17): offers made, labelled by their
own customer's response, and customers not offered anything at the same moments.

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

from leadscore.common.errors import InputError
from leadscore.data.loading import CanonicalData
from leadscore.features.builder import build_features, feature_columns
from leadscore.features.definitions import Feature, FeatureSetDefinition
from leadscore.models.nbo import LOCALISED_NAMES
from leadscore.training.exposures import exposure_rows, take_ups

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
        # paid only on take-up: a catalog without it pays none
        "reward": offers["reward"].astype(float).fillna(0.0) if "reward" in offers.columns else 0.0,
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
