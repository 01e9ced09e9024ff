"""Posted events and leads as canonical rows, every problem named by item and field."""

from __future__ import annotations

import pandas as pd

from leadscore.data.bounds import (
    MAX_BATCH_PROFILE_FIELDS,
    MAX_ID_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PROFILE_FIELDS,
    MAX_TEXT_LENGTH,
)
from leadscore.data.intake import event_intake, lead_intake

NOW = pd.Timestamp("2026-06-29 12:00", tz="UTC")


def test_posted_events_become_canonical_rows_in_utc() -> None:
    intake = event_intake(
        [
            {
                "customer_id": "c1",
                "ts": "2026-06-29T10:00:00+02:00",
                "event_type": "visit",
                "value": "3.5",
            },
            {
                "customer_id": "c2",
                "ts": "2026-06-29T11:00:00",
                "event_type": "download",
                "event_id": "e1",
            },
        ],
        now=NOW,
        event_types=None,
    )
    assert intake.problems == []
    rows = intake.rows
    assert rows["ts"].tolist() == [
        pd.Timestamp("2026-06-29 08:00", tz="UTC"),
        pd.Timestamp("2026-06-29 11:00", tz="UTC"),  # no offset: UTC
    ]
    assert rows["value"].iat[0] == 3.5 and pd.isna(rows["value"].iat[1])
    assert rows["event_id"].iat[1] == "e1" and pd.isna(rows["event_id"].iat[0])
    assert {"channel", "offer_id", "campaign"} <= set(rows.columns)
    assert rows[["offer_id", "campaign"]].isna().all().all()
    # no channel sent: a canonical type's own (a download's: web), none for another type
    assert pd.isna(rows["channel"].iat[0]) and rows["channel"].iat[1] == "web"


def test_a_field_events_do_not_have_is_named_and_nothing_is_read() -> None:
    intake = event_intake(
        [
            {
                "customer_id": "c1",
                "ts": "2026-06-29T10:00:00Z",
                "event_type": "visit",
                "colour": "red",
            }
        ],
        now=NOW,
        event_types=None,
    )
    assert len(intake.problems) == 1
    assert intake.problems[0].startswith("events[0].colour: not a field of events")
    assert intake.rows.empty


def test_an_item_that_is_not_an_object_is_named_by_its_place() -> None:
    intake = event_intake(
        [{"customer_id": "c1", "ts": "2026-06-29T10:00:00Z", "event_type": "visit"}, "visit"],
        now=NOW,
        event_types=None,
    )
    assert intake.problems == ['events[1]: not an object; send {"customer_id": ...}']


def test_every_problem_of_a_batch_comes_at_once_each_naming_its_item_and_field() -> None:
    intake = event_intake(
        [
            {"customer_id": "c1", "ts": "2026-06-29T10:00:00Z", "event_type": "visit"},
            {"ts": "yesterday", "event_type": "visit", "value": "abc"},
            {
                "customer_id": "c3",
                "ts": "2026-06-29T12:06:00Z",
                "event_type": "x" * (MAX_ID_LENGTH + 1),
            },
        ],
        now=NOW,
        event_types=None,
    )
    fields = sorted(p.split(":")[0] for p in intake.problems)
    assert fields == [
        "events[1].customer_id",
        "events[1].ts",
        "events[1].ts",  # unreadable, and so missing
        "events[1].value",
        "events[2].event_type",
        "events[2].ts",
    ]
    assert any("cannot be read as float" in p for p in intake.problems)
    assert any("lies in the future" in p for p in intake.problems)


def test_a_moment_within_the_clock_skew_of_now_is_not_in_the_future() -> None:
    intake = event_intake(
        [{"customer_id": "c1", "ts": "2026-06-29T12:04:59Z", "event_type": "visit"}],
        now=NOW,
        event_types=None,
    )
    assert intake.problems == []


def test_an_event_type_not_among_the_known_ones_is_refused_only_where_types_are_given() -> None:
    items = [
        {"customer_id": "c1", "ts": "2026-06-29T10:00:00Z", "event_type": "visit"},
        {"customer_id": "c1", "ts": "2026-06-29T10:00:00Z", "event_type": "teleport"},
    ]
    known = event_intake(items, now=NOW, event_types=frozenset({"visit", "download"}))
    assert len(known.problems) == 1
    assert known.problems[0].startswith(
        "events[1].event_type: 'teleport' is not a known event type"
    )
    assert "download, visit" in known.problems[0]
    assert event_intake(items, now=NOW, event_types=None).problems == []


def test_a_long_value_is_shown_cut_short_in_its_problem() -> None:
    intake = event_intake(
        [{"customer_id": "c1", "ts": "2026-06-29T10:00:00Z", "event_type": "v" * 100}],
        now=NOW,
        event_types=frozenset({"visit"}),
    )
    unknown = [p for p in intake.problems if "not a known event type" in p]
    assert len(unknown) == 1 and "v" * 60 not in unknown[0] and "...'" in unknown[0]


