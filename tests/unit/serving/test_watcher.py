"""The model watcher: a failed reload keeps the old models serving and says why."""

from __future__ import annotations

import logging

import pytest

from leadscore.common.errors import InputError
from leadscore.serving.watcher import ModelWatcher, StatusBoard


def test_a_failed_reload_keeps_the_old_models_and_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = {"conversion": "1"}

    def load() -> tuple[str, dict]:
        if registry["conversion"] != "1":
            raise InputError("version 2: booster.txt is missing")
        return "scorer of version 1", dict(registry)

    watcher = ModelWatcher(load, lambda: dict(registry), interval=0)
    registry["conversion"] = "2"
    with caplog.at_level(logging.ERROR, logger="leadscore.service"):
        watcher.check()
    assert watcher.state.scorer == "scorer of version 1"
    status = watcher.state.status()
    assert status["ready"] and status["models"] == {"conversion": "1"}
    assert "booster.txt is missing" in status["last_reload_error"]
    assert "reloading the champion failed" in caplog.text and "booster.txt" in caplog.text


def test_a_model_change_is_logged_with_old_and_new_versions(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = {"conversion": "1"}
    watcher = ModelWatcher(
        lambda: (f"scorer {registry['conversion']}", dict(registry)),
        lambda: dict(registry),
        interval=0,
    )
    registry["conversion"] = "2"
    with caplog.at_level(logging.WARNING, logger="leadscore.service"):
        watcher.check()
    assert watcher.state.scorer == "scorer 2"
    assert "now serving {'conversion': '2'} (was {'conversion': '1'})" in caplog.text


def test_a_registry_that_cannot_be_read_is_reported_and_the_models_serve_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    locked = {"now": False}

    def versions() -> dict:
        if locked["now"]:
            raise RuntimeError("(sqlite3.OperationalError) database is locked")
        return {"conversion": "1"}

    watcher = ModelWatcher(lambda: ("scorer 1", {"conversion": "1"}), versions, interval=0)
    locked["now"] = True
    with caplog.at_level(logging.ERROR, logger="leadscore.service"):
        watcher.check()
    status = watcher.state.status()
    assert status["ready"] and "database is locked" in status["registry_error"]
    assert "the registry cannot be read" in caplog.text
    locked["now"] = False
    watcher.check()
    assert watcher.state.status()["registry_error"] is None


def test_the_board_is_not_ready_while_the_store_or_the_bulk_process_cannot_serve() -> None:
    board = StatusBoard()
    assert board.status() is None  # before the service's watcher exists
    board.watcher = ModelWatcher(lambda: ("scorer 1", {"conversion": "1"}), dict, interval=0)
    bulk = {"said": "ready"}
    store = {"reachable": True, "down_for_seconds": None, "error": None}
    board.bulk_status = lambda: bulk["said"]
    board.store_status = lambda: dict(store)
    status = board.status()
    assert status is not None and status["ready"] and "not_ready" not in status
    bulk["said"] = "no models: InputError: the registry is empty"
    store.update(reachable=False, down_for_seconds=3.0, error="the store is unavailable")
    status = board.status()
    assert status is not None and not status["ready"]
    assert status["not_ready"] == [
        "bulk scoring: no models: InputError: the registry is empty",
        "store: the store is unavailable",
    ]
    # the registry is no dependency of a loaded service: the models serve on without it
    bulk["said"], store["reachable"] = "ready", True
    board.watcher.state.registry_error = "the registry cannot be read"
    status = board.status()
    assert status is not None and status["ready"]
