"""Exceptions that carry a message a user can act on."""

from __future__ import annotations


class LeadscoreError(Exception):
    """Base class of every error leadscore raises on purpose."""


class InputError(LeadscoreError):
    """Input data or configuration is unusable as given; the message says what to fix.

    The CLI turns it into exit code 1 and a one-paragraph message instead of a traceback.
    """


class StoreUnavailable(LeadscoreError):
    """The store cannot take or give what a request needs just now (it is down, locked
    by another writer, or its writes are behind); the request may be sent again after
    ``retry_after`` seconds. The service answers 503 with ``Retry-After``, never 500."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
