"""A store that is down or locked told apart from a mistake, in words a caller can act on."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from leadscore.common.errors import StoreUnavailable
from leadscore.store.outage import RETRY_AFTER_SECONDS, is_outage, told, unavailable


def test_outages_are_told_apart_from_mistakes() -> None:
    locked = sa.exc.OperationalError("UPDATE outbox ...", {}, Exception("database is locked"))
    refused = sa.exc.OperationalError(
        "SELECT 1",
        {},
        Exception('connection to server at "db.internal" (10.0.0.7), port 5432 failed'),
    )
    assert is_outage(locked) and is_outage(refused)
    assert is_outage(StoreUnavailable("behind", retry_after=1))
    assert not is_outage(sa.exc.IntegrityError("INSERT ...", {}, Exception("duplicate key")))
    assert not is_outage(KeyError("customer_id"))
    said = str(unavailable(locked))
    assert "another process holds its write lock" in said and "UPDATE" not in said
    said = str(unavailable(refused))
    assert "cannot be reached" in said and "db.internal" not in said and "10.0.0.7" not in said
    assert unavailable(refused).retry_after == RETRY_AFTER_SECONDS
    behind = StoreUnavailable("behind", retry_after=1)
    assert unavailable(behind) is behind


def test_what_a_caller_is_told_is_logged_only_where_asked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = sa.exc.OperationalError("SELECT 1", {}, Exception("server at db.internal closed"))
    with caplog.at_level(logging.WARNING, logger="leadscore.store"):
        quiet = told(down)  # the probe asks every second: not a line each time
        assert caplog.records == []
        loud = unavailable(down)
    assert str(quiet) == str(loud) and "db.internal" not in str(loud)
    assert len(caplog.records) == 1 and "db.internal" in caplog.text  # the operator's log