def test_posted_leads_carry_their_profile_as_columns_and_come_in_now_without_a_moment() -> None:
    intake = lead_intake(
        [
            {"customer_id": "c1", "profile": {"industry": "retail", "employees": 40}},
            {
                "customer_id": "c2",
                "created_at": "2026-01-01T00:00:00Z",
                "profile": {"industry": "banking"},
            },
        ],
        now=NOW,
    )
    assert intake.problems == []
    rows = intake.rows
    assert rows["created_at"].tolist() == [NOW, pd.Timestamp("2026-01-01", tz="UTC")]
    assert rows["industry"].tolist() == ["retail", "banking"]
    assert rows["employees"].iat[0] == 40
    assert "converted" not in rows  # sent by none


def test_a_profile_field_of_the_lead_itself_or_of_no_plain_kind_is_refused() -> None:
    intake = lead_intake(
        [
            {"customer_id": "c1", "profile": {"created_at": "2026-01-01", "tags": ["a", "b"]}},
            {"customer_id": "c2", "profile": "retail"},
            {"profile": {"industry": "retail"}},
        ],
        now=NOW,
    )
    assert sorted(p.split(":")[0] for p in intake.problems) == [
        "leads[0].profile.created_at",
        "leads[0].profile.tags",
        "leads[1].profile",
        "leads[2].customer_id",
    ]


def test_a_lead_created_in_the_future_is_refused() -> None:
    intake = lead_intake([{"customer_id": "c1", "created_at": "2026-07-01T00:00:00Z"}], now=NOW)
    assert len(intake.problems) == 1
    assert intake.problems[0].startswith("leads[0].created_at:")
    # an API client has no source config: it is told how a time is read, and what to send
    assert "read in UTC (LEADSCORE_TIMEZONE): send it with its offset" in intake.problems[0]
    assert "source config" not in intake.problems[0]


def test_an_object_a_list_a_boolean_or_empty_text_is_no_id() -> None:
    ts = "2026-06-10T00:00:00Z"
    events = [
        {"customer_id": {"$gt": ""}, "ts": ts, "event_type": "visit"},
        {"customer_id": ["c1"], "ts": ts, "event_type": "visit"},
        {"customer_id": "  ", "ts": ts, "event_type": "visit"},
        {"customer_id": "c1", "ts": ts, "event_type": "visit", "offer_id": True},
        {"customer_id": 42, "ts": ts, "event_type": "visit"},  # a number is read as text
    ]
    problems = event_intake(events, now=NOW, event_types=None).problems
    named = [p.split(":")[0] for p in problems]
    assert named == [
        "events[0].customer_id",
        "events[1].customer_id",
        "events[2].customer_id",
        "events[3].offer_id",
    ], problems
    assert "is not an id" in problems[0] and "empty" in problems[2]
    leads = lead_intake([{"customer_id": "", "profile": False}], now=NOW).problems
    assert leads[0].startswith("leads[0].customer_id: empty")
    assert any(p.startswith("leads[0].profile: not an object") for p in leads)


def test_a_profile_wider_than_the_bound_is_refused_by_its_count_naming_the_bound() -> None:
    wide = {f"field_{i}": i for i in range(25_000)}
    intake = lead_intake([{"customer_id": "c1", "profile": wide}], now=NOW)
    assert intake.problems == [
        f"leads[0].profile: 25,000 fields; at most {MAX_PROFILE_FIELDS} a lead (the fields "
        "the models and the workspace read; leave the others in the CRM)"
    ]
    assert intake.rows.empty  # nothing of it is built
    at_bound = {f"field_{i}": i for i in range(MAX_PROFILE_FIELDS)}
    assert lead_intake([{"customer_id": "c1", "profile": at_bound}], now=NOW).problems == []


def test_profile_names_and_values_within_the_bounds_of_score_records() -> None:
    intake = lead_intake(
        [
            {
                "customer_id": "c1",
                "profile": {
                    "note": "x" * (MAX_TEXT_LENGTH + 1),
                    "k" * (MAX_NAME_LENGTH + 1): 1,
                    "": 2,
                    "share": float("nan"),
                    "ok": "y" * MAX_TEXT_LENGTH,
                },
            },
            {"customer_id": "c2", "profile": {"campaign": "spring"}},
        ],
        now=NOW,
    )
    named = [p.split(":")[0] for p in intake.problems]
    assert named == [
        "leads[0].profile.note",
        f"leads[0].profile.'{'k' * 36}...'",
        "leads[0].profile.''",
        "leads[0].profile.share",
    ], intake.problems
    assert f"at most {MAX_TEXT_LENGTH:,}" in intake.problems[0]


