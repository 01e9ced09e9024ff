"""The models a service serves from, swapped atomically when a new champion appears."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from leadscore.scoring.scorer import Scorer

log = logging.getLogger("leadscore.service")


@dataclass
class ServingState:
    """The Scorer in use, swapped atomically when a new champion appears."""

    scorer: Scorer
    versions: dict[str, str]
    last_error: str | None = None
    registry_error: str | None = None  # why the registry could not be read, last time
    checked_at: float = 0.0

    def status(self) -> dict:
        return {
            "ready": self.scorer is not None,
            "models": self.versions,
            "last_reload_error": self.last_error,
            "registry_error": self.registry_error,
        }


class ModelWatcher:
    """Loads the champions, and keeps checking for new ones in a background thread.

    A failed load keeps the old models serving and records why; requests never wait for
    a load, they use whichever Scorer is current when they start.
    """

    def __init__(
        self,
        load: Callable[[], tuple[Scorer, dict[str, str]]],
        current_versions: Callable[[], dict[str, str]],
        interval: float,
    ) -> None:
        self._load = load
        self._versions = current_versions
        self.interval = interval
        scorer, versions = load()
        self.state = ServingState(scorer, versions)
        self._stop = threading.Event()

    def start(self) -> None:
        if self.interval > 0:
            threading.Thread(target=self._watch, name="champion-watcher", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def check(self) -> None:
        try:
            wanted = self._versions()
        except Exception as exc:  # a locked or unreachable registry: serve on, and say so
            self.state.registry_error = f"{type(exc).__name__}: {exc}"[:500]
            log.error("the registry cannot be read; still serving %s: %s", self.state.versions, exc)
            return
        self.state.registry_error = None
        try:
            if wanted == self.state.versions:  # back to what serves: an old failure is moot
                self.state.last_error = None
                return
            scorer, versions = self._load()
            before = self.state.versions
            self.state = ServingState(scorer, versions)
            # a model change is an event operators look for: logged where failures are
            log.warning("model change: now serving %s (was %s)", versions, before)
        except Exception as exc:  # keep serving the old models, and say why
            self.state.last_error = f"{type(exc).__name__}: {exc}"
            log.error(
                "reloading the champion failed; still serving %s: %s", self.state.versions, exc
            )

    def _watch(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()


class StatusBoard:
    """Where a service's model status is read by routes and middleware that are set up
    before the service (and its watcher) exist."""

    def __init__(self) -> None:
        self.watcher: ModelWatcher | None = None
        self.bulk_status: Callable[[], str] | None = None
        self.kept_status: Callable[[], dict] | None = None
        self.store_status: Callable[[], dict] | None = None
        self.score_log_status: Callable[[], dict] | None = None

    def status(self) -> dict | None:
        """What serves, and whether it all can: ``ready`` is false, and ``not_ready`` says
        why, while the bulk process has no models or the store does not answer. (The
        registry does not count: while it cannot be read the models loaded serve on, and
        ``registry_error`` says why no newer ones are looked for.)"""
        if self.watcher is None:
            return None
        status = self.watcher.state.status()
        not_ready = []
        if self.bulk_status is not None:
            status["bulk_scoring"] = bulk = self.bulk_status()
            if bulk != "ready":
                not_ready.append(f"bulk scoring: {bulk}")
        if self.store_status is not None:
            status["store"] = store = self.store_status()
            if not store["reachable"]:
                not_ready.append(f"store: {store['error']}")
        if self.score_log_status is not None:
            status["score_log"] = self.score_log_status()
        if self.kept_status is not None:
            status["kept_features"] = self.kept_status()
        status["ready"] = status["ready"] and not not_ready
        if not_ready:
            status["not_ready"] = not_ready
        return status
