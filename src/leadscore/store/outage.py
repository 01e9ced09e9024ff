"""What a store that is down or locked raises, told apart from a mistake in leadscore.

A request that meets one is answered 503 with ``Retry-After`` (see
``leadscore.serving.outage``); a mistake (an integrity error, a bug) stays a 500 that
someone must look at.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from leadscore.common.errors import StoreUnavailable

log = logging.getLogger("leadscore.store")

# seconds a caller waits before sending again: a lock another writer holds (a backup, an
# export, a large ingest) lasts seconds; a database restarting a few more
RETRY_AFTER_SECONDS = 5

# OperationalError: SQLite's "database is locked", a server that refused or dropped the
# connection; InterfaceError: a connection closed under a request; TimeoutError: no
# connection free in the pool in time
OUTAGES: tuple[type[Exception], ...] = (
    StoreUnavailable,
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.TimeoutError,
)


def is_outage(error: BaseException) -> bool:
    """Whether ``error`` says the store is unavailable rather than that something is wrong."""
    return isinstance(error, OUTAGES)


def driver_said(error: BaseException) -> str:
    """The first line of what the database's driver said of ``error`` (SQLAlchemy wraps
    it, and adds the statement), for the service's log: it may name the database's host
    or file, so it is never sent to a caller."""
    detail = getattr(error, "orig", None) or error
    return (str(detail) or type(detail).__name__).splitlines()[0][:300]


def unavailable(error: BaseException) -> StoreUnavailable:
    """``error`` as the StoreUnavailable a caller is told of (``told``), its driver's own
    message logged."""
    if not isinstance(error, StoreUnavailable):
        log.warning("the store is unavailable: %s", driver_said(error))
    return told(error)


def told(error: BaseException) -> StoreUnavailable:
    """``error`` as the StoreUnavailable a caller is told of: what happened in words a
    caller can act on, without the driver's own message (which may name the database's
    host or file). Nothing is logged."""
    if isinstance(error, StoreUnavailable):
        return error
    locked = "locked" in str(getattr(error, "orig", None) or error).lower()
    why = "another process holds its write lock" if locked else "it cannot be reached"
    return StoreUnavailable(
        f"the store is unavailable just now ({why}); send the request again in "
        f"{RETRY_AFTER_SECONDS} s",
        retry_after=RETRY_AFTER_SECONDS,
    )
