"""Response labels per offer made: was the offer taken up within its validity window?

Every exposure is a training row at its own moment (its features are built strictly
before it). A take-up (an event of the source's ``take_up_event_type`` naming the offer,
or an outcome naming it) is credited to the latest exposure of the same offer to the same
customer before it, if it falls within that offer's ``valid_days`` (the job's horizon
where the catalog gives none): a take-up is never counted twice. Exposures whose window
is not over when the data ends cannot be labelled yet and are left out, and counted, with
the other offers made that day (so that a wave's offers stay in their logged shares).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from leadscore.common.errors import InputError
from leadscore.data.loading import CanonicalData

TAKEN = "taken"


@dataclass(frozen=True)
class ExposureRows:
    """Labelled exposures, and how many were left out because their window is still open."""

    rows: pd.DataFrame  # customer_id, as_of, offer_id, channel, propensity, valid_until, taken
    still_open: int
    data_end: pd.Timestamp | None


def take_ups(data: CanonicalData, engagement_event_types: Sequence[str] = ()) -> pd.DataFrame:
    """Every take-up that names an offer: ``customer_id``, ``offer_id``, ``ts``. Besides
    the take-up events and outcomes, events of ``engagement_event_types`` (a download of
    the content offered) count."""
    events = data.events
    kinds = {data.source.take_up_event_type, *engagement_event_types}
    wanted = events["event_type"].astype("object").isin(kinds)
    parts = [events.loc[wanted, ["customer_id", "ts", "offer_id"]], data.outcomes]
    frames = [
        pd.DataFrame(
            {
                "customer_id": p["customer_id"].astype("str"),
                "offer_id": p["offer_id"].astype("object"),
                "ts": p["ts"],
            }
        )
        for p in parts
        if len(p)
    ]
    if not frames:
        return pd.DataFrame({"customer_id": [], "offer_id": [], "ts": []}).astype(
            {"ts": "datetime64[us, UTC]"}
        )
    found = pd.concat(frames, ignore_index=True)
    return found[found["offer_id"].notna()].astype({"offer_id": "str"})


def exposure_days(data: CanonicalData) -> list[pd.Timestamp]:
    """The days offers were made (midnight UTC), oldest first: training moments that fall
    where offers went out in waves."""
    if data.exposures.empty:
        raise InputError(
            "spine: exposures needs offers made: the source has no exposures (an exposures "
            "table, or exposure_event_type naming the event of an offer sent)"
        )
    return sorted(data.exposures["ts"].dt.floor("D").unique())


def estimated_propensity(exposed: pd.DataFrame) -> np.ndarray:
    """Each offer's share of the offers made on the same day: the logging policy's
    probability where offers were assigned at random within a wave."""
    day = exposed["as_of"].dt.floor("D")
    share = exposed.groupby([day, exposed["offer_id"]])["offer_id"].transform("size")
    return (share / day.map(day.value_counts())).to_numpy(dtype=float)


def _data_end(data: CanonicalData) -> pd.Timestamp | None:
    moments = [t["ts"].max() for t in (data.events, data.outcomes, data.exposures) if len(t)]
    return max(moments) if moments else None


def exposure_rows(
    data: CanonicalData,
    *,
    default_valid_days: float,
    engagement_event_types: Sequence[str] = (),
) -> ExposureRows:
    """One labelled row per offer made, oldest first."""
    exposures = data.exposures
    end = _data_end(data)
    if exposures.empty:
        return ExposureRows(_empty_rows(), 0, end)
    valid_days = data.offers.set_index(data.offers["offer_id"].astype("str"))["valid_days"]
    frame = pd.DataFrame(
        {
            "customer_id": exposures["customer_id"].astype("str"),
            "as_of": exposures["ts"],
            "offer_id": exposures["offer_id"].astype("str"),
            "channel": exposures["channel"].astype("object"),
            "propensity": exposures["propensity"].astype("float64"),
        }
    )
    days = frame["offer_id"].map(valid_days).astype("float64").fillna(default_valid_days)
    frame["valid_until"] = frame["as_of"] + pd.to_timedelta(days, unit="D")
    frame = frame.sort_values(["as_of", "customer_id", "offer_id"], kind="stable")
    frame = frame.reset_index(drop=True)
    frame[TAKEN] = _credited(frame, take_ups(data, engagement_event_types))
    # a day's offers made (a wave) are kept or left out together: leaving out only its long
    # offers, still open, would leave the short ones overrepresented, and an estimate that
    # weighs by the logged propensities (IPS) would count a policy choosing the long ones
    # as earning nothing in those rows
    wave = frame["as_of"].dt.floor("D")
    open_window = frame.groupby(wave)["valid_until"].transform("max") > end
    kept = frame[~open_window].reset_index(drop=True)
    return ExposureRows(kept, int(open_window.sum()), end)


def _credited(exposures: pd.DataFrame, taken: pd.DataFrame) -> np.ndarray:
    """Whether each exposure is the latest one of its (customer, offer) strictly before a
    take-up that falls within its window."""
    credited = np.zeros(len(exposures), dtype=bool)
    if taken.empty:
        return credited
    left = taken.sort_values("ts", kind="stable").reset_index(drop=True)
    right = exposures.assign(row=np.arange(len(exposures))).sort_values("as_of", kind="stable")
    matched = pd.merge_asof(
        left,
        right[["as_of", "customer_id", "offer_id", "valid_until", "row"]],
        left_on="ts",
        right_on="as_of",
        by=["customer_id", "offer_id"],
        direction="backward",
        allow_exact_matches=False,  # taken the moment it was made: not caused by it
    )
    hit = matched["row"].notna() & (matched["ts"] <= matched["valid_until"])
    credited[matched.loc[hit, "row"].astype(int).to_numpy()] = True
    return credited


def _empty_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": pd.Series(dtype="str"),
            "as_of": pd.Series(dtype="datetime64[us, UTC]"),
            "offer_id": pd.Series(dtype="str"),
            "channel": pd.Series(dtype="object"),
            "propensity": pd.Series(dtype="float64"),
            "valid_until": pd.Series(dtype="datetime64[us, UTC]"),
            TAKEN: pd.Series(dtype="bool"),
        }
    )
