"""The feature pipeline: correct aggregates, point-in-time correctness, and purity.

The builder is checked against a slow, obvious pandas reference on random event logs
(hypothesis), through both of its query strategies, and for the properties it promises:
nothing at or after ``as_of`` counts, row order never matters, and a customer's features
depend on its own events only.
"""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadscore.common.errors import InputError
from leadscore.features import builder
from leadscore.features.builder import build_features
from leadscore.features.definitions import FeatureSetDefinition
from leadscore.features.spine import converted_within, snapshot_spine

BASE = pd.Timestamp("2025-01-06", tz="UTC")
TYPES = ("visit", "click", "buy")
CHANNELS = ("web", "email", "sales")

FEATURE_SET = FeatureSetDefinition.model_validate(
    {
        "name": "probe",
        "version": 1,
        "dedupe_within_seconds": 5,
        "profile": {"include": ["segment"]},
        "features": [
            {
                "name": "visits",
                "agg": "count",
                "where": {"event_type": ["visit"]},
                "windows": [1, 7, 30, "all"],
                "description": {"en": "{value}", "de": "{value}"},
            },
            {
                "name": "web_or_email",
                "agg": "count",
                "where": {"channel": ["web", "email"]},
                "windows": [7],
                "description": {"en": "{value}", "de": "{value}"},
            },
            {
                "name": "spend",
                "agg": "sum",
                "column": "value",
                "where": {"event_type": ["buy"]},
                "windows": [30, "all"],
                "description": {"en": "{value}", "de": "{value}"},
            },
            {
                "name": "channels",
                "agg": "distinct_count",
                "column": "channel",
                "windows": [7, 30],
                "description": {"en": "{value}", "de": "{value}"},
            },
            {
                "name": "since_last",
                "agg": "days_since_last",
                "description": {"en": "{value}", "de": "{value}"},
            },
            {
                "name": "since_last_click",
                "agg": "days_since_last",
                "where": {"event_type": ["click"]},
                "description": {"en": "{value}", "de": "{value}"},
            },
            {
                "name": "age",
                "agg": "days_since_created",
                "description": {"en": "{value}", "de": "{value}"},
            },
            {
                "name": "visit_trend",
                "agg": "trend",
                "where": {"event_type": ["visit"]},
                "short": 7,
                "long": 30,
                "description": {"en": "{value}", "de": "{value}"},
            },
        ],
    }
)


# --- a slow, obviously correct reference -------------------------------------------------


def _dedupe(events: pd.DataFrame, seconds: float) -> pd.DataFrame:
    key = ["customer_id", "event_type", "channel", "offer_id", "value"]
    ordered = events.sort_values([*key, "ts"], kind="stable")
    as_object = ordered[key].astype("object")
    as_text = as_object.where(as_object.notna(), "<missing>")  # missing values compare equal
    same = as_text.eq(as_text.shift()).all(axis=1)
    gap = ordered["ts"].diff() <= pd.Timedelta(seconds=seconds)
    return ordered[~(same & gap)]