def test_a_batch_whose_leads_together_send_too_many_fields_is_refused() -> None:
    per_lead = MAX_PROFILE_FIELDS // 2
    leads = [
        {"customer_id": f"c{n}", "profile": {f"f{n}_{i}": i for i in range(per_lead)}}
        for n in range(MAX_BATCH_PROFILE_FIELDS // per_lead + 1)
    ]
    problems = lead_intake(leads, now=NOW).problems
    assert len(problems) == 1 and problems[0].startswith("leads: 1,100 different profile fields")


def test_an_event_campaign_or_own_id_longer_than_a_name_is_refused() -> None:
    ts = "2026-06-10T00:00:00Z"
    event = {"customer_id": "c1", "ts": ts, "event_type": "visit"}
    long = "x" * (MAX_NAME_LENGTH + 1)
    problems = event_intake(
        [{**event, "campaign": long}, {**event, "event_id": long}, {**event, "campaign": "ok"}],
        now=NOW,
        event_types=None,
    ).problems
    assert [p.split(":")[0] for p in problems] == ["events[0].campaign", "events[1].event_id"]


def _event_at(ts: object) -> dict:
    return {"customer_id": "c1", "ts": ts, "event_type": "visit"}


def test_a_time_without_an_offset_is_read_in_the_services_zone() -> None:
    # 13:30 in Berlin (summer: +02:00) is 11:30 UTC, half an hour ago; read as UTC it lay
    # an hour and a half ahead and was refused
    local = event_intake(
        [_event_at("2026-06-29T13:30:00")], now=NOW, event_types=None, timezone="Europe/Berlin"
    )
    assert local.problems == []
    assert local.rows["ts"].iat[0] == pd.Timestamp("2026-06-29 11:30", tz="UTC")
    ahead = event_intake(
        [_event_at("2026-06-29T14:30:00")], now=NOW, event_types=None, timezone="Europe/Berlin"
    )
    (problem,) = ahead.problems
    assert problem.startswith("events[0].ts: 2026-06-29 12:30:00+00:00 timestamp lies in the")
    assert "read in Europe/Berlin (LEADSCORE_TIMEZONE)" in problem and "+01:00" in problem
    lead = lead_intake(
        [{"customer_id": "c1", "created_at": "2026-06-29T13:30:00"}],
        now=NOW,
        timezone="Europe/Berlin",
    )
    assert lead.rows["created_at"].iat[0] == pd.Timestamp("2026-06-29 11:30", tz="UTC")


def test_local_times_at_a_clock_change_are_the_earlier_instant_or_shifted_forward() -> None:
    now = pd.Timestamp("2026-12-01", tz="UTC")
    intake = event_intake(
        [
            _event_at("2026-10-25T02:30:00"),  # twice in Berlin: 00:30 and 01:30 UTC
            _event_at("2026-03-29T02:30:00"),  # never in Berlin: the clock went 02:00 → 03:00
        ],
        now=now,
        event_types=None,
        timezone="Europe/Berlin",
    )
    assert intake.problems == []
    assert intake.rows["ts"].tolist() == [
        pd.Timestamp("2026-10-25 00:30", tz="UTC"),
        pd.Timestamp("2026-03-29 01:00", tz="UTC"),  # 03:00 in Berlin
    ]


def test_epoch_seconds_and_milliseconds_are_told_apart_by_size_and_others_refused() -> None:
    moment = pd.Timestamp("2026-06-29 10:15:30.250", tz="UTC")
    seconds, millis = moment.value / 1e9, moment.value // 1_000_000
    intake = event_intake(
        [_event_at(seconds), _event_at(millis), _event_at(int(seconds))],
        now=NOW,
        event_types=None,
        timezone="Europe/Berlin",  # a number is an instant: no zone applies
    )
    assert intake.problems == []
    assert intake.rows["ts"].tolist() == [moment, moment, moment.floor("s")]
    refused = event_intake(
        [
            _event_at(millis * 1000),
            _event_at(True),
            _event_at(str(int(seconds))),
            _event_at(52904545934359.0),  # milliseconds of the year 3646: past pandas' range
            _event_at(9.5e10),  # seconds of the year 4980
        ],
        now=NOW,
        event_types=None,
    )
    unreadable = [p for p in refused.problems if "cannot be read as timestamp" in p]
    assert [p.split(":")[0] for p in unreadable] == [f"events[{i}].ts" for i in range(5)]
    assert "milliseconds (1e11 or more)" in unreadable[0]
    lead = lead_intake([{"customer_id": "c1", "created_at": millis}], now=NOW)
    assert lead.problems == [] and lead.rows["created_at"].iat[0] == moment
