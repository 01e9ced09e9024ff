"""Scores on their way to the log, written by a thread of their own.

A request that scores known customers hands its log entries here and answers at once:
before, it wrote them itself, on the service's event loop, and waited up to SQLite's busy
timeout (10 s) while another process held the write lock (a backup, an export, a large
``leadscore ingest``); every other request, ``/healthz`` included, waited with it, and
the request answered 500 when the lock outlasted the timeout.

Nothing is dropped while the store is down or locked: entries stay queued until they are
written (a failed write is tried again, the same entries, after a pause); the queue holds
at most ``max_entries``, and a request that would overflow it is refused with
``StoreUnavailable`` (503 with ``Retry-After``) rather than answered without its log.
``close`` writes what is queued before the service stops.

A score that says what its lead's newest logged score says (the same model version and
probability) is not written again: the log holds what changed, not every poll.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from leadscore.common.errors import StoreUnavailable
from leadscore.scoring.log_writer import ScoreLogWriter
from leadscore.store.outage import RETRY_AFTER_SECONDS, driver_said, is_outage
from leadscore.store.score_log import LoggedScore

log = logging.getLogger("leadscore.service")

# a busy service logs a few hundred scores a second: this many is a minute of them (what
# waits here is lost where the process is killed, -9, before it is written)
DEFAULT_MAX_ENTRIES = 20_000
# entries written in one transaction at most (about 20 ms on SQLite)
BATCH_ENTRIES = 2_000
RETRY_PAUSES = (0.2, 0.5, 1.0, 2.0, 5.0)  # seconds between tries while the store fails
MISTAKE_TRIES = 3  # tries of a write that fails for another reason than an outage


@dataclass(frozen=True)
class _Queued:
    writer: ScoreLogWriter
    entries: Sequence[LoggedScore]
    now: pd.Timestamp


class ScoreLogQueue:
    """The score log's entries waiting to be written, and the thread that writes them."""

    def __init__(self, *, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._queued: deque[_Queued] = deque()
        self._taken = 0  # entries put, ever
        self._done = 0  # entries done with (written, unchanged, or given up on), ever
        self._changed = threading.Condition()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._failing_since: float | None = None
        self._last_error: str | None = None
        self.written = 0
        self.unchanged = 0  # entries not written: their lead's newest logged score said it
        self.dropped = 0  # entries not written: a mistake, not the store being away

    def start(self) -> None:
        """Start the writer thread (once)."""
        with self._changed:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="score-log", daemon=True)
            self._thread.start()

    def put(
        self, writer: ScoreLogWriter, entries: Sequence[LoggedScore], now: pd.Timestamp
    ) -> None:
        """Queue ``entries`` (scored at ``now``) for ``writer``; StoreUnavailable where the
        queue is full (the store has been failing or slow for a while) or closing."""
        if not entries:
            return
        with self._changed:
            if self._closing:
                raise StoreUnavailable(
                    "the service is stopping; send the request again (to another instance, "
                    "or in a moment to this one)",
                    retry_after=RETRY_AFTER_SECONDS,
                )
            if self._held + len(entries) > self.max_entries:
                raise StoreUnavailable(
                    f"the score log is behind: {self._held:,} scores wait for the store "
                    f"({self._last_error or 'it is slow'}); send the request again in "
                    f"{RETRY_AFTER_SECONDS} s",
                    retry_after=RETRY_AFTER_SECONDS,
                )
            self._queued.append(_Queued(writer, entries, now))
            self._taken += len(entries)
            self._changed.notify_all()

    @property
    def _held(self) -> int:
        """Entries queued or being written (the caller holds ``_changed``)."""
        return self._taken - self._done

    def status(self) -> dict:
        """How many entries wait, and since when and why writing fails (if it does)."""
        with self._changed:
            failing = self._failing_since
            return {
                "waiting": self._held,
                "written": self.written,
                "unchanged": self.unchanged,
                "dropped": self.dropped,
                "failing_for_seconds": None
                if failing is None
                else round(time.monotonic() - failing, 1),
                "last_error": self._last_error,
            }

    def flush(self, timeout: float) -> bool:
        """Wait until every entry queued so far is written (not those queued meanwhile);
        whether all were in time."""
        deadline = time.monotonic() + timeout
        with self._changed:
            target = self._taken
            while self._done < target:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def close(self, timeout: float = 30.0) -> bool:
        """Take no more entries and write those queued (for at most ``timeout`` seconds);
        whether every one was written. Entries left are named in the log."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        written = self.flush(timeout)
        if not written:
            log.error(
                "%d scores were not written to the score log before the service stopped "
                "(the store failed: %s)",
                self._held,
                self._last_error,
            )
        return written

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._queued:
                    if self._closing:
                        return
                    self._changed.wait()
                group = _next_group(self._queued)
            self._write(group)

    def _write(self, group: list[_Queued]) -> None:
        writer = group[0].writer
        # with alert rules each request's batch is written on its own, so that a retry
        # writes none twice (see ScoreLogWriter.commit)
        parts = [group] if writer.alerts is None else [[q] for q in group]
        for part in parts:
            written = self._tried(writer, part)
            if written is None and len(part) > 1:
                # one request's entries may be the mistake: the others' go in without them
                each = [self._tried(writer, [q]) for q in part]
                dropped = sum(len(q.entries) for q, w in zip(part, each, strict=True) if w is None)
                written = sum(w or 0 for w in each)
            else:
                dropped = sum(len(q.entries) for q in part) if written is None else 0
            self._finished(part, written or 0, dropped)

    def _tried(self, writer: ScoreLogWriter, part: list[_Queued]) -> int | None:
        """Write ``part`` until it is in (how many entries were new), trying again while
        the store is down or locked; None where it fails for another reason."""
        batches = None  # what is new, found once: a retry writes the same
        attempt = 0
        while True:
            try:
                if batches is None:
                    # a score that says what the lead's newest logged one says is not
                    # written again (a CRM polling a lead would fill its history)
                    batches = writer.changed([(q.entries, q.now) for q in part])
                if batches:
                    writer.commit(batches)
                return sum(len(entries) for entries, _ in batches)
            except Exception as exc:
                if not is_outage(exc) and attempt >= MISTAKE_TRIES - 1:
                    # not the store being away but a mistake: tried again it fails again,
                    # and it would hold every later score behind it
                    lost = sum(len(q.entries) for q in part)
                    log.exception("%d scores could not be written to the score log", lost)
                    return None
                self._failed(exc, attempt)  # down or locked: keep them, try again
                attempt += 1

    def _finished(self, part: list[_Queued], written: int, dropped: int) -> None:
        with self._changed:
            for _ in part:
                self._queued.popleft()
            done = sum(len(q.entries) for q in part)
            self._done += done
            self.written += written
            self.dropped += dropped
            self.unchanged += done - written - dropped
            self._failing_since, self._last_error = None, None
            self._changed.notify_all()

    def _failed(self, exc: Exception, attempt: int) -> None:
        reason = driver_said(exc)
        with self._changed:
            if self._failing_since is None:
                self._failing_since = time.monotonic()
            self._last_error = reason[:200]
        if attempt == 0:
            log.warning("writing the score log failed (%s); trying again", reason)
        time.sleep(RETRY_PAUSES[min(attempt, len(RETRY_PAUSES) - 1)])


def _next_group(queued: deque[_Queued]) -> list[_Queued]:
    """The oldest queued batches of one writer, up to BATCH_ENTRIES entries (one batch at
    least); they stay queued until written."""
    group: list[_Queued] = []
    size = 0
    for item in queued:
        if group and (
            item.writer is not group[0].writer or size + len(item.entries) > BATCH_ENTRIES
        ):
            break
        group.append(item)
        size += len(item.entries)
    return group