def reference_features(customers, events, spine, feature_set) -> pd.DataFrame:
    events = _dedupe(events, feature_set.dedupe_within_seconds)
    rows = []
    for point in spine.itertuples(index=False):
        mine = events[(events["customer_id"] == point.customer_id) & (events["ts"] < point.as_of)]
        created = customers.set_index("customer_id").loc[point.customer_id]
        row = {
            "customer_id": point.customer_id,
            "as_of": point.as_of,
            "segment": created["segment"],
        }

        def within(frame, window, as_of=point.as_of):
            return (
                frame
                if window == "all"
                else frame[frame["ts"] >= as_of - pd.Timedelta(days=window)]
            )

        visits = mine[mine["event_type"] == "visit"]
        for w in (1, 7, 30, "all"):
            row[f"visits_{w}d" if w != "all" else "visits_all"] = len(within(visits, w))
        row["web_or_email_7d"] = len(within(mine[mine["channel"].isin(["web", "email"])], 7))
        buys = mine[mine["event_type"] == "buy"]
        row["spend_30d"] = within(buys, 30)["value"].fillna(0).sum()
        row["spend_all"] = buys["value"].fillna(0).sum()
        row["channels_7d"] = within(mine, 7)["channel"].dropna().nunique()
        row["channels_30d"] = within(mine, 30)["channel"].dropna().nunique()
        days = pd.Timedelta(days=1)
        row["since_last"] = (point.as_of - mine["ts"].max()) / days if len(mine) else np.nan
        clicks = mine[mine["event_type"] == "click"]
        row["since_last_click"] = (
            (point.as_of - clicks["ts"].max()) / days if len(clicks) else np.nan
        )
        row["age"] = (point.as_of - created["created_at"]) / days
        recent, month = len(within(visits, 7)), len(within(visits, 30))
        row["visit_trend"] = recent / (month * 7 / 30) if month else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def assert_same(ours: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert list(ours["customer_id"].astype(str)) == list(reference["customer_id"])
    for column in reference.columns:
        if column in ("customer_id", "as_of", "segment"):
            continue
        np.testing.assert_allclose(
            ours[column].to_numpy(dtype=float),
            reference[column].to_numpy(dtype=float),
            rtol=1e-9,
            atol=1e-9,
            err_msg=column,
        )
    assert list(ours["segment"].astype(str)) == list(reference["segment"].astype(str))


# --- random event logs ---------------------------------------------------------------


@st.composite
def crm(draw):
    n = draw(st.integers(1, 4))
    customers = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "created_at": [BASE + pd.Timedelta(hours=draw(st.integers(0, 48))) for _ in range(n)],
            "segment": pd.Categorical(
                draw(st.lists(st.sampled_from("ab"), min_size=n, max_size=n))
            ),
        }
    )
    event = st.tuples(
        st.integers(0, n - 1),
        st.integers(0, 60 * 86_400),  # seconds after BASE
        st.sampled_from(TYPES),
        st.sampled_from((*CHANNELS, None)),
        st.one_of(st.none(), st.floats(0, 1000, allow_nan=False).map(lambda v: round(v, 2))),
    )
    drawn = draw(st.lists(event, max_size=60))
    # a few exact repeats a second later: double-fired tracking to be deduplicated
    repeats = [(c, s + 1, t, ch, v) for c, s, t, ch, v in drawn[: draw(st.integers(0, 3))]]
    rows = drawn + repeats
    events = pd.DataFrame(
        {
            "customer_id": pd.Categorical(
                [f"C{c}" for c, *_ in rows], categories=customers["customer_id"]
            ),
            "ts": pd.to_datetime(
                [BASE + pd.Timedelta(seconds=s) for _, s, *_ in rows], utc=True
            ).as_unit("us"),
            "event_type": pd.Categorical([t for *_, t, _, _ in rows], categories=TYPES),
            "channel": pd.Categorical([ch for *_, ch, _ in rows], categories=CHANNELS),
            "offer_id": pd.Categorical([None] * len(rows), categories=["O1"]),
            "value": pd.array([v for *_, v in rows], dtype="float64"),
        }
    )
    days = draw(st.lists(st.integers(3, 62), min_size=1, max_size=3, unique=True))
    return customers, events, [BASE + pd.Timedelta(days=d) for d in days]


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(crm())
def test_matches_reference_with_snapshot_buckets(world) -> None:
    customers, events, dates = world
    spine = snapshot_spine(customers, dates)
    ours = build_features(customers, events, spine, FEATURE_SET)
    assert_same(ours, reference_features(customers, events, spine, FEATURE_SET))


@SETTINGS
@given(crm(), st.data())
def test_matches_reference_with_per_point_moments(world, data) -> None:
    customers, events, _ = world
    moments = data.draw(st.lists(st.integers(0, 70 * 86_400), min_size=1, max_size=8))
    spine = pd.DataFrame(
        {
            "customer_id": [
                customers["customer_id"].iloc[i % len(customers)] for i in range(len(moments))
            ],
            "as_of": pd.to_datetime(
                [BASE + pd.Timedelta(seconds=s) for s in moments], utc=True
            ).as_unit("us"),
        }
    )
    with patch.object(builder._Buckets, "MAX_MOMENTS", 0):  # force a search per point
        ours = build_features(customers, events, spine, FEATURE_SET)
    assert_same(ours, reference_features(customers, events, spine, FEATURE_SET))


