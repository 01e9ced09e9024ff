"""The service's settings, read once from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadscore.common.errors import InputError
from leadscore.serving.settings import ServiceSettings


def test_defaults_without_any_variable() -> None:
    settings = ServiceSettings.from_environment({})
    assert settings.conversion_model == "leadscore-conversion"
    assert settings.nbo_model == "leadscore-nbo"
    assert settings.feature_store is None and settings.reload_seconds == 10
    assert settings.max_batch == 1000 and settings.inline_leads == 16
    assert settings.bulk_bytes == 16 * 1024 and settings.bulk_processes == 1
    assert settings.access_log is False and settings.api_keys == frozenset()


def test_the_environment_sets_everything(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("k-2\n\nk-3\n")
    settings = ServiceSettings.from_environment(
        {
            "LEADSCORE_API_KEYS": "k-1, ",
            "LEADSCORE_API_KEYS_FILE": str(keys),
            "LEADSCORE_NBO_MODEL": "",
            "LEADSCORE_FEATURE_STORE": "/data/store.parquet",
            "LEADSCORE_RELOAD_SECONDS": "0",
            "LEADSCORE_MAX_BATCH": "50",
            "LEADSCORE_INLINE_LEADS": "4",
            "LEADSCORE_ACCESS_LOG": "1",
            "LEADSCORE_BULK_BYTES": "65536",
            "LEADSCORE_BULK_PROCESSES": "2",
        }
    )
    assert settings.api_keys == {"k-1", "k-2", "k-3"}
    assert settings.nbo_model is None  # '': no next-best-offer model
    assert settings.feature_store == Path("/data/store.parquet")
    assert (settings.reload_seconds, settings.max_batch, settings.inline_leads) == (0, 50, 4)
    assert settings.access_log is True
    assert (settings.bulk_bytes, settings.bulk_processes) == (65536, 2)
    assert "k-1" not in repr(settings)  # keys never end up in a log line


def test_a_bad_value_names_its_variable() -> None:
    with pytest.raises(InputError, match="LEADSCORE_MAX_BATCH") as info:
        ServiceSettings.from_environment({"LEADSCORE_MAX_BATCH": "many"})
    assert "LEADSCORE_RELOAD_SECONDS" not in str(info.value)
    with pytest.raises(InputError, match="LEADSCORE_RELOAD_SECONDS"):
        ServiceSettings.from_environment({"LEADSCORE_RELOAD_SECONDS": "-1"})
    with pytest.raises(InputError, match="LEADSCORE_BULK_PROCESSES"):
        ServiceSettings.from_environment({"LEADSCORE_BULK_PROCESSES": "0"})


def test_the_service_listens_on_this_machine_alone_unless_told() -> None:
    assert str(ServiceSettings.from_environment({}).host) == "127.0.0.1"
    every = ServiceSettings.from_environment({"LEADSCORE_HOST": "0.0.0.0"})
    assert str(every.host) == "0.0.0.0"
    assert str(ServiceSettings.from_environment({"LEADSCORE_HOST": "::1"}).host) == "::1"
    with pytest.raises(InputError, match="LEADSCORE_HOST"):  # BentoML takes addresses only
        ServiceSettings.from_environment({"LEADSCORE_HOST": "localhost"})


def test_the_time_zone_is_an_iana_name_checked_at_start() -> None:
    assert ServiceSettings.from_environment({}).timezone == "UTC"
    berlin = ServiceSettings.from_environment({"LEADSCORE_TIMEZONE": "Europe/Berlin"})
    assert berlin.timezone == "Europe/Berlin"
    for wrong in ("CEST", "Europe/Berlln", "../etc/passwd"):
        with pytest.raises(InputError, match=r"LEADSCORE_TIMEZONE: .* is not a time zone"):
            ServiceSettings.from_environment({"LEADSCORE_TIMEZONE": wrong})


def test_the_workspace_shows_times_in_berlin_unless_told_another_zone() -> None:
    assert ServiceSettings.from_environment({}).workspace_timezone == "Europe/Berlin"
    given = {"LEADSCORE_WORKSPACE_TIMEZONE": "America/New_York"}
    assert ServiceSettings.from_environment(given).workspace_timezone == "America/New_York"
    with pytest.raises(InputError, match=r"LEADSCORE_WORKSPACE_TIMEZONE: .* not a time zone"):
        ServiceSettings.from_environment({"LEADSCORE_WORKSPACE_TIMEZONE": "CET+1"})


def test_the_actions_that_are_outcomes_are_named_and_checked() -> None:
    assert ServiceSettings.from_environment({}).workspace_outcome_actions == ()
    given = {"LEADSCORE_WORKSPACE_OUTCOME_ACTIONS": "rep_meeting_booked, rep_call_reached,"}
    told = ServiceSettings.from_environment(given).workspace_outcome_actions
    assert told == ("rep_meeting_booked", "rep_call_reached")
    with pytest.raises(InputError, match=r"OUTCOME_ACTIONS: .*'purchase': not a rep's action"):
        ServiceSettings.from_environment({"LEADSCORE_WORKSPACE_OUTCOME_ACTIONS": "purchase"})
