"""Exceptions that carry a message a user can act on."""

from __future__ import annotations


class LeadscoreError(Exception):
    """Base class of every error leadscore raises on purpose."""


class InputError(LeadscoreError):
    """Input data or configuration is unusable as given; the message says what to fix.

    The CLI turns it into exit code 1 and a one-paragraph message instead of a traceback.
    """