@SETTINGS
@given(crm(), st.data())
def test_events_at_or_after_as_of_never_change_a_feature(world, data) -> None:
    customers, events, dates = world
    spine = snapshot_spine(customers, dates)
    before = build_features(customers, events, spine, FEATURE_SET)
    cutoff = min(dates)
    later = events[events["ts"] >= cutoff].copy()
    # alter what happened later, and add more of it, some exactly at the as-of moment
    later["event_type"] = pd.Categorical(
        data.draw(st.lists(st.sampled_from(TYPES), min_size=len(later), max_size=len(later))),
        categories=TYPES,
    )
    extra = events.head(0).copy()
    n_extra = data.draw(st.integers(1, 5))
    extra = pd.DataFrame(
        {
            "customer_id": pd.Categorical(["C0"] * n_extra, categories=customers["customer_id"]),
            "ts": pd.to_datetime([cutoff] * n_extra, utc=True).as_unit("us"),
            "event_type": pd.Categorical(["visit"] * n_extra, categories=TYPES),
            "channel": pd.Categorical(["web"] * n_extra, categories=CHANNELS),
            "offer_id": pd.Categorical([None] * n_extra, categories=["O1"]),
            "value": [5.0] * n_extra,
        }
    )
    changed = pd.concat([events[events["ts"] < cutoff], later, extra], ignore_index=True)
    only_first = spine["as_of"] == cutoff
    after = build_features(customers, changed, spine, FEATURE_SET)
    pd.testing.assert_frame_equal(before[only_first.to_numpy()], after[only_first.to_numpy()])


@SETTINGS
@given(crm(), st.randoms(use_true_random=False))
def test_shuffled_rows_change_nothing(world, random) -> None:
    customers, events, dates = world
    spine = snapshot_spine(customers, dates)
    expected = build_features(customers, events, spine, FEATURE_SET)
    event_order = list(range(len(events)))
    random.shuffle(event_order)
    customer_order = list(range(len(customers)))
    random.shuffle(customer_order)
    shuffled = build_features(
        customers.iloc[customer_order], events.iloc[event_order], spine, FEATURE_SET
    )
    pd.testing.assert_frame_equal(expected, shuffled)


@SETTINGS
@given(crm())
def test_a_customer_depends_on_its_own_events_only(world) -> None:
    customers, events, dates = world
    spine = snapshot_spine(customers, dates)
    whole = build_features(customers, events, spine, FEATURE_SET)
    mine = spine["customer_id"].astype(str) == "C0"
    alone = build_features(
        customers[customers["customer_id"] == "C0"],
        events[events["customer_id"] == "C0"],
        spine[mine.to_numpy()].reset_index(drop=True),
        FEATURE_SET,
    )
    expected = whole[mine.to_numpy()].reset_index(drop=True)
    expected["customer_id"] = expected["customer_id"].astype(str)
    alone["customer_id"] = alone["customer_id"].astype(str)
    pd.testing.assert_frame_equal(expected, alone)


@settings(max_examples=20, deadline=None)
@given(crm())
def test_thread_count_does_not_change_the_result(world) -> None:
    customers, events, dates = world
    spine = snapshot_spine(customers, dates)
    one = build_features(customers, events, spine, FEATURE_SET, n_jobs=1)
    four = build_features(customers, events, spine, FEATURE_SET, n_jobs=4)
    pd.testing.assert_frame_equal(one, four)


def test_label_window_is_open_at_as_of_and_closed_at_the_horizon() -> None:
    spine = pd.DataFrame({"customer_id": ["A", "B", "C", "D"], "as_of": [BASE] * 4})
    outcomes = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D", "D"],
            "ts": [
                BASE,  # at the as-of moment: already known, not in the future window
                BASE + pd.Timedelta(days=30),  # at the horizon: inside
                BASE + pd.Timedelta(days=30, microseconds=1),  # just after: outside
                BASE - pd.Timedelta(days=1),
                BASE + pd.Timedelta(days=2),
            ],
        }
    )
    assert converted_within(spine, outcomes, horizon_days=30).tolist() == [False, True, False, True]


def test_unknown_spine_customer_is_named() -> None:
    customers = pd.DataFrame(
        {"customer_id": ["C0"], "created_at": [BASE], "segment": pd.Categorical(["a"])}
    )
    events = pd.DataFrame(
        {
            "customer_id": ["C0"],
            "ts": [BASE],
            "event_type": ["visit"],
            "channel": ["web"],
            "offer_id": [None],
            "value": [1.0],
        }
    )
    spine = pd.DataFrame({"customer_id": ["NOPE"], "as_of": [BASE + pd.Timedelta(days=1)]})
    with pytest.raises(InputError, match="NOPE"):
        build_features(customers, events, spine, FEATURE_SET)
