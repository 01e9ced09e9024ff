"""Bounds on one posted item's parts, the same for ``POST /score``'s records and the
intake (``POST /events``, ``POST /leads``), so that no request costs more than a bounded
amount of work and no lead widens what is read of every other (the body as a whole is
bounded by ``LEADSCORE_MAX_BODY_BYTES``).

A probe sent one lead of 25,000 profile keys to the intake, which had no bound: 10.3 s to
take it, the worker's memory 0.9 → 2.3 GB, and every later read of the customers built one
column per key across all leads.
"""

from __future__ import annotations

MAX_ID_LENGTH = 64  # ids, event types, channels, offers: the store's key columns
MAX_NAME_LENGTH = 200  # profile keys, campaigns, an event's own id
MAX_TEXT_LENGTH = 1_000  # a profile value
MAX_PROFILE_FIELDS = 200  # a lead's profile
MAX_EVENTS_PER_LEAD = 10_000  # a record's events
# profile fields of all the leads of one batch together: a CRM has tens to a few hundred;
# 10,000 leads of 200 fields each, all different, would build two million columns
MAX_BATCH_PROFILE_FIELDS = 1_000
